//! The S3 function end to end over an in-memory bucket: every sample event,
//! dry run, exemption, idempotency, a vanished bucket, failed writes and a
//! read-back that does not confirm the write.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Mutex;

use remediation_runtime::Classify;
use remediation_shared::{AwsError, Config, HandlerError};
use remediation_testing::handler::{self, Handled};
use s3_block_public_access::aws::BucketPublicAccess;
use s3_block_public_access::plan::PublicAccessFlags;
use s3_block_public_access::BlockPublicAccess;
use serde_json::{json, Value};

/// One bucket in memory. `flags: None` = no configuration; `exists: false` = NoSuchBucket.
struct FakeBucket {
    exists: bool,
    flags: Mutex<Option<PublicAccessFlags>>,
    tags: Vec<(String, String)>,
    put_error: Option<AwsError>,
    /// Accept puts without changing anything (to test the read back).
    ignore_puts: bool,
    reads: Mutex<usize>,
    puts: Mutex<Vec<PublicAccessFlags>>,
}

impl FakeBucket {
    fn new(flags: Option<PublicAccessFlags>) -> Self {
        FakeBucket {
            exists: true,
            flags: Mutex::new(flags),
            tags: vec![("team".into(), "web".into())],
            put_error: None,
            ignore_puts: false,
            reads: Mutex::new(0),
            puts: Mutex::new(Vec::new()),
        }
    }
    fn gone() -> AwsError {
        AwsError::classify("GetPublicAccessBlock", "NoSuchBucket", "gone", Some(404))
            .into_not_found()
    }
    fn flags(&self) -> Option<PublicAccessFlags> {
        *self.flags.lock().unwrap()
    }
    fn puts(&self) -> Vec<PublicAccessFlags> {
        self.puts.lock().unwrap().clone()
    }
}

impl BucketPublicAccess for &FakeBucket {
    async fn public_access_block(
        &self,
        _bucket: &str,
    ) -> Result<Option<PublicAccessFlags>, AwsError> {
        *self.reads.lock().unwrap() += 1;
        if !self.exists {
            return Err(FakeBucket::gone());
        }
        Ok(self.flags())
    }
    async fn tags(&self, _bucket: &str) -> Result<Vec<(String, String)>, AwsError> {
        Ok(self.tags.clone())
    }
    async fn bucket_names(&self, _region: &str) -> Result<Vec<String>, AwsError> {
        Ok(vec!["example-public-bucket".into()])
    }
    async fn put_public_access_block(
        &self,
        _bucket: &str,
        flags: PublicAccessFlags,
    ) -> Result<(), AwsError> {
        if let Some(e) = &self.put_error {
            return Err(e.clone());
        }
        self.puts.lock().unwrap().push(flags);
        if !self.ignore_puts {
            *self.flags.lock().unwrap() = Some(flags);
        }
        Ok(())
    }
}

const PARTIAL: PublicAccessFlags = PublicAccessFlags {
    block_public_acls: true,
    ignore_public_acls: false,
    block_public_policy: true,
    restrict_public_buckets: false,
};

/// Runs the sample `file` through the handler over `bucket`.
async fn run(bucket: &FakeBucket, config: &Config, file: &str) -> Handled {
    let event = remediation_testing::samples::load("s3-block-public-access", file);
    handler::run(&BlockPublicAccess(bucket), config, event).await
}

/// The Config sample most cases run.
const NONCOMPLIANT: &str = "config-bucket-noncompliant.json";

const TRIGGERS: &[&str] = &[
    "config-bucket-noncompliant.json",
    "guardduty-block-public-access-disabled.json",
    "guardduty-anonymous-access-granted.json",
    "guardduty-public-access-granted.json",
    "securityhub-s3-8-failed.json",
    "cloudtrail-delete-public-access-block.json",
    "cloudtrail-put-public-access-block.json",
];

#[tokio::test]
async fn every_trigger_sample_turns_all_four_settings_on() {
    for file in TRIGGERS {
        let bucket = FakeBucket::new(Some(PARTIAL));
        let handled = run(&bucket, &Config::default(), file).await;
        if let Err(e) = &handled.result {
            panic!("{file}: {e}");
        }
        assert_eq!(bucket.flags(), Some(PublicAccessFlags::ALL), "{file}");
        assert_eq!(bucket.puts(), vec![PublicAccessFlags::ALL], "{file}");
        assert_eq!(handled.records.len(), 1, "{file}");
        let r = handled.record();
        assert_eq!(r["outcome"], "remediated", "{file}");
        assert_eq!(r["resource"], "arn:aws:s3:::example-public-bucket");
        assert_eq!(r["before"]["ignore_public_acls"], false);
        assert_eq!(
            r["after"],
            json!({"type": "bucket_public_access_block", "block_public_acls": true, "ignore_public_acls": true, "block_public_policy": true, "restrict_public_buckets": true})
        );
        assert_eq!(
            r["changes"],
            json!([{"type": "enable_public_access_block", "settings": ["IgnorePublicAcls", "RestrictPublicBuckets"]}])
        );
    }
}

#[tokio::test]
async fn negative_samples_touch_nothing() {
    for (file, malformed) in [
        ("config-bucket-compliant.json", false),
        ("config-other-resource-type.json", false),
        ("securityhub-s3-8-passed.json", false),
        ("cloudtrail-call-failed.json", false),
        ("malformed-missing-detail.json", true),
    ] {
        let bucket = FakeBucket::new(None);
        let handled = run(&bucket, &Config::default(), file).await;
        assert_eq!(
            *bucket.reads.lock().unwrap(),
            0,
            "{file}: no AWS call at all"
        );
        assert!(bucket.puts().is_empty(), "{file}");
        handled.assert_not_acted_on(file, malformed);
        if malformed {
            let refused = matches!(handled.result, Err(HandlerError::Malformed(_)));
            assert!(refused, "{file}: {:?}", handled.result);
        }
    }
}

#[tokio::test]
async fn a_scheduled_sweep_fixes_a_bucket_no_event_reported_and_leaves_a_compliant_one_unrecorded()
{
    let open = FakeBucket::new(Some(PARTIAL));
    let handled = run(&open, &Config::default(), "scheduled-sweep.json").await;
    handled.assert_outcome("remediated");
    assert_eq!(open.flags(), Some(PublicAccessFlags::ALL));
    assert_eq!(
        handled.record()["trigger"]["detail_type"],
        "Scheduled Event"
    );

    let closed = FakeBucket::new(Some(PublicAccessFlags::ALL));
    let handled = run(&closed, &Config::default(), "scheduled-sweep.json").await;
    assert!(handled.records.is_empty(), "{:#?}", handled.records);
    assert!(closed.puts().is_empty());
    assert_eq!(
        *closed.reads.lock().unwrap(),
        1,
        "one read in the survey, none after"
    );
}

#[tokio::test]
async fn a_missing_configuration_counts_as_all_off() {
    let bucket = FakeBucket::new(None);
    let handled = run(&bucket, &Config::default(), NONCOMPLIANT).await;
    assert_eq!(bucket.flags(), Some(PublicAccessFlags::ALL));
    let settings = handled.record()["changes"][0]["settings"].as_array();
    assert_eq!(settings.unwrap().len(), 4);
}

#[tokio::test]
async fn the_same_event_twice_is_already_compliant_the_second_time() {
    let bucket = FakeBucket::new(None);
    let config = Config::default();
    let run_once = || run(&bucket, &config, "securityhub-s3-8-failed.json");
    handler::check_twice(run_once, || bucket.puts().len()).await;
}

#[tokio::test]
async fn dry_run_writes_nothing_and_says_what_it_would_do() {
    let bucket = FakeBucket::new(Some(PARTIAL));
    let config = Config {
        mode: remediation_shared::Mode::DryRun,
        ..Config::default()
    };
    let handled = run(&bucket, &config, NONCOMPLIANT).await;
    handled.result.as_ref().unwrap();
    assert!(bucket.puts().is_empty());
    assert_eq!(bucket.flags(), Some(PARTIAL));
    let r = handled.record();
    assert_eq!(r["outcome"], "dry_run");
    assert_eq!(r["dry_run"], true);
    assert_eq!(
        r["changes"][0]["settings"],
        json!(["IgnorePublicAcls", "RestrictPublicBuckets"])
    );
}

#[tokio::test]
async fn an_exempt_bucket_is_never_changed() {
    let mut bucket = FakeBucket::new(None);
    bucket
        .tags
        .push(("auto-remediation:exempt".into(), "true".into()));
    let handled = run(&bucket, &Config::default(), NONCOMPLIANT).await;
    assert!(bucket.puts().is_empty());
    handled.assert_skipped("exemption tag");
}

#[tokio::test]
async fn the_exemption_key_is_configurable() {
    let mut bucket = FakeBucket::new(None);
    bucket.tags.push(("public-website".into(), "TRUE".into()));
    let config = Config {
        exempt_tag_key: "public-website".into(),
        ..Config::default()
    };
    let handled = run(&bucket, &config, NONCOMPLIANT).await;
    assert!(bucket.puts().is_empty());
    assert_eq!(handled.record()["outcome"], "skipped");
}

#[tokio::test]
async fn a_bucket_deleted_before_the_event_is_skipped() {
    let mut bucket = FakeBucket::new(None);
    bucket.exists = false;
    let handled = run(&bucket, &Config::default(), NONCOMPLIANT).await;
    handled.assert_skipped("no longer exists");
}

#[tokio::test]
async fn a_denied_write_fails_with_its_code_and_is_never_reported_as_fixed() {
    let mut bucket = FakeBucket::new(None);
    let denied = AwsError::classify(
        "PutPublicAccessBlock",
        "AccessDenied",
        "not allowed",
        Some(403),
    );
    bucket.put_error = Some(denied);
    let handled = run(&bucket, &Config::default(), NONCOMPLIANT).await;
    handled.assert_failed("AccessDenied");
    assert_eq!(handled.record()["after"], Value::Null);
    let diagnostic = remediation_runtime::diagnostic(handled.result.unwrap_err());
    assert_eq!(diagnostic.error_type, "Aws.AccessDenied");
}

#[tokio::test]
async fn a_write_that_does_not_read_back_is_a_failure() {
    let mut bucket = FakeBucket::new(Some(PARTIAL));
    bucket.ignore_puts = true;
    let handled = run(&bucket, &Config::default(), NONCOMPLIANT).await;
    handled.assert_failed("VerificationFailed");
    assert_eq!(handled.record()["after"]["restrict_public_buckets"], false);
}
