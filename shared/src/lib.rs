//! The framework of the remediation functions: it turns incoming EventBridge
//! events into validated findings through each function's [`Scope`], drives
//! each invocation (dry run decided once, for every function), and writes the
//! one audit log that every function shares. It names no function: each
//! function's folder holds its own rules.
//!
//! # Layout
//! - [`event`]: raw AWS shapes of the envelope and each trigger's detail (parse, low level).
//! - [`scope`]: the [`Scope`] trait each function implements: what it answers.
//! - [`finding`]: validated findings for one function: targets and skips (parse, high level).
//! - [`resource`]: validated identifiers (bucket, group, role, partition, ARN).
//! - [`handler`]: the invocation driver and the [`Remediator`] trait each function implements.
//! - [`deadline`]: the invocation's deadline, handed down to every AWS call.
//! - [`report`]: what a function says about a target: a settled report or a proposal.
//! - [`audit`]: the audit record schema and its sinks.
//! - [`config`]: dry run and the exemption tag, from the environment.
//! - [`control`]: what called for examining a target, and whether its whole check holds after.
//! - [`error`]: malformed input, normalised AWS errors, the handler's error.
//! - [`permission`]: the IAM permissions each function declares next to its SDK calls.
//! - [`sweep`]: the scheduled sweep's survey and summary record.
//! - [`sdk`]: the SDK configuration the functions start from (HTTPS client, trust roots).
//!
//! Nothing in this crate calls AWS: the functions' adapters do.

pub mod audit;
pub mod config;
pub mod control;
pub mod deadline;
pub mod error;
pub mod event;
pub mod finding;
pub mod handler;
pub mod home;
pub mod hub;
#[cfg(feature = "sdk")]
pub mod members;
pub mod metrics;
pub mod notify;
pub mod permission;
pub mod report;
pub mod resource;
pub mod scope;
#[cfg(feature = "sdk")]
pub mod sdk;
pub mod sweep;
pub mod text;
pub mod workflow;

pub use audit::{AuditSink, Outcome, RecordingSink, StdoutSink, Trigger};
pub use config::Config;
pub use control::{Basis, Verdict};
pub use error::{AwsError, AwsErrorKind, FindingError, HandlerError};
pub use event::Payload;
pub use finding::{Finding, Item, Skip, Target};
pub use handler::{
    handle, handle_with, ArnOnly, Around, Home, Locate, Remediator, Summary, TargetOf,
};
pub use hub::{Hub, NoHub, Reach, Reached};
pub use notify::{Notify, Silent};
pub use permission::Permission;
pub use report::{Decision, Examined, OrSettle, Proposal, Report};
pub use resource::Resource;
pub use scope::{Reading, Scope};
pub use sweep::Survey;
pub use workflow::{LeaveFindings, UpdateFindings};

/// A function's `main.rs` in one line: `lambda_main!(Config::from_env, |sdk|
/// Ok(TheRemediator(Adapter::from_sdk(sdk))))` defines `main` as
/// [`sdk::main`] with the configuration reader and the remediator builder given.
#[macro_export]
macro_rules! lambda_main {
    ($config:expr, $build:expr $(,)?) => {
        fn main() -> ::core::result::Result<(), $crate::sdk::Error> {
            $crate::sdk::main($config, $build)
        }
    };
}
