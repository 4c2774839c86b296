//! Undoing the service-role function's fix: the managed policies it
//! detached, read from the record's `changes` (the function's own
//! [`Change`]), attached again.
//!
//! Pure: the reads and writes are [`crate::aws`]'s. It must not decide which
//! policies the function detaches: its plan does.

use std::collections::BTreeSet;

use remediation_shared::restore::{RecordError, Restore, Undoing};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::Change;

/// A role's detached managed policies to attach again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleRestore {
    /// The role's name.
    pub role_name: String,
    /// The policies detached (or, once decided, those still detached).
    pub policy_arns: Vec<String>,
}

impl Restore for RoleRestore {
    /// The role's attached managed policies now.
    type Live = BTreeSet<String>;

    fn of(record: &Value) -> Result<Self, RecordError> {
        let resource = record["resource"].as_str().unwrap_or_default();
        let role_name = resource
            .split_once(":role/")
            .and_then(|(_, path_and_name)| path_and_name.rsplit('/').next())
            .filter(|n| !n.is_empty())
            .ok_or_else(|| RecordError::new("resource", format!("{resource:?} is not a role ARN")))?
            .to_owned();
        let changes = record["changes"].as_array().map(Vec::as_slice);
        let policy_arns = changes
            .unwrap_or_default()
            .iter()
            .filter(|c| c["type"] == "detach_role_policy")
            .map(|c| match Change::deserialize(c) {
                Ok(Change::DetachRolePolicy { policy_arn }) => Ok(policy_arn),
                Err(e) => Err(RecordError::new("changes", e.to_string())),
            })
            .collect::<Result<Vec<_>, _>>()?;
        if policy_arns.is_empty() {
            return Err(RecordError::new("changes", "no detach_role_policy"));
        }
        Ok(RoleRestore {
            role_name,
            policy_arns,
        })
    }

    fn regional(&self) -> bool {
        false
    }

    /// Policies attached again since are named and kept (refused unless
    /// `force`, then only the others are attached).
    fn decide(self, live: &Self::Live, force: bool) -> Undoing<Self> {
        let (back, missing): (Vec<String>, Vec<String>) =
            self.policy_arns.into_iter().partition(|p| live.contains(p));
        if missing.is_empty() {
            return Undoing::AlreadyRestored("every detached policy is attached again".into());
        }
        if !back.is_empty() && !force {
            return Undoing::Diverged(format!(
                "{} attached again since the remediation (--force to attach only the others)",
                back.join(", ")
            ));
        }
        Undoing::Restore(RoleRestore {
            role_name: self.role_name,
            policy_arns: missing,
        })
    }

    fn show(live: &Self::Live) -> Value {
        json!(live)
    }

    fn changes(&self) -> Vec<Value> {
        self.policy_arns
            .iter()
            .map(|a| json!({"type": "attach_role_policy", "policy_arn": a}))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADMIN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

    #[test]
    fn a_record_restores_the_policies_it_detached_from_the_role_by_name() {
        let role = json!({"resource": "arn:aws:iam::111111111111:role/service-role/app",
            "before": {"type": "role_policies"}, "changes": [{"type": "detach_role_policy", "policy_arn": ADMIN}]});
        assert_eq!(
            RoleRestore::of(&role),
            Ok(RoleRestore {
                role_name: "app".into(),
                policy_arns: vec![ADMIN.into()],
            })
        );
        let cases = [
            (
                json!({"resource": "arn:aws:iam::1:user/u", "changes": []}),
                "not a role ARN",
            ),
            (
                json!({"resource": "arn:aws:iam::1:role/r", "changes": [{"type": "x"}]}),
                "no detach_role_policy",
            ),
            (
                json!({"resource": "arn:aws:iam::1:role/r", "changes": [{"type": "detach_role_policy"}]}),
                "policy_arn",
            ),
        ];
        for (record, part) in cases {
            let err = RoleRestore::of(&record).unwrap_err();
            assert!(err.to_string().contains(part), "{record}: {err}");
        }
    }

    #[test]
    fn policies_attached_again_are_named_and_kept() {
        let other = "arn:aws:iam::aws:policy/PowerUserAccess";
        let role = RoleRestore {
            role_name: "app".into(),
            policy_arns: vec![ADMIN.into(), other.into()],
        };
        let live = |arns: &[&str]| arns.iter().map(|a| a.to_string()).collect::<BTreeSet<_>>();
        assert_eq!(
            role.clone().decide(&live(&[]), false),
            Undoing::Restore(role.clone())
        );
        match role.clone().decide(&live(&[other]), false) {
            Undoing::Diverged(why) => assert!(why.contains(other), "{why}"),
            got => panic!("{got:?}"),
        }
        assert_eq!(
            role.clone().decide(&live(&[other]), true),
            Undoing::Restore(RoleRestore {
                role_name: "app".into(),
                policy_arns: vec![ADMIN.into()],
            })
        );
        assert!(matches!(
            role.decide(&live(&[ADMIN, other]), false),
            Undoing::AlreadyRestored(_)
        ));
    }
}
