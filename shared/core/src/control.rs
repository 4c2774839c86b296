//! What called for examining a target ([`Basis`]: a Security Hub control, a
//! Config rule, a GuardDuty finding, an API call, the sweep) and what a
//! function found of that check's whole condition on the live state after it
//! acted ([`Verdict`]).
//!
//! Pure data: no AWS calls, no decisions. Each function's scope says what each
//! basis checks and its plan gives the verdict; the driver only carries the
//! basis from the event to the function and the verdict into the audit record,
//! where [`crate::workflow`] reads it: a Security Hub finding is set RESOLVED
//! only on a verdict that holds.

use serde::{Deserialize, Serialize};

use crate::scope::config_rule_is;

/// Why a target is examined, as the event said it. A proposal's record
/// carries it (`basis`), so that applying the proposal later checks what
/// the event called for, no more.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// A Security Hub control finding, by its consolidated control id
    /// (`EC2.53`), per-standard ids already read as the consolidated one.
    Control(String),
    /// A Config rule's evaluation, by the rule's name as deployed
    /// (`securityhub-restricted-ssh-a1b2c3`).
    ConfigRule(String),
    /// A GuardDuty finding of this type (without a `[beta]` label).
    GuardDuty {
        /// The finding type.
        finding_type: String,
        /// The ports a port probe finding says were probed (empty for other types).
        probed_ports: Vec<i64>,
    },
    /// A CloudTrail record of this API call.
    ApiCall(String),
    /// The scheduled sweep.
    Sweep,
    /// Nothing the event names: a Security Hub finding without a control
    /// (a person sent it with a custom action).
    #[default]
    Unnamed,
}

/// What a function verified of its target's whole check, on the live state
/// read after acting (or, when it changed nothing, the state it read).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// What was checked: the control id, the Config rule, or the function's
    /// own setting for triggers that name no control (`ADMIN_PORTS 22,3389`).
    pub check: String,
    /// Whether every part of that check holds for the resource.
    pub holds: bool,
    /// What still fails, one item per part, in words (empty when it holds).
    pub failing: Vec<String>,
}

impl Verdict {
    /// The verdict on `check` given what still fails of it.
    pub fn of(check: impl Into<String>, failing: Vec<String>) -> Self {
        Verdict {
            check: check.into(),
            holds: failing.is_empty(),
            failing,
        }
    }

    /// The whole of `check` holds.
    pub fn holds(check: impl Into<String>) -> Self {
        Verdict::of(check, Vec::new())
    }
}

/// What a row of a function's table of checks answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// A Security Hub control, by consolidated id (per-standard ids read as it).
    Control(&'static str),
    /// A Config rule, by its managed name, matched as deployed (prefixes,
    /// suffixes, Control Tower's spelling).
    ConfigRule(&'static str),
    /// A GuardDuty finding type.
    GuardDuty(&'static str),
}

impl Answer {
    /// Whether a trigger of `basis` is what this row answers.
    pub fn answers(self, basis: &Basis) -> bool {
        match (self, basis) {
            (Answer::Control(c), Basis::Control(b)) => c == b,
            (Answer::ConfigRule(r), Basis::ConfigRule(b)) => config_rule_is(b, &[r]),
            (Answer::GuardDuty(t), Basis::GuardDuty { finding_type, .. }) => t == finding_type,
            _ => false,
        }
    }
}

/// What a function's fix makes hold: the checks it answers, a row each, and
/// its own condition, which a trigger that names no check is held to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checks {
    /// The function's own condition (what its fix sets).
    pub own: &'static str,
    /// The checks it answers.
    pub table: &'static [Condition],
}

impl Checks {
    /// The verdict on a resource whose fix holds, for a trigger of `basis`
    /// (see [`whole`]).
    pub fn verdict(&self, basis: &Basis) -> Option<Verdict> {
        whole(self.table, basis, self.own)
    }
}

/// One row of the table of a function whose fix makes the whole of each
/// check it answers hold: the check, and what it requires of the resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Condition {
    /// What it answers.
    pub answers: Answer,
    /// What the check requires of the resource, which the function's target
    /// state satisfies.
    pub requires: &'static str,
    /// Where this is stated.
    pub source: &'static str,
}

impl Basis {
    /// The check's name as records give it; `own` for a trigger that names
    /// none (an API call, the sweep, a finding without a control).
    pub fn check_name(&self, own: &str) -> String {
        match self {
            Basis::Control(c) | Basis::ConfigRule(c) => c.clone(),
            Basis::GuardDuty { finding_type, .. } => finding_type.clone(),
            Basis::ApiCall(_) | Basis::Sweep | Basis::Unnamed => own.to_owned(),
        }
    }
}

/// The verdict for a resource in the function's target state (found so, or
/// put so by a write that succeeded), for a trigger of `basis`, by `table`:
/// the whole check holds when the table lists it; a trigger that names no
/// check is held to the function's `own` condition. `None` for a control,
/// rule or type the table does not list (a person's custom action on a
/// finding of another control): that check is not verified.
pub fn whole(table: &[Condition], basis: &Basis, own: &str) -> Option<Verdict> {
    match basis {
        Basis::ApiCall(_) | Basis::Sweep | Basis::Unnamed => Some(Verdict::holds(own)),
        _ => table
            .iter()
            .any(|row| row.answers.answers(basis))
            .then(|| Verdict::holds(basis.check_name(own))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_verifies_the_checks_it_lists_and_no_other() {
        const TABLE: &[Condition] = &[
            Condition {
                answers: Answer::Control("S3.8"),
                requires: "all four settings on",
                source: "reference",
            },
            Condition {
                answers: Answer::ConfigRule("s3-bucket-level-public-access-prohibited"),
                requires: "all four settings on",
                source: "reference",
            },
        ];
        let own = "all four settings";
        let cases: &[(&str, Basis, Option<&str>)] = &[
            (
                "a_listed_control",
                Basis::Control("S3.8".into()),
                Some("S3.8"),
            ),
            (
                "a_listed_rule_as_deployed",
                Basis::ConfigRule("securityhub-s3-bucket-level-public-access-prohibited-1a".into()),
                Some("securityhub-s3-bucket-level-public-access-prohibited-1a"),
            ),
            (
                "another_control_is_not_verified",
                Basis::Control("S3.9".into()),
                None,
            ),
            (
                "an_api_call_is_the_functions_own_condition",
                Basis::ApiCall("PutBucketPolicy".into()),
                Some(own),
            ),
            (
                "the_sweep_is_the_functions_own_condition",
                Basis::Sweep,
                Some(own),
            ),
        ];
        for (name, basis, check) in cases {
            let v = whole(TABLE, basis, own);
            assert_eq!(v.as_ref().map(|v| v.check.as_str()), *check, "{name}");
            assert!(v.is_none_or(|v| v.holds), "{name}");
        }
    }

    #[test]
    fn a_verdict_holds_exactly_when_nothing_fails() {
        assert!(Verdict::holds("S3.8").holds);
        assert!(Verdict::of("EC2.19", vec![]).holds);
        let v = Verdict::of("EC2.19", vec!["tcp 5432 from 0.0.0.0/0".into()]);
        assert!(!v.holds);
        assert_eq!(
            serde_json::to_value(&v).unwrap(),
            serde_json::json!({"check": "EC2.19", "holds": false, "failing": ["tcp 5432 from 0.0.0.0/0"]})
        );
    }
}
