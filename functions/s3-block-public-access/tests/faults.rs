//! The S3 function under injected faults: the real adapter, over an SDK client
//! answered by aws-smithy-mocks, driven by the real `handle()` with the
//! CloudTrail `DeleteBucketPublicAccessBlock` sample, for a bucket with all four
//! Block Public Access settings off.
//!
//! Each of the four calls of the main path (`GetPublicAccessBlock`,
//! `GetBucketTagging`, `PutPublicAccessBlock`, then `GetPublicAccessBlock` to
//! read back) gets each fault of [`ROWS`] while every other call answers
//! normally: throttling (`SlowDown`), HTTP 500, HTTP 503 and a timeout, each
//! transient (the retry succeeds: the run must end exactly as without a fault)
//! and persistent (every attempt fails: one `failed` record with the fault's
//! code, and no later call); `AccessDenied` (not retried); and each "not found"
//! code the adapter normalises, on every call, so that a code normalised for
//! one call is seen to be an ordinary failure on the others.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use aws_sdk_s3::config::retry::RetryPartition;
use aws_sdk_s3::operation::get_bucket_tagging::GetBucketTaggingOutput;
use aws_sdk_s3::operation::get_public_access_block::GetPublicAccessBlockOutput;
use aws_sdk_s3::operation::put_public_access_block::PutPublicAccessBlockOutput;
use aws_sdk_s3::types::{PublicAccessBlockConfiguration, Tag};
use aws_sdk_s3::Client;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use remediation_shared::HandlerError;
use remediation_testing::faults::{
    check_failed, check_gone, check_row, every_case_passes, retry_config, script, timeout_config,
    unique_retry_partition, Fault, HangingHttpClient, Protocol, Run, Service, Variant,
};
use remediation_testing::handler::enforcing;
use s3_block_public_access::aws::S3Adapter;
use s3_block_public_access::BlockPublicAccess;
use serde_json::{json, Value};

/// S3's codes on the wire.
const S3: Service = Service {
    protocol: Protocol::RestXml,
    throttling: ("SlowDown", 503),
    access_denied: ("AccessDenied", 403),
    not_found_status: 404,
};

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

const CALLS: [Call; 4] = [
    Call::GetPublicAccessBlock,
    Call::GetBucketTagging,
    Call::PutPublicAccessBlock,
    Call::ReadBack,
];

/// Every fault each call gets: the retryable ones, access denied, and every
/// "not found" code the adapter normalises (on any call).
const FAULTS: [Fault; 12] = [
    Fault::Throttling(Variant::Transient),
    Fault::Throttling(Variant::Persistent),
    Fault::InternalError(Variant::Transient),
    Fault::InternalError(Variant::Persistent),
    Fault::ServiceUnavailable(Variant::Transient),
    Fault::ServiceUnavailable(Variant::Persistent),
    Fault::Timeout(Variant::Transient),
    Fault::Timeout(Variant::Persistent),
    Fault::AccessDenied,
    Fault::NotFound("NoSuchBucket"),
    Fault::NotFound("NoSuchPublicAccessBlockConfiguration"),
    Fault::NotFound("NoSuchTagSet"),
];

/// How a case must end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Exactly as without a fault: remediated, one write, the same record.
    Baseline,
    /// `failed` with the fault's own code; no call after the faulted one.
    Failed,
    /// `skipped`, the bucket no longer exists; no call after the faulted one.
    Skipped,
    /// `failed` with `VerificationFailed`: the read back shows all four off.
    VerificationFailed,
}

/// One case of the matrix.
#[derive(Debug, Clone, Copy)]
struct Row {
    call: Call,
    fault: Fault,
    expect: Expect,
    /// Set when the function does not do what `expect` says: the row runs
    /// only in its own ignored test, named in the message.
    bug: Option<&'static str>,
}

const fn row(call: Call, fault: Fault, expect: Expect) -> Row {
    Row {
        call,
        fault,
        expect,
        bug: None,
    }
}

const fn bug(call: Call, fault: Fault, expect: Expect, test: &'static str) -> Row {
    Row {
        call,
        fault,
        expect,
        bug: Some(test),
    }
}

// Short names for the table below.
use Call::{GetBucketTagging, GetPublicAccessBlock, PutPublicAccessBlock, ReadBack};
use Expect::{Baseline, Failed, Skipped, VerificationFailed};
use Fault::{AccessDenied, InternalError, NotFound, ServiceUnavailable, Throttling, Timeout};
use Variant::{Persistent, Transient};

/// The matrix: every call of [`CALLS`] with every fault of [`FAULTS`].
const ROWS: &[Row] = &[
    row(GetPublicAccessBlock, Throttling(Transient), Baseline),
    row(GetPublicAccessBlock, Throttling(Persistent), Failed),
    row(GetPublicAccessBlock, InternalError(Transient), Baseline),
    row(GetPublicAccessBlock, InternalError(Persistent), Failed),
    row(
        GetPublicAccessBlock,
        ServiceUnavailable(Transient),
        Baseline,
    ),
    row(GetPublicAccessBlock, ServiceUnavailable(Persistent), Failed),
    row(GetPublicAccessBlock, Timeout(Transient), Baseline),
    row(GetPublicAccessBlock, Timeout(Persistent), Failed),
    row(GetPublicAccessBlock, AccessDenied, Failed),
    row(GetPublicAccessBlock, NotFound("NoSuchBucket"), Skipped),
    // No configuration reads as all four off: the same run as all four off.
    row(
        GetPublicAccessBlock,
        NotFound("NoSuchPublicAccessBlockConfiguration"),
        Baseline,
    ),
    row(GetPublicAccessBlock, NotFound("NoSuchTagSet"), Failed),
    row(GetBucketTagging, Throttling(Transient), Baseline),
    row(GetBucketTagging, Throttling(Persistent), Failed),
    row(GetBucketTagging, InternalError(Transient), Baseline),
    row(GetBucketTagging, InternalError(Persistent), Failed),
    row(GetBucketTagging, ServiceUnavailable(Transient), Baseline),
    row(GetBucketTagging, ServiceUnavailable(Persistent), Failed),
    row(GetBucketTagging, Timeout(Transient), Baseline),
    row(GetBucketTagging, Timeout(Persistent), Failed),
    row(GetBucketTagging, AccessDenied, Failed),
    row(GetBucketTagging, NotFound("NoSuchBucket"), Skipped),
    row(
        GetBucketTagging,
        NotFound("NoSuchPublicAccessBlockConfiguration"),
        Failed,
    ),
    // No tag set is no exemption: the same run as with non-exempting tags.
    row(GetBucketTagging, NotFound("NoSuchTagSet"), Baseline),
    row(PutPublicAccessBlock, Throttling(Transient), Baseline),
    row(PutPublicAccessBlock, Throttling(Persistent), Failed),
    row(PutPublicAccessBlock, InternalError(Transient), Baseline),
    row(PutPublicAccessBlock, InternalError(Persistent), Failed),
    row(
        PutPublicAccessBlock,
        ServiceUnavailable(Transient),
        Baseline,
    ),
    row(PutPublicAccessBlock, ServiceUnavailable(Persistent), Failed),
    row(PutPublicAccessBlock, Timeout(Transient), Baseline),
    row(PutPublicAccessBlock, Timeout(Persistent), Failed),
    row(PutPublicAccessBlock, AccessDenied, Failed),
    bug(
        PutPublicAccessBlock,
        NotFound("NoSuchBucket"),
        Skipped,
        "a_bucket_deleted_before_the_write_is_skipped",
    ),
    row(
        PutPublicAccessBlock,
        NotFound("NoSuchPublicAccessBlockConfiguration"),
        Failed,
    ),
    row(PutPublicAccessBlock, NotFound("NoSuchTagSet"), Failed),
    row(ReadBack, Throttling(Transient), Baseline),
    row(ReadBack, Throttling(Persistent), Failed),
    row(ReadBack, InternalError(Transient), Baseline),
    row(ReadBack, InternalError(Persistent), Failed),
    row(ReadBack, ServiceUnavailable(Transient), Baseline),
    row(ReadBack, ServiceUnavailable(Persistent), Failed),
    row(ReadBack, Timeout(Transient), Baseline),
    row(ReadBack, Timeout(Persistent), Failed),
    row(ReadBack, AccessDenied, Failed),
    bug(
        ReadBack,
        NotFound("NoSuchBucket"),
        Skipped,
        "a_bucket_deleted_between_the_write_and_the_read_back_is_skipped",
    ),
    row(
        ReadBack,
        NotFound("NoSuchPublicAccessBlockConfiguration"),
        VerificationFailed,
    ),
    row(ReadBack, NotFound("NoSuchTagSet"), Failed),
];

fn flags(on: bool) -> PublicAccessBlockConfiguration {
    PublicAccessBlockConfiguration::builder()
        .block_public_acls(on)
        .ignore_public_acls(on)
        .block_public_policy(on)
        .restrict_public_buckets(on)
        .build()
}

/// The rule for `call`: its normal answer, or `fault` when it is the faulted call.
fn rule(call: Call, fault: Option<Fault>) -> Rule {
    match call {
        Call::GetPublicAccessBlock | Call::ReadBack => {
            // Before the write all four are off; after it, all four are on.
            let on = call == Call::ReadBack;
            script(
                mock!(Client::get_public_access_block)
                    .match_requests(|r| r.bucket() == Some(BUCKET)),
                fault,
                &S3,
                move || {
                    GetPublicAccessBlockOutput::builder()
                        .public_access_block_configuration(flags(on))
                        .build()
                },
            )
        }
        Call::GetBucketTagging => script(
            mock!(Client::get_bucket_tagging).match_requests(|r| r.bucket() == Some(BUCKET)),
            fault,
            &S3,
            || {
                GetBucketTaggingOutput::builder()
                    .tag_set(Tag::builder().key("team").value("web").build().unwrap())
                    .build()
                    .unwrap()
            },
        ),
        Call::PutPublicAccessBlock => script(
            // The one write: all four on, on the event's bucket. Any other request
            // panics in the mock, which the driver records as `Handler.Panic`.
            mock!(Client::put_public_access_block).match_requests(|r| {
                r.bucket() == Some(BUCKET)
                    && r.public_access_block_configuration() == Some(&flags(true))
            }),
            fault,
            &S3,
            || PutPublicAccessBlockOutput::builder().build(),
        ),
    }
}

/// What one run did.
/// Runs the CloudTrail sample through `handle()` with `fault` injected on one call.
async fn run(fault: Option<(Call, Fault)>) -> Run {
    let rules: Vec<Rule> = CALLS
        .iter()
        .map(|&call| rule(call, fault.filter(|(c, _)| *c == call).map(|(_, f)| f)))
        .collect();
    let partition = unique_retry_partition();
    let client = mock_client!(
        aws_sdk_s3,
        RuleMode::Sequential,
        &rules.iter().collect::<Vec<_>>(),
        |c| c
            .http_client(HangingHttpClient::default())
            .retry_config(retry_config())
            .timeout_config(timeout_config())
            .retry_partition(RetryPartition::new(partition.clone()))
    );
    let (result, records) = remediation_testing::handler::run(
        &BlockPublicAccess::new(S3Adapter::new(client)),
        &enforcing(),
        sample(),
    )
    .await
    .into_parts();
    Run {
        result,
        records,
        calls: rules.iter().map(Rule::num_calls).collect(),
    }
}

fn sample() -> Value {
    remediation_testing::samples::load(
        "s3-block-public-access",
        "cloudtrail-delete-public-access-block.json",
    )
}

/// Runs one row and checks it ends as the row says.
async fn check(row: &Row, baseline: &Run) {
    let case = format!("{:?} × {:?}", row.call, row.fault);
    let run = run(Some((row.call, row.fault))).await;
    let at = row.call as usize;
    let Some(r) = check_row(
        &case,
        &run,
        baseline,
        at,
        row.fault,
        row.expect == Expect::Baseline,
    ) else {
        return;
    };
    let r = &r;
    let base = &baseline.records[0];
    assert!(
        run.calls[at + 1..].iter().all(|&n| n == 0),
        "{case}: no call after the faulted one: {:?}",
        run.calls
    );
    // The record's state and changes: what was read and written before the fault.
    let wrote = row.call > Call::PutPublicAccessBlock;
    let before = if row.call > Call::GetPublicAccessBlock {
        base["before"].clone()
    } else {
        Value::Null
    };
    assert_eq!(r["before"], before, "{case}: before");
    let changes = if wrote {
        base["changes"].clone()
    } else {
        json!([])
    };
    assert_eq!(r["changes"], changes, "{case}: changes: {r}");
    match row.expect {
        Expect::Baseline => unreachable!(),
        Expect::Failed => {
            let code = row.fault.code(&S3);
            check_failed(&case, &run, r, row.fault, code);
            assert_eq!(r["after"], Value::Null, "{case}: after: {r}");
        }
        Expect::Skipped => {
            check_gone(&case, &run, r);
        }
        Expect::VerificationFailed => {
            assert_eq!(r["outcome"], "failed", "{case}: {r}");
            assert_eq!(r["error_code"], "VerificationFailed", "{case}: {r}");
            assert_eq!(r["after"], base["before"], "{case}: all four read back off");
            assert!(
                matches!(&run.result, Err(HandlerError::Remediation { error_type, .. }) if *error_type == "Remediation.VerificationFailed"),
                "{case}: {:?}",
                run.result.as_ref().err()
            );
        }
    }
}

/// The run without a fault, checked exactly: what every `Baseline` row must match.
async fn baseline() -> Run {
    let run = run(None).await;
    assert!(
        run.result.is_ok(),
        "baseline: {:?}",
        run.result.as_ref().err()
    );
    assert_eq!(run.calls, [1, 1, 1, 1], "baseline: each call once");
    assert_eq!(run.records.len(), 1, "baseline: {:?}", run.records);
    let r = &run.records[0];
    assert_eq!(r["outcome"], "remediated", "baseline: {r}");
    assert_eq!(r["resource"], format!("arn:aws:s3:::{BUCKET}"));
    assert_eq!(r["error_code"], Value::Null);
    let off = json!({"type": "bucket_public_access_block", "block_public_acls": false, "ignore_public_acls": false, "block_public_policy": false, "restrict_public_buckets": false});
    let on = json!({"type": "bucket_public_access_block", "block_public_acls": true, "ignore_public_acls": true, "block_public_policy": true, "restrict_public_buckets": true});
    assert_eq!(r["before"], off, "baseline: before");
    assert_eq!(r["after"], on, "baseline: after");
    assert_eq!(
        r["changes"],
        json!([{"type": "enable_public_access_block", "settings": ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"]}]),
        "baseline: changes"
    );
    run
}

/// Checks every row of `call`, except the known bugs.
async fn check_call(call: Call) {
    let baseline = Arc::new(baseline().await);
    let cases = ROWS
        .iter()
        .filter(|r| r.call == call && r.bug.is_none())
        .map(|row| {
            let baseline = baseline.clone();
            let name = format!("{:?} × {:?}", row.call, row.fault);
            (name, async move { check(row, &baseline).await })
        })
        .collect();
    every_case_passes(cases).await;
}

/// Checks the row of `call` × `fault` (a known bug).
async fn check_one(call: Call, fault: Fault) {
    let baseline = baseline().await;
    let row = ROWS
        .iter()
        .find(|r| r.call == call && r.fault == fault)
        .unwrap();
    check(row, &baseline).await;
}

#[tokio::test]
async fn without_a_fault_the_bucket_is_remediated_with_one_write() {
    baseline().await;
}

#[tokio::test]
async fn faults_on_the_first_get_public_access_block() {
    check_call(Call::GetPublicAccessBlock).await;
}

#[tokio::test]
async fn faults_on_get_bucket_tagging() {
    check_call(Call::GetBucketTagging).await;
}

#[tokio::test]
async fn faults_on_put_public_access_block() {
    check_call(Call::PutPublicAccessBlock).await;
}

#[tokio::test]
async fn faults_on_the_read_back() {
    check_call(Call::ReadBack).await;
}

#[tokio::test]
async fn a_bucket_deleted_before_the_write_is_skipped() {
    check_one(Call::PutPublicAccessBlock, Fault::NotFound("NoSuchBucket")).await;
}

#[tokio::test]
async fn a_bucket_deleted_between_the_write_and_the_read_back_is_skipped() {
    check_one(Call::ReadBack, Fault::NotFound("NoSuchBucket")).await;
}

#[test]
fn the_matrix_covers_every_call_and_fault() {
    assert_eq!(ROWS.len(), CALLS.len() * FAULTS.len(), "rows: {ROWS:?}");
    for call in CALLS {
        for fault in FAULTS {
            let n = ROWS
                .iter()
                .filter(|r| r.call == call && r.fault == fault)
                .count();
            assert_eq!(n, 1, "{call:?} × {fault:?}: rows in the matrix");
        }
    }
    // Each known bug has its own ignored test, named in the row.
    let bugs: Vec<&str> = ROWS.iter().filter_map(|r| r.bug).collect();
    assert_eq!(
        bugs,
        [
            "a_bucket_deleted_before_the_write_is_skipped",
            "a_bucket_deleted_between_the_write_and_the_read_back_is_skipped"
        ]
    );
}
