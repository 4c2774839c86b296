//! CloudWatch metrics of each audit record, in Embedded Metric Format: one
//! JSON document per record, written beside it on stdout, which CloudWatch
//! Logs turns into metrics. No API call, no client, nothing at start-up.
//!
//! Owns the namespace, the metric names, units and dimensions, and the
//! document's shape, after the published specification
//! (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>).
//! It must not decide outcomes: it reads the record the driver wrote.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};

use crate::audit::{AuditRecord, Trigger};

/// The CloudWatch namespace of every metric.
pub const NAMESPACE: &str = "AutoRemediation";
/// One per audit record (Count), by `Function` and `Outcome`.
pub const REMEDIATIONS: &str = "Remediations";
/// From the problem's own time to the confirmed fix (Milliseconds), by
/// `Function` and `Trigger`; only for `remediated` records.
pub const TIME_TO_REMEDIATE: &str = "TimeToRemediate";

/// The `Trigger` dimension of a record: `config`, `guardduty`,
/// `securityhub` (either of its events), `cloudtrail`, `person` (a Security
/// Hub custom action, `remediation apply`), `sweep` (the scheduled sweep), or `other` (an event
/// no source sent).
pub fn trigger_kind(trigger: &Trigger) -> &'static str {
    match trigger.source.as_str() {
        "aws.config" => "config",
        "aws.guardduty" => "guardduty",
        "aws.securityhub" => "securityhub",
        source if source.starts_with(crate::finding::PERSON_SOURCE_PREFIX) => "person",
        _ if trigger.detail_type == "AWS API Call via CloudTrail" => "cloudtrail",
        "aws.events" if trigger.detail_type == "Scheduled Event" => "sweep",
        _ => "other",
    }
}

/// The metric document of `record`, written at `now`: `Remediations` = 1,
/// and `TimeToRemediate` when `time_to_remediate` is known.
pub fn document(
    record: &AuditRecord,
    time_to_remediate: Option<Duration>,
    now: SystemTime,
) -> Value {
    let millis = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    let timestamp = now.duration_since(UNIX_EPOCH).map(millis).unwrap_or(0);
    let mut directives = vec![json!({
        "Namespace": NAMESPACE,
        "Dimensions": [["Function", "Outcome"]],
        "Metrics": [{"Name": REMEDIATIONS, "Unit": "Count"}],
    })];
    if time_to_remediate.is_some() {
        directives.push(json!({
            "Namespace": NAMESPACE,
            "Dimensions": [["Function", "Trigger"]],
            "Metrics": [{"Name": TIME_TO_REMEDIATE, "Unit": "Milliseconds"}],
        }));
    }
    let mut doc = Map::new();
    doc.insert(
        "_aws".into(),
        json!({"Timestamp": timestamp, "CloudWatchMetrics": directives}),
    );
    doc.insert("Function".into(), json!(record.function));
    doc.insert("Outcome".into(), json!(record.outcome.as_str()));
    doc.insert("Trigger".into(), json!(trigger_kind(&record.trigger)));
    doc.insert(REMEDIATIONS.into(), json!(1));
    if let Some(t) = time_to_remediate {
        doc.insert(TIME_TO_REMEDIATE.into(), json!(millis(t)));
    }
    // Properties: searchable in the log, not metrics.
    doc.insert("request_id".into(), json!(record.request_id));
    doc.insert("resource".into(), json!(record.resource));
    Value::Object(doc)
}

/// The time from `observed` (when the source saw the problem) to `fixed`;
/// none when the clocks disagree (`observed` after `fixed`).
pub fn time_to_remediate(observed: Option<SystemTime>, fixed: SystemTime) -> Option<Duration> {
    fixed.duration_since(observed?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Outcome;

    fn record(outcome: Outcome, source: &str, detail_type: &str) -> AuditRecord {
        let trigger = Trigger {
            source: source.into(),
            detail_type: detail_type.into(),
            ..Trigger::default()
        };
        AuditRecord {
            resource: Some("arn:aws:example:eu-west-1:111122223333:thing/t-1".into()),
            ..AuditRecord::new(
                "example-function",
                "req-1",
                "example_action",
                trigger,
                outcome,
                "",
            )
        }
    }

    #[test]
    fn every_outcome_and_trigger_is_counted_and_a_known_time_to_remediate_timed() {
        let now = UNIX_EPOCH + Duration::from_millis(1_763_640_000_123);
        let sources = [
            ("aws.config", "Config Rules Compliance Change", "config"),
            ("aws.guardduty", "GuardDuty Finding", "guardduty"),
            (
                "aws.securityhub",
                "Security Hub Findings - Imported",
                "securityhub",
            ),
            ("aws.securityhub", "Findings Imported V2", "securityhub"),
            ("aws.ec2", "AWS API Call via CloudTrail", "cloudtrail"),
            ("aws.events", "Scheduled Event", "sweep"),
            ("aws.events", "Something Else", "other"),
            ("", "", "other"),
        ];
        let outcomes = [
            (Outcome::Remediated, "remediated"),
            (Outcome::AlreadyCompliant, "already_compliant"),
            (Outcome::Skipped, "skipped"),
            (Outcome::DryRun, "dry_run"),
            (Outcome::Proposed, "proposed"),
            (Outcome::Failed, "failed"),
        ];
        for (source, detail_type, kind) in sources {
            for (outcome, name) in outcomes {
                for ttr in [None, Some(Duration::from_millis(4_250))] {
                    let doc = document(&record(outcome, source, detail_type), ttr, now);
                    let directives = doc["_aws"]["CloudWatchMetrics"].as_array().unwrap();
                    assert_eq!(directives.len(), 1 + usize::from(ttr.is_some()));
                    assert_eq!(doc["_aws"]["Timestamp"], 1_763_640_000_123_u64);
                    assert_eq!(doc["_aws"]["CloudWatchMetrics"][0]["Namespace"], NAMESPACE);
                    assert_eq!(doc["Function"], "example-function");
                    assert_eq!(doc["Outcome"], name);
                    assert_eq!(doc["Trigger"], kind);
                    assert_eq!(doc[REMEDIATIONS], 1);
                    match ttr {
                        Some(_) => assert_eq!(doc[TIME_TO_REMEDIATE], 4_250),
                        None => assert!(doc.get(TIME_TO_REMEDIATE).is_none()),
                    }
                }
            }
        }
    }

    #[test]
    fn time_to_remediate_runs_from_the_problems_time_to_the_fix() {
        let t0 = UNIX_EPOCH + Duration::from_secs(100);
        assert_eq!(
            time_to_remediate(Some(t0), t0 + Duration::from_millis(2_500)),
            Some(Duration::from_millis(2_500))
        );
        assert_eq!(time_to_remediate(None, t0), None);
        assert_eq!(
            time_to_remediate(Some(t0 + Duration::from_secs(1)), t0),
            None,
            "a problem seen after its fix (clock skew) has no time to remediate"
        );
    }
}
