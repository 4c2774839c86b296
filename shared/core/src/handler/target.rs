//! Acting on one target: within the invocation's deadline, not started when
//! only the time to record it is left, and a panic in a function's code
//! turned into a `failed` report so the record is still written.
//!
//! Dry run is decided here, once, for every function.

use std::future::Future;
use std::ops::ControlFlow;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::time::{Duration, Instant};

use futures_util::FutureExt;

use super::invoke::Here;
use super::Remediator;
use super::TargetOf;
use crate::config::Config;
use crate::deadline;
use crate::report::Report;

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
        run_guarded(remediator, target, here.config),
    ));
    work.await
}

/// The time left before `deadline` when it is no more than what writing the
/// record needs: a target is not started then.
pub(super) fn too_close_to(deadline: Option<Instant>) -> Option<Duration> {
    let left = deadline?.saturating_duration_since(Instant::now());
    (left <= deadline::RECORD_RESERVE).then_some(left)
}

/// Examines one target and, unless in dry run, applies what it proposes,
/// turning a panic into a `failed` report so that the record is still written
/// and the other targets still run.
pub(super) async fn run_guarded<R: Remediator>(
    remediator: &R,
    target: &TargetOf<R>,
    config: &Config,
) -> Report {
    let work = async {
        match remediator.examine(target, config).await {
            ControlFlow::Break(report) => report,
            ControlFlow::Continue(proposal) if config.dry_run => proposal.dry_run(),
            ControlFlow::Continue(proposal) => {
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
