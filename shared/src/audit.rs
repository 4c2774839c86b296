//! The audit record: one JSON object on one line per resource examined, in one
//! schema for all three functions, and the sinks that write it.
//!
//! Owns the schema (field names, outcome and state vocabularies) that log
//! queries rely on: change it only by bumping [`SCHEMA_VERSION`]. It must not
//! decide outcomes; the driver and the functions do, and hand records here.

use std::io::Write;
use std::sync::Mutex;

use serde::Serialize;
use serde_json::Value;

use crate::finding::Trigger;

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
    /// An error stopped the remediation; `error_code` says which.
    Failed,
}

/// The Block Public Access settings of a bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PublicAccessFlags {
    /// `BlockPublicAcls`.
    pub block_public_acls: bool,
    /// `IgnorePublicAcls`.
    pub ignore_public_acls: bool,
    /// `BlockPublicPolicy`.
    pub block_public_policy: bool,
    /// `RestrictPublicBuckets`.
    pub restrict_public_buckets: bool,
}

impl PublicAccessFlags {
    /// All four settings on.
    pub const ALL: PublicAccessFlags = PublicAccessFlags {
        block_public_acls: true,
        ignore_public_acls: true,
        block_public_policy: true,
        restrict_public_buckets: true,
    };

    /// The names (as in the S3 API) of the settings that are off.
    pub fn missing(&self) -> Vec<&'static str> {
        [
            ("BlockPublicAcls", self.block_public_acls),
            ("IgnorePublicAcls", self.ignore_public_acls),
            ("BlockPublicPolicy", self.block_public_policy),
            ("RestrictPublicBuckets", self.restrict_public_buckets),
        ]
        .into_iter()
        .filter(|(_, on)| !on)
        .map(|(name, _)| name)
        .collect()
    }
}

/// An ingress rule as audit records describe it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleRecord {
    /// The rule id (`sgr-...`).
    pub rule_id: String,
    /// `tcp`, `-1`, ...
    pub protocol: String,
    /// First port (-1: all).
    pub from_port: i32,
    /// Last port (-1: all).
    pub to_port: i32,
    /// The source CIDR (IPv4 or IPv6).
    pub cidr: String,
}

/// The state of a resource, as far as its remediation is concerned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum State {
    /// A bucket's Block Public Access settings (a missing configuration is all false).
    BucketPublicAccessBlock(PublicAccessFlags),
    /// A security group's ingress rules that open TCP 22 to the world.
    SecurityGroupIngress {
        /// Those rules; empty when compliant.
        world_open_ssh_rules: Vec<RuleRecord>,
    },
    /// A role's path and attached managed policies.
    RolePolicies {
        /// The role's path.
        path: String,
        /// ARNs of the managed policies attached.
        attached_policy_arns: Vec<String>,
    },
}

/// One change made (or, on dry run, that would be made).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    /// `PutPublicAccessBlock` with all four settings on; lists those that were off.
    EnablePublicAccessBlock {
        /// The settings turned on.
        settings: Vec<&'static str>,
    },
    /// One ingress rule revoked by id.
    RevokeIngressRule(RuleRecord),
    /// One managed policy detached.
    DetachRolePolicy {
        /// Its ARN.
        policy_arn: String,
    },
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
    pub trigger: TriggerRecord,
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
    /// The state read before acting, if read.
    pub before: Option<State>,
    /// The state after: read back (S3), derived from the write's result, or equal to `before` when nothing was written.
    pub after: Option<State>,
    /// The changes made, or on dry run those that would have been made.
    pub changes: Vec<Change>,
    /// Whether the function ran in dry-run mode.
    pub dry_run: bool,
    /// The error code on `failed` (an AWS code, or `Finding.Malformed`, `Handler.Panic`).
    pub error_code: Option<String>,
}

/// `trigger` of an audit record.
#[derive(Debug, Clone, Serialize)]
pub struct TriggerRecord {
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

impl TriggerRecord {
    /// The trigger part of a record for a finding of `trigger`.
    pub fn new(trigger: &Trigger, finding_id: Option<String>) -> Self {
        TriggerRecord {
            source: trigger.source.clone(),
            detail_type: trigger.detail_type.clone(),
            event_id: trigger.event_id.clone(),
            finding_id,
            name: trigger.name.clone(),
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

/// `s`, cut to `max` characters with a marker saying how much was cut, so
/// that no input, however large, makes a record large.
pub fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_owned(),
        Some((end, _)) => {
            let cut = s[end..].chars().count();
            format!("{}... ({cut} more characters)", &s[..end])
        }
    }
}

impl TriggerRecord {
    /// The same trigger with every field clipped to [`MAX_ID_CHARS`].
    pub fn clipped(self) -> Self {
        let c = |s: String| clip(&s, MAX_ID_CHARS);
        TriggerRecord {
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
    use aws_smithy_types::date_time::{DateTime, Format};
    let now = DateTime::from(std::time::SystemTime::now());
    let millis = DateTime::from_millis(now.to_millis().unwrap_or_default());
    millis.fmt(Format::DateTime).unwrap_or_default()
}

/// Where audit records go.
pub trait AuditSink: Send + Sync {
    /// Writes one record. Must not fail the invocation: a sink reports its own errors.
    fn write(&self, record: &AuditRecord);
}

/// Writes each record as one JSON line on stdout (CloudWatch Logs in Lambda).
#[derive(Debug, Default, Clone, Copy)]
pub struct StdoutSink;

impl AuditSink for StdoutSink {
    fn write(&self, record: &AuditRecord) {
        match serde_json::to_string(record) {
            Ok(mut line) => {
                line.push('\n');
                // One write of the whole line, so concurrent log lines never interleave with it.
                let mut out = std::io::stdout().lock();
                if let Err(e) = out.write_all(line.as_bytes()).and_then(|()| out.flush()) {
                    tracing::error!(error = %e, "could not write the audit record");
                }
            }
            Err(e) => tracing::error!(error = %e, "could not serialise the audit record"),
        }
    }
}

/// Keeps records in memory as the JSON that would have been written; for tests.
#[derive(Debug, Default)]
pub struct RecordingSink {
    records: Mutex<Vec<Value>>,
}

impl RecordingSink {
    /// The records written so far, as JSON.
    pub fn records(&self) -> Vec<Value> {
        self.records.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

impl AuditSink for RecordingSink {
    fn write(&self, record: &AuditRecord) {
        if let (Ok(value), Ok(mut records)) = (serde_json::to_value(record), self.records.lock()) {
            records.push(value);
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
    fn missing_flags_are_named_as_in_the_s3_api() {
        let flags = PublicAccessFlags {
            block_public_acls: true,
            ignore_public_acls: false,
            block_public_policy: true,
            restrict_public_buckets: false,
        };
        assert_eq!(
            flags.missing(),
            vec!["IgnorePublicAcls", "RestrictPublicBuckets"]
        );
        assert!(PublicAccessFlags::ALL.missing().is_empty());
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        let t = now_rfc3339();
        assert!(
            t.starts_with("20") && t.ends_with('Z') && t.contains('T'),
            "{t}"
        );
    }

    #[test]
    fn states_and_changes_serialise_with_a_type_tag() {
        let s =
            serde_json::to_value(State::BucketPublicAccessBlock(PublicAccessFlags::ALL)).unwrap();
        assert_eq!(s["type"], "bucket_public_access_block");
        assert_eq!(s["restrict_public_buckets"], true);
        let c = serde_json::to_value(Change::DetachRolePolicy {
            policy_arn: "a".into(),
        })
        .unwrap();
        assert_eq!(
            c,
            serde_json::json!({"type": "detach_role_policy", "policy_arn": "a"})
        );
    }
}
