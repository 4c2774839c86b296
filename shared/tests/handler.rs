//! The invocation driver, with a test scope, a fake remediator and a
//! recording sink: one record per item on every path (skips, malformed input,
//! failures, panics, other accounts), the schema of those records, dry run
//! decided once, and the return value.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::ops::ControlFlow;
use std::sync::Mutex;

use remediation_shared::audit::RECORD_TYPE;
use remediation_shared::resource::BucketName;
use remediation_shared::{
    handle, AwsError, AwsErrorKind, Config, Examined, HandlerError, Home, Invocation, Outcome,
    Proposal, RecordingSink, Remediator, Report, Summary, Survey, TargetOf, Verdict,
};
use serde_json::{json, Value};
use support::Buckets;

/// Decides by bucket name: `ok-*` calls for a change that is then applied,
/// `clean-*` is compliant, `held-*` is wrong but exempt, `fail-*` fails with AccessDenied, and `panic-*`
/// panics. Records every examine and apply it was asked to do.
#[derive(Default)]
pub struct Fake {
    /// Buckets examined.
    pub seen: Mutex<Vec<String>>,
    /// Buckets a write was applied to.
    pub applied: Mutex<Vec<String>>,
    /// The buckets a sweep's survey finds: all but `clean-*` are suspects.
    pub inventory: Vec<&'static str>,
    /// The error that stops the survey after it read the inventory, if any.
    pub survey_error: Option<AwsError>,
}

impl Remediator for Fake {
    type Scope = Buckets;
    type Work = String;

    async fn survey(&self, _home: &Home) -> Survey<BucketName> {
        let suspects = self
            .inventory
            .iter()
            .filter(|b| !b.starts_with("clean-"))
            .map(|b| BucketName::parse("inventory", b).unwrap())
            .collect();
        Survey {
            error: self.survey_error.clone(),
            ..Survey::complete(self.inventory.len(), suspects)
        }
    }

    async fn examine(&self, target: &TargetOf<Self>, _config: &Config) -> Examined<String> {
        let b = target.resource.as_str();
        self.seen.lock().unwrap().push(b.to_owned());
        if b.starts_with("panic-") {
            panic!("boom on {b}");
        }
        if b.starts_with("fail-") {
            let err = AwsError::of(
                "GetThing",
                AwsErrorKind::AccessDenied,
                "AccessDenied",
                "nope",
            );
            return ControlFlow::Break(Report::failed(&err));
        }
        if b.starts_with("hang-") {
            let hung = remediation_shared::deadline::within(
                "GetThing",
                std::future::pending::<Result<(), AwsError>>(),
            )
            .await;
            return ControlFlow::Break(Report::failed(&hung.unwrap_err()));
        }
        if b.starts_with("held-") {
            return remediation_shared::Decision::<()>::Withheld(
                "bucket carries the exemption tag".into(),
            )
            .examined("", &"open", |()| unreachable!());
        }
        if b.starts_with("clean-") {
            return ControlFlow::Break(
                Report::new(Outcome::AlreadyCompliant, "clean")
                    .unchanged(&"closed")
                    .verdict(Verdict::holds("T.1")),
            );
        }
        ControlFlow::Continue(Proposal::new(
            &"open",
            &["close"],
            format!("close {b}"),
            b.to_owned(),
        ))
    }

    async fn apply(&self, _target: &TargetOf<Self>, proposal: Proposal<String>) -> Report {
        self.applied.lock().unwrap().push(proposal.work.clone());
        // A "half-" bucket is fixed while the rest of its control still fails.
        let failing = if proposal.work.starts_with("half-") {
            vec!["the other half".to_owned()]
        } else {
            vec![]
        };
        proposal
            .report(Outcome::Remediated, "fixed")
            .after(&"closed")
            .changes(&["close"])
            .verdict(Verdict::of("T.1", failing))
    }
}

fn hub_event(buckets: &[&str]) -> Value {
    let findings: Vec<Value> = buckets
        .iter()
        .enumerate()
        .map(|(i, b)| json!({"Id": format!("f-{i}"), "ProductArn": "arn:aws:securityhub:us-east-1::product/aws/securityhub",
            "AwsAccountId": "123456789012", "RecordState": "ACTIVE",
            "Compliance": {"Status": "FAILED", "SecurityControlId": "S3.8"},
            "Resources": [{"Type": "AwsS3Bucket", "Id": format!("arn:aws:s3:::{b}"), "Region": "us-east-1"}]}))
        .collect();
    json!({"version": "0", "id": "event-1", "detail-type": "Security Hub Findings - Imported", "source": "aws.securityhub",
           "account": "123456789012", "region": "us-east-1", "resources": [], "detail": {"findings": findings}})
}

/// The driver's surroundings with `locate`, `notify` and `findings`, and no hub.
fn around<'a, L, N, U>(
    locate: &'a L,
    notify: &'a N,
    findings: &'a U,
) -> remediation_shared::Around<'a, L, N, U, remediation_shared::NoHub> {
    remediation_shared::Around {
        locate,
        notify,
        findings,
        reach: &remediation_shared::NoHub,
    }
}

fn invoke(payload: Value, function_arn: &str) -> Invocation<Value> {
    Invocation {
        payload,
        request_id: "req-1".into(),
        invoked_function_arn: function_arn.into(),
        deadline_ms: 0,
    }
}

const HOME: &str = "arn:aws:lambda:us-east-1:123456789012:function:test-buckets";

/// `payload` handled once by a fresh fake with the default configuration, in
/// a function whose ARN is `home`: the fake, what was recorded, and the result.
async fn handled_at(
    payload: Value,
    home: &str,
) -> (Fake, RecordingSink, Result<Summary, HandlerError>) {
    let (fake, sink) = (Fake::default(), RecordingSink::default());
    let result = handle(&fake, &Config::default(), &sink, invoke(payload, home)).await;
    (fake, sink, result)
}

/// `payload` handled as by [`handled_at`], in the function at [`HOME`].
async fn handled(payload: Value) -> (Fake, RecordingSink, Result<Summary, HandlerError>) {
    handled_at(payload, HOME).await
}

#[tokio::test]
async fn each_resource_gets_one_record_in_the_stable_schema() {
    let (_, sink, result) = handled(hub_event(&["ok-one", "ok-two"])).await;
    let summary = result.unwrap();
    let records = sink.records();
    assert_eq!(records.len(), 2);
    let r = &records[0];
    let keys: std::collections::BTreeSet<&str> =
        r.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        std::collections::BTreeSet::from([
            "record_type",
            "schema_version",
            "timestamp",
            "function",
            "request_id",
            "trigger",
            "control",
            "account",
            "region",
            "resource",
            "action",
            "outcome",
            "reason",
            "before",
            "after",
            "changes",
            "dry_run",
            "error_code"
        ])
    );
    assert_eq!(r["record_type"], RECORD_TYPE);
    assert_eq!(r["schema_version"], 1);
    assert_eq!(r["function"], "test-buckets");
    assert_eq!(r["request_id"], "req-1");
    assert_eq!(
        r["trigger"],
        json!({"source": "aws.securityhub", "detail_type": "Security Hub Findings - Imported", "event_id": "event-1", "finding_id": "f-0", "name": "S3.8"})
    );
    assert_eq!(r["resource"], "arn:aws:s3:::ok-one");
    assert_eq!(r["account"], "123456789012");
    assert_eq!(r["action"], "test_bucket_action");
    assert_eq!(r["outcome"], "remediated");
    assert_eq!(r["error_code"], Value::Null);
    assert_eq!(summary.counts.get("remediated"), Some(&2));
    assert_eq!(summary.results.len(), 2);
}

#[tokio::test]
async fn a_failure_fails_the_invocation_after_every_record_is_written() {
    let (_, sink, result) = handled(hub_event(&["fail-one", "ok-two"])).await;
    let err = result.unwrap_err();
    let records = sink.records();
    assert_eq!(
        records.len(),
        2,
        "the second bucket is still examined and recorded"
    );
    assert_eq!(records[0]["outcome"], "failed");
    assert_eq!(records[0]["error_code"], "AccessDenied");
    assert!(records[0]["reason"]
        .as_str()
        .unwrap()
        .contains("access denied"));
    assert_eq!(records[1]["outcome"], "remediated");
    assert_eq!(err.error_type(), "Aws.AccessDenied");
    assert!(err.to_string().contains("1 of 2"), "{err}");
}

#[tokio::test]
async fn a_panic_becomes_a_failed_record_and_the_rest_still_runs() {
    let (_, sink, result) = handled(hub_event(&["panic-one", "ok-two"])).await;
    let err = result.unwrap_err();
    let records = sink.records();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["outcome"], "failed");
    assert_eq!(records[0]["error_code"], "Handler.Panic");
    assert!(records[0]["reason"]
        .as_str()
        .unwrap()
        .contains("boom on panic-one"));
    assert_eq!(records[1]["outcome"], "remediated");
    assert!(matches!(
        err,
        HandlerError::Remediation {
            failed: 1,
            total: 2,
            ..
        }
    ));
}

#[tokio::test]
async fn malformed_input_is_an_error_with_a_record_and_no_remediation() {
    let event = json!({"id": "bad-1", "source": "aws.securityhub", "detail-type": "Security Hub Findings - Imported", "detail": {"findings": 3}});
    let (fake, sink, result) = handled(event).await;
    let err = result.unwrap_err();
    assert!(fake.seen.lock().unwrap().is_empty());
    let records = sink.records();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["outcome"], "failed");
    assert_eq!(records[0]["error_code"], "Finding.Malformed");
    assert_eq!(records[0]["trigger"]["event_id"], "bad-1");
    assert!(records[0]["reason"]
        .as_str()
        .unwrap()
        .contains("detail.findings"));
    assert_eq!(err.error_type(), "Finding.Malformed");
}

#[tokio::test]
async fn non_object_payloads_are_malformed_not_panics() {
    for payload in [json!(null), json!("text"), json!([1, 2]), json!(42)] {
        let (_, sink, result) = handled(payload.clone()).await;
        assert!(
            matches!(result, Err(HandlerError::Malformed(_))),
            "{payload}"
        );
        assert_eq!(sink.records().len(), 1, "{payload}");
    }
}

#[tokio::test]
async fn other_events_are_skipped_successfully_with_a_record() {
    let event = json!({"id": "x", "source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification", "detail": {}});
    let (_, sink, result) = handled(event).await;
    let summary = result.unwrap();
    assert_eq!(summary.counts.get("skipped"), Some(&1));
    let records = sink.records();
    assert_eq!(records[0]["outcome"], "skipped");
    assert_eq!(records[0]["resource"], Value::Null);
    assert!(records[0]["reason"]
        .as_str()
        .unwrap()
        .contains("EC2 Instance State-change Notification"));
}

fn schedule() -> Value {
    json!({"version": "0", "id": "sweep-1", "detail-type": "Scheduled Event", "source": "aws.events",
           "account": "123456789012", "region": "us-east-1",
           "resources": ["arn:aws:events:us-east-1:123456789012:rule/stack-S3Sweep-1AB2"], "detail": {}})
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
        dry_run: true,
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

#[tokio::test]
async fn resources_of_another_account_or_region_are_never_touched() {
    for home in [
        "arn:aws:lambda:us-east-1:999999999999:function:test-buckets",
        "arn:aws:lambda:eu-west-1:123456789012:function:test-buckets",
    ] {
        let (fake, sink, result) = handled_at(hub_event(&["ok-one"]), home).await;
        result.unwrap();
        assert!(fake.seen.lock().unwrap().is_empty(), "{home}");
        let r = &sink.records()[0];
        assert_eq!(r["outcome"], "skipped");
        assert!(
            r["reason"]
                .as_str()
                .unwrap()
                .contains("this function acts only in its own"),
            "{r}"
        );
    }
}

#[tokio::test]
async fn dry_run_flag_is_in_every_record_and_the_summary() {
    let (fake, sink) = (Fake::default(), RecordingSink::default());
    let config = Config {
        dry_run: true,
        ..Config::default()
    };
    let summary = handle(&fake, &config, &sink, invoke(hub_event(&["ok-one"]), HOME))
        .await
        .unwrap();
    assert!(summary.dry_run);
    assert_eq!(sink.records()[0]["dry_run"], true);
}

#[tokio::test]
async fn dry_run_is_decided_once_by_the_driver_which_never_applies() {
    // GIVEN one bucket that calls for a change and one that is compliant
    let (fake, sink) = (Fake::default(), RecordingSink::default());
    let config = Config {
        dry_run: true,
        ..Config::default()
    };
    // WHEN the event is handled in dry run
    let summary = handle(
        &fake,
        &config,
        &sink,
        invoke(hub_event(&["ok-one", "clean-two"]), HOME),
    )
    .await
    .unwrap();
    // THEN both are examined, nothing is applied, and the proposal is recorded as a dry run
    assert_eq!(fake.seen.lock().unwrap().len(), 2);
    assert!(fake.applied.lock().unwrap().is_empty());
    let records = sink.records();
    assert_eq!(records[0]["outcome"], "dry_run");
    assert_eq!(records[0]["reason"], "dry run: would close ok-one");
    assert_eq!(records[0]["before"], "open");
    assert_eq!(records[0]["after"], "open");
    assert_eq!(records[0]["changes"], json!(["close"]));
    assert_eq!(records[1]["outcome"], "already_compliant");
    assert_eq!(summary.counts.get("dry_run"), Some(&1));

    // AND without dry run the same proposal is applied and recorded as done
    let (fake, sink, result) = handled(hub_event(&["ok-one"])).await;
    result.unwrap();
    assert_eq!(*fake.applied.lock().unwrap(), ["ok-one"]);
    let r = &sink.records()[0];
    assert_eq!(
        (&r["outcome"], &r["before"], &r["after"]),
        (&json!("remediated"), &json!("open"), &json!("closed"))
    );
}

fn in_ms(d: std::time::Duration) -> u64 {
    (std::time::SystemTime::now() + d)
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

#[tokio::test]
async fn a_target_is_not_started_when_only_the_time_to_record_it_is_left() {
    // GIVEN a deadline closer than the time kept to write records
    let (fake, sink) = (Fake::default(), RecordingSink::default());
    let mut event = invoke(hub_event(&["ok-one", "ok-two"]), HOME);
    event.deadline_ms = in_ms(std::time::Duration::from_millis(300));
    // WHEN the event is handled
    let err = handle(&fake, &Config::default(), &sink, event)
        .await
        .unwrap_err();
    // THEN nothing is started, every target has a failed record, and the invocation fails
    assert!(fake.seen.lock().unwrap().is_empty());
    let records = sink.records();
    assert_eq!(records.len(), 2);
    for r in &records {
        assert_eq!(r["outcome"], "failed");
        assert_eq!(r["error_code"], "DeadlineNear");
    }
    assert!(err.to_string().contains("DeadlineNear"), "{err}");
}

#[tokio::test]
async fn a_short_timeout_means_less_time_per_call_not_no_work() {
    // GIVEN Lambda's default timeout of 3 s
    let (fake, sink) = (Fake::default(), RecordingSink::default());
    let mut event = invoke(hub_event(&["ok-one", "ok-two"]), HOME);
    event.deadline_ms = in_ms(std::time::Duration::from_secs(3));
    // WHEN the event is handled
    handle(&fake, &Config::default(), &sink, event)
        .await
        .unwrap();
    // THEN both targets are fixed
    assert_eq!(fake.applied.lock().unwrap().len(), 2);

    // AND a call that hangs is cut before the deadline, with a record
    let (fake, sink) = (Fake::default(), RecordingSink::default());
    let mut event = invoke(hub_event(&["hang-one"]), HOME);
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(1500);
    event.deadline_ms = in_ms(std::time::Duration::from_millis(1500));
    handle(&fake, &Config::default(), &sink, event)
        .await
        .unwrap_err();
    assert!(
        std::time::Instant::now() < deadline,
        "answered after the deadline"
    );
    let r = &sink.records()[0];
    assert_eq!(
        (&r["outcome"], &r["error_code"]),
        (&json!("failed"), &json!("TimeoutError"))
    );
}

#[tokio::test]
async fn a_local_emulators_relative_deadline_leaves_time_to_work() {
    // GIVEN the deadline header as `cargo lambda watch` sends it: ten minutes, as a duration
    let (fake, sink) = (Fake::default(), RecordingSink::default());
    let mut event = invoke(hub_event(&["ok-one"]), HOME);
    event.deadline_ms = 600_000;
    // WHEN the event is handled
    handle(&fake, &Config::default(), &sink, event)
        .await
        .unwrap();
    // THEN the target is fixed
    assert_eq!(sink.records()[0]["outcome"], "remediated");
}

#[tokio::test]
async fn an_unreadable_invoked_arn_fails_closed_and_touches_nothing() {
    for home in ["", "not-an-arn", "arn:aws:lambda:::function:no-account"] {
        // GIVEN a function that cannot tell its own account and region
        // WHEN a finding about a bucket arrives
        let (fake, sink, result) = handled_at(hub_event(&["ok-one"]), home).await;
        let err = result.unwrap_err();
        // THEN nothing is examined, and the record and the error say why
        assert!(fake.seen.lock().unwrap().is_empty(), "{home:?}");
        let r = &sink.records()[0];
        assert_eq!(r["outcome"], "failed", "{home:?}");
        assert_eq!(r["error_code"], "InvokedArnUnreadable", "{home:?}");
        assert_eq!(err.error_type(), "Remediation.InvokedArnUnreadable");
    }
}

/// A local emulator's stand-in for the invoked ARN: the credentials' account.
struct Credentials(&'static str);

impl remediation_shared::Locate for Credentials {
    async fn locate(&self) -> Result<remediation_shared::Home, String> {
        Ok(remediation_shared::Home {
            account: self.0.into(),
            region: "us-east-1".into(),
        })
    }
}

#[tokio::test]
async fn without_an_invoked_arn_the_credentials_account_is_home() {
    // GIVEN `cargo lambda watch`'s placeholder ARN, and credentials of the finding's account
    let (fake, sink) = (Fake::default(), RecordingSink::default());
    let event = invoke(hub_event(&["ok-one"]), "function-arn");
    // WHEN the event is handled
    remediation_shared::handle_with(
        &fake,
        &Config::default(),
        &sink,
        event,
        around(
            &Credentials("123456789012"),
            &remediation_shared::Silent,
            &remediation_shared::LeaveFindings,
        ),
    )
    .await
    .unwrap();
    // THEN the bucket is fixed
    assert_eq!(sink.records()[0]["outcome"], "remediated");

    // AND credentials of another account act on nothing there
    let (fake, sink) = (Fake::default(), RecordingSink::default());
    let event = invoke(hub_event(&["ok-one"]), "function-arn");
    remediation_shared::handle_with(
        &fake,
        &Config::default(),
        &sink,
        event,
        around(
            &Credentials("999999999999"),
            &remediation_shared::Silent,
            &remediation_shared::LeaveFindings,
        ),
    )
    .await
    .unwrap();
    assert!(fake.seen.lock().unwrap().is_empty());
    assert_eq!(sink.records()[0]["outcome"], "skipped");
}

#[tokio::test]
async fn a_clipped_reason_says_exactly_how_much_was_cut() {
    // GIVEN a compliant Config result whose rule name is 5,000 characters long
    let (fake, sink) = (Fake::default(), RecordingSink::default());
    let event = json!({"version": "0", "id": "e-1", "detail-type": "Config Rules Compliance Change",
        "source": "aws.config", "account": "123456789012", "region": "us-east-1", "resources": [],
        "detail": {"resourceId": "b-1", "resourceType": "AWS::S3::Bucket", "configRuleName": "r".repeat(5_000),
                   "newEvaluationResult": {"complianceType": "COMPLIANT"}}});
    // WHEN it is handled
    handle(&fake, &Config::default(), &sink, invoke(event, HOME))
        .await
        .unwrap();
    // THEN the reason and the trigger name are clipped, saying how much was cut
    let record = &sink.records()[0];
    let full = format!("Config reports COMPLIANT for {}", "r".repeat(5_000));
    let cut = full.chars().count() - 1_024;
    assert_eq!(
        record["reason"],
        format!("{}... ({cut} more characters)", &full[..1_024])
    );
    assert_eq!(
        record["trigger"]["name"],
        format!("{}... (4744 more characters)", "r".repeat(256))
    );
}

/// `t` as RFC 3339, as events write times.
fn rfc3339(t: std::time::SystemTime) -> String {
    remediation_shared::stamp::millis(t)
}

#[tokio::test]
async fn every_record_is_counted_and_a_fix_is_timed_from_the_problems_own_time() {
    use std::time::{Duration, SystemTime};
    let now = SystemTime::now();
    let ago = |s: u64| rfc3339(now - Duration::from_secs(s));
    // (the finding's UpdatedAt, the event's time, the time to remediate expected, in s)
    let cases = [
        (json!(ago(90)), json!(ago(10)), 90),
        (Value::Null, json!(ago(30)), 30),
        (json!("yesterday"), json!(ago(45)), 45),
    ];
    for (updated_at, sent_at, expected) in cases {
        let mut event = hub_event(&["ok-one", "clean-two"]);
        event["time"] = sent_at;
        for f in event["detail"]["findings"].as_array_mut().unwrap() {
            f["UpdatedAt"] = updated_at.clone();
        }
        let (fake, sink) = (Fake::default(), RecordingSink::default());
        handle(&fake, &Config::default(), &sink, invoke(event, HOME))
            .await
            .unwrap();
        let docs = sink.metric_documents();
        assert_eq!(docs.len(), 2, "one document per record");
        let (fixed, clean) = (&docs[0], &docs[1]);
        assert_eq!(fixed["Function"], "test-buckets");
        assert_eq!(fixed["Outcome"], "remediated");
        assert_eq!(fixed["Trigger"], "securityhub");
        assert_eq!(fixed["Remediations"], 1);
        let ms = fixed["TimeToRemediate"].as_u64().unwrap();
        assert!(
            (expected * 1000..(expected + 5) * 1000).contains(&ms),
            "{updated_at}: {ms} ms, expected about {expected} s"
        );
        assert_eq!(clean["Outcome"], "already_compliant");
        assert!(clean.get("TimeToRemediate").is_none(), "nothing was fixed");
    }
}

/// Keeps what it was asked to publish; fails every publish when `fail`.
#[derive(Default)]
struct Inbox {
    fail: bool,
    messages: Mutex<Vec<remediation_shared::notify::Message>>,
}

impl remediation_shared::Notify for Inbox {
    fn enabled(&self) -> bool {
        true
    }

    async fn publish(&self, message: &remediation_shared::notify::Message) -> Result<(), AwsError> {
        self.messages.lock().unwrap().push(message.clone());
        if self.fail {
            return Err(AwsError::of(
                "Publish",
                AwsErrorKind::Throttled,
                "Throttling",
                "Rate exceeded",
            ));
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_person_is_told_of_fixes_failures_and_held_back_changes_and_not_of_the_rest() {
    // GIVEN a fix, a resource already right, a failure and an exempt resource
    let event = hub_event(&["ok-one", "clean-two", "fail-three", "held-four"]);
    for fail in [false, true] {
        let (fake, sink, inbox) = (
            Fake::default(),
            RecordingSink::default(),
            Inbox {
                fail,
                ..Inbox::default()
            },
        );
        // WHEN the driver handles them, with notifications on
        let result = remediation_shared::handle_with(
            &fake,
            &Config::default(),
            &sink,
            invoke(event.clone(), HOME),
            around(
                &remediation_shared::ArnOnly,
                &inbox,
                &remediation_shared::LeaveFindings,
            ),
        )
        .await;
        // THEN one message each for the fix, the failure and the held-back change
        let messages = inbox.messages.lock().unwrap().clone();
        let outcomes: Vec<&str> = messages
            .iter()
            .map(|m| {
                m.attributes
                    .iter()
                    .find(|(k, _)| *k == "outcome")
                    .unwrap()
                    .1
                    .as_str()
            })
            .collect();
        assert_eq!(outcomes, ["remediated", "failed", "skipped"], "fail={fail}");
        assert!(
            messages[0]
                .subject
                .starts_with("Remediated on ok-one in 123456789012/us-east-1"),
            "{}",
            messages[0].subject
        );
        assert!(messages[0]
            .body
            .contains("tag it auto-remediation:exempt=true"));
        // AND each record says how its notification went; none is due for the clean one
        let records = sink.records();
        let status: Vec<Value> = records
            .iter()
            .map(|r| r["notification"]["status"].clone())
            .collect();
        let told = if fail { json!("failed") } else { json!("sent") };
        assert_eq!(
            status,
            [told.clone(), Value::Null, told.clone(), told],
            "fail={fail}"
        );
        assert!(
            records[1].get("notification").is_none(),
            "no field when nothing was due"
        );
        if fail {
            assert_eq!(records[0]["notification"]["error_code"], "Throttling");
        }
        // AND a failed publish never fails the fix: only the failed target does
        match result {
            Err(HandlerError::Remediation { failed, .. }) => assert_eq!(failed, 1),
            other => panic!("{other:?}"),
        }
        assert_eq!(records[0]["outcome"], "remediated");
    }
}

/// Keeps the finding updates it was asked to make.
#[derive(Default)]
struct Hub {
    updates: Mutex<Vec<(String, Option<&'static str>, String)>>,
}

impl remediation_shared::UpdateFindings for Hub {
    fn enabled(&self) -> bool {
        true
    }

    async fn update(
        &self,
        finding: &remediation_shared::workflow::HubFinding,
        update: &remediation_shared::workflow::FindingUpdate,
        updated_by: &str,
    ) -> Result<(), AwsError> {
        assert_eq!(updated_by, "test-buckets");
        let mut updates = self.updates.lock().unwrap();
        updates.push((finding.id.clone(), update.status, update.note.clone()));
        Ok(())
    }
}

#[tokio::test]
async fn each_finding_acted_on_is_resolved_or_flagged_for_a_person_and_no_other_is_touched() {
    // GIVEN a fix, a resource already right, a failure, an exempt resource,
    // and one in another region
    let mut event = hub_event(&[
        "ok-one",
        "clean-two",
        "fail-three",
        "held-four",
        "ok-five",
        "half-six",
    ]);
    event["detail"]["findings"][4]["Resources"][0]["Region"] = json!("eu-west-1");
    let (fake, sink, hub) = (Fake::default(), RecordingSink::default(), Hub::default());
    // WHEN the driver handles them
    let _ = remediation_shared::handle_with(
        &fake,
        &Config::default(),
        &sink,
        invoke(event, HOME),
        around(
            &remediation_shared::ArnOnly,
            &remediation_shared::Silent,
            &hub,
        ),
    )
    .await;
    // THEN each finding acted on gets its status; the other region's is not touched
    let updates = hub.updates.lock().unwrap().clone();
    let statuses: Vec<(&str, Option<&str>)> = updates
        .iter()
        .map(|(id, status, _)| (id.as_str(), *status))
        .collect();
    assert_eq!(
        statuses,
        [
            ("f-0", Some("RESOLVED")),
            ("f-1", Some("RESOLVED")),
            ("f-2", Some("NOTIFIED")),
            ("f-3", Some("NOTIFIED")),
            ("f-5", Some("NOTIFIED")),
        ]
    );
    // AND the fix whose control still fails is not resolved: its note and
    // its record say what still fails
    assert!(
        updates[4].2.contains("T.1 still fails: the other half"),
        "{}",
        updates[4].2
    );
    assert!(
        updates[3].2.contains("carries the exemption tag"),
        "{}",
        updates[3].2
    );
    let records = sink.records();
    assert_eq!(records[0]["finding_update"]["status"], "sent");
    assert!(records[4].get("finding_update").is_none(), "{}", records[4]);
    assert_eq!(
        records[5]["control"],
        json!({"check": "T.1", "holds": false, "failing": ["the other half"]})
    );
    assert_eq!(records[0]["control"]["holds"], true);
}

/// Hub mode with [`Fake`] remediators per member account: counts each
/// account it was asked to reach, answers AccessDenied for the accounts in
/// `refused`, and applies the real target lists ([`Hub::refuses`]).
struct FakeHub {
    hub: remediation_shared::Hub,
    refused: Vec<&'static str>,
    asked: Mutex<Vec<String>>,
    members: Mutex<std::collections::HashMap<String, std::sync::Arc<Fake>>>,
}

impl remediation_shared::Reach<Fake> for FakeHub {
    async fn reach(
        &self,
        place: &remediation_shared::hub::Place<'_>,
    ) -> remediation_shared::Reached<Fake> {
        use remediation_shared::Reached;
        if let Some(why) = self.hub.refuses(place.account, place.region, place.home) {
            return Reached::Refused(why);
        }
        self.asked
            .lock()
            .unwrap()
            .push(format!("{}/{}", place.account, place.region));
        let role_arn = self.hub.role_arn(place.partition, place.account);
        if self.refused.contains(&place.account) {
            let error = AwsError::of(
                "AssumeRole",
                AwsErrorKind::AccessDenied,
                "AccessDenied",
                "not trusted",
            );
            return Reached::Failed { role_arn, error };
        }
        let mut members = self.members.lock().unwrap();
        let remediator = members.entry(place.account.to_owned()).or_default().clone();
        Reached::Member {
            remediator,
            role_arn: Some(role_arn),
        }
    }
}

/// A Security Hub finding event (as aggregation delivers them in the hub's
/// region) about one bucket per `(account, region, bucket)`.
fn aggregated(findings: &[(&str, &str, &str)]) -> Value {
    let findings: Vec<Value> = findings
        .iter()
        .enumerate()
        .map(|(i, (account, region, b))| json!({"Id": format!("f-{i}"), "ProductArn": format!("arn:aws:securityhub:{region}::product/aws/securityhub"),
            "AwsAccountId": account, "Region": region, "RecordState": "ACTIVE",
            "Compliance": {"Status": "FAILED", "SecurityControlId": "S3.8"},
            "Resources": [{"Type": "AwsS3Bucket", "Id": format!("arn:aws:s3:::{b}"), "Region": region}]}))
        .collect();
    json!({"version": "0", "id": "event-hub", "detail-type": "Security Hub Findings - Imported", "source": "aws.securityhub",
           "account": "123456789012", "region": "us-east-1", "resources": [], "detail": {"findings": findings}})
}

#[tokio::test]
async fn a_hub_acts_in_each_member_through_its_role_and_records_it() {
    // GIVEN a hub limited to three member accounts and two regions, one of
    // whose roles cannot be assumed
    let hub = remediation_shared::Hub::from_lookup(|name| match name {
        "MEMBER_ROLE_NAME" => Some("remediation-member".into()),
        "TARGET_ACCOUNTS" => Some("111111111111,222222222222,333333333333".into()),
        "TARGET_REGIONS" => Some("eu-west-1".into()),
        _ => None,
    })
    .unwrap()
    .unwrap();
    let reach = FakeHub {
        hub,
        refused: vec!["333333333333"],
        asked: Mutex::default(),
        members: Mutex::default(),
    };
    let (home_fake, sink) = (Fake::default(), RecordingSink::default());
    let event = aggregated(&[
        ("111111111111", "us-east-1", "ok-member-one"),
        ("222222222222", "eu-west-1", "ok-member-two"),
        ("333333333333", "us-east-1", "ok-member-three"),
        ("444444444444", "us-east-1", "ok-not-listed"),
        ("111111111111", "ap-south-1", "ok-region-not-listed"),
        ("123456789012", "us-east-1", "ok-hub-own"),
    ]);
    let around = remediation_shared::Around {
        locate: &remediation_shared::ArnOnly,
        notify: &remediation_shared::Silent,
        findings: &remediation_shared::LeaveFindings,
        reach: &reach,
    };
    // WHEN the hub handles the aggregated findings
    let result = remediation_shared::handle_with(
        &home_fake,
        &Config::default(),
        &sink,
        invoke(event, HOME),
        around,
    )
    .await;

    // THEN each member's bucket was fixed by that member's remediator, in its region
    let members = reach.members.lock().unwrap();
    assert_eq!(
        *members["111111111111"].applied.lock().unwrap(),
        ["ok-member-one"]
    );
    assert_eq!(
        *members["222222222222"].applied.lock().unwrap(),
        ["ok-member-two"]
    );
    assert!(!members.contains_key("333333333333"));
    // AND the hub's own bucket by its own, and nothing else by it
    assert_eq!(*home_fake.applied.lock().unwrap(), ["ok-hub-own"]);
    // AND no role was asked for outside the target lists
    assert_eq!(
        *reach.asked.lock().unwrap(),
        [
            "111111111111/us-east-1",
            "222222222222/eu-west-1",
            "333333333333/us-east-1"
        ]
    );
    let records = sink.records();
    let by = |bucket: &str| {
        records
            .iter()
            .find(|r| r["resource"].as_str().unwrap().ends_with(bucket))
            .unwrap()
            .clone()
    };
    let one = by("ok-member-one");
    assert_eq!(one["outcome"], "remediated");
    assert_eq!(one["account"], "111111111111");
    assert_eq!(
        one["member_role"],
        "arn:aws:iam::111111111111:role/remediation-member"
    );
    assert_eq!(by("ok-member-two")["region"], "eu-west-1");
    // AND the member whose role could not be assumed failed with the code and the role
    let three = by("ok-member-three");
    assert_eq!(three["outcome"], "failed");
    assert_eq!(three["error_code"], "AccessDenied");
    assert_eq!(
        three["member_role"],
        "arn:aws:iam::333333333333:role/remediation-member"
    );
    assert!(
        three["reason"]
            .as_str()
            .unwrap()
            .contains("arn:aws:iam::333333333333:role/remediation-member"),
        "{three}"
    );
    // AND targets outside the lists were skipped, saying which list
    assert_eq!(by("ok-not-listed")["outcome"], "skipped");
    assert!(by("ok-not-listed")["reason"]
        .as_str()
        .unwrap()
        .contains("TARGET_ACCOUNTS"));
    assert!(by("ok-region-not-listed")["reason"]
        .as_str()
        .unwrap()
        .contains("TARGET_REGIONS"));
    assert!(by("ok-not-listed").get("member_role").is_none());
    // AND the hub's own record names no member role
    assert!(by("ok-hub-own").get("member_role").is_none());
    // AND the one failure fails the invocation, so Lambda retries it
    assert!(
        matches!(
            result,
            Err(HandlerError::Remediation {
                failed: 1,
                total: 6,
                ..
            })
        ),
        "{result:?}"
    );
}
