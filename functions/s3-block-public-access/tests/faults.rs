//! The S3 function under injected faults: the real adapter, over an SDK client
//! answered by aws-smithy-mocks, driven by the real `handle()` with the
//! CloudTrail `DeleteBucketPublicAccessBlock` sample, for a bucket with all four
//! Block Public Access settings off.
//!
//! Each of the four calls of the main path (`GetPublicAccessBlock`,
//! `GetBucketTagging`, `PutPublicAccessBlock`, then `GetPublicAccessBlock` to
//! read back) gets each fault while every other call answers normally:
//! throttling (`SlowDown`), HTTP 500, HTTP 503 and a timeout, each transient
//! (the retry succeeds: the run must end exactly as without a fault) and
//! persistent (every attempt fails: one `failed` record with the fault's code,
//! and no later call); `AccessDenied` (not retried); and each "not found" code
//! the adapter normalises (the `NOT_FOUND` table), on every call, so that a
//! code normalised for one call is seen to be an ordinary failure on the
//! others. The rows, their run and the checks every function makes are
//! `remediation_testing::matrix`'s; what this function's records say is here.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_s3::operation::get_bucket_tagging::GetBucketTaggingOutput;
use aws_sdk_s3::operation::get_public_access_block::GetPublicAccessBlockOutput;
use aws_sdk_s3::operation::put_public_access_block::PutPublicAccessBlockOutput;
use aws_sdk_s3::types::{PublicAccessBlockConfiguration, Tag};
use aws_sdk_s3::Client;
use aws_smithy_mocks::{mock, Rule};
use remediation_shared::HandlerError;
use remediation_testing::faults::{Fault, Service};
use remediation_testing::matrix::{self, Case, Expect, Matrix, Run};
use s3_block_public_access::aws::S3Adapter;
use s3_block_public_access::BlockPublicAccess;
use serde_json::{json, Value};

// Short names for the table below.
use Call::{GetBucketTagging, GetPublicAccessBlock, PutPublicAccessBlock, ReadBack};
use Ending::VerificationFailed;
use Expect::{Baseline, Failed, Fixed, Own, Skipped};

/// The bucket the CloudTrail sample names.
const BUCKET: &str = "example-public-bucket";

/// The calls of the main path, in the order the function makes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Call {
    /// The settings before.
    GetPublicAccessBlock,
    /// The exemption tag.
    GetBucketTagging,
    /// The write.
    PutPublicAccessBlock,
    /// `GetPublicAccessBlock` again, to verify the write.
    ReadBack,
}

impl Matrix for Call {
    const CALLS: &'static [Call] = &[
        GetPublicAccessBlock,
        GetBucketTagging,
        PutPublicAccessBlock,
        ReadBack,
    ];

    const SAMPLE: &'static str = "cloudtrail-delete-public-access-block.json";

    type Own = Ending;

    // Columns: GetPublicAccessBlock, GetBucketTagging, PutPublicAccessBlock, ReadBack.
    // No configuration reads as all four off (the same run as all four off,
    // its record saying there was no configuration), and no tag set is no
    // exemption (the same run as non-exempting tags).
    const NOT_FOUND: &'static [(&'static str, &'static [Expect<Ending>])] = &[
        ("NoSuchBucket", &[Skipped, Skipped, Skipped, Skipped]),
        (
            "NoSuchPublicAccessBlockConfiguration",
            &[Fixed, Failed, Failed, Own(VerificationFailed)],
        ),
        ("NoSuchTagSet", &[Failed, Baseline, Failed, Failed]),
    ];

    const BUGS: &'static [(Call, Fault, &'static str)] = &[
        (
            PutPublicAccessBlock,
            Fault::NotFound("NoSuchBucket"),
            "a_bucket_deleted_before_the_write_is_skipped",
        ),
        (
            ReadBack,
            Fault::NotFound("NoSuchBucket"),
            "a_bucket_deleted_between_the_write_and_the_read_back_is_skipped",
        ),
    ];

    const SERVICE: Service = Service::S3;

    fn rule(self, fault: Option<Fault>) -> Rule {
        match self {
            GetPublicAccessBlock | ReadBack => {
                // Before the write all four are off; after it, all four are on.
                let on = self == ReadBack;
                Self::script(
                    mock!(Client::get_public_access_block)
                        .match_requests(|r| r.bucket() == Some(BUCKET)),
                    fault,
                    move || {
                        GetPublicAccessBlockOutput::builder()
                            .public_access_block_configuration(flags(on))
                            .build()
                    },
                )
            }
            GetBucketTagging => Self::script(
                mock!(Client::get_bucket_tagging).match_requests(|r| r.bucket() == Some(BUCKET)),
                fault,
                || {
                    GetBucketTaggingOutput::builder()
                        .tag_set(Tag::builder().key("team").value("web").build().unwrap())
                        .build()
                        .unwrap()
                },
            ),
            PutPublicAccessBlock => Self::script(
                // The one write: all four on, on the event's bucket. Any other request
                // panics in the mock, which the driver records as `Handler.Panic`.
                mock!(Client::put_public_access_block).match_requests(|r| {
                    r.bucket() == Some(BUCKET)
                        && r.public_access_block_configuration() == Some(&flags(true))
                }),
                fault,
                || PutPublicAccessBlockOutput::builder().build(),
            ),
        }
    }

    type Remediator = BlockPublicAccess<S3Adapter>;

    fn remediator(rules: &[Rule]) -> Self::Remediator {
        let client = remediation_testing::fault_client!(aws_sdk_s3, rules);
        BlockPublicAccess(S3Adapter::new(client))
    }

    fn check_baseline(run: &Run, r: &Value) {
        assert_eq!(run.calls, [1, 1, 1, 1], "baseline: each call once");
        assert_eq!(r["resource"], format!("arn:aws:s3:::{BUCKET}"));
        let off = json!({"type": "bucket_public_access_block", "block_public_acls": false, "ignore_public_acls": false, "block_public_policy": false, "restrict_public_buckets": false});
        let on = json!({"type": "bucket_public_access_block", "block_public_acls": true, "ignore_public_acls": true, "block_public_policy": true, "restrict_public_buckets": true});
        assert_eq!(r["before"], off, "baseline: before");
        assert_eq!(r["after"], on, "baseline: after");
        assert_eq!(
            r["changes"],
            json!([{"type": "enable_public_access_block", "settings": ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"]}]),
            "baseline: changes"
        );
    }

    fn check(case: &Case<'_, Self>) {
        let (r, base) = (&case.record, case.base());
        if case.row.expect != Fixed {
            case.assert_no_call_after();
        }
        // The record's state and changes: what was read and written before the fault.
        let before = if case.row.expect == Fixed {
            // Read as no configuration at all: the record says so, for an undo.
            let mut none = base["before"].clone();
            none["no_configuration"] = true.into();
            none
        } else {
            case.known_after(GetPublicAccessBlock, "before")
        };
        assert_eq!(r["before"], before, "{case}: before");
        let changes = if case.row.call > PutPublicAccessBlock || case.row.expect == Fixed {
            base["changes"].clone()
        } else {
            json!([])
        };
        assert_eq!(r["changes"], changes, "{case}: changes: {r}");
        match case.row.expect {
            Failed => assert_eq!(r["after"], Value::Null, "{case}: after: {r}"),
            Own(VerificationFailed) => {
                assert_eq!(r["outcome"], "failed", "{case}: {r}");
                assert_eq!(r["error_code"], "VerificationFailed", "{case}: {r}");
                // Read back as no configuration at all.
                let mut off = base["before"].clone();
                off["no_configuration"] = true.into();
                assert_eq!(r["after"], off, "{case}: all four read back off");
                assert!(
                    matches!(&case.run.result, Err(HandlerError::Remediation { error_type, .. }) if *error_type == "Remediation.VerificationFailed"),
                    "{case}: {:?}",
                    case.run.result.as_ref().err()
                );
            }
            Fixed => assert_eq!(r["after"], base["after"], "{case}: after: {r}"),
            Baseline | Skipped => {}
        }
    }
}

/// How a row ends that no other function's matrix has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// `failed` with `VerificationFailed`: the read back shows all four off.
    VerificationFailed,
}

fn flags(on: bool) -> PublicAccessBlockConfiguration {
    PublicAccessBlockConfiguration::builder()
        .block_public_acls(on)
        .ignore_public_acls(on)
        .block_public_policy(on)
        .restrict_public_buckets(on)
        .build()
}

remediation_testing::matrix_tests!(
    Call,
    without_a_fault_the_bucket_is_remediated_with_one_write,
    GetPublicAccessBlock => faults_on_the_first_get_public_access_block,
    GetBucketTagging => faults_on_get_bucket_tagging,
    PutPublicAccessBlock => faults_on_put_public_access_block,
    ReadBack => faults_on_the_read_back,
);

#[tokio::test]
async fn a_bucket_deleted_before_the_write_is_skipped() {
    matrix::check_one::<Call>(PutPublicAccessBlock, Fault::NotFound("NoSuchBucket")).await;
}

#[tokio::test]
async fn a_bucket_deleted_between_the_write_and_the_read_back_is_skipped() {
    matrix::check_one::<Call>(ReadBack, Fault::NotFound("NoSuchBucket")).await;
}

#[test]
fn each_known_bug_has_its_own_test() {
    let bugs: Vec<&str> = matrix::rows::<Call>()
        .iter()
        .filter_map(|r| r.bug)
        .collect();
    assert_eq!(
        bugs,
        [
            "a_bucket_deleted_before_the_write_is_skipped",
            "a_bucket_deleted_between_the_write_and_the_read_back_is_skipped"
        ]
    );
}
