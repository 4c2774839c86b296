//! The S3 adapter against aws-smithy-mocks: the exact requests it sends, the
//! "already in the target state" codes it normalises, and retries of throttling
//! and 5xx by the SDK's standard retry.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_s3::operation::get_bucket_tagging::{GetBucketTaggingError, GetBucketTaggingOutput};
use aws_sdk_s3::operation::get_public_access_block::{
    GetPublicAccessBlockError, GetPublicAccessBlockOutput,
};
use aws_sdk_s3::operation::list_buckets::ListBucketsOutput;
use aws_sdk_s3::operation::put_public_access_block::{
    PutPublicAccessBlockError, PutPublicAccessBlockOutput,
};
use aws_sdk_s3::types::{Bucket, PublicAccessBlockConfiguration, Tag};
use aws_sdk_s3::Client;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use remediation_shared::AwsErrorKind;
use remediation_testing::faults::coded;
use s3_block_public_access::aws::{BucketPublicAccess, S3Adapter};
use s3_block_public_access::plan::PublicAccessFlags;

fn adapter(rules: &[&Rule]) -> S3Adapter {
    S3Adapter::new(remediation_testing::retrying_client!(aws_sdk_s3, rules))
}

fn get_error(code: &str) -> GetPublicAccessBlockError {
    GetPublicAccessBlockError::generic(coded(code))
}

#[tokio::test]
async fn reads_the_four_flags_of_the_named_bucket() {
    let rule = mock!(Client::get_public_access_block)
        .match_requests(|r| r.bucket() == Some("b-1"))
        .then_output(|| {
            GetPublicAccessBlockOutput::builder()
                .public_access_block_configuration(
                    PublicAccessBlockConfiguration::builder()
                        .block_public_acls(true)
                        .block_public_policy(true)
                        .build(),
                )
                .build()
        });
    let flags = adapter(&[&rule])
        .public_access_block("b-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        flags,
        PublicAccessFlags {
            block_public_acls: true,
            ignore_public_acls: false,
            block_public_policy: true,
            restrict_public_buckets: false
        }
    );
}

#[tokio::test]
async fn no_configuration_reads_as_none() {
    let rule = mock!(Client::get_public_access_block)
        .then_error(|| get_error("NoSuchPublicAccessBlockConfiguration"));
    assert_eq!(
        adapter(&[&rule]).public_access_block("b").await.unwrap(),
        None
    );
}

#[tokio::test]
async fn no_such_bucket_is_not_found() {
    let rule = mock!(Client::get_public_access_block).then_error(|| get_error("NoSuchBucket"));
    let err = adapter(&[&rule])
        .public_access_block("b")
        .await
        .unwrap_err();
    assert_eq!(
        (err.kind, err.code.as_str()),
        (AwsErrorKind::NotFound, "NoSuchBucket")
    );
}

#[tokio::test]
async fn no_tag_set_reads_as_no_tags() {
    let rule = mock!(Client::get_bucket_tagging)
        .then_error(|| GetBucketTaggingError::generic(coded("NoSuchTagSet")));
    assert!(adapter(&[&rule]).tags("b").await.unwrap().is_empty());
}

#[tokio::test]
async fn tags_are_read_as_pairs() {
    let rule = mock!(Client::get_bucket_tagging).then_output(|| {
        GetBucketTaggingOutput::builder()
            .tag_set(
                Tag::builder()
                    .key("auto-remediation:exempt")
                    .value("true")
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap()
    });
    let tags = adapter(&[&rule]).tags("b").await.unwrap();
    assert_eq!(tags, [("auto-remediation:exempt".into(), "true".into())]);
}

#[tokio::test]
async fn the_write_sets_all_four_flags_on_the_named_bucket() {
    let rule = mock!(Client::put_public_access_block)
        .match_requests(|r| {
            let c = r.public_access_block_configuration().unwrap();
            r.bucket() == Some("b-1")
                && c.block_public_acls() == Some(true)
                && c.ignore_public_acls() == Some(true)
                && c.block_public_policy() == Some(true)
                && c.restrict_public_buckets() == Some(true)
        })
        .then_output(|| PutPublicAccessBlockOutput::builder().build());
    adapter(&[&rule])
        .put_public_access_block("b-1", PublicAccessFlags::ALL)
        .await
        .unwrap();
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test]
async fn throttling_and_503_are_retried_then_succeed() {
    let rule = mock!(Client::put_public_access_block)
        .sequence()
        .error(|| PutPublicAccessBlockError::generic(coded("SlowDown")))
        .http_status(503, None)
        .output(|| PutPublicAccessBlockOutput::builder().build())
        .build();
    adapter(&[&rule])
        .put_public_access_block("b", PublicAccessFlags::ALL)
        .await
        .unwrap();
    assert_eq!(rule.num_calls(), 3);
}

#[tokio::test]
async fn persistent_throttling_is_an_error_of_kind_throttled() {
    let rule = mock!(Client::put_public_access_block)
        .sequence()
        .error(|| PutPublicAccessBlockError::generic(coded("SlowDown")))
        .times(3)
        .build();
    let err = adapter(&[&rule])
        .put_public_access_block("b", PublicAccessFlags::ALL)
        .await
        .unwrap_err();
    assert_eq!(
        (err.kind, err.code.as_str()),
        (AwsErrorKind::Throttled, "SlowDown")
    );
    assert_eq!(rule.num_calls(), 3);
}

#[tokio::test]
async fn access_denied_is_not_retried() {
    let rule = mock!(Client::put_public_access_block)
        .then_error(|| PutPublicAccessBlockError::generic(coded("AccessDenied")));
    let err = adapter(&[&rule])
        .put_public_access_block("b", PublicAccessFlags::ALL)
        .await
        .unwrap_err();
    assert_eq!(
        (err.kind, err.code.as_str(), err.operation),
        (
            AwsErrorKind::AccessDenied,
            "AccessDenied",
            "PutPublicAccessBlock"
        )
    );
    assert_eq!(rule.num_calls(), 1);
}

use remediation_testing::operations;

#[tokio::test]
async fn the_operations_called_are_exactly_the_declared_permissions() {
    let ops = operations::Operations::default();
    let get = mock!(Client::get_public_access_block)
        .then_output(|| GetPublicAccessBlockOutput::builder().build());
    let tags = mock!(Client::get_bucket_tagging)
        .then_error(|| GetBucketTaggingError::generic(coded("NoSuchTagSet")));
    let put = mock!(Client::put_public_access_block)
        .then_output(|| PutPublicAccessBlockOutput::builder().build());
    let list = mock!(Client::list_buckets).then_output(|| ListBucketsOutput::builder().build());
    let client = mock_client!(
        aws_sdk_s3,
        RuleMode::MatchAny,
        &[&get, &tags, &put, &list],
        |c| c.interceptor(ops.clone())
    );
    let adapter = S3Adapter::new(client);
    adapter.bucket_names("us-east-1").await.unwrap();
    adapter.public_access_block("b").await.unwrap();
    adapter.tags("b").await.unwrap();
    adapter
        .put_public_access_block("b", PublicAccessFlags::ALL)
        .await
        .unwrap();

    // IAM names two of S3's operations differently from the API.
    let called = ops
        .actions("s3")
        .into_iter()
        .map(|action| match action.as_str() {
            "s3:GetPublicAccessBlock" => "s3:GetBucketPublicAccessBlock".to_owned(),
            "s3:PutPublicAccessBlock" => "s3:PutBucketPublicAccessBlock".to_owned(),
            "s3:ListBuckets" => "s3:ListAllMyBuckets".to_owned(),
            _ => action,
        });
    operations::assert_declared(called, s3_block_public_access::aws::PERMISSIONS);
}

#[tokio::test]
async fn a_sweep_lists_the_buckets_of_its_own_region_only() {
    let listed = mock!(Client::list_buckets)
        .match_requests(|r| r.bucket_region() == Some("eu-west-1"))
        .then_output(|| {
            let bucket = |name: &str, region: Option<&str>| {
                Bucket::builder()
                    .name(name)
                    .set_bucket_region(region.map(str::to_owned))
                    .build()
            };
            ListBucketsOutput::builder()
                .buckets(bucket("here", Some("eu-west-1")))
                .buckets(bucket("elsewhere", Some("us-east-1")))
                .buckets(bucket("unsaid", None))
                .build()
        });
    let names = adapter(&[&listed]).bucket_names("eu-west-1").await.unwrap();
    assert_eq!(names, ["here", "unsaid"]);
}

#[tokio::test]
async fn a_throttled_sweep_list_is_retried_and_succeeds_within_seconds_under_the_functions_retry() {
    use aws_sdk_s3::operation::list_buckets::ListBucketsError;
    let rule = mock!(Client::list_buckets)
        .sequence()
        .error(|| ListBucketsError::generic(coded("SlowDown")))
        .times(2)
        .output(|| {
            ListBucketsOutput::builder()
                .buckets(Bucket::builder().name("b").build())
                .build()
        })
        .build();
    // The functions' own retry, with a short first backoff for the test.
    let retry = remediation_runtime::sdk::retries()
        .with_initial_backoff(std::time::Duration::from_millis(1));
    let client = mock_client!(aws_sdk_s3, RuleMode::Sequential, &[&rule], |c| c
        .retry_config(retry.clone()));
    let started = std::time::Instant::now();
    let names = S3Adapter::new(client)
        .bucket_names("us-east-1")
        .await
        .unwrap();
    assert_eq!(names, ["b"]);
    assert_eq!(rule.num_calls(), 3);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}
