//! The pure core of the remediation functions: it turns incoming EventBridge
//! events into validated findings through each function's [`Scope`], drives
//! each invocation (dry run decided once, for every function), and builds the
//! one audit log that every function shares. It names no function (each
//! function's folder holds its own rules) and calls no AWS API: its
//! `Cargo.toml` names no AWS SDK and no HTTP crate. The SDK side (SDK
//! configuration, `main`, the SNS, Security Hub and STS adapters) is the
//! `remediation-runtime` crate; each function's own calls are its adapter.
//!
//! # Module map, in the order an event travels
//! - input: [`event`] (raw shapes of the envelope and each trigger's detail),
//!   [`finding`] (validated findings: targets and skips), [`resource`]
//!   (validated identifiers), [`arn`] (partitions and ARNs), [`home`] (where
//!   the function runs).
//! - decide: [`scope`] (the [`Scope`] each function implements: what it
//!   answers), [`control`] (the check behind a finding and whether it holds),
//!   [`report`] (what a function says of a target), [`config`] (dry run, the
//!   exemption tag), [`hub`] (which other accounts and regions are in reach).
//! - drive: [`handler`] (the invocation driver and the [`Remediator`] each
//!   function implements), [`deadline`] (the time every call may take),
//!   [`sweep`] (the scheduled sweep's survey and summary), [`fanout`] (an
//!   organisation's sweep: its places, their queue messages, the queue's port).
//! - record: [`audit`] (the record's schema and sinks), [`metrics`] (EMF).
//! - channels, as ports: [`notify`] (who is told, and in what words),
//!   [`workflow`] (Security Hub finding updates), [`permission`] (the IAM
//!   permissions each function declares next to its calls).
//! - undo: [`restore`] (what undoing a fix puts back, and its port).
//! - leaves: [`text`] (clipping), [`stamp`] (RFC 3339 time stamps).
//!
//! # Glossary
//! - *Finding*: a validated event, holding [`Target`]s (resources to examine)
//!   and [`Skip`]s (why an item is not acted on).
//! - *Report*: what a function says of one target after examining it: settled
//!   (nothing to do, exempt, failed) or a *Proposal* (the change it would make).
//! - *Decision*: the driver's choice for a proposal: apply it, or not (dry run).
//! - *Outcome*: the record's word for how a target ended (`remediated`,
//!   `already_compliant`, `skipped`, `failed`, ...).
//! - *Verdict*: whether the whole check behind the finding holds after acting.
//! - *Survey*: what a sweep found in one place; *Summary*: what an invocation
//!   returns.

pub mod arn;
pub mod audit;
pub mod config;
pub mod control;
pub mod deadline;
pub mod error;
pub mod event;
pub mod fanout;
pub mod finding;
pub mod handler;
pub mod home;
pub mod hub;
pub mod metrics;
pub mod notify;
pub mod permission;
pub mod report;
pub mod resource;
pub mod restore;
pub mod scope;
pub mod stamp;
pub mod sweep;
pub mod text;
pub mod workflow;

pub use audit::{AuditSink, Outcome, RecordingSink, StdoutSink, Trigger};
pub use config::{Act, Asker, Config, Mode};
pub use control::{Basis, Verdict};
pub use error::{AwsError, AwsErrorKind, FindingError, HandlerError};
pub use event::Payload;
pub use fanout::{FanOut, NoFanOut};
pub use finding::{Finding, Item, Skip, Target};
pub use handler::{
    apply_proposed, handle, handle_with, plan_place, Approved, ArnOnly, Around, Home, Invocation,
    Locate, Proposed, Remediator, Summary, TargetOf,
};
pub use hub::{Hub, NoHub, Reach, Reached};
pub use notify::{Notify, Silent};
pub use permission::Permission;
pub use report::{Decision, Examined, OrSettle, Proposal, Report};
pub use resource::Resource;
pub use scope::{Reading, Scope};
pub use sweep::Survey;
pub use workflow::{LeaveFindings, UpdateFindings};

/// What the unit tests of several modules share.
#[cfg(test)]
pub(crate) mod test_support {
    /// `got` is no reason when `expected` is none, else a reason holding it.
    pub(crate) fn assert_reason(name: &str, got: Option<&str>, expected: Option<&str>) {
        match expected {
            None => assert_eq!(got, None, "{name}"),
            Some(part) => assert!(got.is_some_and(|g| g.contains(part)), "{name}: {got:?}"),
        }
    }
}
