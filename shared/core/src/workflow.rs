//! The Security Hub finding's workflow after a function acted on it: which
//! status and note each record calls for, and the [`UpdateFindings`] port
//! that sends them (`BatchUpdateFindings`).
//!
//! Pure except for the port: the SDK adapter lives in the SDK runtime (`remediation_runtime::channels`). It must
//! not decide outcomes, and an update that fails must never fail the
//! invocation: the resource is fixed, and Lambda must not retry the fix. The
//! driver records how the update went in the record's `finding_update`.

use std::future::Future;

use crate::audit::{AuditRecord, Outcome};
use crate::error::AwsError;
pub use crate::finding::HubFinding;
use crate::text::clip;

/// The longest note Security Hub takes, in characters.
pub const MAX_NOTE_CHARS: usize = 512;

/// What to write on a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingUpdate {
    /// The new `Workflow.Status`, or none to leave it (dry run).
    pub status: Option<&'static str>,
    /// The note: what was done, when, why, and the request id that finds the
    /// audit record; at most [`MAX_NOTE_CHARS`].
    pub note: String,
}

/// The update `record` calls for, if any: RESOLVED only for a fix or a
/// resource already right whose record says the finding's whole check holds
/// on the live state (`control.holds`); NOTIFIED, with what still fails, for a
/// fix of the function's part of a check that still fails elsewhere, or one
/// whose check was not verified; NOTIFIED with why for a failure or a change
/// held back (`withheld`: exempt, protected), so a person looks; NOTIFIED
/// with what would change and how to approve it for a proposal; a note alone
/// on a dry run. Nothing for other skips (the resource is gone, or in another
/// account): the finding is not this function's to close.
pub fn update_for(record: &AuditRecord, withheld: bool) -> Option<FindingUpdate> {
    let holds = record.control.as_ref().is_some_and(|v| v.holds);
    let status = match record.outcome {
        Outcome::Remediated | Outcome::AlreadyCompliant if holds => Some("RESOLVED"),
        Outcome::Remediated | Outcome::AlreadyCompliant => Some("NOTIFIED"),
        Outcome::Failed => Some("NOTIFIED"),
        Outcome::Skipped if withheld => Some("NOTIFIED"),
        Outcome::Proposed => Some("NOTIFIED"),
        Outcome::DryRun => None,
        Outcome::Skipped => return None,
    };
    let what = match record.outcome {
        Outcome::Remediated => "fixed",
        Outcome::AlreadyCompliant => "found already compliant",
        Outcome::Failed => "could not fix",
        Outcome::Skipped => "did not fix",
        Outcome::DryRun => "would fix (dry run)",
        Outcome::Proposed => "proposes to fix",
    };
    let code = record
        .error_code
        .as_deref()
        .map(|c| format!(" [{c}]"))
        .unwrap_or_default();
    // What still fails of the finding's control, named from the record.
    let open = match (&record.control, record.outcome) {
        (Some(v), _) if !v.holds => {
            format!(". {} still fails: {}", v.check, v.failing.join(", "))
        }
        (None, Outcome::Remediated | Outcome::AlreadyCompliant) => {
            ". The finding's whole control was not verified, so it stays open".to_owned()
        }
        (_, Outcome::Proposed) => format!(". {}", crate::notify::APPROVE_ON_FINDING),
        _ => String::new(),
    };
    let note = format!(
        "{function} {what} {resource} at {time}: {reason}{code}{open}. Audit record: request_id {request}.",
        function = record.function,
        resource = record.resource.as_deref().unwrap_or("the resource"),
        time = record.timestamp,
        reason = record.reason,
        request = record.request_id,
    );
    Some(FindingUpdate {
        status,
        note: fit(&note),
    })
}

/// `note` within [`MAX_NOTE_CHARS`], its end (the request id) kept.
fn fit(note: &str) -> String {
    if note.chars().count() <= MAX_NOTE_CHARS {
        return note.to_owned();
    }
    let tail_start = note.rfind(". Audit record:").unwrap_or(note.len());
    let tail = &note[tail_start..];
    let room = MAX_NOTE_CHARS.saturating_sub(tail.chars().count() + 30);
    let head = clip(&note[..tail_start], room);
    let fitted = format!("{head}{tail}");
    fitted.chars().take(MAX_NOTE_CHARS).collect()
}

/// The OCSF `StatusId` of a workflow status (`BatchUpdateFindingsV2`):
/// RESOLVED is 4 (Resolved); NOTIFIED, a finding left for a person, is 2 (In
/// Progress), as the fix was attempted and what is left is named in the
/// comment.
pub fn ocsf_status_id(status: &str) -> i32 {
    match status {
        "RESOLVED" => 4,
        _ => 2,
    }
}

/// Where finding updates go.
pub trait UpdateFindings: Send + Sync {
    /// Whether updates are sent at all.
    fn enabled(&self) -> bool;

    /// Applies `update` to `finding`, noted as by `updated_by`.
    fn update(
        &self,
        finding: &HubFinding,
        update: &FindingUpdate,
        updated_by: &str,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;
}

/// No finding updates.
#[derive(Debug, Default, Clone, Copy)]
pub struct LeaveFindings;

impl UpdateFindings for LeaveFindings {
    fn enabled(&self) -> bool {
        false
    }

    async fn update(
        &self,
        _finding: &HubFinding,
        _update: &FindingUpdate,
        _updated_by: &str,
    ) -> Result<(), AwsError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Trigger;

    fn record(outcome: Outcome, reason: &str) -> AuditRecord {
        AuditRecord {
            timestamp: "2026-11-20T12:00:01.000Z".into(),
            account: Some("123456789012".into()),
            region: Some("us-east-1".into()),
            resource: Some("arn:aws:example:us-east-1:123456789012:thing/t-1".into()),
            error_code: (outcome == Outcome::Failed).then(|| "AccessDenied".into()),
            // A fix or a resource already right, its whole control verified.
            control: matches!(outcome, Outcome::Remediated | Outcome::AlreadyCompliant)
                .then(|| crate::control::Verdict::holds("T.1")),
            ..AuditRecord::new(
                "example-function",
                "req-9",
                "example_action",
                Trigger::default(),
                outcome,
                reason,
            )
        }
    }

    #[test]
    fn each_outcome_gets_its_workflow_status_and_a_note_naming_the_record() {
        let cases = [
            (Outcome::Remediated, false, Some(Some("RESOLVED")), "example-function fixed arn:aws:example:us-east-1:123456789012:thing/t-1 at 2026-11-20T12:00:01.000Z: closed it"),
            (Outcome::AlreadyCompliant, false, Some(Some("RESOLVED")), "found already compliant"),
            (Outcome::Failed, false, Some(Some("NOTIFIED")), "could not fix arn:aws:example:us-east-1:123456789012:thing/t-1 at 2026-11-20T12:00:01.000Z: closed it [AccessDenied]"),
            (Outcome::Skipped, true, Some(Some("NOTIFIED")), "did not fix"),
            (Outcome::DryRun, false, Some(None), "would fix (dry run)"),
            (Outcome::Proposed, false, Some(Some("NOTIFIED")), "proposes to fix arn:aws:example:us-east-1:123456789012:thing/t-1 at 2026-11-20T12:00:01.000Z: closed it. To approve, send this finding to the function with the stack's Security Hub custom action, or run `remediation apply` on the audit record. Audit record: request_id req-9."),
            (Outcome::Skipped, false, None, ""),
        ];
        for (outcome, withheld, status, says) in cases {
            let update = update_for(&record(outcome, "closed it"), withheld);
            assert_eq!(update.as_ref().map(|u| u.status), status, "{outcome:?}");
            if let Some(u) = update {
                assert!(u.note.contains(says), "{outcome:?}: {}", u.note);
                assert!(
                    u.note.ends_with("Audit record: request_id req-9."),
                    "{}",
                    u.note
                );
            }
        }
    }

    #[test]
    fn a_fix_resolves_the_finding_only_when_its_whole_control_holds() {
        use crate::control::Verdict;
        let failing = Verdict::of("EC2.19", vec!["tcp 5432 (0.0.0.0/0, sgr-db)".into()]);
        let cases = [
            (
                "remediated_and_the_control_holds",
                Outcome::Remediated,
                Some(Verdict::holds("EC2.53")),
                Some("RESOLVED"),
            ),
            (
                "already_right_and_the_control_holds",
                Outcome::AlreadyCompliant,
                Some(Verdict::holds("EC2.53")),
                Some("RESOLVED"),
            ),
            (
                "remediated_but_another_port_still_open",
                Outcome::Remediated,
                Some(failing.clone()),
                Some("NOTIFIED"),
            ),
            (
                "nothing_to_do_but_the_control_still_fails",
                Outcome::AlreadyCompliant,
                Some(failing.clone()),
                Some("NOTIFIED"),
            ),
            (
                "remediated_but_not_verified",
                Outcome::Remediated,
                None,
                Some("NOTIFIED"),
            ),
            (
                "already_right_but_not_verified",
                Outcome::AlreadyCompliant,
                None,
                Some("NOTIFIED"),
            ),
        ];
        for (name, outcome, verdict, status) in cases {
            let r = AuditRecord {
                control: verdict.clone(),
                ..record(outcome, "revoked world-open SSH")
            };
            let u = update_for(&r, false).unwrap();
            assert_eq!(u.status, status, "{name}");
            match &verdict {
                Some(v) if !v.holds => assert!(
                    u.note
                        .contains("EC2.19 still fails: tcp 5432 (0.0.0.0/0, sgr-db)"),
                    "{name}: {}",
                    u.note
                ),
                None => assert!(u.note.contains("not verified"), "{name}: {}", u.note),
                Some(_) => assert!(!u.note.contains("still fails"), "{name}: {}", u.note),
            }
        }
    }

    #[test]
    fn a_long_reason_is_cut_so_the_note_fits_and_still_names_the_record() {
        let long = "x".repeat(2_000);
        let u = update_for(&record(Outcome::Remediated, &long), false).unwrap();
        assert!(u.note.chars().count() <= MAX_NOTE_CHARS, "{}", u.note.len());
        assert!(
            u.note.ends_with("Audit record: request_id req-9."),
            "{}",
            u.note
        );
        assert!(u.note.contains("more characters)"), "{}", u.note);
    }
}
