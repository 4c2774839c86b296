//! An organisation's sweep: a scheduled event queues one message per place;
//! each message's place is swept there, through the member role, and a
//! place that failed is handed back to the queue.

use std::sync::Arc;

use remediation_shared::fanout::{FanOut, PlaceMessage};
use remediation_shared::{handle_with, ArnOnly, Around, LeaveFindings, NoFanOut, Silent};

use super::hub::FakeHub;
use crate::*;

fn schedule() -> Value {
    json!({"version": "0", "id": "sweep-9", "detail-type": "Scheduled Event", "source": "aws.events",
           "account": "123456789012", "region": "us-east-1",
           "resources": ["arn:aws:events:us-east-1:123456789012:rule/stack-S3Sweep-1AB2"], "detail": {}})
}

/// A queue that records what it is sent, over the hub's real place rules.
#[derive(Default)]
struct FakeQueue {
    hub: Option<remediation_shared::Hub>,
    places_error: Option<AwsError>,
    send_error: Option<AwsError>,
    sent: Mutex<Vec<String>>,
}

impl FanOut for FakeQueue {
    fn enabled(&self) -> bool {
        true
    }

    async fn places(&self, home: &Home, regional: bool) -> Result<Vec<Home>, AwsError> {
        if let Some(e) = &self.places_error {
            return Err(e.clone());
        }
        let hub = self.hub.as_ref().unwrap();
        Ok(remediation_shared::fanout::places(
            hub, home, None, regional,
        ))
    }

    async fn send(&self, bodies: Vec<String>) -> Result<(), AwsError> {
        if let Some(e) = &self.send_error {
            return Err(e.clone());
        }
        self.sent.lock().unwrap().extend(bodies);
        Ok(())
    }
}

fn hub() -> remediation_shared::Hub {
    remediation_shared::Hub::from_lookup(|name| match name {
        "MEMBER_ROLE_NAME" => Some("remediation-member".into()),
        "TARGET_ACCOUNTS" => Some("111111111111,222222222222".into()),
        "TARGET_REGIONS" => Some("eu-west-1".into()),
        _ => None,
    })
    .unwrap()
    .unwrap()
}

fn fake_hub(refused: Vec<&'static str>) -> FakeHub {
    FakeHub {
        hub: hub(),
        refused,
        asked: Mutex::default(),
        members: Mutex::default(),
    }
}

async fn run<F: FanOut>(
    fake: &Fake,
    reach: &FakeHub,
    fanout: &F,
    event: Value,
) -> (RecordingSink, Result<Summary, HandlerError>) {
    let sink = RecordingSink::default();
    let around = Around {
        locate: &ArnOnly,
        notify: &Silent,
        findings: &LeaveFindings,
        reach,
        fanout,
    };
    let result = handle_with(fake, &Config::default(), &sink, invoke(event, HOME), around).await;
    (sink, result)
}

#[tokio::test]
async fn a_scheduled_event_with_a_queue_sends_one_message_per_place_and_sweeps_nothing() {
    // GIVEN a hub of two listed accounts and one listed region besides its own
    let fake = Fake {
        inventory: vec!["ok-here"],
        ..Fake::default()
    };
    let queue = FakeQueue {
        hub: Some(hub()),
        ..FakeQueue::default()
    };
    // WHEN the schedule fires
    let (sink, result) = run(&fake, &fake_hub(vec![]), &queue, schedule()).await;
    // THEN six places are queued, each for this function, carrying the schedule
    let summary = result.unwrap();
    assert_eq!(summary.queued, Some(6));
    let sent: Vec<PlaceMessage> = queue
        .sent
        .lock()
        .unwrap()
        .iter()
        .map(|b| PlaceMessage::read(b, "test-buckets").unwrap())
        .collect();
    let places: Vec<String> = sent
        .iter()
        .map(|m| format!("{} {}", m.account, m.region))
        .collect();
    assert_eq!(
        places,
        [
            "123456789012 us-east-1",
            "111111111111 eu-west-1",
            "111111111111 us-east-1",
            "123456789012 eu-west-1",
            "222222222222 eu-west-1",
            "222222222222 us-east-1",
        ]
    );
    assert!(sent.iter().all(|m| m.schedule == schedule()));
    // AND nothing was swept here, and one summary record says how many were queued
    assert!(fake.seen.lock().unwrap().is_empty());
    assert!(sink.records().is_empty());
    let summaries = sink.summaries();
    assert_eq!(summaries.len(), 1);
    assert_eq!(summaries[0]["queued"], 6);
    assert_eq!(summaries[0]["account"], "123456789012");
    assert_eq!(summaries[0]["trigger"]["event_id"], "sweep-9");
}

#[tokio::test]
async fn places_that_cannot_be_listed_or_queued_fail_the_schedule_with_a_record() {
    let denied = AwsError::of(
        "ListAccounts",
        AwsErrorKind::AccessDenied,
        "AccessDeniedException",
        "no",
    );
    let throttled = AwsError::of(
        "SendMessageBatch",
        AwsErrorKind::Throttled,
        "RequestThrottled",
        "slow",
    );
    let cases = [
        (
            "the_organisation_unreadable",
            Some(denied),
            None,
            "AccessDeniedException",
            "could not be listed",
        ),
        (
            "the_queue_refusing",
            None,
            Some(throttled),
            "RequestThrottled",
            "were not all queued",
        ),
    ];
    for (name, places_error, send_error, code, says) in cases {
        let queue = FakeQueue {
            hub: Some(hub()),
            places_error,
            send_error,
            ..FakeQueue::default()
        };
        let (sink, result) = run(&Fake::default(), &fake_hub(vec![]), &queue, schedule()).await;
        assert!(result.is_err(), "{name}");
        let records = sink.records();
        assert_eq!(records.len(), 1, "{name}");
        assert_eq!(records[0]["outcome"], "failed", "{name}");
        assert_eq!(records[0]["error_code"], code, "{name}");
        assert!(
            records[0]["reason"].as_str().unwrap().contains(says),
            "{name}: {}",
            records[0]
        );
    }
}

/// An SQS event of one message per `(id, body)`.
fn delivered(messages: &[(&str, String)]) -> Value {
    let records: Vec<Value> = messages
        .iter()
        .map(|(id, body)| json!({"messageId": id, "receiptHandle": "r", "body": body, "attributes": {},
            "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q", "awsRegion": "us-east-1"}))
        .collect();
    json!({ "Records": records })
}

fn place(account: &str, region: &str) -> String {
    let home = Home {
        account: account.into(),
        region: region.into(),
    };
    PlaceMessage::new("test-buckets", &home, &schedule()).body()
}

#[tokio::test]
async fn each_delivered_place_is_swept_there_and_failed_places_go_back_to_the_queue() {
    // GIVEN a member with a bucket to fix, the hub with one, a member whose role refuses
    let reach = fake_hub(vec!["222222222222"]);
    let member = Arc::new(Fake {
        inventory: vec!["ok-member"],
        ..Fake::default()
    });
    reach
        .members
        .lock()
        .unwrap()
        .insert("111111111111".into(), Arc::clone(&member));
    let here = Fake {
        inventory: vec!["ok-hub"],
        ..Fake::default()
    };
    // WHEN the queue delivers the hub's place, the member's, the refusing
    // member's, an unlisted account's, and a message that is not a place
    let event = delivered(&[
        ("m-hub", place("123456789012", "us-east-1")),
        ("m-member", place("111111111111", "eu-west-1")),
        ("m-refusing", place("222222222222", "us-east-1")),
        ("m-unlisted", place("333333333333", "us-east-1")),
        ("m-junk", "{\"type\": \"remediation_sweep_place\"}".into()),
    ]);
    let (sink, result) = run(&here, &reach, &NoFanOut, event).await;
    // THEN the invocation succeeds and names the messages to deliver again
    let summary = result.unwrap();
    let again: Vec<String> = summary
        .batch_item_failures
        .unwrap()
        .into_iter()
        .map(|f| f.item_identifier)
        .collect();
    assert_eq!(again, ["m-refusing", "m-junk"]);
    // AND each place was swept by its own remediator, the member's through its role
    assert_eq!(here.applied.lock().unwrap().as_slice(), ["ok-hub"]);
    assert_eq!(member.applied.lock().unwrap().as_slice(), ["ok-member"]);
    let records = sink.records();
    let of = |text: &str| {
        records
            .iter()
            .find(|r| r.to_string().contains(text))
            .unwrap_or_else(|| panic!("no record with {text}: {records:#?}"))
            .clone()
    };
    let fixed = of("ok-member");
    assert_eq!(fixed["outcome"], "remediated");
    assert_eq!(
        (fixed["account"].as_str(), fixed["region"].as_str()),
        (Some("111111111111"), Some("eu-west-1"))
    );
    assert_eq!(
        fixed["member_role"],
        "arn:aws:iam::111111111111:role/remediation-member"
    );
    assert_eq!(fixed["trigger"]["detail_type"], "Scheduled Event");
    assert_eq!(fixed["trigger"]["event_id"], "sweep-9");
    assert_eq!(of("ok-hub")["member_role"], Value::Null);
    // AND the refusing member failed with its role named, the unlisted was never reached
    let refused = of("not swept: could not act in account 222222222222");
    assert_eq!(refused["outcome"], "failed");
    assert_eq!(
        refused["member_role"],
        "arn:aws:iam::222222222222:role/remediation-member"
    );
    let unlisted = of("333333333333 is not in TARGET_ACCOUNTS");
    assert_eq!(unlisted["outcome"], "skipped");
    assert!(!reach
        .asked
        .lock()
        .unwrap()
        .iter()
        .any(|a| a.starts_with("333333333333")));
    let junk = of("is not a place of this function");
    assert_eq!(junk["error_code"], "Sweep.MessageMalformed");
    // AND one summary per place, each naming its account and region
    let summaries: Vec<String> = sink
        .summaries()
        .iter()
        .map(|s| {
            format!(
                "{} {} {}",
                s["account"].as_str().unwrap(),
                s["region"].as_str().unwrap(),
                s["finished"]
            )
        })
        .collect();
    assert_eq!(
        summaries,
        [
            "123456789012 us-east-1 true",
            "111111111111 eu-west-1 true",
            "222222222222 us-east-1 false",
            "333333333333 us-east-1 true",
        ]
    );
}

#[tokio::test]
async fn a_place_whose_sweep_fails_is_delivered_again() {
    // GIVEN the hub's own place, whose survey is throttled
    let throttled = AwsError::of(
        "ListBuckets",
        AwsErrorKind::Throttled,
        "SlowDown",
        "slow down",
    );
    let here = Fake {
        survey_error: Some(throttled),
        ..Fake::default()
    };
    let event = delivered(&[("m-1", place("123456789012", "us-east-1"))]);
    let (sink, result) = run(&here, &fake_hub(vec![]), &NoFanOut, event).await;
    // THEN the invocation succeeds, and the message is handed back for another try
    let again = result.unwrap().batch_item_failures.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].item_identifier, "m-1");
    assert_eq!(sink.records()[0]["error_code"], "SlowDown");
    assert_eq!(sink.summaries()[0]["error_code"], "SlowDown");
}
