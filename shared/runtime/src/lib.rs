//! The SDK runtime of the remediation functions: everything between the pure
//! core (`remediation-shared`) and AWS that the functions share.
//!
//! # Layout
//! - this file: a function's `main` and `run` ([`lambda_main!`]), and the
//!   Lambda runtime's event and errors in the core's terms.
//! - [`sdk`]: the SDK configuration, timeouts and retries.
//! - [`https`]: the HTTPS client, its compiled-in trust roots, the request count.
//! - [`error`]: SDK errors classified into the core's `AwsError`.
//! - [`deadline`]: SDK calls and paginators under the invocation's deadline.
//! - [`channels`]: the SNS and Security Hub adapters of the side channels.
//! - [`identity`]: the account the credentials belong to (STS).
//! - [`members`]: hub mode's member roles (STS `AssumeRole`).
//! - [`fanout`]: an organisation's sweep: its places (Organizations) and queue (SQS).
//! - [`restore`]: one record's undo with its function erased (for the catalog).
//! - [`person`]: a person's plan and apply with the function erased (for the catalog).
//!
//! It must not hold a rule of what is in scope, what to change or what to
//! record: those are the core's and each function's.

pub mod channels;
pub mod deadline;
pub mod error;
pub mod fanout;
pub mod https;
pub mod identity;
pub mod members;
pub mod person;
pub mod restore;
pub mod sdk;

pub use channels::{SecurityHubFindings, SnsTopic};
pub use error::Classify;
pub use fanout::SweepQueue;
pub use identity::CallerIdentity;
pub use sdk::SdkConfig;

use lambda_runtime::{Diagnostic, LambdaEvent};
use remediation_shared::audit::StdoutSink;
use remediation_shared::config::{Config, ConfigError};
use remediation_shared::event::Payload;
use remediation_shared::hub::{Hub, NoHub, Reach};
use remediation_shared::{handle_with, Around, HandlerError, Invocation, Remediator};

use crate::members::MemberRoles;
use crate::sdk::load;

/// A function's `main.rs` in one line: `lambda_main!(Config::from_env, |sdk|
/// Ok(TheRemediator(Adapter::from_sdk(sdk))))` defines `main` as [`main`]
/// with the configuration reader and the remediator builder given.
#[macro_export]
macro_rules! lambda_main {
    ($config:expr, $build:expr $(,)?) => {
        fn main() -> ::core::result::Result<(), $crate::Error> {
            $crate::main($config, $build)
        }
    };
}

/// One Lambda event in the core's terms.
pub fn invocation<P>(event: LambdaEvent<P>) -> Invocation<P> {
    Invocation {
        payload: event.payload,
        request_id: event.context.request_id,
        invoked_function_arn: event.context.invoked_function_arn,
        deadline_ms: event.context.deadline,
    }
}

/// The error Lambda reports for a failed invocation: the handler error's
/// stable type (`Finding.Malformed`, `Aws.Throttled`, ...) and its words.
pub fn diagnostic(err: HandlerError) -> Diagnostic {
    Diagnostic {
        error_type: err.error_type().to_owned(),
        error_message: err.to_string(),
    }
}

/// The error a function's `main` ends with.
pub use lambda_runtime::Error;

/// A function's whole `main`, as [`lambda_main!`](crate::lambda_main) writes
/// it: tracing with Lambda's log format and level settings, the
/// configuration `config` reads, the SDK configuration, the remediator
/// `build` makes with it (reading its own settings; an error stops the
/// function at start, in words), then [`run`] on a single-threaded runtime:
/// a Lambda instance handles one event at a time.
pub fn main<R, F>(
    config: impl FnOnce() -> Result<Config, ConfigError>,
    build: F,
) -> Result<(), Error>
where
    R: Remediator + Send,
    F: Fn(&SdkConfig) -> Result<R, String> + Sync,
{
    lambda_runtime::tracing::init_default_subscriber();
    // Said in words (the error's Display), where Lambda's init log shows it.
    let config = config().map_err(|e| e.to_string())?;
    let hub = Hub::from_env().map_err(|e| e.to_string())?;
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(async {
            let sdk = load().await;
            let remediator = build(&sdk)?;
            let queue = SweepQueue::from_env(&sdk, hub.as_ref());
            match hub {
                None => run(remediator, config, &sdk, &NoHub, &queue).await,
                Some(hub) => {
                    let members = MemberRoles::new(hub, &sdk, build);
                    run(remediator, config, &sdk, &members, &queue).await
                }
            }
        })
}

/// Runs `remediator` as a Lambda function until Lambda stops it: each event
/// handled by `handle_with`, its audit records and metric documents on
/// stdout, its home read from the invoked ARN (else from the credentials),
/// the Security Hub findings it acts on updated, a person told through
/// the topic of `NOTIFICATION_TOPIC_ARN`, and targets in other accounts and
/// regions reached through `reach` (hub mode; [`NoHub`]: skipped), and a
/// scheduled sweep's places queued through `queue` when it has one. The STS,
/// Security Hub, SNS, SQS and Organizations clients are built on first use,
/// so none of them slows the cold start.
pub async fn run<R: Remediator, H: Reach<R>>(
    remediator: R,
    config: Config,
    sdk: &SdkConfig,
    reach: &H,
    queue: &SweepQueue,
) -> Result<(), lambda_runtime::Error> {
    let identity = CallerIdentity::new(sdk);
    let topic = SnsTopic::from_env(sdk);
    let findings = SecurityHubFindings::new(sdk);
    let around = Around {
        locate: &identity,
        notify: &topic,
        findings: &findings,
        reach,
        fanout: queue,
    };
    let (remediator, config) = (&remediator, &config);
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<Payload>| async move {
            handle_with(remediator, config, &StdoutSink, invocation(event), around)
                .await
                .map_err(diagnostic)
        },
    ))
    .await
}
