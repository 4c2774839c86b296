//! The audit record: one JSON object on one line per resource examined, in one
//! schema for every function, and the sinks that write it.
//!
//! Owns the schema (field names, the outcome vocabulary) that log queries rely
//! on: change it only by bumping [`SCHEMA_VERSION`]. The `before`, `after` and
//! `changes` payloads are each function's own serialisable types, carried here
//! as JSON. It must not decide outcomes; the driver and the functions do, and
//! hand records here.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Mutex;

use serde::Serialize;
use serde_json::Value;

use crate::control::Verdict;
use crate::error::AwsError;
pub use crate::text::clip;

/// The version of the audit schema; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// The value of `record_type`, to tell audit lines from other log lines.
pub const RECORD_TYPE: &str = "remediation_audit";

/// How the examination of one resource ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The resource was wrong and is now right.
    Remediated,
    /// The resource was already right; nothing was written.
    AlreadyCompliant,
    /// Out of scope, exempt, gone, or not safe to change; nothing was written.
    Skipped,
    /// Dry run: nothing was written; `changes` says what would have been.
    DryRun,
    /// Propose mode: nothing was written; `changes` says what a person may
    /// approve (a Security Hub custom action, `remediation apply`).
    Proposed,
    /// An error stopped the remediation; `error_code` says which.
    Failed,
}

impl Outcome {
    /// Its name in records, summaries, metrics and notifications.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Remediated => "remediated",
            Outcome::AlreadyCompliant => "already_compliant",
            Outcome::Skipped => "skipped",
            Outcome::DryRun => "dry_run",
            Outcome::Proposed => "proposed",
            Outcome::Failed => "failed",
        }
    }
}

/// One audit record. Field order and names are the stable schema.
#[derive(Debug, Clone, Serialize)]
pub struct AuditRecord {
    /// Always [`RECORD_TYPE`].
    pub record_type: &'static str,
    /// Always [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// RFC 3339 UTC time of writing.
    pub timestamp: String,
    /// The function name.
    pub function: String,
    /// The Lambda request id.
    pub request_id: String,
    /// What triggered the invocation.
    pub trigger: Trigger,
    /// The resource's account, when known.
    pub account: Option<String>,
    /// The resource's region, when known (null for IAM).
    pub region: Option<String>,
    /// The resource's ARN (or id, when the event gave nothing better); null when the event named none.
    pub resource: Option<String>,
    /// The function's action.
    pub action: &'static str,
    /// How it ended.
    pub outcome: Outcome,
    /// Why, in words.
    pub reason: String,
    /// The state read before acting, if read: the function's own payload.
    pub before: Option<Value>,
    /// The state after: read back, derived from the write's result, or equal
    /// to `before` when nothing was written.
    pub after: Option<Value>,
    /// The changes made, or on dry run those that would have been made.
    pub changes: Vec<Value>,
    /// Whether the function ran in dry-run mode.
    pub dry_run: bool,
    /// The error code on `failed` (an AWS code, or `Finding.Malformed`, `Handler.Panic`).
    pub error_code: Option<String>,
    /// How the notification of this record went, when one was due
    /// (`NOTIFICATION_TOPIC_ARN` set); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification: Option<Delivery>,
    /// How the update of the Security Hub finding went, when one was due
    /// (the target came from a Security Hub finding); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finding_update: Option<Delivery>,
    /// In hub mode, the member account's role the function acted through
    /// (or, when `outcome` is `failed`, could not assume). Absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_role: Option<String>,
    /// What the function verified of the whole check that called for it (a
    /// Security Hub control, a Config rule, a finding type, its own setting):
    /// whether it holds on the live state after acting, and what still fails.
    /// Absent when it was not verified (a skip, a failure, a dry run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub control: Option<Verdict>,
    /// On a `proposed` record: what called for the change (the control, the
    /// Config rule, the finding type, the API call, the sweep), so that
    /// applying it checks the same. Absent on every other record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub basis: Option<crate::control::Basis>,
}

impl AuditRecord {
    /// A record of `outcome`, stamped now, with every optional field absent,
    /// no state and no change, not a dry run: the caller fills in what it
    /// knows with struct update syntax (`AuditRecord { account, ..new }`).
    pub fn new(
        function: impl Into<String>,
        request_id: impl Into<String>,
        action: &'static str,
        trigger: Trigger,
        outcome: Outcome,
        reason: impl Into<String>,
    ) -> Self {
        AuditRecord {
            record_type: RECORD_TYPE,
            schema_version: SCHEMA_VERSION,
            timestamp: now_rfc3339(),
            function: function.into(),
            request_id: request_id.into(),
            trigger,
            account: None,
            region: None,
            resource: None,
            action,
            outcome,
            reason: reason.into(),
            before: None,
            after: None,
            changes: Vec::new(),
            dry_run: false,
            error_code: None,
            notification: None,
            finding_update: None,
            member_role: None,
            control: None,
            basis: None,
        }
    }
}

/// What triggered an invocation: `trigger` of an audit record.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Trigger {
    /// The envelope's `source`.
    pub source: String,
    /// The envelope's `detail-type`.
    pub detail_type: String,
    /// The envelope's `id`.
    pub event_id: String,
    /// The finding id (Security Hub, GuardDuty) or CloudTrail event id, when there is one.
    pub finding_id: Option<String>,
    /// The rule, finding type, control or API call that matched.
    pub name: Option<String>,
}

impl Trigger {
    /// The same trigger, for the part of the event that `finding_id` names.
    pub fn for_finding(&self, finding_id: Option<String>) -> Self {
        Trigger {
            finding_id,
            ..self.clone()
        }
    }
}

/// The longest reason a record holds, in characters: reasons quote values
/// from the event, which may be of any size.
pub const MAX_REASON_CHARS: usize = 1024;
/// The longest resource a record holds: the longest ARN IAM accepts.
pub const MAX_ARN_CHARS: usize = 2048;
/// The longest account, region, trigger field or finding id a record holds.
pub const MAX_ID_CHARS: usize = 256;

impl Trigger {
    /// The same trigger with every field clipped to [`MAX_ID_CHARS`].
    pub fn clipped(self) -> Self {
        let c = |s: String| clip(&s, MAX_ID_CHARS);
        Trigger {
            source: c(self.source),
            detail_type: c(self.detail_type),
            event_id: c(self.event_id),
            finding_id: self.finding_id.map(c),
            name: self.name.map(c),
        }
    }
}

/// Current time as RFC 3339 UTC with milliseconds.
pub fn now_rfc3339() -> String {
    crate::stamp::millis(std::time::SystemTime::now())
}

/// How a side channel's call ended: `notification` and `finding_update` of an
/// audit record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    /// `sent` or `failed`.
    pub status: &'static str,
    /// The AWS error code of a failed publish.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
}

impl Delivery {
    /// Published.
    pub fn sent() -> Self {
        Delivery {
            status: "sent",
            error_code: None,
        }
    }

    /// Not published, for `error`.
    pub fn failed(error: &AwsError) -> Self {
        Delivery {
            status: "failed",
            error_code: Some(error.code.clone()),
        }
    }
}

/// The summary record of one sweep, written after the records of the
/// resources it examined. Compliant resources get no record of their own:
/// they are counted here.
#[derive(Debug, Clone, Serialize)]
pub struct SweepRecord {
    /// Always [`crate::sweep::RECORD_TYPE`].
    pub record_type: &'static str,
    /// The audit schema's version ([`crate::audit::SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// RFC 3339 UTC time of writing.
    pub timestamp: String,
    /// The function name.
    pub function: String,
    /// The Lambda request id.
    pub request_id: String,
    /// The scheduled event (`trigger.name` is its rule).
    pub trigger: Trigger,
    /// The account swept.
    pub account: Option<String>,
    /// The region swept (null for a global service's resources).
    pub region: Option<String>,
    /// Whether the function ran in dry-run mode.
    pub dry_run: bool,
    /// How many resources of its kind the survey read.
    pub examined: usize,
    /// How many of them the survey found compliant (no record of their own).
    pub compliant: usize,
    /// How many suspects ended with each outcome (one record each).
    pub outcomes: BTreeMap<&'static str, usize>,
    /// HTTP requests made to AWS during the sweep, retries included.
    pub api_calls: u64,
    /// How long the sweep took, in milliseconds.
    pub duration_ms: u64,
    /// Whether every resource was examined. The next sweep starts over.
    pub finished: bool,
    /// Where it stopped when it did not finish: the survey, or the first
    /// suspect not examined, and why.
    pub stopped: Option<String>,
    /// The error code that stopped the survey, if one did.
    pub error_code: Option<String>,
    /// The member role the sweep acted through (an organisation's sweep in
    /// another account); absent in the function's own account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_role: Option<String>,
    /// How many places the scheduled event queued, each swept by a message of
    /// its own (an organisation's sweep); absent for a sweep of one place.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queued: Option<usize>,
}

/// Where audit records go.
pub trait AuditSink: Send + Sync {
    /// Writes one record. Must not fail the invocation: a sink reports its own errors.
    fn write(&self, record: &AuditRecord);

    /// Writes the metric document of the record just written (CloudWatch
    /// Embedded Metric Format, [`crate::metrics`]); by default, nowhere.
    fn metrics(&self, _document: &Value) {}

    /// Writes a sweep's summary record ([`SweepRecord`]); by
    /// default, nowhere.
    fn summary(&self, _record: &SweepRecord) {}
}

/// Writes each record, and its metric document, as one JSON line on stdout
/// (CloudWatch Logs in Lambda, which reads the metrics out of it).
#[derive(Debug, Default, Clone, Copy)]
pub struct StdoutSink;

impl StdoutSink {
    fn line(what: &str, value: &impl Serialize) {
        match serde_json::to_string(value) {
            Ok(mut line) => {
                line.push('\n');
                // One write of the whole line, so concurrent log lines never interleave with it.
                let mut out = std::io::stdout().lock();
                if let Err(e) = out.write_all(line.as_bytes()).and_then(|()| out.flush()) {
                    tracing::error!(error = %e, "could not write the {what}");
                }
            }
            Err(e) => tracing::error!(error = %e, "could not serialise the {what}"),
        }
    }
}

impl AuditSink for StdoutSink {
    fn write(&self, record: &AuditRecord) {
        StdoutSink::line("audit record", record);
    }

    fn metrics(&self, document: &Value) {
        StdoutSink::line("metric document", document);
    }

    fn summary(&self, record: &SweepRecord) {
        StdoutSink::line("sweep record", record);
    }
}

/// Keeps records in memory as the JSON that would have been written; for tests.
#[derive(Debug, Default)]
pub struct RecordingSink {
    records: Mutex<Vec<Value>>,
    metrics: Mutex<Vec<Value>>,
    summaries: Mutex<Vec<Value>>,
}

impl RecordingSink {
    /// The records written so far, as JSON.
    pub fn records(&self) -> Vec<Value> {
        self.records.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// The metric documents written so far.
    pub fn metric_documents(&self) -> Vec<Value> {
        self.metrics.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// The sweep summary records written so far.
    pub fn summaries(&self) -> Vec<Value> {
        self.summaries.lock().map(|m| m.clone()).unwrap_or_default()
    }
}

impl AuditSink for RecordingSink {
    fn write(&self, record: &AuditRecord) {
        if let (Ok(value), Ok(mut records)) = (serde_json::to_value(record), self.records.lock()) {
            records.push(value);
        }
    }

    fn metrics(&self, document: &Value) {
        if let Ok(mut metrics) = self.metrics.lock() {
            metrics.push(document.clone());
        }
    }

    fn summary(&self, record: &SweepRecord) {
        if let (Ok(value), Ok(mut summaries)) =
            (serde_json::to_value(record), self.summaries.lock())
        {
            summaries.push(value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_keeps_short_text_and_cuts_long_text_on_a_character_boundary() {
        assert_eq!(clip("abc", 3), "abc");
        assert_eq!(clip("abcd", 3), "abc... (1 more characters)");
        assert_eq!(
            clip("\u{e9}\u{e9}\u{e9}", 2),
            "\u{e9}\u{e9}... (1 more characters)"
        );
    }

    #[test]
    fn an_outcomes_name_is_the_one_records_serialise() {
        use Outcome::*;
        for o in [
            Remediated,
            AlreadyCompliant,
            Skipped,
            DryRun,
            Proposed,
            Failed,
        ] {
            assert_eq!(serde_json::to_value(o).unwrap(), o.as_str());
        }
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        let t = now_rfc3339();
        assert!(
            t.starts_with("20") && t.ends_with('Z') && t.contains('T'),
            "{t}"
        );
    }
}
