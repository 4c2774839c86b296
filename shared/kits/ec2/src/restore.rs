//! Undoing the security-group function's fix: the ingress rules it revoked,
//! read from the record's `changes` (the function's own [`RuleRecord`]),
//! authorised again.
//!
//! Pure: the reads and writes are [`crate::aws`]'s. It must not decide which
//! rules the function revokes: its plan does.

use std::collections::BTreeSet;

use remediation_shared::restore::{RecordError, Restore, Undoing};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::RuleRecord;

/// A rule by content (rule ids change): protocol, ports, source.
pub type RuleKey = (String, i32, i32, String);

/// An ingress rule to authorise again.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct IngressRule {
    /// `tcp`, `-1`, ...
    pub protocol: String,
    /// First port (-1: all).
    pub from_port: i32,
    /// Last port (-1: all).
    pub to_port: i32,
    /// The source CIDR.
    pub cidr: String,
    /// Its description, if it had one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl IngressRule {
    /// The rule without its description: what makes two rules the same.
    pub fn key(&self) -> RuleKey {
        (
            self.protocol.clone(),
            self.from_port,
            self.to_port,
            self.cidr.clone(),
        )
    }

    /// `tcp 22-22 from 0.0.0.0/0`.
    pub fn describe(&self) -> String {
        format!(
            "{} {}-{} from {}",
            self.protocol, self.from_port, self.to_port, self.cidr
        )
    }
}

/// A group's revoked ingress rules to put back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRestore {
    /// The group id.
    pub group_id: String,
    /// The rules revoked (or, once decided, those still missing).
    pub rules: Vec<IngressRule>,
}

impl Restore for GroupRestore {
    /// The group's ingress rules now, by content.
    type Live = BTreeSet<RuleKey>;

    fn of(record: &Value) -> Result<Self, RecordError> {
        let resource = record["resource"].as_str().unwrap_or_default();
        let group_id = resource
            .rsplit_once(":security-group/")
            .map(|(_, g)| g.to_owned())
            .filter(|g| g.starts_with("sg-"))
            .ok_or_else(|| {
                RecordError::new(
                    "resource",
                    format!("{resource:?} is not a security group ARN"),
                )
            })?;
        let changes = record["changes"].as_array().map(Vec::as_slice);
        let rules = changes
            .unwrap_or_default()
            .iter()
            .filter(|c| c["type"] == "revoke_ingress_rule")
            .map(|c| {
                let rule = RuleRecord::deserialize(c)
                    .map_err(|e| RecordError::new("changes", e.to_string()))?;
                if !rule.cidr.contains('/') {
                    return Err(RecordError::new("changes", "cidr missing"));
                }
                Ok(IngressRule {
                    protocol: rule.protocol,
                    from_port: rule.from_port,
                    to_port: rule.to_port,
                    cidr: rule.cidr,
                    description: rule.description,
                })
            })
            .collect::<Result<Vec<_>, RecordError>>()?;
        if rules.is_empty() {
            return Err(RecordError::new("changes", "no revoke_ingress_rule"));
        }
        Ok(GroupRestore { group_id, rules })
    }

    fn regional(&self) -> bool {
        true
    }

    /// Rules that exist again since are named and kept (refused unless
    /// `force`, then only the others are authorised).
    fn decide(self, live: &Self::Live, force: bool) -> Undoing<Self> {
        let (back, missing): (Vec<IngressRule>, Vec<IngressRule>) = self
            .rules
            .into_iter()
            .partition(|r| live.contains(&r.key()));
        if missing.is_empty() {
            return Undoing::AlreadyRestored("every revoked rule exists again".into());
        }
        if !back.is_empty() && !force {
            let which: Vec<String> = back.iter().map(IngressRule::describe).collect();
            return Undoing::Diverged(format!(
                "{} exist(s) again since the remediation (--force to restore only the others)",
                which.join("; ")
            ));
        }
        Undoing::Restore(GroupRestore {
            group_id: self.group_id,
            rules: missing,
        })
    }

    fn show(live: &Self::Live) -> Value {
        json!(live
            .iter()
            .map(|(p, from, to, cidr)| json!({"protocol": p, "from_port": from, "to_port": to, "cidr": cidr}))
            .collect::<Vec<_>>())
    }

    fn changes(&self) -> Vec<Value> {
        self.rules
            .iter()
            .map(|r| json!({"type": "authorize_ingress_rule", "rule": r}))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(cidr: &str) -> IngressRule {
        IngressRule {
            protocol: "tcp".into(),
            from_port: 22,
            to_port: 22,
            cidr: cidr.into(),
            description: None,
        }
    }

    #[test]
    fn a_record_restores_its_revoked_rules_read_through_the_functions_own_record() {
        let sg = json!({"resource": "arn:aws:ec2:eu-west-1:111111111111:security-group/sg-0abc",
            "before": {"type": "security_group_ingress"},
            "changes": [{"type": "revoke_ingress_rule", "rule_id": "sgr-1", "protocol": "tcp", "from_port": 22, "to_port": 22, "cidr": "0.0.0.0/0", "description": "office", "also_closes": []},
                        {"type": "revoke_ingress_rule", "rule_id": "sgr-2", "protocol": "-1", "from_port": -1, "to_port": -1, "cidr": "::/0", "also_closes": ["all traffic"]}]});
        let all = IngressRule {
            protocol: "-1".into(),
            from_port: -1,
            to_port: -1,
            cidr: "::/0".into(),
            description: None,
        };
        let office = IngressRule {
            description: Some("office".into()),
            ..rule("0.0.0.0/0")
        };
        assert_eq!(
            GroupRestore::of(&sg),
            Ok(GroupRestore {
                group_id: "sg-0abc".into(),
                rules: vec![office, all],
            })
        );
    }

    #[test]
    fn records_that_cannot_be_undone_say_why() {
        let cases = [
            (
                "without_revokes",
                json!({"resource": "arn:aws:ec2:r:1:security-group/sg-1", "changes": [{"type": "x"}]}),
                "no revoke_ingress_rule",
            ),
            (
                "not_a_group",
                json!({"resource": "arn:aws:ec2:r:1:instance/i-1", "changes": []}),
                "not a security group ARN",
            ),
            (
                "rule_without_port",
                json!({"resource": "arn:aws:ec2:r:1:security-group/sg-1",
                       "changes": [{"type": "revoke_ingress_rule", "rule_id": "sgr-1", "protocol": "tcp", "cidr": "0.0.0.0/0"}]}),
                "from_port",
            ),
        ];
        for (name, record, part) in cases {
            let err = GroupRestore::of(&record).unwrap_err();
            assert!(err.to_string().contains(part), "{name}: {err}");
        }
    }

    #[test]
    fn rules_that_exist_again_are_named_and_kept() {
        let group = GroupRestore {
            group_id: "sg-1".into(),
            rules: vec![rule("0.0.0.0/0"), rule("::/0")],
        };
        let live =
            |cidrs: &[&str]| -> BTreeSet<RuleKey> { cidrs.iter().map(|c| rule(c).key()).collect() };
        assert_eq!(
            group.clone().decide(&live(&[]), false),
            Undoing::Restore(group.clone())
        );
        match group.clone().decide(&live(&["::/0"]), false) {
            Undoing::Diverged(why) => assert!(why.contains("tcp 22-22 from ::/0"), "{why}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            group.clone().decide(&live(&["::/0"]), true),
            Undoing::Restore(GroupRestore {
                group_id: "sg-1".into(),
                rules: vec![rule("0.0.0.0/0")]
            })
        );
        assert!(matches!(
            group.decide(&live(&["0.0.0.0/0", "::/0"]), false),
            Undoing::AlreadyRestored(_)
        ));
    }
}
