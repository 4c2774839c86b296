//! The S3 Control and S3 adapter against aws-smithy-mocks: the account id on
//! every S3 Control request, all four settings written, a missing
//! configuration read as none, what makes a bucket public, bucket names in
//! order across pages, and that the operations called are exactly those the
//! adapter declares.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_s3::operation::get_bucket_acl::GetBucketAclOutput;
use aws_sdk_s3::operation::get_bucket_policy_status::{
    GetBucketPolicyStatusError, GetBucketPolicyStatusOutput,
};
use aws_sdk_s3::operation::get_public_access_block::GetPublicAccessBlockOutput as BucketSettings;
use aws_sdk_s3::operation::list_buckets::ListBucketsOutput;
use aws_sdk_s3::types::{Bucket, Grant, Grantee, Permission as Access, PolicyStatus, Type};
use aws_sdk_s3control::operation::get_public_access_block::{
    GetPublicAccessBlockError, GetPublicAccessBlockOutput,
};
use aws_sdk_s3control::operation::put_public_access_block::PutPublicAccessBlockOutput;
use aws_sdk_s3control::types::PublicAccessBlockConfiguration;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use remediation_s3::flags::PublicAccessFlags;
use remediation_testing::faults::coded;
use remediation_testing::operations;
use s3_account_public_access_block::aws::{AccountPublicAccess, S3ControlAdapter};

const ACCOUNT: &str = "123456789012";
const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
const LOG_DELIVERY: &str = "http://acs.amazonaws.com/groups/s3/LogDelivery";

fn with(control: &[&Rule], s3: &[&Rule]) -> S3ControlAdapter {
    S3ControlAdapter::new(
        mock_client!(aws_sdk_s3control, RuleMode::MatchAny, control),
        mock_client!(aws_sdk_s3, RuleMode::MatchAny, s3),
    )
}

fn group_grant(uri: &str, access: Access) -> Grant {
    Grant::builder()
        .grantee(
            Grantee::builder()
                .r#type(Type::Group)
                .uri(uri)
                .build()
                .unwrap(),
        )
        .permission(access)
        .build()
}

#[tokio::test]
async fn the_account_is_named_on_every_s3_control_call_and_all_four_are_written() {
    let get = mock!(aws_sdk_s3control::Client::get_public_access_block)
        .match_requests(|r| r.account_id() == Some(ACCOUNT))
        .then_output(|| {
            let c = PublicAccessBlockConfiguration::builder()
                .ignore_public_acls(true)
                .build();
            GetPublicAccessBlockOutput::builder()
                .public_access_block_configuration(c)
                .build()
        });
    let put = mock!(aws_sdk_s3control::Client::put_public_access_block)
        .match_requests(|r| {
            let c = r.public_access_block_configuration().unwrap();
            r.account_id() == Some(ACCOUNT)
                && [
                    c.block_public_acls(),
                    c.ignore_public_acls(),
                    c.block_public_policy(),
                    c.restrict_public_buckets(),
                ] == [Some(true); 4]
        })
        .then_output(|| PutPublicAccessBlockOutput::builder().build());
    let a = with(&[&get, &put], &[]);
    let read = a.account_settings(ACCOUNT).await.unwrap().unwrap();
    assert_eq!(
        read,
        PublicAccessFlags {
            ignore_public_acls: true,
            ..PublicAccessFlags::OFF
        }
    );
    a.put_account_settings(ACCOUNT, PublicAccessFlags::ALL)
        .await
        .unwrap();
    assert_eq!((get.num_calls(), put.num_calls()), (1, 1));
}

#[tokio::test]
async fn an_account_without_a_configuration_reads_as_none_and_a_refusal_keeps_its_code() {
    let none = mock!(aws_sdk_s3control::Client::get_public_access_block).then_error(|| {
        GetPublicAccessBlockError::generic(coded("NoSuchPublicAccessBlockConfiguration"))
    });
    assert_eq!(
        with(&[&none], &[]).account_settings(ACCOUNT).await.unwrap(),
        None
    );
    let denied = mock!(aws_sdk_s3control::Client::get_public_access_block)
        .then_error(|| GetPublicAccessBlockError::generic(coded("AccessDenied")));
    let err = with(&[&denied], &[])
        .account_settings(ACCOUNT)
        .await
        .unwrap_err();
    assert_eq!(err.code, "AccessDenied");
}

#[tokio::test]
async fn a_bucket_is_public_by_policy_status_or_by_a_grant_to_everyone() {
    let no_policy = mock!(aws_sdk_s3::Client::get_bucket_policy_status)
        .match_requests(|r| r.bucket() == Some("by-acl"))
        .then_error(|| GetBucketPolicyStatusError::generic(coded("NoSuchBucketPolicy")));
    let public_policy = mock!(aws_sdk_s3::Client::get_bucket_policy_status)
        .match_requests(|r| r.bucket() == Some("by-policy"))
        .then_output(|| {
            GetBucketPolicyStatusOutput::builder()
                .policy_status(PolicyStatus::builder().is_public(true).build())
                .build()
        });
    let read_by_all = mock!(aws_sdk_s3::Client::get_bucket_acl)
        .match_requests(|r| r.bucket() == Some("by-acl"))
        .then_output(|| {
            GetBucketAclOutput::builder()
                .grants(group_grant(ALL_USERS, Access::Read))
                .build()
        });
    // A grant to S3's log delivery group only: private.
    let private_acl = mock!(aws_sdk_s3::Client::get_bucket_acl)
        .match_requests(|r| r.bucket() == Some("by-policy"))
        .then_output(|| {
            GetBucketAclOutput::builder()
                .grants(group_grant(LOG_DELIVERY, Access::Write))
                .build()
        });
    let own = mock!(aws_sdk_s3::Client::get_public_access_block)
        .then_output(|| BucketSettings::builder().build());
    let a = with(
        &[],
        &[&no_policy, &public_policy, &read_by_all, &private_acl, &own],
    );
    let by_acl = a.bucket_access("by-acl").await.unwrap();
    assert_eq!((by_acl.policy_public, by_acl.acl_public), (false, true));
    let by_policy = a.bucket_access("by-policy").await.unwrap();
    assert_eq!(
        (by_policy.policy_public, by_policy.acl_public),
        (true, false)
    );
}

#[tokio::test]
async fn bucket_names_come_from_every_page_in_name_order() {
    let page = |names: &[&str], next: Option<&str>| {
        let buckets = names
            .iter()
            .map(|n| Bucket::builder().name(*n).build())
            .collect::<Vec<_>>();
        ListBucketsOutput::builder()
            .set_buckets(Some(buckets))
            .set_continuation_token(next.map(str::to_owned))
            .build()
    };
    let first = mock!(aws_sdk_s3::Client::list_buckets)
        .match_requests(|r| r.continuation_token().is_none())
        .then_output(move || page(&["zeta", "alpha"], Some("t")));
    let second = mock!(aws_sdk_s3::Client::list_buckets)
        .match_requests(|r| r.continuation_token() == Some("t"))
        .then_output(move || page(&["mid"], None));
    let names = with(&[], &[&first, &second]).bucket_names().await.unwrap();
    assert_eq!(names, ["alpha", "mid", "zeta"]);
}

#[tokio::test]
async fn the_operations_called_are_exactly_the_declared_permissions() {
    let control_ops = operations::Operations::default();
    let s3_ops = operations::Operations::default();
    let get = mock!(aws_sdk_s3control::Client::get_public_access_block)
        .then_output(|| GetPublicAccessBlockOutput::builder().build());
    let put = mock!(aws_sdk_s3control::Client::put_public_access_block)
        .then_output(|| PutPublicAccessBlockOutput::builder().build());
    let list = mock!(aws_sdk_s3::Client::list_buckets).then_output(|| {
        ListBucketsOutput::builder()
            .buckets(Bucket::builder().name("b").build())
            .build()
    });
    let status = mock!(aws_sdk_s3::Client::get_bucket_policy_status)
        .then_output(|| GetBucketPolicyStatusOutput::builder().build());
    let acl = mock!(aws_sdk_s3::Client::get_bucket_acl)
        .then_output(|| GetBucketAclOutput::builder().build());
    let own = mock!(aws_sdk_s3::Client::get_public_access_block)
        .then_output(|| BucketSettings::builder().build());
    let a = S3ControlAdapter::new(
        mock_client!(aws_sdk_s3control, RuleMode::MatchAny, &[&get, &put], |c| c
            .interceptor(control_ops.clone())),
        mock_client!(
            aws_sdk_s3,
            RuleMode::MatchAny,
            &[&list, &status, &acl, &own],
            |c| c.interceptor(s3_ops.clone())
        ),
    );
    a.account_settings(ACCOUNT).await.unwrap();
    a.put_account_settings(ACCOUNT, PublicAccessFlags::ALL)
        .await
        .unwrap();
    for name in a.bucket_names().await.unwrap() {
        a.bucket_access(&name).await.unwrap();
    }
    // IAM names these operations for what they act on, not as the API does.
    let iam_name = |action: String| match action.as_str() {
        "s3:GetPublicAccessBlock" => "s3:GetBucketPublicAccessBlock".to_owned(),
        "s3:ListBuckets" => "s3:ListAllMyBuckets".to_owned(),
        _ => action,
    };
    let account_level =
        |action: String| action.replace("PublicAccessBlock", "AccountPublicAccessBlock");
    let called = s3_ops
        .actions("s3")
        .into_iter()
        .map(iam_name)
        .chain(control_ops.actions("s3").into_iter().map(account_level));
    operations::assert_declared(called, s3_account_public_access_block::aws::PERMISSIONS);
}
