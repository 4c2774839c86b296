//! Building and writing records: the audit record of a report, its metric
//! document, the side channels it calls for (a notification, a finding
//! update) and the invocation's summary ([`Tally`]).
//!
//! Every record of the driver is built by [`audit_record`]; side channels
//! never fail the invocation.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::time::{Instant, SystemTime};

use serde_json::Value;

use super::Remediator;
use super::Summary;
use super::SummaryLine;
use crate::audit::{
    clip, AuditRecord, AuditSink, Outcome, Trigger, MAX_ARN_CHARS, MAX_ID_CHARS, MAX_REASON_CHARS,
};
use crate::config::Config;
use crate::deadline;
use crate::error::{AwsError, HandlerError};
use crate::finding::Target;
use crate::metrics;
use crate::notify::{self, Delivery, Notify};
use crate::report::Report;
use crate::resource::{Partition, Resource};
use crate::scope::Scope;

/// Tells a person through `notify` of `audit`, when its outcome calls for it
/// ([`notify::worth_telling`]), and records how that went in `audit`.
pub(super) async fn tell<R: Remediator, N: Notify>(
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
            config.stack.as_deref(),
        );
        let call = notify.publish(&message);
        audit.notification = Some(deliver(deadline, "publish the notification", call).await);
    }
}

/// `resource` and `report` as a record carries them, logged: reasons and
/// resources quote the event, so they are clipped once, for the log, the
/// record and the summary alike.
pub(super) fn for_record(resource: Option<String>, report: Report) -> (Option<String>, Report) {
    let resource = resource.map(|r| clip(&r, MAX_ARN_CHARS));
    let report = Report {
        reason: clip(&report.reason, MAX_REASON_CHARS),
        ..report
    };
    tracing::info!(resource = resource.as_deref().unwrap_or("-"), outcome = report.outcome.as_str(), reason = %report.reason);
    (resource, report)
}

/// The summary of an invocation as its records are written, and its first failure.
pub(super) struct Tally {
    pub(super) summary: Summary,
    pub(super) first_failure: Option<Report>,
}

impl Tally {
    pub(super) fn new(function: &'static str, event_id: &str, config: &Config) -> Self {
        Tally {
            summary: Summary {
                function,
                event_id: event_id.to_owned(),
                dry_run: config.dry_run(),
                mode: config.mode.as_str(),
                counts: BTreeMap::new(),
                results: Vec::new(),
                queued: None,
                batch_item_failures: None,
            },
            first_failure: None,
        }
    }

    /// Counts one record; `resource` `None` is a record of no resource (a
    /// sweep's failed survey), which has no summary line.
    pub(super) fn add(&mut self, resource: Option<String>, report: Report) {
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
    pub(super) fn result(self, total: usize) -> Result<Summary, HandlerError> {
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

/// The audit record of `report` on `resource`, as function `R` writes it.
pub(super) fn audit_record<R: Remediator>(
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
        dry_run: config.dry_run(),
        error_code: report.error_code.clone(),
        control: report.verdict.clone(),
        basis: report.basis.clone(),
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
pub(super) fn write_record<S: AuditSink + ?Sized>(
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
pub(super) async fn deliver(
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
pub(super) fn console_url<R: Resource>(target: &Target<R>) -> Option<String> {
    (target.partition == Partition::aws())
        .then(|| {
            target
                .resource
                .console_url(target.region.as_deref().unwrap_or("us-east-1"))
        })
        .flatten()
}

/// Whatever trigger fields a malformed event still has, for its record.
pub(super) fn trigger_of_raw(value: &Value) -> Trigger {
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
