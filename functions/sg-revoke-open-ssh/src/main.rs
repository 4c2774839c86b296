//! Lambda entry point of `sg-revoke-open-ssh`: wiring only.
//!
//! Initialises tracing (Lambda's log format and level settings apply), reads
//! the configuration, builds the EC2 client once (the STS, SNS and Security
//! Hub clients are built on first use), and runs the handler.

use lambda_runtime::Error;
use remediation_shared::Config;
use sg_revoke_open_ssh::aws::Ec2Adapter;
use sg_revoke_open_ssh::RevokeOpenSsh;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = Config::from_env()?;
    let sdk = remediation_shared::sdk::load().await;
    let remediator = RevokeOpenSsh(Ec2Adapter::new(aws_sdk_ec2::Client::new(&sdk)));
    remediation_shared::sdk::run(remediator, config, &sdk).await
}
