//! Lambda entry point of `iam-detach-admin-policy`: wiring only.
//!
//! Initialises tracing (Lambda's log format and level settings apply), reads
//! the configuration (and the protection list, `PROTECTED_ROLES`), builds the
//! IAM and Config clients once (the STS, SNS and Security Hub clients are
//! built on first use), and runs the handler.

// Two SDK clients plus the runtime nest futures deeper than rustc's default
// limit allows when it computes the layout of `main`'s future.
#![recursion_limit = "256"]

use iam_detach_admin_policy::aws::IamAdapter;
use iam_detach_admin_policy::plan::Protections;
use iam_detach_admin_policy::DetachAdminPolicy;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use remediation_shared::sdk::{CallerIdentity, SecurityHubFindings, SnsTopic};
use remediation_shared::{handle_with, Config, Payload, StdoutSink};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = Config::from_env()?;
    let sdk = remediation_shared::sdk::load().await;
    let adapter = IamAdapter::new(
        aws_sdk_iam::Client::new(&sdk),
        aws_sdk_config::Client::new(&sdk),
    );
    let protections = Protections::from_setting(std::env::var("PROTECTED_ROLES").ok().as_deref())?;
    let remediator = DetachAdminPolicy::new(adapter).protecting(protections);
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
