//! Notifications for a person: which records call for one, the message each
//! becomes (a subject a mail client shows whole, a body that says what,
//! where, why, before and after, and how to exempt the resource, with the
//! record itself), and the [`Notify`] port that publishes it.
//!
//! Pure except for the port: the SNS adapter lives in the SDK runtime (`remediation_runtime::channels`). It must
//! not decide outcomes, and a publish that fails must never fail the
//! invocation: the driver records it in the record's `notification` field.

use std::future::Future;

pub use crate::audit::Delivery;
use crate::audit::{AuditRecord, Outcome};
use crate::error::AwsError;
pub use crate::scope::Wording;

/// The longest subject SNS takes (email subjects), in characters.
pub const MAX_SUBJECT_CHARS: usize = 99;

/// One notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// One line of printable ASCII, at most [`MAX_SUBJECT_CHARS`].
    pub subject: String,
    /// The text for a person, then the audit record as JSON.
    pub body: String,
    /// `function`, `outcome`, `account` and `region`, for subscription filters.
    pub attributes: Vec<(&'static str, String)>,
}

/// Where notifications go.
pub trait Notify: Send + Sync {
    /// Whether there is anywhere to publish to (else nothing is composed).
    fn enabled(&self) -> bool;

    /// Publishes `message`.
    fn publish(&self, message: &Message) -> impl Future<Output = Result<(), AwsError>> + Send;
}

/// No notifications.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Notify for Silent {
    fn enabled(&self) -> bool {
        false
    }

    async fn publish(&self, _message: &Message) -> Result<(), AwsError> {
        Ok(())
    }
}

/// How a person approves a proposal on its Security Hub finding (the
/// finding's note).
pub const APPROVE_ON_FINDING: &str = "To approve, send this finding to the function with the \
     stack's Security Hub custom action, or run `remediation apply` on the audit record";

/// The saved Logs Insights query that lists the proposals awaiting
/// approval, in the stack named `stack` (the template's `QueryDefinition`).
pub fn proposals_query(stack: &str) -> String {
    format!("{stack}/proposals awaiting approval")
}

/// How a person approves the proposal `record`: the custom action (when a
/// Security Hub finding named it), else the `remediation apply` line, to
/// copy and paste, and where the other proposals are listed.
fn approval(record: &AuditRecord, stack: Option<&str>) -> String {
    let mut text = String::from("\nTo approve this change:\n");
    if record.finding_update.is_some() {
        text.push_str(
            "- in Security Hub, select the finding and send it to the function with the stack's \
             custom action (Actions menu); the function re-reads the resource and applies the fix;\n",
        );
    }
    let region = record
        .region
        .as_deref()
        .map_or(String::new(), |r| format!("AWS_REGION={r} "));
    text.push_str(&format!(
        "- or, with credentials of account {account}, run this (it re-reads the resource and \
         applies only if it is still as above; without --apply it only says what it would do):\n\n\
         {region}remediation apply --apply - <<'PROPOSAL'\n{record}\nPROPOSAL\n",
        account = record.account.as_deref().unwrap_or("of the resource"),
        record = serde_json::to_string(record).unwrap_or_default(),
    ));
    if let Some(stack) = stack {
        text.push_str(&format!(
            "\nEvery proposal awaiting approval: the CloudWatch Logs Insights saved query \"{}\".\n",
            proposals_query(stack)
        ));
    }
    text
}

/// Whether a record calls for a person: a fix, a failure, a dry run, a
/// proposal, or a change held back by the exemption tag or a protection
/// (`withheld`). Not a resource already right, nor one the event was not
/// about: noise.
pub fn worth_telling(outcome: Outcome, withheld: bool) -> bool {
    match outcome {
        Outcome::Remediated | Outcome::Failed | Outcome::DryRun | Outcome::Proposed => true,
        Outcome::Skipped => withheld,
        Outcome::AlreadyCompliant => false,
    }
}

/// The message for `record`; `console` links to the resource, `exempt_tag`
/// is the tag that exempts it, `stack` the stack the function belongs to
/// (its saved queries), when known.
pub fn message(
    record: &AuditRecord,
    wording: Wording,
    console: Option<&str>,
    exempt_tag: &str,
    stack: Option<&str>,
) -> Message {
    let resource = record.resource.as_deref().unwrap_or("(no resource named)");
    let short = resource.rsplit([':', '/']).next().unwrap_or(resource);
    let place = match (&record.account, &record.region) {
        (Some(a), Some(r)) => format!("{a}/{r}"),
        (Some(a), None) => a.clone(),
        (None, Some(r)) => r.clone(),
        (None, None) => "an unknown account".into(),
    };
    let Wording { done, fix } = wording;
    let subject = match record.outcome {
        Outcome::Remediated => format!("{done} on {short} in {place}"),
        Outcome::DryRun => format!("Dry run: would {fix} on {short} in {place}"),
        Outcome::Proposed => format!("Approve? {fix} on {short} in {place}"),
        Outcome::Failed => format!("Failed to {fix} on {short} in {place}"),
        Outcome::Skipped | Outcome::AlreadyCompliant => {
            format!("Not done: {fix} on {short} in {place}")
        }
    };
    let pretty = |v: &Option<serde_json::Value>| match v {
        Some(v) => serde_json::to_string_pretty(v).unwrap_or_default(),
        None => "(not read)".into(),
    };
    let mut body = format!(
        "{subject}.\n\nWhat: {action} ({outcome})\nWhere: {resource} (account {account}, region {region})\nWhy: {reason}\nTrigger: {source} {name}\nWhen: {time}, request {request}\n",
        action = record.action,
        outcome = record.outcome.as_str(),
        account = record.account.as_deref().unwrap_or("unknown"),
        region = record.region.as_deref().unwrap_or("none (global)"),
        reason = record.reason,
        source = record.trigger.detail_type,
        name = record.trigger.name.as_deref().unwrap_or(""),
        time = record.timestamp,
        request = record.request_id,
    );
    if let Some(code) = &record.error_code {
        body.push_str(&format!("Error: {code}\n"));
    }
    body.push_str(&format!(
        "\nBefore:\n{}\n\nAfter:\n{}\n",
        pretty(&record.before),
        pretty(&record.after)
    ));
    if !record.changes.is_empty() {
        // A function's change may say what else the fix closed.
        body.push_str(&format!(
            "\nChanges{}:\n{}\n",
            if matches!(record.outcome, Outcome::DryRun | Outcome::Proposed) {
                " it would make"
            } else {
                ""
            },
            serde_json::to_string_pretty(&record.changes).unwrap_or_default()
        ));
    }
    if let Some(url) = console {
        body.push_str(&format!("\nIn the console: {url}\n"));
    }
    if record.outcome == Outcome::Proposed {
        body.push_str(&approval(record, stack));
    }
    body.push_str(&format!(
        "\nTo keep this resource out of automatic remediation, tag it {exempt_tag}=true.\n\nThe audit record:\n{}\n",
        serde_json::to_string(record).unwrap_or_default()
    ));
    Message {
        subject: subject_line(&subject),
        body,
        attributes: vec![
            ("function", record.function.clone()),
            ("outcome", record.outcome.as_str().to_owned()),
            (
                "account",
                record.account.clone().unwrap_or_else(|| "unknown".into()),
            ),
            (
                "region",
                record.region.clone().unwrap_or_else(|| "global".into()),
            ),
        ],
    }
}

/// `text` as SNS takes a subject: printable ASCII on one line, cut to
/// [`MAX_SUBJECT_CHARS`] with `...` where cut.
fn subject_line(text: &str) -> String {
    let ascii: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect();
    if ascii.len() <= MAX_SUBJECT_CHARS {
        ascii
    } else {
        format!("{}...", &ascii[..MAX_SUBJECT_CHARS - 3])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Trigger;
    use serde_json::json;

    const WORDS: Wording = Wording {
        done: "Closed the open port",
        fix: "close the open port",
    };

    fn record(outcome: Outcome) -> AuditRecord {
        let trigger = Trigger {
            source: "aws.securityhub".into(),
            detail_type: "Security Hub Findings - Imported".into(),
            name: Some("Example.1".into()),
            ..Trigger::default()
        };
        AuditRecord {
            timestamp: "2026-11-20T12:00:01.000Z".into(),
            account: Some("123456789012".into()),
            region: Some("eu-west-1".into()),
            resource: Some("arn:aws:example:eu-west-1:123456789012:thing/t-0abc".into()),
            before: Some(json!([{"part": "p-1", "from": 0, "to": 65535}])),
            after: Some(json!([])),
            changes: vec![json!({"part": "p-1", "also_closes": "0-21, 23-65535"})],
            ..AuditRecord::new(
                "example-function",
                "req-7",
                "example_action",
                trigger,
                outcome,
                "revoked 1 rule",
            )
        }
    }

    #[test]
    fn a_person_is_told_of_fixes_failures_dry_runs_and_what_was_held_back_only() {
        let cases = [
            (Outcome::Remediated, false, true),
            (Outcome::Failed, false, true),
            (Outcome::DryRun, false, true),
            (Outcome::Proposed, false, true),
            (Outcome::Skipped, true, true),
            (Outcome::Skipped, false, false),
            (Outcome::AlreadyCompliant, false, false),
        ];
        for (outcome, withheld, told) in cases {
            assert_eq!(
                worth_telling(outcome, withheld),
                told,
                "{outcome:?} withheld={withheld}"
            );
        }
    }

    #[test]
    fn a_proposal_says_how_to_approve_it_with_a_line_to_paste_and_where_the_others_are() {
        let mut proposed = record(Outcome::Proposed);
        let m = message(&proposed, WORDS, None, "x", Some("remediation"));
        let paste = format!(
            "AWS_REGION=eu-west-1 remediation apply --apply - <<'PROPOSAL'\n{}\nPROPOSAL\n",
            serde_json::to_string(&proposed).unwrap()
        );
        for part in [
            "Changes it would make:",
            "with credentials of account 123456789012",
            paste.as_str(),
            "saved query \"remediation/proposals awaiting approval\"",
        ] {
            assert!(m.body.contains(part), "no {part:?} in\n{}", m.body);
        }
        assert!(!m.body.contains("custom action"), "{}", m.body);
        // A proposal from a Security Hub finding: its custom action first.
        proposed.finding_update = Some(Delivery::sent());
        let m = message(&proposed, WORDS, None, "x", None);
        assert!(
            m.body.contains("custom action (Actions menu)"),
            "{}",
            m.body
        );
        assert!(!m.body.contains("saved query"), "{}", m.body);
        // Other outcomes say nothing of approving.
        let fixed = message(&record(Outcome::Remediated), WORDS, None, "x", Some("s"));
        assert!(!fixed.body.contains("approve"), "{}", fixed.body);
    }

    #[test]
    fn subjects_fit_a_mail_client_and_say_what_happened_where() {
        let cases = [
            (
                Outcome::Remediated,
                "Closed the open port on t-0abc in 123456789012/eu-west-1",
            ),
            (
                Outcome::DryRun,
                "Dry run: would close the open port on t-0abc in 123456789012/eu-west-1",
            ),
            (
                Outcome::Failed,
                "Failed to close the open port on t-0abc in 123456789012/eu-west-1",
            ),
            (
                Outcome::Proposed,
                "Approve? close the open port on t-0abc in 123456789012/eu-west-1",
            ),
            (
                Outcome::Skipped,
                "Not done: close the open port on t-0abc in 123456789012/eu-west-1",
            ),
        ];
        for (outcome, subject) in cases {
            assert_eq!(
                message(&record(outcome), WORDS, None, "x", None).subject,
                subject
            );
        }
        let mut long = record(Outcome::Remediated);
        long.resource = Some(format!("arn:aws:s3:::{}\u{e9}", "b".repeat(200)));
        let s = message(&long, WORDS, None, "x", None).subject;
        assert_eq!(s.len(), MAX_SUBJECT_CHARS);
        assert!(
            s.ends_with("...") && s.is_ascii() && !s.contains('\n'),
            "{s}"
        );
    }

    #[test]
    fn the_body_says_what_where_why_before_after_what_else_closed_and_how_to_exempt() {
        let m = message(
            &record(Outcome::Remediated),
            WORDS,
            Some("https://console.example/t-0abc"),
            "auto-remediation:exempt",
            Some("remediation"),
        );
        for part in [
            "What: example_action (remediated)",
            "Where: arn:aws:example:eu-west-1:123456789012:thing/t-0abc (account 123456789012, region eu-west-1)",
            "Why: revoked 1 rule",
            "Trigger: Security Hub Findings - Imported Example.1",
            "request req-7",
            "\"from\": 0",
            "\"also_closes\": \"0-21, 23-65535\"",
            "In the console: https://console.example/t-0abc",
            "tag it auto-remediation:exempt=true",
            "\"record_type\":\"remediation_audit\"",
        ] {
            assert!(m.body.contains(part), "no {part:?} in\n{}", m.body);
        }
        assert_eq!(
            m.attributes,
            vec![
                ("function", "example-function".to_owned()),
                ("outcome", "remediated".to_owned()),
                ("account", "123456789012".to_owned()),
                ("region", "eu-west-1".to_owned()),
            ]
        );
    }
}
