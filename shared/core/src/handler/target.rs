//! Acting on one target: within the invocation's deadline, not started when
//! only the time to record it is left, and a panic in a function's code
//! turned into a `failed` report so the record is still written.
//!
//! The mode is applied here, once, for every function: a proposal is
//! applied, proposed or only described as [`Mode::decide`] says for the
//! asker, and an approved proposal is applied only while the live state is
//! what it saw ([`Approved`]).

use std::future::Future;
use std::ops::ControlFlow;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::time::{Duration, Instant};

use futures_util::FutureExt;

use super::invoke::Here;
use super::Remediator;
use super::TargetOf;
use crate::config::{Act, Asker, Config};
use crate::deadline;
use crate::report::{Proposal, Report};
use serde_json::Value;

/// [`run_guarded`] within the invocation's deadline, unless only the time to
/// record it is left.
pub(super) async fn run_within<R: Remediator>(
    remediator: &R,
    target: &TargetOf<R>,
    here: Here<'_>,
) -> Report {
    if let Some(left) = too_close_to(here.deadline) {
        return Report::deadline_near(left, deadline::RECORD_RESERVE);
    }
    // Boxed: the futures of a function's calls nest deeply, and a box keeps
    // them out of the layout of every caller's future.
    let work: Pin<Box<dyn Future<Output = Report> + Send + '_>> = Box::pin(deadline::scoped(
        here.deadline,
        run_guarded(remediator, target, here.config, Ask::by(here.asker)),
    ));
    work.await
}

/// The time left before `deadline` when it is no more than what writing the
/// record needs: a target is not started then.
pub(super) fn too_close_to(deadline: Option<Instant>) -> Option<Duration> {
    let left = deadline?.saturating_duration_since(Instant::now());
    (left <= deadline::RECORD_RESERVE).then_some(left)
}

/// A proposal a person approved (`remediation apply`): the state it saw
/// and the changes it named.
#[derive(Debug, Clone, PartialEq)]
pub struct Approved {
    /// The resource's state when it was proposed (the record's `before`).
    pub before: Value,
    /// The changes proposed (the record's `changes`).
    pub changes: Vec<Value>,
    /// Apply to the live state even where it differs (`--force`).
    pub force: bool,
}

/// The error code of an approved proposal refused because the live state
/// changed since.
pub const DIVERGED: &str = "Apply.Diverged";

impl Approved {
    /// The refusal of `proposal` (read now) when it is not the one approved:
    /// another state before, or other changes; none when it is, or forced.
    pub fn refuses<W>(&self, proposal: &Proposal<W>) -> Option<Report> {
        if self.force {
            return None;
        }
        let mut differs = Vec::new();
        if proposal.before != self.before {
            differs.push(format!(
                "the resource was {} when proposed and is {} now",
                self.before, proposal.before
            ));
        }
        if proposal.changes != self.changes {
            differs.push(format!(
                "the proposal was {} and would now be {}",
                Value::from(self.changes.clone()),
                Value::from(proposal.changes.clone())
            ));
        }
        if differs.is_empty() {
            return None;
        }
        let reason = format!(
            "refused: the live state is not what was approved: {}; nothing was changed \
             (plan again, or apply with --force to make the change the live state calls for now)",
            differs.join("; ")
        );
        Some(Report {
            error_code: Some(DIVERGED.to_owned()),
            ..proposal.unwritten(crate::audit::Outcome::Skipped, reason)
        })
    }
}

/// Who asked for a target to be examined, and what they approved, if anything.
#[derive(Debug, Clone, Copy)]
pub struct Ask<'a> {
    /// Automatic trigger or person.
    pub asker: Asker,
    /// The proposal a person approved (`remediation apply`).
    pub approved: Option<&'a Approved>,
}

impl Ask<'_> {
    /// `asker`, approving nothing in particular.
    pub fn by(asker: Asker) -> Self {
        Ask {
            asker,
            approved: None,
        }
    }
}

/// Examines one target and applies, proposes or describes the change it
/// calls for, as the mode says for `ask`, turning a panic into a `failed`
/// report so that the record is still written and the other targets still run.
pub(crate) async fn run_guarded<R: Remediator>(
    remediator: &R,
    target: &TargetOf<R>,
    config: &Config,
    ask: Ask<'_>,
) -> Report {
    let work = async {
        let proposal = match remediator.examine(target, config).await {
            ControlFlow::Break(report) => return report,
            ControlFlow::Continue(proposal) => proposal,
        };
        // An approval holds only for the state it saw, whatever the mode.
        if let Some(refused) = ask.approved.and_then(|a| a.refuses(&proposal)) {
            return refused;
        }
        match config.mode.decide(ask.asker) {
            Act::DryRun => proposal.dry_run(),
            Act::Propose => Report {
                basis: Some(target.basis.clone()),
                ..proposal.proposed()
            },
            Act::Apply => {
                let resource = proposal.resource.clone();
                remediator
                    .apply(target, proposal)
                    .await
                    .or_resource(resource)
            }
        }
    };
    match AssertUnwindSafe(work).catch_unwind().await {
        Ok(report) => report,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Report::panicked(&what)
        }
    }
}
