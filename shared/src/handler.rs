//! The invocation driver shared by every function: event in, one audit record
//! per resource out, a JSON summary or an error back to Lambda.
//!
//! Owns the order of work (normalise, scope-check, examine each target, dry
//! run or apply, record) and the rules common to all functions: malformed
//! input is an error with a record; out-of-scope input is a successful skip; a
//! target in another account or region than the function is never touched; dry
//! run is decided here, once, for every function; the invocation's deadline is
//! handed down to every AWS call ([`crate::deadline`]), and a target is not
//! started, but recorded as failed, when only the time to record it is left; any
//! `failed` outcome makes the invocation fail so Lambda retries it. It must not
//! know how a resource is read or changed: that is each function's
//! [`Remediator`], and which events it answers is its [`Scope`].

use std::collections::BTreeMap;
use std::future::Future;
use std::ops::ControlFlow;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::time::{Duration, Instant, SystemTime};

use futures_util::FutureExt;
use lambda_runtime::LambdaEvent;
use serde::Serialize;
use serde_json::Value;

use crate::audit::{
    clip, now_rfc3339, AuditRecord, AuditSink, Outcome, Trigger, MAX_ARN_CHARS, MAX_ID_CHARS,
    MAX_REASON_CHARS, RECORD_TYPE, SCHEMA_VERSION,
};
use crate::config::Config;
use crate::deadline;
use crate::error::{AwsError, FindingError, HandlerError};
use crate::event::Payload;
use crate::finding::{self, Item, Target};
use crate::metrics;
use crate::notify::{self, Delivery, Notify, Silent};
use crate::report::{Examined, Report};
use crate::resource::{Arn, Partition, Resource};
use crate::scope::Scope;
use crate::workflow::{self, LeaveFindings, UpdateFindings};

/// A target of the function whose remediator is `R`.
pub type TargetOf<R> = Target<<<R as Remediator>::Scope as Scope>::Resource>;

/// One function's way of examining and fixing a target.
pub trait Remediator: Sync {
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
    /// How many resources ended with each outcome.
    pub counts: BTreeMap<&'static str, usize>,
    /// One line per record written.
    pub results: Vec<SummaryLine>,
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

/// Where a function runs: the only account and region it acts in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Home {
    /// The account.
    pub account: String,
    /// The region.
    pub region: String,
}

/// Where a function runs when its invoked ARN does not say: a local
/// emulator (`cargo lambda watch` sends `function-arn`). Asked only then.
pub trait Locate: Sync {
    /// The function's account and region, or why they cannot be known.
    fn locate(&self) -> impl Future<Output = Result<Home, String>> + Send;
}

/// No other source than the invoked ARN: without it, nothing is acted on.
#[derive(Debug, Clone, Copy, Default)]
pub struct ArnOnly;

impl Locate for ArnOnly {
    async fn locate(&self) -> Result<Home, String> {
        Err("no other source of the function's account and region".into())
    }
}

impl Home {
    /// The account and region of the invoked function; an error when the
    /// ARN does not name both, so that no target is acted on without the
    /// check that it is in the function's own account and region.
    fn from_function_arn(arn: &str) -> Result<Self, String> {
        match Arn::parse("invoked_function_arn", arn) {
            Ok(a) if !a.account.is_empty() && !a.region.is_empty() => Ok(Home {
                account: a.account,
                region: a.region,
            }),
            Ok(_) => Err(format!(
                "the invoked function ARN {arn:?} names no account or region"
            )),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Why `target` is out of this function's reach, if it is.
    fn out_of_reach<R>(&self, target: &Target<R>) -> Option<String> {
        if let Some(theirs) = target.account.as_ref().filter(|a| **a != self.account) {
            return Some(format!(
                "resource is in account {theirs}; this function acts only in its own account {}",
                self.account
            ));
        }
        if let Some(theirs) = target.region.as_ref().filter(|r| **r != self.region) {
            return Some(format!(
                "resource is in region {theirs}; this function acts only in its own region {}",
                self.region
            ));
        }
        None
    }
}

/// Handles one invocation: writes one audit record per item to `sink` and
/// returns the summary, or an error when the event is malformed or any
/// resource failed. The function's account and region come from its invoked
/// ARN only.
pub async fn handle<R: Remediator, S: AuditSink + ?Sized, P: Into<Payload>>(
    remediator: &R,
    config: &Config,
    sink: &S,
    event: LambdaEvent<P>,
) -> Result<Summary, HandlerError> {
    handle_with(
        remediator,
        config,
        sink,
        event,
        &ArnOnly,
        &Silent,
        &LeaveFindings,
    )
    .await
}

/// [`handle`], asking `locate` where the function runs when its invoked ARN
/// does not say (if neither can tell, no target is acted on), updating the
/// Security Hub finding each target came from through `findings` ([`workflow::update_for`]) and telling a person
/// through `notify` of each record that calls for one
/// ([`notify::worth_telling`]). Either side channel failing is recorded in
/// the record (`finding_update`, `notification`) and never fails the
/// invocation.
pub async fn handle_with<R, S, P, L, N, U>(
    remediator: &R,
    config: &Config,
    sink: &S,
    event: LambdaEvent<P>,
    locate: &L,
    notify: &N,
    findings: &U,
) -> Result<Summary, HandlerError>
where
    R: Remediator,
    S: AuditSink + ?Sized,
    P: Into<Payload>,
    L: Locate,
    N: Notify,
    U: UpdateFindings,
{
    let function = <R::Scope as Scope>::FUNCTION;
    let home = match Home::from_function_arn(&event.context.invoked_function_arn) {
        Ok(home) => Ok(home),
        Err(why) => {
            // Boxed, as a target's work is below: an SDK call nests deeply.
            let located: Pin<Box<dyn Future<Output = Result<Home, String>> + Send + '_>> =
                Box::pin(locate.locate());
            located.await.map_err(|also| format!("{why}; {also}"))
        }
    };
    let request_id = event.context.request_id.clone();
    // Lambda's deadline for this invocation, handed down to every AWS call.
    let deadline = deadline::from_header(event.context.deadline, SystemTime::now());
    let (raw_trigger, normalized) = match event.payload.into() {
        Payload::Json(value) => (
            trigger_of_raw(&value),
            finding::normalize::<R::Scope>(value),
        ),
        Payload::NotJson(message) => (Trigger::default(), Err(FindingError::NotJson(message))),
    };
    let record = |trigger: Trigger,
                  account: Option<String>,
                  region: Option<String>,
                  resource: Option<String>,
                  report: &Report| {
        AuditRecord {
            record_type: RECORD_TYPE,
            schema_version: SCHEMA_VERSION,
            timestamp: now_rfc3339(),
            function: function.to_owned(),
            request_id: request_id.clone(),
            trigger: trigger.clipped(),
            account: account.map(|a| clip(&a, MAX_ID_CHARS)),
            region: region.map(|r| clip(&r, MAX_ID_CHARS)),
            // Reason and resource arrive clipped (below): clipping twice would
            // miscount what was cut.
            resource,
            action: <R::Scope as Scope>::ACTION,
            outcome: report.outcome,
            reason: report.reason.clone(),
            before: report.before.clone(),
            after: report.after.clone(),
            changes: report.changes.clone(),
            dry_run: config.dry_run,
            error_code: report.error_code.clone(),
            notification: None,
            finding_update: None,
        }
    };
    let write = |audit: &AuditRecord, observed_at: Option<SystemTime>| {
        sink.write(audit);
        // Time to remediate: only a confirmed fix has one.
        let now = SystemTime::now();
        let fixed = (audit.outcome == Outcome::Remediated)
            .then(|| metrics::time_to_remediate(observed_at, now))
            .flatten();
        sink.metrics(&metrics::document(audit, fixed, now));
    };

    let finding = match normalized {
        Ok(f) => f,
        Err(err) => {
            let report = Report::failure(
                "Finding.Malformed",
                "Finding.Malformed",
                clip(&format!("malformed event: {err}"), MAX_REASON_CHARS),
            );
            tracing::error!(error = %err, "malformed event");
            write(&record(raw_trigger, None, None, None, &report), None);
            return Err(HandlerError::Malformed(err));
        }
    };

    let mut summary = Summary {
        function,
        event_id: finding.trigger.event_id.clone(),
        dry_run: config.dry_run,
        counts: BTreeMap::new(),
        results: Vec::new(),
    };
    let mut first_failure: Option<Report> = None;
    let total = finding.items.len();
    for item in &finding.items {
        let (trigger, account, region, resource, report, observed_at, console, hub_finding) =
            match item {
                Item::Skip(skip) => (
                    finding.trigger.for_finding(skip.finding_id.clone()),
                    finding.account.clone(),
                    finding.region.clone(),
                    skip.resource.clone(),
                    Report::new(Outcome::Skipped, skip.reason.clone()),
                    None,
                    None,
                    None,
                ),
                Item::Target(target) => {
                    let reach = home.as_ref().map(|h| h.out_of_reach(target));
                    let report = match reach {
                    Err(why) => Report::failure(
                        "InvokedArnUnreadable",
                        "Remediation.InvokedArnUnreadable",
                        format!("not attempted: the function cannot tell its own account and region: {why}"),
                    ),
                    Ok(Some(reason)) => Report::new(Outcome::Skipped, reason),
                    Ok(None) => match too_close_to(deadline) {
                        Some(left) => Report::deadline_near(left, deadline::RECORD_RESERVE),
                        None => {
                            // Boxed: the futures of a function's calls nest deeply, and
                            // a box keeps them out of the layout of every caller's future.
                            let work: Pin<Box<dyn Future<Output = Report> + Send + '_>> =
                                Box::pin(deadline::scoped(
                                    deadline,
                                    run_guarded(remediator, target, config),
                                ));
                            work.await
                        }
                    },
                };
                    (
                        finding.trigger.for_finding(target.finding_id.clone()),
                        target.account.clone(),
                        target.region.clone(),
                        Some(report.resource.clone().unwrap_or_else(|| target.arn())),
                        report,
                        target.observed_at,
                        notify.enabled().then(|| console_url(target)).flatten(),
                        target.hub_finding.clone(),
                    )
                }
            };
        // Reasons and resources quote the event: clipped once, for the log,
        // the record and the summary alike.
        let resource = resource.map(|r| clip(&r, MAX_ARN_CHARS));
        let report = Report {
            reason: clip(&report.reason, MAX_REASON_CHARS),
            ..report
        };
        tracing::info!(resource = resource.as_deref().unwrap_or("-"), outcome = report.outcome.as_str(), reason = %report.reason);
        let mut audit = record(trigger, account, region, resource.clone(), &report);
        let update = hub_finding
            .filter(|_| findings.enabled())
            .and_then(|f| Some((workflow::update_for(&audit, report.withheld)?, f)));
        if let Some((update, finding)) = update {
            let call = findings.update(&finding, &update, function);
            audit.finding_update =
                Some(deliver(deadline, "update the Security Hub finding", call).await);
        }
        if notify.enabled() && notify::worth_telling(report.outcome, report.withheld) {
            let message = notify::message(
                &audit,
                <R::Scope as Scope>::WORDING,
                console.as_deref(),
                &config.exempt_tag_key,
            );
            let call = notify.publish(&message);
            audit.notification = Some(deliver(deadline, "publish the notification", call).await);
        }
        write(&audit, observed_at);
        *summary.counts.entry(report.outcome.as_str()).or_default() += 1;
        summary.results.push(SummaryLine {
            resource,
            outcome: report.outcome,
            reason: report.reason.clone(),
        });
        if report.outcome == Outcome::Failed && first_failure.is_none() {
            first_failure = Some(report);
        }
    }

    match first_failure {
        None => Ok(summary),
        Some(first) => Err(HandlerError::Remediation {
            failed: summary.counts.get("failed").copied().unwrap_or(1),
            total,
            error_type: first.error_type.unwrap_or("Remediation.Failed"),
            first_code: first.error_code.unwrap_or_else(|| "Unknown".into()),
            first_reason: first.reason,
        }),
    }
}

/// Runs one side channel's call under the invocation's deadline (its AWS
/// calls go through [`deadline::call`], which keeps the time to record) and
/// says how it went; a failure is logged and recorded, never raised.
async fn deliver(
    deadline: Option<Instant>,
    what: &str,
    call: impl Future<Output = Result<(), AwsError>> + Send,
) -> Delivery {
    // Boxed, as a target's work is: an SDK call nests deeply.
    let call: Pin<Box<dyn Future<Output = Result<(), AwsError>> + Send + '_>> =
        Box::pin(deadline::scoped(deadline, call));
    match call.await {
        Ok(()) => Delivery::sent(),
        Err(e) => {
            tracing::warn!(error = %e, "could not {what}");
            Delivery::failed(&e)
        }
    }
}

/// The console page of a target's resource, in the commercial partition.
fn console_url<R: Resource>(target: &Target<R>) -> Option<String> {
    (target.partition == Partition::aws())
        .then(|| {
            target
                .resource
                .console_url(target.region.as_deref().unwrap_or("us-east-1"))
        })
        .flatten()
}

/// The time left before `deadline` when it is no more than what writing the
/// record needs: a target is not started then.
fn too_close_to(deadline: Option<Instant>) -> Option<Duration> {
    let left = deadline?.saturating_duration_since(Instant::now());
    (left <= deadline::RECORD_RESERVE).then_some(left)
}

/// Examines one target and, unless in dry run, applies what it proposes,
/// turning a panic into a `failed` report so that the record is still written
/// and the other targets still run.
async fn run_guarded<R: Remediator>(
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

/// Whatever trigger fields a malformed event still has, for its record.
fn trigger_of_raw(value: &Value) -> Trigger {
    // Clipped with the record's other trigger fields, once.
    let field = |k: &str| {
        value
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    Trigger {
        source: field("source"),
        detail_type: field("detail-type"),
        event_id: field("id"),
        finding_id: None,
        name: None,
    }
}
