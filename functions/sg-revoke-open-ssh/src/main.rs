//! Lambda entry point of `sg-revoke-open-ssh`: wiring only.
//!
//! Initialises tracing (Lambda's log format and level settings apply), reads
//! the configuration, builds the EC2 client once (the STS, SNS and Security
//! Hub clients are built on first use), and runs the handler.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use remediation_shared::sdk::{CallerIdentity, SecurityHubFindings, SnsTopic};
use remediation_shared::{handle_with, Config, Payload, StdoutSink};
use sg_revoke_open_ssh::aws::Ec2Adapter;
use sg_revoke_open_ssh::RevokeOpenSsh;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = Config::from_env()?;
    let sdk = remediation_shared::sdk::load().await;
    let remediator = RevokeOpenSsh(Ec2Adapter::new(aws_sdk_ec2::Client::new(&sdk)));
    let identity = CallerIdentity::new(&sdk);
    let topic = SnsTopic::from_env(&sdk);
    let findings = SecurityHubFindings::new(&sdk);
    let (config, remediator, identity, topic, findings) =
        (&config, &remediator, &identity, &topic, &findings);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Payload>| async move {
        handle_with(
            remediator,
            config,
            &StdoutSink,
            event,
            identity,
            topic,
            findings,
        )
        .await
    }))
    .await
}
