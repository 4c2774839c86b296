//! The ports over S3 Control and S3 that the function needs, and their SDK
//! adapter.
//!
//! The only file of this package that imports `aws_sdk_s3control` or
//! `aws_sdk_s3` (a bucket's own settings are read as the S3 kit reads them). Normalises errors once: a missing account
//! configuration reads as all off, a bucket without a policy as not public
//! by policy, `NoSuchBucket` as not found. It must not decide anything.

use std::future::Future;

use aws_sdk_s3::types::Type as GranteeType;
use remediation_runtime::deadline;
use remediation_s3::aws::bucket_settings;
use remediation_s3::flags::PublicAccessFlags;
use remediation_shared::{AwsError, Permission};

use crate::plan::BucketAccess;

/// The IAM permissions this adapter's calls need, one per SDK operation:
/// S3 Control `GetPublicAccessBlock` and `PutPublicAccessBlock` on the
/// account; S3 `ListBuckets`, `GetBucketPolicyStatus`, `GetBucketAcl` and
/// `GetPublicAccessBlock` to say which buckets the change makes private.
/// `template.yaml` grants exactly these (checked by `tests/tests/template/`).
pub const PERMISSIONS: &[Permission] = &[
    Permission::on("s3:GetAccountPublicAccessBlock", "*"),
    Permission::on("s3:PutAccountPublicAccessBlock", "*"),
    Permission::on("s3:ListAllMyBuckets", "*"),
    Permission::on("s3:GetBucketPolicyStatus", BUCKETS).when("s3:ResourceAccount"),
    Permission::on("s3:GetBucketAcl", BUCKETS).when("s3:ResourceAccount"),
    Permission::on("s3:GetBucketPublicAccessBlock", BUCKETS).when("s3:ResourceAccount"),
];

/// Every bucket; the `s3:ResourceAccount` condition keeps it to the function's own account.
const BUCKETS: &str = "arn:${AWS::Partition}:s3:::*";

/// The grantee groups that make an ACL public.
const PUBLIC_GROUPS: &[&str] = &[
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
];

/// What the function needs from S3 Control and S3, in the order it uses them.
pub trait AccountPublicAccess: Send + Sync {
    /// The account's settings; `None` when it has no configuration.
    fn account_settings(
        &self,
        account: &str,
    ) -> impl Future<Output = Result<Option<PublicAccessFlags>, AwsError>> + Send;
    /// The names of the account's buckets, in name order.
    fn bucket_names(&self) -> impl Future<Output = Result<Vec<String>, AwsError>> + Send;
    /// What makes one bucket public, or not.
    fn bucket_access(
        &self,
        bucket: &str,
    ) -> impl Future<Output = Result<BucketAccess, AwsError>> + Send;
    /// Writes the account's settings.
    fn put_account_settings(
        &self,
        account: &str,
        flags: PublicAccessFlags,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;
}

/// The S3 Control and S3 adapter.
#[derive(Debug, Clone)]
pub struct S3ControlAdapter {
    control: aws_sdk_s3control::Client,
    s3: aws_sdk_s3::Client,
}

impl S3ControlAdapter {
    /// Wraps clients built once at start-up.
    pub fn new(control: aws_sdk_s3control::Client, s3: aws_sdk_s3::Client) -> Self {
        S3ControlAdapter { control, s3 }
    }

    /// The adapter over an S3 Control client and the S3 kit's client
    /// (path-style against an emulator), both built from `sdk`.
    pub fn from_sdk(sdk: &remediation_runtime::sdk::SdkConfig) -> Self {
        let s3 = remediation_s3::aws::client(sdk);
        S3ControlAdapter::new(aws_sdk_s3control::Client::new(sdk), s3)
    }
}

impl AccountPublicAccess for S3ControlAdapter {
    async fn account_settings(&self, account: &str) -> Result<Option<PublicAccessFlags>, AwsError> {
        remediation_s3::aws::account_settings(&self.control, account).await
    }

    async fn put_account_settings(
        &self,
        account: &str,
        flags: PublicAccessFlags,
    ) -> Result<(), AwsError> {
        remediation_s3::aws::put_account_settings(&self.control, account, flags).await
    }

    async fn bucket_names(&self) -> Result<Vec<String>, AwsError> {
        let buckets = deadline::all(
            "ListBuckets",
            self.s3.list_buckets().into_paginator().items().send(),
        )
        .await?;
        let mut names: Vec<String> = buckets
            .iter()
            .filter_map(|b| b.name().map(str::to_owned))
            .collect();
        // In name order, as S3 lists them, so that which buckets are read is the same every time.
        names.sort_unstable();
        Ok(names)
    }

    async fn bucket_access(&self, bucket: &str) -> Result<BucketAccess, AwsError> {
        let gone = |e: AwsError| e.not_found_if(&["NoSuchBucket"]);
        let status = self.s3.get_bucket_policy_status().bucket(bucket).send();
        let policy_public = match deadline::call("GetBucketPolicyStatus", status).await {
            Ok(out) => out
                .policy_status()
                .and_then(|s| s.is_public())
                .unwrap_or(false),
            Err(err) if err.code == "NoSuchBucketPolicy" => false,
            Err(err) => return Err(gone(err)),
        };
        let acl = self.s3.get_bucket_acl().bucket(bucket).send();
        let acl = deadline::call("GetBucketAcl", acl).await.map_err(gone)?;
        // Any grant to everyone, or to every AWS account, makes the ACL public.
        let acl_public = acl.grants().iter().any(|g| {
            g.grantee().is_some_and(|who| {
                *who.r#type() == GranteeType::Group
                    && who.uri().is_some_and(|uri| PUBLIC_GROUPS.contains(&uri))
            })
        });
        // The bucket's own settings, read as the bucket function reads them.
        let own = bucket_settings(&self.s3, bucket).await?.unwrap_or_default();
        Ok(BucketAccess {
            policy_public,
            acl_public,
            own,
        })
    }
}
