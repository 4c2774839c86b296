//! The port over S3 that the function needs, and its SDK adapter.
//!
//! The only file of this package that imports `aws_sdk_s3`. Normalises errors
//! once: a missing Block Public Access configuration reads as all off, a missing
//! tag set as no tags, `NoSuchBucket` as not found. It must not decide anything.

use std::future::Future;

use aws_sdk_s3::Client;
use remediation_runtime::deadline;
use remediation_shared::{AwsError, Permission};

use crate::plan::PublicAccessFlags;

/// The IAM permissions this adapter's calls need, one per SDK operation:
/// `ListBuckets`, `GetPublicAccessBlock`, `GetBucketTagging`, `PutPublicAccessBlock`.
/// `template.yaml` grants exactly these (checked by `tests/tests/template/`).
pub const PERMISSIONS: &[Permission] = &[
    // A sweep lists the account's buckets; the action has no resource-level permissions.
    Permission::on("s3:ListAllMyBuckets", "*"),
    Permission::on("s3:GetBucketPublicAccessBlock", BUCKETS).when("s3:ResourceAccount"),
    Permission::on("s3:GetBucketTagging", BUCKETS).when("s3:ResourceAccount"),
    Permission::on("s3:PutBucketPublicAccessBlock", BUCKETS).when("s3:ResourceAccount"),
];

/// Every bucket; the `s3:ResourceAccount` condition keeps it to the function's own account.
const BUCKETS: &str = "arn:${AWS::Partition}:s3:::*";

pub use remediation_s3::aws::client;
use remediation_s3::aws::{bucket_settings, not_found_if_no_bucket};

/// What the function needs from S3.
pub trait BucketPublicAccess: Send + Sync {
    /// The bucket's settings; `None` when it has no configuration.
    fn public_access_block(
        &self,
        bucket: &str,
    ) -> impl Future<Output = Result<Option<PublicAccessFlags>, AwsError>> + Send;
    /// The bucket's tags; empty when it has none.
    fn tags(
        &self,
        bucket: &str,
    ) -> impl Future<Output = Result<Vec<(String, String)>, AwsError>> + Send;
    /// The names of the account's buckets in `region`, for a sweep.
    fn bucket_names(
        &self,
        region: &str,
    ) -> impl Future<Output = Result<Vec<String>, AwsError>> + Send;
    /// Writes the settings.
    fn put_public_access_block(
        &self,
        bucket: &str,
        flags: PublicAccessFlags,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;
}

/// The S3 adapter.
#[derive(Debug, Clone)]
pub struct S3Adapter {
    client: Client,
}

impl S3Adapter {
    /// Wraps a client built once at start-up.
    pub fn new(client: Client) -> Self {
        S3Adapter { client }
    }

    /// The adapter over a client built from `sdk` (see [`client`]).
    pub fn from_sdk(sdk: &remediation_runtime::sdk::SdkConfig) -> Self {
        S3Adapter::new(client(sdk))
    }
}

impl BucketPublicAccess for S3Adapter {
    async fn public_access_block(
        &self,
        bucket: &str,
    ) -> Result<Option<PublicAccessFlags>, AwsError> {
        bucket_settings(&self.client, bucket).await
    }

    async fn tags(&self, bucket: &str) -> Result<Vec<(String, String)>, AwsError> {
        let call = self.client.get_bucket_tagging().bucket(bucket).send();
        match deadline::call("GetBucketTagging", call).await {
            Ok(out) => Ok(out
                .tag_set()
                .iter()
                .map(|t| (t.key().to_owned(), t.value().to_owned()))
                .collect()),
            Err(err) => {
                if err.code == "NoSuchTagSet" {
                    Ok(Vec::new())
                } else {
                    Err(not_found_if_no_bucket(err))
                }
            }
        }
    }

    async fn bucket_names(&self, region: &str) -> Result<Vec<String>, AwsError> {
        let request = self.client.list_buckets().bucket_region(region);
        let pages = request.into_paginator().items().send();
        let buckets = deadline::all("ListBuckets", pages).await?;
        // S3 filters by region; a bucket whose answer names another region is left out too.
        Ok(buckets
            .iter()
            .filter(|b| b.bucket_region().is_none_or(|r| r == region))
            .filter_map(|b| b.name().map(str::to_owned))
            .collect())
    }

    async fn put_public_access_block(
        &self,
        bucket: &str,
        flags: PublicAccessFlags,
    ) -> Result<(), AwsError> {
        remediation_s3::aws::put_bucket_settings(&self.client, bucket, flags).await
    }
}
