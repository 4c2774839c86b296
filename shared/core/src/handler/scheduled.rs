//! The scheduled sweep of one place (the function's own account and region,
//! or one place of an organisation's sweep): its survey, each suspect examined as a finding's target would be, a bounded number at
//! a time until the sweep's reserve before the deadline, and one summary.

use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

use serde_json::Value;

use super::record::audit_record;
use super::record::console_url;
use super::record::for_record;
use super::record::tell;
use super::record::trigger_of_raw;
use super::record::write_record;
use super::record::Tally;
use super::target::{run_guarded, Ask};
use super::Remediator;
use super::Summary;
use super::TargetOf;
use crate::audit::{now_rfc3339, AuditRecord, AuditSink, Trigger, SCHEMA_VERSION};
use crate::config::Asker;
use crate::config::Config;
use crate::deadline;
use crate::error::HandlerError;
use crate::finding::Target;
use crate::home::Home;
use crate::notify::Notify;
use crate::report::Report;
use crate::resource::Partition;
use crate::scope::Scope;
use crate::sweep::{self, Survey, SweepRecord};

/// What a sweep runs with: the invocation's settings, sinks and deadline.
pub(super) struct Sweep<'a, S: ?Sized, N> {
    pub(super) config: &'a Config,
    pub(super) sink: &'a S,
    pub(super) notify: &'a N,
    pub(super) deadline: Option<Instant>,
    pub(super) request_id: &'a str,
    pub(super) trigger: Trigger,
    /// The member role acted through, in another account (an organisation's sweep).
    pub(super) member_role: Option<String>,
}

impl<S: ?Sized, N> Sweep<'_, S, N> {
    /// The audit record of `report` in this sweep, of `resource` in
    /// `account` and `region` (no resource: the place itself), naming the
    /// member role acted through.
    pub(super) fn record<R: Remediator>(
        &self,
        account: Option<String>,
        region: Option<String>,
        resource: Option<String>,
        report: &Report,
    ) -> AuditRecord {
        let mut audit = audit_record::<R>(
            self.request_id,
            self.config,
            self.trigger.clone(),
            account,
            region,
            resource,
            report,
        );
        audit.member_role.clone_from(&self.member_role);
        audit
    }

    /// The summary record of a sweep of `account` and `region` that examined
    /// nothing yet: the caller fills in what it did.
    pub(super) fn summary(
        &self,
        account: Option<String>,
        region: Option<String>,
        started: Instant,
    ) -> SweepRecord {
        SweepRecord {
            record_type: sweep::RECORD_TYPE,
            schema_version: SCHEMA_VERSION,
            timestamp: now_rfc3339(),
            function: String::new(),
            request_id: self.request_id.to_owned(),
            trigger: self.trigger.clone().clipped(),
            account,
            region,
            dry_run: self.config.dry_run(),
            examined: 0,
            compliant: 0,
            outcomes: Default::default(),
            api_calls: 0,
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            finished: true,
            stopped: None,
            error_code: None,
            member_role: self.member_role.clone(),
            queued: None,
        }
    }
}

/// The trigger of a scheduled event: its rule (the last part of the ARN in
/// `resources`) as the name.
pub(super) fn schedule_trigger(value: &Value) -> Trigger {
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
pub(super) async fn sweep_all<R, S, N>(
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
            write_record(at.sink, &at.record::<R>(None, None, None, &report), None);
            let mut tally = Tally::new(function, &at.trigger.event_id, at.config);
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

    let mut tally = Tally::new(function, &at.trigger.event_id, at.config);
    let mut stopped = None;
    let mut settled: Vec<(String, Report, Option<String>)> = Vec::new();
    let config = at.config;
    let mut not_started = 0;
    // A batch at a time: its suspects re-read together, then each examined.
    for batch in targets.chunks(sweep::BATCH) {
        let suspects: Vec<_> = batch.iter().map(|t| t.resource.clone()).collect();
        let prefetched: Pin<Box<dyn Future<Output = ()> + Send + '_>> = Box::pin(deadline::scoped(
            survey_until,
            remediator.prefetch(&suspects),
        ));
        prefetched.await;
        // By index, so that each future borrows the list, not the stream's item.
        let mut work = stream::iter(0..batch.len())
            .map(|i| examine_one(remediator, &batch[i], config, at.deadline))
            .buffered(sweep::CONCURRENCY);
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
    }
    for (arn, report, console) in settled {
        let (resource, report) = for_record(Some(report.resource.clone().unwrap_or(arn)), report);
        let mut audit = at.record::<R>(account.clone(), region.clone(), resource.clone(), &report);
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
        let audit = at.record::<R>(account.clone(), region.clone(), None, &report);
        write_record(at.sink, &audit, None);
        if stopped.is_none() {
            stopped = Some(format!("stopped in the survey: {}", err.code));
        }
        tally.add(None, report);
    }
    let finished = stopped.is_none();
    at.sink.summary(&SweepRecord {
        function: function.to_owned(),
        examined: survey.examined,
        compliant: survey.examined.saturating_sub(survey.suspects.len()),
        outcomes: tally.summary.counts.clone(),
        api_calls: sweep::requests_made().saturating_sub(calls_before),
        finished,
        stopped: stopped.map(|s| format!("{s} ({not_started} suspect(s) not examined)")),
        error_code: survey.error.as_ref().map(|e| e.code.clone()),
        ..at.summary(account, region, started)
    });
    let total = tally.summary.counts.values().sum();
    tally.result(total)
}

/// A suspect of a sweep with its report, or `None` when it was not started.
pub(super) type Examination<'a, R> =
    Pin<Box<dyn Future<Output = (&'a TargetOf<R>, Option<Report>)> + Send + 'a>>;

/// One suspect of a sweep, examined (and fixed, unless in dry run) as a
/// finding's target is; `None` when too little time is left to start it.
pub(super) fn examine_one<'a, R: Remediator>(
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
        let report = deadline::scoped(
            deadline,
            run_guarded(remediator, target, config, Ask::by(Asker::Automatic)),
        )
        .await;
        (target, Some(report))
    })
}
