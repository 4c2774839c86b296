//! What a function says about one target: a [`Report`] when it is settled, or
//! a [`Proposal`] when a write is called for, which the driver turns into a dry
//! run or hands back to the function to apply.
//!
//! Owns the shape of those answers and the wording common to every function
//! (access denied, throttled, a resource gone, a dry run, a deadline). It must
//! not decide a function's outcome: each function's plan does, with these
//! constructors. Payloads (`before`, `after`, `changes`) are the function's own
//! serialisable types, kept here as JSON.

use std::ops::ControlFlow;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::audit::Outcome;
use crate::control::Verdict;
use crate::error::{AwsError, AwsErrorKind};

/// What a function did with one target; the driver turns it into an audit record.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The resource's ARN when the function learned a better one than the event's.
    pub resource: Option<String>,
    /// How it ended.
    pub outcome: Outcome,
    /// Why.
    pub reason: String,
    /// State read before acting.
    pub before: Option<Value>,
    /// State after.
    pub after: Option<Value>,
    /// Changes made, or that would be made on dry run.
    pub changes: Vec<Value>,
    /// On failure: the error code.
    pub error_code: Option<String>,
    /// On failure: the stable Lambda error type.
    pub error_type: Option<&'static str>,
    /// Skipped although something is wrong: a person's rule (the exemption
    /// tag, a protection) holds the change back, so a person is told.
    pub withheld: bool,
    /// What the function verified of the whole check that called for it
    /// (the finding's control), on the live state after acting; `None` when
    /// it did not verify it. A Security Hub finding is resolved only on a
    /// verdict that holds.
    pub verdict: Option<Verdict>,
    /// On a proposal (propose mode): what called for it, kept in the record
    /// so that applying it later checks the same.
    pub basis: Option<crate::control::Basis>,
}

/// A payload as JSON: the function's own types are plain data, which always serialise.
fn json(payload: &impl Serialize) -> Value {
    serde_json::to_value(payload).unwrap_or(Value::Null)
}

impl Report {
    /// A report with no state and no changes.
    pub fn new(outcome: Outcome, reason: impl Into<String>) -> Self {
        Report {
            resource: None,
            outcome,
            reason: reason.into(),
            before: None,
            after: None,
            changes: Vec::new(),
            error_code: None,
            error_type: None,
            withheld: false,
            verdict: None,
            basis: None,
        }
    }

    /// A failure with its own code and stable error type (not an AWS error).
    pub fn failure(code: &str, error_type: &'static str, reason: impl Into<String>) -> Self {
        Report {
            error_code: Some(code.to_owned()),
            error_type: Some(error_type),
            ..Report::new(Outcome::Failed, reason)
        }
    }

    /// A failure caused by an AWS call.
    pub fn failed(err: &AwsError) -> Self {
        let reason = match err.kind {
            AwsErrorKind::AccessDenied => format!(
                "access denied: the function's role may not call {}: {err}",
                err.operation
            ),
            AwsErrorKind::Throttled => format!("throttled after retries: {err}"),
            AwsErrorKind::Transient => format!("AWS unavailable after retries: {err}"),
            AwsErrorKind::NotFound | AwsErrorKind::Other => err.to_string(),
        };
        Report::failure(&err.code, err.error_type(), reason)
    }

    /// The report for an error while reading a resource, or writing one that
    /// may have been deleted since it was read: a resource that no longer
    /// exists is skipped (retrying cannot help), anything else fails.
    pub fn read_failed(err: &AwsError, what: &str) -> Self {
        if err.kind == AwsErrorKind::NotFound {
            Report::new(
                Outcome::Skipped,
                format!("{what} no longer exists ({})", err.code),
            )
        } else {
            Report::failed(err)
        }
    }

    /// A target not attempted because Lambda would stop the function before
    /// it could finish: `failed`, so that the event is retried (the targets
    /// already fixed are then `already_compliant`), and recorded now, while
    /// there is still time to write the record.
    pub fn deadline_near(left: Duration, reserve: Duration) -> Self {
        Report::failure(
            "DeadlineNear",
            "Remediation.DeadlineNear",
            format!(
                "not attempted: {} ms left before the invocation's deadline, and {} ms are kept to record it",
                left.as_millis(),
                reserve.as_millis()
            ),
        )
    }

    /// A panic in a function's code, as a failure of its target.
    pub fn panicked(what: &str) -> Self {
        Report::failure(
            "Handler.Panic",
            "Handler.Panic",
            format!("internal error: {what}"),
        )
    }

    /// Nothing was written: the state before is the state after.
    pub fn unchanged(self, state: &impl Serialize) -> Self {
        let state = json(state);
        Report {
            before: Some(state.clone()),
            after: Some(state),
            ..self
        }
    }

    /// Sets the resource ARN.
    pub fn resource(self, arn: impl Into<String>) -> Self {
        Report {
            resource: Some(arn.into()),
            ..self
        }
    }

    /// Sets the resource ARN unless one is set already.
    pub fn or_resource(self, arn: Option<String>) -> Self {
        Report {
            resource: self.resource.or(arn),
            ..self
        }
    }

    /// Sets the state before.
    pub fn before(self, state: &impl Serialize) -> Self {
        Report {
            before: Some(json(state)),
            ..self
        }
    }

    /// Sets the state before, already as JSON.
    pub fn before_json(self, state: Value) -> Self {
        Report {
            before: Some(state),
            ..self
        }
    }

    /// Sets the state after.
    pub fn after(self, state: &impl Serialize) -> Self {
        Report {
            after: Some(json(state)),
            ..self
        }
    }

    /// Sets the changes.
    pub fn changes<C: Serialize>(self, changes: &[C]) -> Self {
        Report {
            changes: changes.iter().map(json).collect(),
            ..self
        }
    }

    /// Sets the verdict on the target's whole check.
    pub fn verdict(self, verdict: Verdict) -> Self {
        Report {
            verdict: Some(verdict),
            ..self
        }
    }

    /// Attaches `verdict` to a fix or a resource already right; any other
    /// outcome verified nothing and is returned as it is.
    pub fn verdict_if_fixed(self, verdict: Option<Verdict>) -> Self {
        match (self.outcome, verdict) {
            (Outcome::Remediated | Outcome::AlreadyCompliant, Some(v)) => self.verdict(v),
            _ => self,
        }
    }

    /// Appends to the reason, keeping everything else.
    pub fn reason_suffixed(self, suffix: &str) -> Self {
        Report {
            reason: format!("{}{suffix}", self.reason),
            ..self
        }
    }

    /// Prefixes the reason, keeping everything else.
    pub fn reason_prefixed(self, prefix: &str) -> Self {
        Report {
            reason: format!("{prefix}{}", self.reason),
            ..self
        }
    }
}

/// A write that a target calls for, before it is made: what the driver needs
/// to record a dry run, and what the function needs to apply it.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal<W> {
    /// The resource's ARN when the function learned a better one than the event's.
    pub resource: Option<String>,
    /// The state read before acting.
    pub before: Value,
    /// The changes the write would make.
    pub changes: Vec<Value>,
    /// The write in words, as a verb phrase: "revoke 2 rule(s): sgr-1, sgr-2".
    pub summary: String,
    /// What the function's apply step needs.
    pub work: W,
}

impl<W> Proposal<W> {
    /// A proposal to make `changes` to a resource in state `before`.
    pub fn new<S: Serialize, C: Serialize>(
        before: &S,
        changes: &[C],
        summary: impl Into<String>,
        work: W,
    ) -> Self {
        Proposal {
            resource: None,
            before: json(before),
            changes: changes.iter().map(json).collect(),
            summary: summary.into(),
            work,
        }
    }

    /// Sets the resource ARN.
    pub fn resource(self, arn: impl Into<String>) -> Self {
        Proposal {
            resource: Some(arn.into()),
            ..self
        }
    }

    /// The dry-run report: nothing written, the changes it would make.
    pub fn dry_run(&self) -> Report {
        self.unwritten(Outcome::DryRun, format!("dry run: would {}", self.summary))
    }

    /// The proposal's report (propose mode): nothing written, the changes
    /// a person may approve.
    pub fn proposed(&self) -> Report {
        self.unwritten(
            Outcome::Proposed,
            format!("proposed: would {} once a person approves", self.summary),
        )
    }

    /// A report of `outcome` that wrote nothing: the state before (and so
    /// after) and the changes this proposal would make.
    pub fn unwritten(&self, outcome: Outcome, reason: impl Into<String>) -> Report {
        Report {
            resource: self.resource.clone(),
            before: Some(self.before.clone()),
            after: Some(self.before.clone()),
            changes: self.changes.clone(),
            ..Report::new(outcome, reason)
        }
    }

    /// A report on this proposal's target, starting from its state before.
    pub fn report(&self, outcome: Outcome, reason: impl Into<String>) -> Report {
        Report {
            resource: self.resource.clone(),
            before: Some(self.before.clone()),
            ..Report::new(outcome, reason)
        }
    }
}

/// What examining a target found: `Break` with the report when there is
/// nothing to write (compliant, skipped, gone, or a read failed), `Continue`
/// with the proposal when a write is called for. A `ControlFlow`, so that a
/// read that settles the target ends the examination with `?`.
pub type Examined<W> = ControlFlow<Report, Proposal<W>>;

/// A read's result, as a step of an examination.
pub trait OrSettle<T> {
    /// The value read, or the end of the examination with the report for a
    /// failed read of `what` ([`Report::read_failed`]).
    fn or_settle(self, what: &str) -> ControlFlow<Report, T>;
}

impl<T> OrSettle<T> for Result<T, AwsError> {
    fn or_settle(self, what: &str) -> ControlFlow<Report, T> {
        match self {
            Ok(value) => ControlFlow::Continue(value),
            Err(e) => ControlFlow::Break(Report::read_failed(&e, what)),
        }
    }
}

/// What a function's plan decides for one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision<C> {
    /// It is already as it should be.
    AlreadyCompliant,
    /// Leave it alone, for this reason.
    Skip(String),
    /// Leave it alone although it is wrong: a person's rule (the exemption
    /// tag, a protection) says so, for this reason.
    Withheld(String),
    /// Make this change.
    Change(C),
}

impl<C> Decision<C> {
    /// The decision as the driver takes it, for a resource in state
    /// `before`: nothing to write (`compliant` says why, for an already
    /// compliant one), or the proposal that `propose` makes of the change.
    pub fn examined<W>(
        self,
        compliant: &str,
        before: &impl Serialize,
        propose: impl FnOnce(C) -> Proposal<W>,
    ) -> Examined<W> {
        match self {
            Decision::AlreadyCompliant => unchanged(Outcome::AlreadyCompliant, compliant, before),
            Decision::Skip(reason) => unchanged(Outcome::Skipped, reason, before),
            Decision::Withheld(reason) => ControlFlow::Break(Report {
                withheld: true,
                ..Report::new(Outcome::Skipped, reason).unchanged(before)
            }),
            Decision::Change(change) => ControlFlow::Continue(propose(change)),
        }
    }
}

impl<C> Decision<C> {
    /// Leave it alone: the `kind` of resource (`"bucket"`) carries the
    /// exemption tag.
    pub fn exempt(kind: &str) -> Self {
        Decision::Withheld(format!("{kind} carries the exemption tag"))
    }
}

impl<T> Decision<Vec<T>> {
    /// The decision for a resource of `kind` whose wrong parts are `wrong`:
    /// compliant when there are none, else left alone when it is `exempt`,
    /// else the change that fixes exactly those parts.
    pub fn to_fix(wrong: Vec<T>, exempt: bool, kind: &str) -> Self {
        if wrong.is_empty() {
            Decision::AlreadyCompliant
        } else if exempt {
            Decision::exempt(kind)
        } else {
            Decision::Change(wrong)
        }
    }
}

/// Nothing to write, the resource in `state`, for `outcome` and `reason`.
fn unchanged<W>(
    outcome: Outcome,
    reason: impl Into<String>,
    state: &impl Serialize,
) -> Examined<W> {
    ControlFlow::Break(Report::new(outcome, reason).unchanged(state))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dry_run_records_the_state_before_as_after_and_the_changes() {
        let p = Proposal::new(&vec!["open"], &["close"], "close it", ()).resource("arn:x");
        let r = p.dry_run();
        assert_eq!(r.outcome, Outcome::DryRun);
        assert_eq!(r.reason, "dry run: would close it");
        assert_eq!(r.before, Some(serde_json::json!(["open"])));
        assert_eq!(r.after, r.before);
        assert_eq!(r.changes, vec![serde_json::json!("close")]);
        assert_eq!(r.resource.as_deref(), Some("arn:x"));
    }

    #[test]
    fn what_is_wrong_is_fixed_unless_the_resource_is_exempt() {
        type Case = (&'static [&'static str], bool, Decision<Vec<&'static str>>);
        let cases: [Case; 4] = [
            (&[], false, Decision::AlreadyCompliant),
            (&[], true, Decision::AlreadyCompliant),
            (&["a", "b"], false, Decision::Change(vec!["a", "b"])),
            (
                &["a"],
                true,
                Decision::Withheld("bucket carries the exemption tag".into()),
            ),
        ];
        for (wrong, exempt, want) in cases {
            assert_eq!(
                Decision::to_fix(wrong.to_vec(), exempt, "bucket"),
                want,
                "{wrong:?} exempt={exempt}"
            );
        }
    }

    #[test]
    fn payloads_keep_the_field_order_their_function_declares() {
        #[derive(Serialize)]
        struct Rule {
            rule_id: &'static str,
            protocol: &'static str,
            cidr: &'static str,
        }
        let r = Report::new(Outcome::Remediated, "x").before(&Rule {
            rule_id: "sgr-1",
            protocol: "tcp",
            cidr: "::/0",
        });
        assert_eq!(
            serde_json::to_string(&r.before).unwrap(),
            r#"{"rule_id":"sgr-1","protocol":"tcp","cidr":"::/0"}"#
        );
    }

    #[test]
    fn a_missing_resource_on_read_is_a_skip_and_anything_else_a_failure() {
        let gone = AwsError::of("Get", AwsErrorKind::Other, "NoSuchThing", "m").into_not_found();
        let r = Report::read_failed(&gone, "the thing");
        assert_eq!(
            (r.outcome, r.reason.as_str()),
            (Outcome::Skipped, "the thing no longer exists (NoSuchThing)")
        );
        let denied = AwsError::of("Get", AwsErrorKind::AccessDenied, "AccessDenied", "m");
        let r = Report::read_failed(&denied, "the thing");
        assert_eq!(r.outcome, Outcome::Failed);
        assert_eq!(r.error_type, Some("Aws.AccessDenied"));
    }
}
