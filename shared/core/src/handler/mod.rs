//! The invocation driver shared by every function: event in, one audit record
//! per resource out, a JSON summary or an error back to Lambda.
//!
//! Owns the order of work (normalise, scope-check, examine each target, dry
//! run or apply, record) and the rules common to all functions: malformed
//! input is an error with a record; out-of-scope input is a successful skip; a
//! target in another account or region than the function is touched only
//! through hub mode's [`Reach`](crate::hub::Reach) (skipped without it); dry
//! run is decided here, once, for every function; the invocation's deadline is
//! handed down to every AWS call ([`crate::deadline`]), and a target is not
//! started, but recorded as failed, when only the time to record it is left; any
//! `failed` outcome makes the invocation fail so Lambda retries it. It must not
//! know how a resource is read or changed: that is each function's
//! [`Remediator`], and which events it answers is its [`Scope`].
//!
//! # Layout
//! - this file: the [`Remediator`] trait each function implements, and the [`Summary`] it returns.
//! - where the function runs, and where a target is: [`crate::home`].
//! - `invoke`: one invocation of a finding's event.
//! - `target`: acting on one target (deadline, dry run, panics).
//! - `scheduled`: the scheduled sweep of one place.
//! - `fanout`: the organisation's sweep: its places queued, each message's place swept.
//! - `record`: building and writing records and their side channels.

mod fanout;
mod invoke;
mod person;
mod record;
mod scheduled;
mod target;

pub use crate::home::{ArnOnly, Home, Locate};
pub use invoke::{handle, handle_with, Around, Invocation};
pub use person::{apply_proposed, plan_place, Proposed};
pub use target::{Approved, DIVERGED};

use std::collections::BTreeMap;
use std::future::Future;

use serde::Serialize;

use crate::audit::Outcome;
use crate::config::Config;
use crate::finding::Target;
use crate::report::{Examined, Report};
use crate::scope::Scope;
use crate::sweep::Survey;

/// A target of the function whose remediator is `R`.
pub type TargetOf<R> = Target<<<R as Remediator>::Scope as Scope>::Resource>;

/// One function's way of examining and fixing a target.
pub trait Remediator: Send + Sync {
    /// Which events it answers and what it acts on.
    type Scope: Scope;
    /// What its apply step needs, decided by examining the target.
    type Work: Send;

    /// Reads the target's live state and decides: settled (nothing to write)
    /// or a proposal. Never writes. Never panics on purpose; if it does, the
    /// driver records a failure.
    fn examine(
        &self,
        target: &TargetOf<Self>,
        config: &Config,
    ) -> impl Future<Output = Examined<Self::Work>> + Send;

    /// Every resource of its kind in `home` (its account and region; its
    /// account alone for a global service), read the cheapest complete way,
    /// with those that may be wrong as suspects: the scheduled sweep then
    /// examines each suspect as it would a finding's target. Never writes.
    fn survey(
        &self,
        home: &Home,
    ) -> impl Future<Output = Survey<<Self::Scope as Scope>::Resource>> + Send;

    /// Before the sweep examines a batch of its suspects (at most
    /// [`crate::sweep::BATCH`]): a chance to re-read their live state in a
    /// few calls, which `examine` then uses, once, in place of its own reads.
    /// Never writes; a read that fails only leaves `examine` to read for
    /// itself. By default nothing.
    fn prefetch(
        &self,
        suspects: &[<Self::Scope as Scope>::Resource],
    ) -> impl Future<Output = ()> + Send {
        let _ = suspects;
        async {}
    }

    /// Makes the proposed write and settles its result into a report. Called
    /// only when not in dry run.
    fn apply(
        &self,
        target: &TargetOf<Self>,
        proposal: crate::report::Proposal<Self::Work>,
    ) -> impl Future<Output = Report> + Send;
}

/// The JSON summary returned to the caller.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Summary {
    /// The function name.
    pub function: &'static str,
    /// The event id.
    pub event_id: String,
    /// Whether the function ran in dry-run mode.
    pub dry_run: bool,
    /// Its mode: `auto`, `propose` or `dry-run`.
    pub mode: &'static str,
    /// How many resources ended with each outcome.
    pub counts: BTreeMap<&'static str, usize>,
    /// One line per record written.
    pub results: Vec<SummaryLine>,
    /// How many places a scheduled event queued (an organisation's sweep).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queued: Option<usize>,
    /// The queue's messages to deliver again, when the event came from a
    /// queue (Lambda's `ReportBatchItemFailures`).
    #[serde(rename = "batchItemFailures", skip_serializing_if = "Option::is_none")]
    pub batch_item_failures: Option<Vec<crate::fanout::BatchItemFailure>>,
}

/// One result line of a [`Summary`].
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SummaryLine {
    /// The resource, when known.
    pub resource: Option<String>,
    /// The outcome.
    pub outcome: Outcome,
    /// The reason.
    pub reason: String,
}
