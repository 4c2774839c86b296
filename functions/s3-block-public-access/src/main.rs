//! Lambda entry point of `s3-block-public-access`: wiring only.
//!
//! Initialises tracing (Lambda's log format and level settings apply), reads
//! the configuration, builds the S3 client once (the STS, SNS and Security
//! Hub clients are built on first use), and runs the handler.

use lambda_runtime::Error;
use remediation_shared::Config;
use s3_block_public_access::aws::S3Adapter;
use s3_block_public_access::BlockPublicAccess;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = Config::from_env()?;
    let sdk = remediation_shared::sdk::load().await;
    // A custom endpoint (a local emulator) cannot serve virtual-hosted bucket names.
    let custom_endpoint = std::env::var_os("AWS_ENDPOINT_URL_S3").is_some()
        || std::env::var_os("AWS_ENDPOINT_URL").is_some();
    let s3 = aws_sdk_s3::config::Builder::from(&sdk)
        .force_path_style(custom_endpoint)
        .build();
    let remediator = BlockPublicAccess(S3Adapter::new(aws_sdk_s3::Client::from_conf(s3)));
    remediation_shared::sdk::run(remediator, config, &sdk).await
}
