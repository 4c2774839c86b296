//! The S3 calls both S3 functions make the same way: the client (path-style
//! against an emulator) and reading and writing Block Public Access settings
//! of a bucket (S3) or of the account (S3 Control);
//! and the port of their undo ([`Restorer`]), which no function's role may
//! call: only `remediation-undo`, run by a person, does.
//!
//! Normalises errors once: a missing configuration reads as none,
//! `NoSuchBucket` as not found. It must not decide anything.

use aws_sdk_s3::Client;
use remediation_runtime::deadline;
use remediation_runtime::restore::FromSdk;
use remediation_runtime::sdk::SdkConfig;
use remediation_runtime::Classify;
use remediation_shared::restore::{Exemption, RestorePort};
use remediation_shared::{AwsError, Permission};

/// What an undo of a bucket's fix calls (`remediation undo`, by a person):
/// read and put back its Block Public Access (a delete needs the put
/// permission), read and write its tags.
pub const BUCKET_UNDO_PERMISSIONS: &[Permission] = &[
    Permission::on("s3:GetBucketPublicAccessBlock", BUCKETS).when("s3:ResourceAccount"),
    Permission::on("s3:PutBucketPublicAccessBlock", BUCKETS).when("s3:ResourceAccount"),
    Permission::on("s3:GetBucketTagging", BUCKETS).when("s3:ResourceAccount"),
    Permission::on("s3:PutBucketTagging", BUCKETS).when("s3:ResourceAccount"),
];

/// What an undo of an account's fix calls: its Block Public Access, read
/// and put back (a delete needs the put permission); an account has no tags.
pub const ACCOUNT_UNDO_PERMISSIONS: &[Permission] = &[
    Permission::on("s3:GetAccountPublicAccessBlock", "*"),
    Permission::on("s3:PutAccountPublicAccessBlock", "*"),
];

/// Every bucket; the `s3:ResourceAccount` condition keeps it to the account acted in.
const BUCKETS: &str = "arn:${AWS::Partition}:s3:::*";

use crate::flags::PublicAccessFlags;
use crate::restore::{AccountRestore, BucketRestore, Live};

/// The S3 client for `sdk`: path-style addressing when a custom endpoint (a
/// local emulator) is set, as it cannot serve virtual-hosted bucket names.
pub fn client(sdk: &SdkConfig) -> Client {
    let custom_endpoint = std::env::var_os("AWS_ENDPOINT_URL_S3").is_some()
        || std::env::var_os("AWS_ENDPOINT_URL").is_some();
    let config = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(custom_endpoint)
        .build();
    Client::from_conf(config)
}

/// A bucket that does not exist (or no longer does).
pub fn not_found_if_no_bucket(err: AwsError) -> AwsError {
    err.not_found_if(&["NoSuchBucket"])
}

/// The bucket's settings (`GetPublicAccessBlock`); `None` when it has no
/// configuration.
pub async fn bucket_settings(
    client: &Client,
    bucket: &str,
) -> Result<Option<PublicAccessFlags>, AwsError> {
    let call = client.get_public_access_block().bucket(bucket).send();
    match deadline::call("GetPublicAccessBlock", call).await {
        Ok(out) => Ok(out
            .public_access_block_configuration()
            .map(|c| PublicAccessFlags {
                block_public_acls: c.block_public_acls().unwrap_or(false),
                ignore_public_acls: c.ignore_public_acls().unwrap_or(false),
                block_public_policy: c.block_public_policy().unwrap_or(false),
                restrict_public_buckets: c.restrict_public_buckets().unwrap_or(false),
            })),
        Err(err) if err.code == "NoSuchPublicAccessBlockConfiguration" => Ok(None),
        Err(err) => Err(not_found_if_no_bucket(err)),
    }
}

/// Writes the bucket's settings (`PutPublicAccessBlock`).
pub async fn put_bucket_settings(
    client: &Client,
    bucket: &str,
    flags: PublicAccessFlags,
) -> Result<(), AwsError> {
    let config = aws_sdk_s3::types::PublicAccessBlockConfiguration::builder()
        .block_public_acls(flags.block_public_acls)
        .ignore_public_acls(flags.ignore_public_acls)
        .block_public_policy(flags.block_public_policy)
        .restrict_public_buckets(flags.restrict_public_buckets)
        .build();
    let call = client
        .put_public_access_block()
        .bucket(bucket)
        .public_access_block_configuration(config)
        .send();
    deadline::call("PutPublicAccessBlock", call)
        .await
        .map(|_| ())
        .map_err(not_found_if_no_bucket)
}

/// The account's settings (S3 Control `GetPublicAccessBlock`); `None` when
/// it has no configuration.
pub async fn account_settings(
    control: &aws_sdk_s3control::Client,
    account: &str,
) -> Result<Option<PublicAccessFlags>, AwsError> {
    let call = control.get_public_access_block().account_id(account).send();
    match deadline::call("GetPublicAccessBlock", call).await {
        Ok(out) => Ok(out.public_access_block_configuration().map(|c| {
            let on = |setting: Option<bool>| setting.unwrap_or(false);
            PublicAccessFlags {
                block_public_acls: on(c.block_public_acls()),
                ignore_public_acls: on(c.ignore_public_acls()),
                block_public_policy: on(c.block_public_policy()),
                restrict_public_buckets: on(c.restrict_public_buckets()),
            }
        })),
        Err(err) if err.code == "NoSuchPublicAccessBlockConfiguration" => Ok(None),
        Err(err) => Err(err),
    }
}

/// Writes the account's settings (S3 Control `PutPublicAccessBlock`).
pub async fn put_account_settings(
    control: &aws_sdk_s3control::Client,
    account: &str,
    flags: PublicAccessFlags,
) -> Result<(), AwsError> {
    let config = aws_sdk_s3control::types::PublicAccessBlockConfiguration::builder()
        .block_public_acls(flags.block_public_acls)
        .ignore_public_acls(flags.ignore_public_acls)
        .block_public_policy(flags.block_public_policy)
        .restrict_public_buckets(flags.restrict_public_buckets)
        .build();
    let call = control
        .put_public_access_block()
        .account_id(account)
        .public_access_block_configuration(config)
        .send();
    deadline::call("PutPublicAccessBlock", call)
        .await
        .map(|_| ())
}

/// The S3 calls of an undo: Block Public Access settings of a bucket (S3)
/// or of the account (S3 Control), and a bucket's tags.
#[derive(Debug, Clone)]
pub struct Restorer {
    s3: Client,
    s3control: aws_sdk_s3control::Client,
}

impl FromSdk for Restorer {
    fn from_sdk(sdk: &SdkConfig) -> Self {
        Restorer {
            s3: client(sdk),
            s3control: aws_sdk_s3control::Client::new(sdk),
        }
    }
}

fn put_error(operation: &'static str, e: impl std::fmt::Display) -> AwsError {
    AwsError::classify(operation, "InvalidTag", &e.to_string(), None)
}

impl RestorePort<BucketRestore> for Restorer {
    async fn read(&self, restore: &BucketRestore) -> Result<Live, AwsError> {
        bucket_settings(&self.s3, &restore.of.0).await
    }

    async fn write(&self, restore: &BucketRestore) -> Result<(), AwsError> {
        let bucket = &restore.of.0;
        match restore.before {
            Some(flags) => put_bucket_settings(&self.s3, bucket, flags).await,
            None => {
                let delete = self.s3.delete_public_access_block().bucket(bucket).send();
                deadline::call("DeletePublicAccessBlock", delete)
                    .await
                    .map(|_| ())
            }
        }
    }

    async fn exempt(&self, restore: &BucketRestore, tags: Exemption<'_>) -> Result<bool, AwsError> {
        let bucket = &restore.of.0;
        let current = deadline::call(
            "GetBucketTagging",
            self.s3.get_bucket_tagging().bucket(bucket).send(),
        )
        .await;
        let mut kept: Vec<(String, String)> = match current {
            Ok(t) => t
                .tag_set()
                .iter()
                .map(|t| (t.key().to_owned(), t.value().to_owned()))
                .collect(),
            Err(e) if e.code == "NoSuchTagSet" => Vec::new(),
            Err(e) => return Err(e),
        };
        kept.retain(|(k, _)| k != tags.key && k != tags.reason_key);
        kept.push((tags.key.to_owned(), "true".to_owned()));
        kept.push((tags.reason_key.to_owned(), tags.reason.to_owned()));
        let set = kept
            .iter()
            .map(|(k, v)| aws_sdk_s3::types::Tag::builder().key(k).value(v).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| put_error("PutBucketTagging", e))?;
        let tagging = aws_sdk_s3::types::Tagging::builder()
            .set_tag_set(Some(set))
            .build()
            .map_err(|e| put_error("PutBucketTagging", e))?;
        let put = self
            .s3
            .put_bucket_tagging()
            .bucket(bucket)
            .tagging(tagging)
            .send();
        deadline::call("PutBucketTagging", put).await.map(|_| true)
    }
}

impl RestorePort<AccountRestore> for Restorer {
    async fn read(&self, restore: &AccountRestore) -> Result<Live, AwsError> {
        account_settings(&self.s3control, &restore.of.0).await
    }

    async fn write(&self, restore: &AccountRestore) -> Result<(), AwsError> {
        let account = &restore.of.0;
        match restore.before {
            Some(flags) => put_account_settings(&self.s3control, account, flags).await,
            None => {
                let delete = self
                    .s3control
                    .delete_public_access_block()
                    .account_id(account);
                deadline::call("DeletePublicAccessBlock", delete.send())
                    .await
                    .map(|_| ())
            }
        }
    }

    /// An account has no tags: nothing written.
    async fn exempt(&self, _: &AccountRestore, _: Exemption<'_>) -> Result<bool, AwsError> {
        Ok(false)
    }
}
