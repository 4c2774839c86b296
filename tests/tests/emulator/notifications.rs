//! Notifications, through the real binary: an SNS topic in the emulator with
//! an SQS queue subscribed reads what a person would be sent, with the
//! message attributes that subscription filters use.

use remediation_testing::emulator::unique;
use remediation_testing::function::sample_ids::BUCKET;
use remediation_testing::{Deployment, Emulator, Function};
use serde_json::Value;

use crate::summary;

const F: Function = Function::named("s3-block-public-access");
const CONFIG: &str = "config-bucket-noncompliant.json";

fn attribute(envelope: &Value, name: &str) -> (String, String) {
    let a = &envelope["MessageAttributes"][name];
    (
        a["Type"].as_str().unwrap_or_default().to_owned(),
        a["Value"].as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn a_person_is_sent_each_fix_and_each_held_back_change_and_nothing_for_the_rest() {
    // GIVEN a topic with a queue, a public bucket and an exempt public bucket
    let emu = Emulator::from_env();
    let (topic, queue) = emu.topic_with_queue().await;
    let public = unique("public-bucket");
    emu.create_bucket(&public).await;
    let exempt = unique("exempt-bucket");
    emu.create_bucket(&exempt).await;
    emu.tag_bucket(&exempt, "auto-remediation:exempt", "true")
        .await;
    let mut function = Deployment::start(
        &emu,
        F,
        &[("DRY_RUN", "false"), ("NOTIFICATION_TOPIC_ARN", &topic)],
    );

    // WHEN the function fixes the bucket, sees it again, and meets the exempt one
    let fixed = function.invoke(&F.sample(CONFIG, &[(BUCKET, &public)]));
    let again = function.invoke(&F.sample(CONFIG, &[(BUCKET, &public)]));
    let held = function.invoke(&F.sample(CONFIG, &[(BUCKET, &exempt)]));
    assert_eq!(summary(&fixed), (true, vec!["remediated".into()]));
    assert_eq!(summary(&again), (true, vec!["already_compliant".into()]));
    assert_eq!(summary(&held), (true, vec!["skipped".into()]));

    // THEN two messages arrive: the fix and the held-back change, not the compliant one
    let delivered = emu.delivered(&queue).await;
    assert_eq!(delivered.len(), 2, "{delivered:#?}");
    let (fix, hold) = (&delivered[0], &delivered[1]);
    assert_eq!(
        fix["Subject"],
        format!("Turned on Block Public Access on {public} in 123456789012/us-east-1")
    );
    assert_eq!(
        hold["Subject"],
        format!("Not done: turn on Block Public Access on {exempt} in 123456789012/us-east-1")
    );
    for (name, value) in [
        ("function", F.name()),
        ("outcome", "remediated"),
        ("account", "123456789012"),
        ("region", "us-east-1"),
    ] {
        assert_eq!(
            attribute(fix, name),
            ("String".into(), value.into()),
            "{name}"
        );
    }
    assert_eq!(attribute(hold, "outcome").1, "skipped");
    let body = fix["Message"].as_str().unwrap();
    for part in [
        "Why: ",
        "\"block_public_acls\": false",
        "https://s3.console.aws.amazon.com/s3/buckets/",
        "tag it auto-remediation:exempt=true",
        &fixed.request_id,
    ] {
        assert!(body.contains(part), "no {part:?} in\n{body}");
    }
    // AND each record says its notification was sent; the compliant one has none due
    assert_eq!(fixed.record()["notification"]["status"], "sent");
    assert_eq!(held.record()["notification"]["status"], "sent");
    assert!(again.record().get("notification").is_none());
}

#[tokio::test]
async fn a_publish_that_fails_is_recorded_and_the_fix_still_stands() {
    // GIVEN a topic that does not exist
    let emu = Emulator::from_env();
    let public = unique("public-bucket");
    emu.create_bucket(&public).await;
    let missing = "arn:aws:sns:us-east-1:123456789012:no-such-topic";
    let mut function = Deployment::start(
        &emu,
        F,
        &[("DRY_RUN", "false"), ("NOTIFICATION_TOPIC_ARN", missing)],
    );
    // WHEN the function fixes the bucket
    let inv = function.invoke(&F.sample(CONFIG, &[(BUCKET, &public)]));
    // THEN the invocation succeeds, the bucket is fixed, and the record says why no one was told
    assert_eq!(summary(&inv), (true, vec!["remediated".into()]));
    assert_eq!(emu.flags(&public).await, Some([true; 4]));
    let notification = &inv.record()["notification"];
    assert_eq!(notification["status"], "failed", "{notification}");
    assert_eq!(notification["error_code"], "NotFound");
}
