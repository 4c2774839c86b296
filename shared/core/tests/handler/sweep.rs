//! The scheduled sweep: suspects examined as findings, compliant ones counted,
//! dry run, a failed survey, the deadline.

use crate::*;

fn schedule() -> Value {
    json!({"version": "0", "id": "sweep-1", "detail-type": "Scheduled Event", "source": "aws.events",
           "account": "123456789012", "region": "us-east-1",
           "resources": ["arn:aws:events:us-east-1:123456789012:rule/stack-S3Sweep-1AB2"], "detail": {}})
}

#[tokio::test]
async fn a_sweep_prefetches_each_batch_of_suspects_just_before_examining_it() {
    // GIVEN 250 suspects
    let names: Vec<&'static str> = (0..250)
        .map(|i| &*Box::leak(format!("ok-{i:03}").into_boxed_str()))
        .collect();
    let fake = Fake {
        inventory: names,
        ..Fake::default()
    };
    // WHEN the scheduled event arrives
    let sink = RecordingSink::default();
    handle(&fake, &Config::default(), &sink, invoke(schedule(), HOME))
        .await
        .unwrap();
    // THEN they were re-read in batches of at most 100, each before its own examines
    assert_eq!(
        fake.batches.lock().unwrap().as_slice(),
        [(100, 0), (100, 100), (50, 200)]
    );
    assert_eq!(fake.seen.lock().unwrap().len(), 250);
    assert_eq!(sink.records().len(), 250);
}

#[tokio::test]
async fn a_sweep_examines_each_suspect_as_a_finding_and_counts_the_compliant_without_records() {
    // GIVEN an account with two compliant buckets, one to fix, one exempt and one that fails
    let fake = Fake {
        inventory: vec!["clean-a", "ok-one", "clean-b", "held-one", "fail-one"],
        ..Fake::default()
    };
    let sink = RecordingSink::default();
    // WHEN the scheduled event arrives
    let err = handle(&fake, &Config::default(), &sink, invoke(schedule(), HOME))
        .await
        .unwrap_err();
    // THEN only the suspects were examined, and only they have records
    let mut seen = fake.seen.lock().unwrap().clone();
    seen.sort();
    assert_eq!(seen, ["fail-one", "held-one", "ok-one"]);
    assert_eq!(fake.applied.lock().unwrap().as_slice(), ["ok-one"]);
    let records = sink.records();
    let outcomes: Vec<(String, String)> = records
        .iter()
        .map(|r| {
            (
                r["resource"].as_str().unwrap().to_owned(),
                r["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(outcomes.len(), 3, "{records:#?}");
    assert!(outcomes.contains(&("arn:aws:s3:::ok-one".into(), "remediated".into())));
    assert!(outcomes.contains(&("arn:aws:s3:::held-one".into(), "skipped".into())));
    assert!(outcomes.contains(&("arn:aws:s3:::fail-one".into(), "failed".into())));
    for r in &records {
        assert_eq!(r["record_type"], RECORD_TYPE);
        assert_eq!(r["trigger"]["detail_type"], "Scheduled Event");
        assert_eq!(r["trigger"]["name"], "stack-S3Sweep-1AB2");
        assert_eq!(
            (r["account"].as_str(), r["region"].as_str()),
            (Some("123456789012"), Some("us-east-1"))
        );
    }
    // AND one summary that adds up, and the failure fails the invocation so it is seen
    let summaries = sink.summaries();
    assert_eq!(summaries.len(), 1);
    let sum = &summaries[0];
    assert_eq!(sum["record_type"], "remediation_sweep");
    assert_eq!(
        (sum["examined"].as_u64(), sum["compliant"].as_u64()),
        (Some(5), Some(2))
    );
    assert_eq!(
        sum["outcomes"],
        json!({"failed": 1, "remediated": 1, "skipped": 1})
    );
    assert_eq!(sum["finished"], true);
    assert_eq!(sum["stopped"], Value::Null);
    assert!(err.to_string().contains("AccessDenied"), "{err}");
}

#[tokio::test]
async fn a_sweep_in_dry_run_writes_nothing_and_says_what_it_would_change() {
    let fake = Fake {
        inventory: vec!["clean-a", "ok-one", "ok-two"],
        ..Fake::default()
    };
    let sink = RecordingSink::default();
    let config = Config {
        mode: remediation_shared::Mode::DryRun,
        ..Config::default()
    };
    let summary = handle(&fake, &config, &sink, invoke(schedule(), HOME))
        .await
        .unwrap();
    assert!(fake.applied.lock().unwrap().is_empty());
    assert_eq!(summary.counts.get("dry_run"), Some(&2));
    assert_eq!(sink.summaries()[0]["dry_run"], true);
}

#[tokio::test]
async fn a_survey_that_fails_is_a_failed_record_and_an_unfinished_sweep_but_what_it_read_is_examined(
) {
    let fake = Fake {
        inventory: vec!["ok-one"],
        survey_error: Some(AwsError::of(
            "ListBuckets",
            AwsErrorKind::AccessDenied,
            "AccessDenied",
            "no",
        )),
        ..Fake::default()
    };
    let sink = RecordingSink::default();
    let err = handle(&fake, &Config::default(), &sink, invoke(schedule(), HOME))
        .await
        .unwrap_err();
    assert_eq!(fake.applied.lock().unwrap().as_slice(), ["ok-one"]);
    let records = sink.records();
    let failed: Vec<&Value> = records
        .iter()
        .filter(|r| r["outcome"] == "failed")
        .collect();
    assert_eq!(failed.len(), 1, "{records:#?}");
    assert_eq!(failed[0]["resource"], Value::Null);
    assert!(failed[0]["reason"]
        .as_str()
        .unwrap()
        .contains("could not read every resource"));
    let sum = &sink.summaries()[0];
    assert_eq!(sum["finished"], false);
    assert_eq!(sum["error_code"], "AccessDenied");
    assert!(sum["stopped"].as_str().unwrap().contains("survey"), "{sum}");
    assert!(err.to_string().contains("AccessDenied"), "{err}");
}

#[tokio::test]
async fn a_sweep_stops_before_the_deadline_and_says_where() {
    // GIVEN less time left than the sweep keeps back
    let fake = Fake {
        inventory: vec!["ok-one", "ok-two"],
        ..Fake::default()
    };
    let sink = RecordingSink::default();
    let mut event = invoke(schedule(), HOME);
    event.deadline_ms = in_ms(std::time::Duration::from_secs(2));
    // WHEN the scheduled event arrives
    let summary = handle(&fake, &Config::default(), &sink, event)
        .await
        .unwrap();
    // THEN no suspect is started, none has a record, and the summary says where it stopped
    assert!(fake.seen.lock().unwrap().is_empty());
    assert!(sink.records().is_empty());
    assert!(summary.counts.is_empty());
    let sum = &sink.summaries()[0];
    assert_eq!(sum["finished"], false);
    let stopped = sum["stopped"].as_str().unwrap();
    assert!(
        stopped.contains("arn:aws:s3:::ok-one") && stopped.contains("2 suspect(s) not examined"),
        "{stopped}"
    );
}
