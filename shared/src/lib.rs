//! The common crate of the remediation functions: it turns incoming EventBridge
//! events into validated findings, drives each invocation, and writes the one
//! audit log that all three functions share.
//!
//! # Layout
//! - [`event`]: raw AWS shapes of the envelope and each trigger's detail (parse, low level).
//! - [`finding`]: validated findings for one remediation: targets and skips (parse, high level).
//! - [`resource`]: validated identifiers (bucket, group, role, partition, ARN).
//! - [`handler`]: the invocation driver and the [`Remediator`] trait each function implements.
//! - [`audit`]: the audit record schema and its sinks.
//! - [`config`]: dry run and the exemption tag, from the environment.
//! - [`error`]: malformed input, normalised AWS errors, the handler's error.
//! - [`permission`]: the IAM permissions each function declares next to its SDK calls.
//! - [`sdk`]: the SDK configuration the functions start from (HTTPS client, trust roots).
//!
//! Nothing in this crate calls AWS: the functions' adapters do.

pub mod audit;
pub mod config;
pub mod error;
pub mod event;
pub mod finding;
pub mod handler;
pub mod permission;
pub mod resource;
#[cfg(feature = "sdk")]
pub mod sdk;

pub use audit::{
    AuditSink, Change, Outcome, PublicAccessFlags, RecordingSink, RuleRecord, State, StdoutSink,
};
pub use config::Config;
pub use error::{AwsError, AwsErrorKind, FindingError, HandlerError};
pub use event::Payload;
pub use finding::{Remediation, Resource, RoleRef, Target};
pub use handler::{handle, Remediator, Report, Summary};
pub use permission::Permission;
