//! The S3 calls both S3 functions make the same way: the client (path-style
//! against an emulator) and reading a bucket's Block Public Access settings.
//!
//! Normalises errors once: a missing configuration reads as none,
//! `NoSuchBucket` as not found. It must not decide anything.

use aws_sdk_s3::Client;
use remediation_runtime::deadline;
use remediation_runtime::sdk::SdkConfig;
use remediation_shared::AwsError;

use crate::flags::PublicAccessFlags;

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
