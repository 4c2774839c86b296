//! The invocation driver shared by every function: event in, one audit record
//! per resource out, a JSON summary or an error back to Lambda.
//!
//! Owns the order of work (normalise, scope-check, examine each target, dry
//! run or apply, record) and the rules common to all functions: malformed
//! input is an error with a record; out-of-scope input is a successful skip; a
//! target in another account or region than the function is touched only
//! through hub mode's [`Reach`] (skipped without it); dry
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
    MAX_REASON_CHARS, SCHEMA_VERSION,
};
use crate::config::Config;
use crate::deadline;
use crate::error::{AwsError, FindingError, HandlerError};
use crate::event::Payload;
use crate::finding::{self, Item, Target};
use crate::hub::{NoHub, Place, Reach, Reached};
use crate::metrics;
use crate::notify::{self, Delivery, Notify, Silent};
use crate::report::{Examined, Report};
use crate::resource::{Arn, Partition, Resource};
use crate::scope::Scope;
use crate::sweep::{self, Survey, SweepRecord};
use crate::workflow::{self, LeaveFindings, UpdateFindings};

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

    /// Where `target` is, when that is not here: its account and region,
    /// and why the function alone (without a hub) does not act there.
    fn away<R>(&self, target: &Target<R>) -> Option<Away> {
        let account = target
            .account
            .clone()
            .unwrap_or_else(|| self.account.clone());
        let region = target.region.clone().unwrap_or_else(|| self.region.clone());
        let reason = if account != self.account {
            format!(
                "resource is in account {account}; this function acts only in its own account {}",
                self.account
            )
        } else if region != self.region {
            format!(
                "resource is in region {region}; this function acts only in its own region {}",
                self.region
            )
        } else {
            return None;
        };
        Some(Away {
            account,
            region,
            reason,
        })
    }
}

/// A target's account and region, when either is not the function's own.
struct Away {
    account: String,
    region: String,
    /// Why it is skipped without a hub.
    reason: String,
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
    let around = Around {
        locate: &ArnOnly,
        notify: &Silent,
        findings: &LeaveFindings,
        reach: &NoHub,
    };
    handle_with(remediator, config, sink, event, around).await
}

/// What the driver works with besides the function: where it runs when the
/// invoked ARN does not say, who is told, the Security Hub findings it
/// updates, and how it reaches other accounts and regions (hub mode).
#[derive(Debug)]
pub struct Around<'a, L, N, U, H> {
    /// Where the function runs, asked when its invoked ARN does not say.
    pub locate: &'a L,
    /// Who is told of what needs a person.
    pub notify: &'a N,
    /// The findings updated after each target.
    pub findings: &'a U,
    /// Other accounts and regions ([`NoHub`]: none).
    pub reach: &'a H,
}

/// [`handle`], asking `locate` where the function runs when its invoked ARN
/// does not say (if neither can tell, no target is acted on), updating the
/// Security Hub finding each target came from through `findings` ([`workflow::update_for`]) and telling a person
/// through `notify` of each record that calls for one
/// ([`notify::worth_telling`]). Either side channel failing is recorded in
/// the record (`finding_update`, `notification`) and never fails the
/// invocation.
pub async fn handle_with<R, S, P, L, N, U, H>(
    remediator: &R,
    config: &Config,
    sink: &S,
    event: LambdaEvent<P>,
    around: Around<'_, L, N, U, H>,
) -> Result<Summary, HandlerError>
where
    R: Remediator,
    S: AuditSink + ?Sized,
    P: Into<Payload>,
    L: Locate,
    N: Notify,
    U: UpdateFindings,
    H: Reach<R>,
{
    let Around {
        locate,
        notify,
        findings,
        reach,
    } = around;
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
        Payload::Json(value) if sweep::is_schedule(&value) => {
            let at = Sweep {
                config,
                sink,
                notify,
                deadline,
                request_id: &request_id,
                trigger: schedule_trigger(&value),
            };
            return sweep_all(remediator, home, at).await;
        }
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
        audit_record::<R>(
            &request_id,
            config,
            trigger,
            account,
            region,
            resource,
            report,
        )
    };
    let write = |audit: &AuditRecord, observed_at: Option<SystemTime>| {
        write_record(sink, audit, observed_at)
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

    let mut tally = Tally::new(function, &finding.trigger.event_id, config.dry_run);
    let total = finding.items.len();
    for item in &finding.items {
        // The member role assumed (or asked for) for this item, in hub mode.
        let mut member_role = None;
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
                    let (report, role) = match &home {
                        Err(why) => (
                            Report::failure(
                                "InvokedArnUnreadable",
                                "Remediation.InvokedArnUnreadable",
                                format!("not attempted: the function cannot tell its own account and region: {why}"),
                            ),
                            None,
                        ),
                        Ok(home) => {
                            let here = Here {
                                config,
                                deadline,
                                request_id: &request_id,
                                home,
                            };
                            act(remediator, reach, here, target).await
                        }
                    };
                    member_role = role;
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
        let (resource, report) = for_record(resource, report);
        let mut audit = record(trigger, account, region, resource.clone(), &report);
        audit.member_role = member_role;
        let update = hub_finding
            .filter(|_| findings.enabled())
            .and_then(|f| Some((workflow::update_for(&audit, report.withheld)?, f)));
        if let Some((update, finding)) = update {
            let call = findings.update(&finding, &update, function);
            audit.finding_update =
                Some(deliver(deadline, "update the Security Hub finding", call).await);
        }
        tell::<R, N>(
            notify,
            config,
            deadline,
            &mut audit,
            &report,
            console.as_deref(),
        )
        .await;
        write(&audit, observed_at);
        tally.add(resource, report);
    }

    tally.result(total)
}

/// What acting on one target needs to know of the invocation.
#[derive(Clone, Copy)]
struct Here<'a> {
    config: &'a Config,
    deadline: Option<Instant>,
    request_id: &'a str,
    home: &'a Home,
}

/// Acts on one finding's target: here with `remediator`; in another account
/// or region through `reach` (hub mode), or skipped without a hub. Returns
/// the report and the member role assumed or asked for.
async fn act<R: Remediator, H: Reach<R>>(
    remediator: &R,
    reach: &H,
    here: Here<'_>,
    target: &TargetOf<R>,
) -> (Report, Option<String>) {
    if let Some(left) = too_close_to(here.deadline) {
        return (Report::deadline_near(left, deadline::RECORD_RESERVE), None);
    }
    let Some(away) = here.home.away(target) else {
        return (run_within(remediator, target, here).await, None);
    };
    let place = Place {
        function: <R::Scope as Scope>::FUNCTION,
        request_id: here.request_id,
        home: here.home,
        partition: &target.partition,
        account: &away.account,
        region: &away.region,
    };
    let reached: Pin<Box<dyn Future<Output = Reached<R>> + Send + '_>> =
        Box::pin(deadline::scoped(here.deadline, reach.reach(&place)));
    match reached.await {
        Reached::NoHub => (Report::new(Outcome::Skipped, away.reason), None),
        Reached::Refused(why) => (Report::new(Outcome::Skipped, why), None),
        Reached::Failed { role_arn, error } => (
            Report::failure(
                &error.code,
                "Remediation.AssumeRoleFailed",
                format!(
                    "not attempted: could not act in account {} through {role_arn}: {error}",
                    away.account
                ),
            ),
            Some(role_arn),
        ),
        Reached::Member {
            remediator,
            role_arn,
        } => (run_within(&*remediator, target, here).await, role_arn),
    }
}

/// [`run_guarded`] within the invocation's deadline, unless only the time to
/// record it is left.
async fn run_within<R: Remediator>(remediator: &R, target: &TargetOf<R>, here: Here<'_>) -> Report {
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

impl<L, N, U, H> Clone for Around<'_, L, N, U, H> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<L, N, U, H> Copy for Around<'_, L, N, U, H> {}

/// Tells a person through `notify` of `audit`, when its outcome calls for it
/// ([`notify::worth_telling`]), and records how that went in `audit`.
async fn tell<R: Remediator, N: Notify>(
    notify: &N,
    config: &Config,
    deadline: Option<Instant>,
    audit: &mut AuditRecord,
    report: &Report,
    console: Option<&str>,
) {
    if notify.enabled() && notify::worth_telling(report.outcome, report.withheld) {
        let message = notify::message(
            audit,
            <R::Scope as Scope>::WORDING,
            console,
            &config.exempt_tag_key,
        );
        let call = notify.publish(&message);
        audit.notification = Some(deliver(deadline, "publish the notification", call).await);
    }
}

/// What a sweep runs with: the invocation's settings, sinks and deadline.
struct Sweep<'a, S: ?Sized, N> {
    config: &'a Config,
    sink: &'a S,
    notify: &'a N,
    deadline: Option<Instant>,
    request_id: &'a str,
    trigger: Trigger,
}

/// The trigger of a scheduled event: its rule (the last part of the ARN in
/// `resources`) as the name.
fn schedule_trigger(value: &Value) -> Trigger {
    let rule = value
        .get("resources")
        .and_then(|r| r.get(0))
        .and_then(Value::as_str)
        .map(|arn| arn.rsplit('/').next().unwrap_or(arn).to_owned());
    Trigger {
        name: rule,
        ..trigger_of_raw(value)
    }
}

/// The scheduled sweep: the function's survey of its own account and
/// region, then each suspect examined as a finding's target would be,
/// [`sweep::CONCURRENCY`] at a time, until [`sweep::RESERVE`] before the
/// deadline; one record per suspect, none for the resources the survey
/// found compliant, and one summary record. A failed resource, or a survey
/// that failed, fails the invocation, as a finding's would.
async fn sweep_all<R, S, N>(
    remediator: &R,
    home: Result<Home, String>,
    at: Sweep<'_, S, N>,
) -> Result<Summary, HandlerError>
where
    R: Remediator,
    S: AuditSink + ?Sized,
    N: Notify,
{
    use futures_util::stream::{self, StreamExt};

    let function = <R::Scope as Scope>::FUNCTION;
    let started = Instant::now();
    let calls_before = sweep::requests_made();
    let regional = <R::Scope as Scope>::REGIONAL;
    let home = match home {
        Ok(home) => home,
        Err(why) => {
            let report = Report::failure(
                "InvokedArnUnreadable",
                "Remediation.InvokedArnUnreadable",
                format!("no sweep: the function cannot tell its own account and region: {why}"),
            );
            let audit = audit_record::<R>(
                at.request_id,
                at.config,
                at.trigger.clone(),
                None,
                None,
                None,
                &report,
            );
            write_record(at.sink, &audit, None);
            let mut tally = Tally::new(function, &at.trigger.event_id, at.config.dry_run);
            tally.add(None, report);
            return tally.result(1);
        }
    };
    let account = Some(home.account.clone());
    let region = regional.then(|| home.region.clone());
    // The survey may use the time up to the reserve.
    let survey_until = at
        .deadline
        .map(|d| d.checked_sub(sweep::RESERVE).unwrap_or(d));
    let surveyed: Pin<Box<dyn Future<Output = Survey<_>> + Send + '_>> =
        Box::pin(deadline::scoped(survey_until, remediator.survey(&home)));
    let survey = surveyed.await;
    let partition = Partition::of_region(&home.region);
    let targets: Vec<TargetOf<R>> = survey
        .suspects
        .iter()
        .map(|resource| Target {
            resource: resource.clone(),
            account: account.clone(),
            region: region.clone(),
            partition: partition.clone(),
            finding_id: None,
            observed_at: None,
            hub_finding: None,
            basis: crate::control::Basis::Sweep,
        })
        .collect();

    let mut tally = Tally::new(function, &at.trigger.event_id, at.config.dry_run);
    let mut stopped = None;
    let mut settled: Vec<(String, Report, Option<String>)> = Vec::new();
    let config = at.config;
    // By index, so that each future borrows the list, not the stream's item.
    let mut work = stream::iter(0..targets.len())
        .map(|i| examine_one(remediator, &targets[i], config, at.deadline))
        .buffered(sweep::CONCURRENCY);
    let mut not_started = 0;
    while let Some((target, report)) = work.next().await {
        let Some(report) = report else {
            if stopped.is_none() {
                stopped = Some(format!(
                    "stopped before {} to finish before Lambda's deadline",
                    target.arn()
                ));
            }
            not_started += 1;
            continue;
        };
        let console = at.notify.enabled().then(|| console_url(target)).flatten();
        settled.push((target.arn(), report, console));
    }
    drop(work);
    for (arn, report, console) in settled {
        let (resource, report) = for_record(Some(report.resource.clone().unwrap_or(arn)), report);
        let mut audit = audit_record::<R>(
            at.request_id,
            config,
            at.trigger.clone(),
            account.clone(),
            region.clone(),
            resource.clone(),
            &report,
        );
        tell::<R, N>(
            at.notify,
            config,
            at.deadline,
            &mut audit,
            &report,
            console.as_deref(),
        )
        .await;
        write_record(at.sink, &audit, None);
        tally.add(resource, report);
    }
    // A survey that failed is a failed record, so that it is seen and retried.
    if let Some(err) = &survey.error {
        let (_, report) = for_record(
            None,
            Report::failure(
                &err.code,
                "Remediation.SweepFailed",
                format!("the sweep could not read every resource: {err}"),
            ),
        );
        let audit = audit_record::<R>(
            at.request_id,
            config,
            at.trigger.clone(),
            account.clone(),
            region.clone(),
            None,
            &report,
        );
        write_record(at.sink, &audit, None);
        if stopped.is_none() {
            stopped = Some(format!("stopped in the survey: {}", err.code));
        }
        tally.add(None, report);
    }
    let finished = stopped.is_none();
    at.sink.summary(&SweepRecord {
        record_type: sweep::RECORD_TYPE,
        schema_version: SCHEMA_VERSION,
        timestamp: now_rfc3339(),
        function: function.to_owned(),
        request_id: at.request_id.to_owned(),
        trigger: at.trigger.clone().clipped(),
        account,
        region,
        dry_run: config.dry_run,
        examined: survey.examined,
        compliant: survey.examined.saturating_sub(survey.suspects.len()),
        outcomes: tally.summary.counts.clone(),
        api_calls: sweep::requests_made().saturating_sub(calls_before),
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        finished,
        stopped: stopped.map(|s| format!("{s} ({not_started} suspect(s) not examined)")),
        error_code: survey.error.as_ref().map(|e| e.code.clone()),
    });
    let total = tally.summary.counts.values().sum();
    tally.result(total)
}

/// `resource` and `report` as a record carries them, logged: reasons and
/// resources quote the event, so they are clipped once, for the log, the
/// record and the summary alike.
fn for_record(resource: Option<String>, report: Report) -> (Option<String>, Report) {
    let resource = resource.map(|r| clip(&r, MAX_ARN_CHARS));
    let report = Report {
        reason: clip(&report.reason, MAX_REASON_CHARS),
        ..report
    };
    tracing::info!(resource = resource.as_deref().unwrap_or("-"), outcome = report.outcome.as_str(), reason = %report.reason);
    (resource, report)
}

/// The summary of an invocation as its records are written, and its first failure.
struct Tally {
    summary: Summary,
    first_failure: Option<Report>,
}

impl Tally {
    fn new(function: &'static str, event_id: &str, dry_run: bool) -> Self {
        Tally {
            summary: Summary {
                function,
                event_id: event_id.to_owned(),
                dry_run,
                counts: BTreeMap::new(),
                results: Vec::new(),
            },
            first_failure: None,
        }
    }

    /// Counts one record; `resource` `None` is a record of no resource (a
    /// sweep's failed survey), which has no summary line.
    fn add(&mut self, resource: Option<String>, report: Report) {
        *self
            .summary
            .counts
            .entry(report.outcome.as_str())
            .or_default() += 1;
        if resource.is_some() || report.outcome != Outcome::Failed {
            self.summary.results.push(SummaryLine {
                resource,
                outcome: report.outcome,
                reason: report.reason.clone(),
            });
        }
        if report.outcome == Outcome::Failed && self.first_failure.is_none() {
            self.first_failure = Some(report);
        }
    }

    /// The summary, or the error that makes Lambda retry when any of the
    /// `total` records failed.
    fn result(self, total: usize) -> Result<Summary, HandlerError> {
        match self.first_failure {
            None => Ok(self.summary),
            Some(first) => Err(HandlerError::Remediation {
                failed: self.summary.counts.get("failed").copied().unwrap_or(1),
                total,
                error_type: first.error_type.unwrap_or("Remediation.Failed"),
                first_code: first.error_code.unwrap_or_else(|| "Unknown".into()),
                first_reason: first.reason,
            }),
        }
    }
}

/// A suspect of a sweep with its report, or `None` when it was not started.
type Examination<'a, R> =
    Pin<Box<dyn Future<Output = (&'a TargetOf<R>, Option<Report>)> + Send + 'a>>;

/// One suspect of a sweep, examined (and fixed, unless in dry run) as a
/// finding's target is; `None` when too little time is left to start it.
fn examine_one<'a, R: Remediator>(
    remediator: &'a R,
    target: &'a TargetOf<R>,
    config: &'a Config,
    deadline: Option<Instant>,
) -> Examination<'a, R> {
    Box::pin(async move {
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if left.is_some_and(|l| l <= sweep::RESERVE) {
            return (target, None);
        }
        let report = deadline::scoped(deadline, run_guarded(remediator, target, config)).await;
        (target, Some(report))
    })
}

/// The audit record of `report` on `resource`, as function `R` writes it.
fn audit_record<R: Remediator>(
    request_id: &str,
    config: &Config,
    trigger: Trigger,
    account: Option<String>,
    region: Option<String>,
    resource: Option<String>,
    report: &Report,
) -> AuditRecord {
    AuditRecord {
        account: account.map(|a| clip(&a, MAX_ID_CHARS)),
        region: region.map(|r| clip(&r, MAX_ID_CHARS)),
        // Reason and resource arrive clipped (below): clipping twice would
        // miscount what was cut.
        resource,
        before: report.before.clone(),
        after: report.after.clone(),
        changes: report.changes.clone(),
        dry_run: config.dry_run,
        error_code: report.error_code.clone(),
        control: report.verdict.clone(),
        ..AuditRecord::new(
            <R::Scope as Scope>::FUNCTION,
            request_id,
            <R::Scope as Scope>::ACTION,
            trigger.clipped(),
            report.outcome,
            report.reason.clone(),
        )
    }
}

/// Writes `audit` and its metric document; only a confirmed fix has a time
/// to remediate, measured from `observed_at`.
fn write_record<S: AuditSink + ?Sized>(
    sink: &S,
    audit: &AuditRecord,
    observed_at: Option<SystemTime>,
) {
    sink.write(audit);
    let now = SystemTime::now();
    let fixed = (audit.outcome == Outcome::Remediated)
        .then(|| metrics::time_to_remediate(observed_at, now))
        .flatten();
    sink.metrics(&metrics::document(audit, fixed, now));
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
