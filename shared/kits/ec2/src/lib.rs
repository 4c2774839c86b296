//! The EC2 kit: an ingress rule as audit records carry it
//! (`changes[].revoke_ingress_rule`), one definition for the security-group
//! function that writes it and for undo, which reads it back to restore the
//! rule.
//!
//! - this file: the rule's record (pure).
//! - [`restore`]: undoing the function's fix (pure).
//! - [`aws`]: the undo's port over EC2.
//!
//! It must not decide which rules are revoked: the function's plan does.

pub mod aws;
pub mod restore;

use serde::{Deserialize, Serialize};

/// An ingress rule as audit records describe it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleRecord {
    /// The rule id (`sgr-...`).
    pub rule_id: String,
    /// `tcp`, `udp`, `-1`, ...
    pub protocol: String,
    /// First port (-1: all).
    pub from_port: i32,
    /// Last port (-1: all).
    pub to_port: i32,
    /// The source CIDR (IPv4 or IPv6).
    pub cidr: String,
    /// What else revoking the rule closes, besides the ports it was revoked
    /// for (`tcp 0-21`, `tcp 23-65535`, `all traffic`): a rule broader than
    /// those is revoked whole, because narrowing it would need the power to
    /// open ports; the owner re-opens what they need.
    #[serde(default)]
    pub also_closes: Vec<String>,
    /// The rule's description, when it has one: what an undo puts back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_reads_back_as_it_was_written_and_without_what_undo_does_not_need() {
        let rule = RuleRecord {
            rule_id: "sgr-1".into(),
            protocol: "udp".into(),
            from_port: 3389,
            to_port: 3389,
            cidr: "::/0".into(),
            also_closes: vec![],
            description: Some("rdp".into()),
        };
        let written = serde_json::to_value(&rule).unwrap_or_default();
        let read: RuleRecord = serde_json::from_value(written).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(read, rule);
        let bare = serde_json::json!({"type": "revoke_ingress_rule", "rule_id": "sgr-2",
            "protocol": "tcp", "from_port": 22, "to_port": 22, "cidr": "0.0.0.0/0"});
        let read: RuleRecord = serde_json::from_value(bare).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((read.description, read.also_closes.len()), (None, 0));
        let no_port =
            serde_json::json!({"rule_id": "sgr-3", "protocol": "tcp", "cidr": "0.0.0.0/0"});
        let err = serde_json::from_value::<RuleRecord>(no_port)
            .map(|_| ())
            .unwrap_err();
        assert!(err.to_string().contains("from_port"), "{err}");
    }
}
