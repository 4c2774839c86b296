//! `s3-block-public-access` against buckets in the emulator: after a run, the
//! bucket's four settings are exactly as the rule says, and the record says so.

use remediation_testing::emulator::{unique, Flags};
use remediation_testing::function::sample_ids::{BUCKET, LEGACY_BUCKET};
use remediation_testing::{Deployment, Emulator, Function};
use serde_json::json;

use crate::{assert_skipped, assert_untouched_answer, summary};

const F: Function = Function::named("s3-block-public-access");
const ALL_ON: Flags = [true; 4];

/// One sample per trigger, for the tests that need only one; the loops run
/// every sample of `events/acted-on.json`.
const CONFIG: &str = "config-bucket-noncompliant.json";
const GUARDDUTY: &str = "guardduty-block-public-access-disabled.json";
const SECURITY_HUB: &str = "securityhub-s3-8-failed.json";
const CLOUDTRAIL: &str = "cloudtrail-delete-public-access-block.json";
/// The CloudTrail sample whose bucket another account owns (`resources[].accountId`).
const OTHER_OWNER: &str = "cloudtrail-put-public-access-block-bucket-of-another-account.json";

async fn bucket(emu: &Emulator, start: Option<Flags>) -> String {
    let name = unique("public-bucket");
    emu.create_bucket(&name).await;
    if let Some(flags) = start {
        emu.put_flags(&name, flags).await;
    }
    name
}

#[tokio::test]
async fn every_trigger_turns_all_four_settings_on_and_redelivery_is_already_compliant() {
    let emu = Emulator::from_env();
    let mut function = Deployment::start(&emu, F, &[]);
    for file in F
        .acted_on()
        .into_iter()
        .filter(|f| !f.ends_with(OTHER_OWNER))
    {
        // The legacy sample names a bucket as us-east-1 allowed before 2018.
        let name = if file.contains("legacy") {
            unique("Legacy_Public_Bucket")
        } else {
            unique("public-bucket")
        };
        emu.create_bucket(&name).await;
        let event = F.sample(&file, &[(BUCKET, &name), (LEGACY_BUCKET, &name)]);

        let first = function.invoke(&event);
        assert_eq!(summary(&first), (true, vec!["remediated".into()]), "{file}");
        assert_eq!(emu.flags(&name).await, Some(ALL_ON), "{file}");
        let r = first.record();
        assert_eq!(r["resource"], format!("arn:aws:s3:::{name}"), "{file}");
        assert_eq!(r["before"]["block_public_acls"], false, "{file}");
        assert_eq!(r["after"]["restrict_public_buckets"], true, "{file}");
        assert_eq!(
            r["changes"][0]["settings"],
            json!([
                "BlockPublicAcls",
                "IgnorePublicAcls",
                "BlockPublicPolicy",
                "RestrictPublicBuckets"
            ]),
            "{file}"
        );
        assert_eq!(r["trigger"]["source"], event_source(&event), "{file}");

        let again = function.invoke(&event);
        assert_eq!(
            summary(&again),
            (true, vec!["already_compliant".into()]),
            "{file}"
        );
        assert_eq!(again.record()["changes"], json!([]), "{file}");
        assert_eq!(emu.flags(&name).await, Some(ALL_ON), "{file}");
    }
}

/// The `trigger.source` a record of `event` says: the event's source, or a
/// person for a Security Hub custom action.
fn event_source(event: &str) -> String {
    let e = serde_json::from_str::<serde_json::Value>(event).unwrap();
    if e["detail-type"] == "Security Hub Findings - Custom Action" {
        return "person:securityhub-custom-action".into();
    }
    e["source"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn partial_settings_are_completed_and_only_the_missing_ones_are_named() {
    let emu = Emulator::from_env();
    let mut function = Deployment::start(&emu, F, &[]);
    for start in [
        [true, false, true, false],
        [false, true, true, true],
        [true, true, true, false],
    ] {
        let name = bucket(&emu, Some(start)).await;
        let inv = function.invoke(&F.sample(CONFIG, &[(BUCKET, &name)]));
        assert_eq!(
            summary(&inv),
            (true, vec!["remediated".into()]),
            "{start:?}"
        );
        assert_eq!(emu.flags(&name).await, Some(ALL_ON), "{start:?}");
        let names = [
            "BlockPublicAcls",
            "IgnorePublicAcls",
            "BlockPublicPolicy",
            "RestrictPublicBuckets",
        ];
        let missing: Vec<&str> = names
            .iter()
            .zip(start)
            .filter(|(_, on)| !on)
            .map(|(n, _)| *n)
            .collect();
        assert_eq!(
            inv.record()["changes"][0]["settings"],
            json!(missing),
            "{start:?}"
        );
    }
}

#[tokio::test]
async fn a_bucket_with_all_four_on_is_already_compliant_and_untouched() {
    let emu = Emulator::from_env();
    let name = bucket(&emu, Some(ALL_ON)).await;
    let mut function = Deployment::start(&emu, F, &[]);
    let inv = function.invoke(&F.sample(SECURITY_HUB, &[(BUCKET, &name)]));
    assert_eq!(summary(&inv), (true, vec!["already_compliant".into()]));
    assert_eq!(emu.flags(&name).await, Some(ALL_ON));
}

#[tokio::test]
async fn dry_run_writes_nothing_and_records_what_it_would_change() {
    let emu = Emulator::from_env();
    let none = bucket(&emu, None).await;
    let partial = bucket(&emu, Some([true, true, false, false])).await;
    let mut function = Deployment::start(&emu, F, &[("DRY_RUN", "true")]);

    let inv = function.invoke(&F.sample(CONFIG, &[(BUCKET, &none)]));
    assert_eq!(summary(&inv), (true, vec!["dry_run".into()]));
    assert_eq!(
        emu.flags(&none).await,
        None,
        "dry run created a configuration"
    );
    assert_eq!(inv.record()["dry_run"], true);
    assert_eq!(
        inv.record()["changes"][0]["settings"]
            .as_array()
            .unwrap()
            .len(),
        4
    );

    let inv = function.invoke(&F.sample(CLOUDTRAIL, &[(BUCKET, &partial)]));
    assert_eq!(summary(&inv), (true, vec!["dry_run".into()]));
    assert_eq!(emu.flags(&partial).await, Some([true, true, false, false]));
    assert_eq!(
        inv.record()["changes"][0]["settings"],
        json!(["BlockPublicPolicy", "RestrictPublicBuckets"])
    );
}

#[tokio::test]
async fn an_exempt_bucket_is_skipped_and_keeps_its_settings() {
    let emu = Emulator::from_env();
    let default_tag = bucket(&emu, None).await;
    emu.tag_bucket(&default_tag, "auto-remediation:exempt", "TRUE")
        .await;
    let custom_tag = bucket(&emu, Some([true, false, false, false])).await;
    emu.tag_bucket(&custom_tag, "security:keep-public", "true")
        .await;
    let tag_false = bucket(&emu, None).await;
    emu.tag_bucket(&tag_false, "auto-remediation:exempt", "false")
        .await;

    let mut function = Deployment::start(&emu, F, &[]);
    let inv = function.invoke(&F.sample(CONFIG, &[(BUCKET, &default_tag)]));
    assert_skipped(&inv, "exemption tag");
    assert_eq!(emu.flags(&default_tag).await, None);

    let inv = function.invoke(&F.sample(CONFIG, &[(BUCKET, &tag_false)]));
    assert_eq!(
        summary(&inv),
        (true, vec!["remediated".into()]),
        "a tag set to false exempts nothing"
    );
    assert_eq!(emu.flags(&tag_false).await, Some(ALL_ON));

    let mut custom = Deployment::start(&emu, F, &[("EXEMPT_TAG_KEY", "security:keep-public")]);
    let inv = custom.invoke(&F.sample(GUARDDUTY, &[(BUCKET, &custom_tag)]));
    assert_eq!(summary(&inv), (true, vec!["skipped".into()]));
    assert_eq!(
        emu.flags(&custom_tag).await,
        Some([true, false, false, false])
    );
}

#[tokio::test]
async fn a_bucket_deleted_before_its_event_arrives_is_skipped() {
    let emu = Emulator::from_env();
    let name = bucket(&emu, None).await;
    emu.delete_bucket(&name).await;
    let mut function = Deployment::start(&emu, F, &[]);
    let inv = function.invoke(&F.sample(CONFIG, &[(BUCKET, &name)]));
    assert_skipped(&inv, "no longer exists");
}

#[tokio::test]
async fn each_record_is_counted_in_cloudwatch_metrics_and_the_fix_timed_from_the_evaluation() {
    use aws_smithy_types::date_time::{DateTime, Format};
    use std::time::{Duration, SystemTime};
    let at = |ago: u64| {
        DateTime::from(SystemTime::now() - Duration::from_secs(ago))
            .fmt(Format::DateTime)
            .unwrap()
    };
    // GIVEN a public bucket that Config found non-compliant a minute ago
    let emu = Emulator::from_env();
    let name = bucket(&emu, None).await;
    let mut function = Deployment::start(&emu, F, &[("DRY_RUN", "false")]);
    let event = F.sample(
        CONFIG,
        &[
            (BUCKET, &name),
            ("2026-11-20T11:59:58.412Z", &at(60)),
            ("2026-11-20T12:00:00Z", &at(1)),
        ],
    );
    // WHEN the function fixes it, and then sees the same event again
    let first = function.invoke(&event);
    let again = function.invoke(&event);
    // THEN each record has one metric document that CloudWatch accepts
    for inv in [&first, &again] {
        assert_eq!(inv.metrics.len(), inv.records.len(), "{:#?}", inv.metrics);
        for doc in &inv.metrics {
            remediation_testing::metrics::check_emf(doc).unwrap();
            assert_eq!(
                doc["_aws"]["CloudWatchMetrics"][0]["Namespace"],
                "AutoRemediation"
            );
            assert_eq!(doc["Function"], F.name());
            assert_eq!(doc["Trigger"], "config");
            assert_eq!(doc["Remediations"], 1);
        }
    }
    // AND the fix is timed from the evaluation's own time, not the event's
    assert_eq!(first.metrics[0]["Outcome"], "remediated");
    let ms = first.metrics[0]["TimeToRemediate"].as_u64().unwrap();
    assert!((60_000..75_000).contains(&ms), "{ms} ms");
    assert_eq!(again.metrics[0]["Outcome"], "already_compliant");
    assert!(again.metrics[0].get("TimeToRemediate").is_none());
}

#[tokio::test]
async fn a_cloudtrail_call_on_a_bucket_another_account_owns_leaves_the_bucket_here_alone() {
    // GIVEN a bucket in this account with the same name as the one the call named
    let emu = Emulator::from_env();
    let name = bucket(&emu, None).await;
    let mut function = Deployment::start(&emu, F, &[("DRY_RUN", "false")]);
    // WHEN this account's CloudTrail reports a call on a bucket that
    // `resources[].accountId` says another account owns
    let inv = function.invoke(&F.sample(OTHER_OWNER, &[(BUCKET, &name)]));
    // THEN the owner named there, not the recipient, decides: skipped, unchanged
    assert_skipped(&inv, "210987654321");
    assert_eq!(inv.record()["account"], "210987654321");
    assert_eq!(emu.flags(&name).await, None);
}

#[tokio::test]
async fn a_public_website_bucket_keeps_its_access_when_a_finding_is_about_something_else() {
    // GIVEN a website bucket made public on purpose, by its policy
    let emu = Emulator::from_env();
    let name = bucket(&emu, None).await;
    let policy = json!({"Version": "2012-10-17", "Statement": [{"Sid": "PublicRead", "Effect": "Allow",
        "Principal": "*", "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{name}/*")}]});
    emu.put_bucket_policy(&name, &policy).await;
    let mut function = Deployment::start(&emu, F, &[("DRY_RUN", "false")]);
    for file in [
        "config-versioning-website-bucket.json",
        "securityhub-s3-9-logging-failed.json",
    ] {
        // WHEN a versioning or logging finding about it arrives
        let inv = function.invoke(&F.sample(file, &[(BUCKET, &name)]));
        // THEN it is skipped, and the bucket stays as its owner made it
        assert_skipped(&inv, "");
        assert_eq!(emu.flags(&name).await, None, "{file}");
        assert_eq!(
            emu.bucket_policy(&name).await,
            Some(policy.clone()),
            "{file}"
        );
    }
}

#[tokio::test]
async fn negative_samples_about_a_public_bucket_change_nothing() {
    let emu = Emulator::from_env();
    let name = bucket(&emu, None).await;
    let mut function = Deployment::start(&emu, F, &[]);
    for file in F.not_acted_on() {
        let inv = function.invoke(&F.sample(&file, &[(BUCKET, &name)]));
        assert_untouched_answer(&file, &inv);
        assert_eq!(emu.flags(&name).await, None, "{file} changed the bucket");
    }
}

#[tokio::test]
async fn with_lambdas_json_log_format_every_line_written_is_json() {
    // template.yaml sets LogFormat JSON; Lambda passes it as AWS_LAMBDA_LOG_FORMAT.
    let emu = Emulator::from_env();
    let name = bucket(&emu, None).await;
    let mut function = Deployment::start(&emu, F, &[("AWS_LAMBDA_LOG_FORMAT", "JSON")]);
    let inv = function.invoke(&F.sample(CONFIG, &[(BUCKET, &name)]));
    assert_eq!(summary(&inv), (true, vec!["remediated".into()]));
    let output = format!("{}{}", function.output(), function.logs());
    let lines: Vec<&str> = output.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(
        lines.len() > 1,
        "expected logs besides the record: {output}"
    );
    for line in lines {
        assert!(
            serde_json::from_str::<serde_json::Value>(line).is_ok_and(|v| v.is_object()),
            "not a JSON object: {line}"
        );
    }
}

#[tokio::test]
async fn even_at_trace_level_no_log_line_or_record_holds_the_secret_key() {
    let emu = Emulator::from_env();
    let name = bucket(&emu, None).await;
    // A secret of its own, so that a leak cannot hide behind the access key
    // id, which signed requests name by design.
    let secret = "secret-placeholder-that-must-never-be-written"; // pragma: allowlist secret
    let mut function = Deployment::start(
        &emu,
        F,
        &[
            ("AWS_SECRET_ACCESS_KEY", secret),
            ("AWS_LAMBDA_LOG_LEVEL", "TRACE"),
        ],
    );
    let inv = function.invoke(&F.sample(CONFIG, &[(BUCKET, &name)]));
    assert_eq!(summary(&inv), (true, vec!["remediated".into()]));
    let written = format!("{}{}", function.output(), function.logs());
    assert!(
        written.lines().count() > 20,
        "trace logging is not on: {written}"
    );
    assert!(!written.contains(secret), "the secret key was written");
}
