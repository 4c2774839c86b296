//! The IAM kit: a change to a role as audit records carry it (`changes[]`),
//! one definition for the service-role function that writes it and for
//! undo, which reads it back to attach the policy again.
//!
//! - this file: the change's record (pure).
//! - [`restore`]: undoing the function's fix (pure).
//! - [`aws`]: the undo's port over IAM.
//!
//! It must not decide which policies are detached: the function's plan does.

pub mod aws;
pub mod restore;

use serde::{Deserialize, Serialize};

/// A change to a role in audit records (`changes`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    /// One managed policy detached.
    DetachRolePolicy {
        /// Its ARN.
        policy_arn: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_reads_back_as_it_was_written() {
        let change = Change::DetachRolePolicy {
            policy_arn: "arn:aws:iam::aws:policy/AdministratorAccess".into(),
        };
        let written = serde_json::to_value(&change).unwrap_or_default();
        assert_eq!(written["type"], "detach_role_policy");
        let read: Change = serde_json::from_value(written).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(read, change);
        let err =
            serde_json::from_value::<Change>(serde_json::json!({"type": "detach_role_policy"}))
                .map(|_| ())
                .unwrap_err();
        assert!(err.to_string().contains("policy_arn"), "{err}");
    }
}
