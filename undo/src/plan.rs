//! What an undo restores, read from an audit record, and whether the live
//! state still is what the remediation left.
//!
//! Owns the meaning of each function's `before` and `changes` payloads for an
//! undo, and the decisions: restore, already restored, or refuse because the
//! resource changed again since (unless forced). Pure: no AWS; reading and
//! writing are [`crate::aws`]'s, the sequence is [`crate::undo`]'s.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use remediation_ec2::RuleRecord;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::input::InputError;

/// The four Block Public Access settings: the S3 functions' own type.
pub use remediation_s3::flags::PublicAccessFlags as Flags;

/// The settings of a record's `before`, each a boolean.
fn flags_of(state: &Value) -> Result<Flags, InputError> {
    let flag = |name: &'static str| {
        state[name].as_bool().ok_or(InputError::Field {
            field: "before",
            problem: format!("{name} is missing or not a boolean"),
        })
    };
    Ok(Flags {
        block_public_acls: flag("block_public_acls")?,
        ignore_public_acls: flag("ignore_public_acls")?,
        block_public_policy: flag("block_public_policy")?,
        restrict_public_buckets: flag("restrict_public_buckets")?,
    })
}

/// Block Public Access settings as a record or the live state has them:
/// `None` is no configuration at all.
pub type Settings = Option<Flags>;

/// An ingress rule the remediation revoked, by content (rule ids change).
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
    pub fn key(&self) -> (String, i32, i32, String) {
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

/// What to put back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Restore {
    /// A bucket's settings (`None`: delete its configuration).
    Bucket {
        /// The bucket.
        bucket: String,
        /// The settings before the remediation.
        before: Settings,
    },
    /// An account's settings (`None`: delete its configuration).
    Account {
        /// The account id.
        account: String,
        /// The settings before the remediation.
        before: Settings,
    },
    /// A group's revoked ingress rules.
    Group {
        /// The group id.
        group_id: String,
        /// The rules revoked.
        rules: Vec<IngressRule>,
    },
    /// A role's detached managed policies.
    Role {
        /// The role name.
        role_name: String,
        /// The policies detached.
        policy_arns: Vec<String>,
    },
}

impl Restore {
    /// The undo's action name in its audit record.
    pub fn action(&self) -> &'static str {
        match self {
            Restore::Bucket { .. } => undo_action(remediation_catalog::BUCKET_PUBLIC_ACCESS.action),
            Restore::Account { .. } => {
                undo_action(remediation_catalog::ACCOUNT_PUBLIC_ACCESS.action)
            }
            Restore::Group { .. } => undo_action(remediation_catalog::WORLD_OPEN_ADMIN.action),
            Restore::Role { .. } => undo_action(remediation_catalog::SERVICE_ROLE_ADMIN.action),
        }
    }

    /// Whether the resource lives in a region (its record's region must be
    /// the one the tool runs in).
    pub fn regional(&self) -> bool {
        matches!(self, Restore::Bucket { .. } | Restore::Group { .. })
    }
}

/// The action of an undo of a record whose own action is `action`: `undo_`
/// and the action, for a function of the catalog; `undo` for any other.
pub fn undo_action(action: &str) -> &'static str {
    static UNDO: LazyLock<Vec<(&'static str, String)>> = LazyLock::new(|| {
        remediation_catalog::ALL
            .iter()
            .map(|f| (f.action, format!("undo_{}", f.action)))
            .collect()
    });
    UNDO.iter()
        .find(|(own, _)| *own == action)
        .map_or("undo", |(_, undo)| undo.as_str())
}

fn field_error(field: &'static str, problem: impl Into<String>) -> InputError {
    InputError::Field {
        field,
        problem: problem.into(),
    }
}

fn settings_of(state: &Value) -> Result<Settings, InputError> {
    if state["no_configuration"] == Value::Bool(true) {
        Ok(None)
    } else {
        flags_of(state).map(Some)
    }
}

/// The functions whose fixes can be undone, by their names in the catalog.
const BUCKET_PUBLIC_ACCESS: &str = remediation_catalog::BUCKET_PUBLIC_ACCESS.name;
const ACCOUNT_PUBLIC_ACCESS: &str = remediation_catalog::ACCOUNT_PUBLIC_ACCESS.name;
const WORLD_OPEN_ADMIN: &str = remediation_catalog::WORLD_OPEN_ADMIN.name;
const SERVICE_ROLE_ADMIN: &str = remediation_catalog::SERVICE_ROLE_ADMIN.name;

/// What undoing `record` (a `remediated` record with `before` and
/// `changes`, as [`crate::input`] checked) restores.
pub fn restore_of(record: &Value) -> Result<Restore, InputError> {
    let resource = record["resource"].as_str().unwrap_or_default();
    let changes = record["changes"].as_array().cloned().unwrap_or_default();
    let before = &record["before"];
    match record["function"].as_str().unwrap_or_default() {
        BUCKET_PUBLIC_ACCESS => {
            let bucket = resource
                .strip_prefix("arn:")
                .and_then(|r| r.split_once(":s3:::"))
                .map(|(_, b)| b.to_owned())
                .filter(|b| !b.is_empty() && !b.contains('/'))
                .ok_or_else(|| {
                    field_error("resource", format!("{resource:?} is not a bucket ARN"))
                })?;
            Ok(Restore::Bucket {
                bucket,
                before: settings_of(before)?,
            })
        }
        ACCOUNT_PUBLIC_ACCESS => {
            let account = record["account"]
                .as_str()
                .filter(|a| remediation_shared::resource::is_account_id(a))
                .ok_or_else(|| field_error("account", "missing or not a 12-digit account id"))?
                .to_owned();
            Ok(Restore::Account {
                account,
                before: settings_of(before)?,
            })
        }
        WORLD_OPEN_ADMIN => {
            let group_id = resource
                .rsplit_once(":security-group/")
                .map(|(_, g)| g.to_owned())
                .filter(|g| g.starts_with("sg-"))
                .ok_or_else(|| {
                    field_error(
                        "resource",
                        format!("{resource:?} is not a security group ARN"),
                    )
                })?;
            let rules = changes
                .iter()
                .filter(|c| c["type"] == "revoke_ingress_rule")
                .map(|c| {
                    // The function's own record type: one schema for both.
                    let record = RuleRecord::deserialize(c)
                        .map_err(|e| field_error("changes", e.to_string()))?;
                    if !record.cidr.contains('/') {
                        return Err(field_error("changes", "cidr missing"));
                    }
                    Ok(IngressRule {
                        protocol: record.protocol,
                        from_port: record.from_port,
                        to_port: record.to_port,
                        cidr: record.cidr,
                        description: record.description,
                    })
                })
                .collect::<Result<Vec<_>, InputError>>()?;
            if rules.is_empty() {
                return Err(field_error("changes", "no revoke_ingress_rule"));
            }
            Ok(Restore::Group { group_id, rules })
        }
        SERVICE_ROLE_ADMIN => {
            let role_name = resource
                .split_once(":role/")
                .map(|(_, path_and_name)| {
                    path_and_name
                        .rsplit('/')
                        .next()
                        .unwrap_or_default()
                        .to_owned()
                })
                .filter(|n| !n.is_empty())
                .ok_or_else(|| {
                    field_error("resource", format!("{resource:?} is not a role ARN"))
                })?;
            let policy_arns: Vec<String> = changes
                .iter()
                .filter(|c| c["type"] == "detach_role_policy")
                .filter_map(|c| c["policy_arn"].as_str().map(str::to_owned))
                .collect();
            if policy_arns.is_empty() {
                return Err(field_error("changes", "no detach_role_policy"));
            }
            Ok(Restore::Role {
                role_name,
                policy_arns,
            })
        }
        other => Err(field_error(
            "function",
            format!("{other:?} is not a function this tool undoes"),
        )),
    }
}

/// The live state an undo compares with the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Live {
    /// Block Public Access settings (bucket or account).
    Settings(Settings),
    /// A group's ingress rules, by content.
    Rules(BTreeSet<(String, i32, i32, String)>),
    /// A role's attached managed policies.
    Policies(BTreeSet<String>),
}

/// What to do, given the live state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Restore: these settings, or these of the rules or policies.
    Restore(Restore),
    /// The resource already is as before the remediation: nothing to write.
    AlreadyRestored(String),
    /// It changed since the remediation in a way the undo would overwrite.
    Diverged(String),
}

fn show(settings: Settings) -> String {
    match settings {
        None => "no configuration".into(),
        Some(f) => format!(
            "BlockPublicAcls={}, IgnorePublicAcls={}, BlockPublicPolicy={}, RestrictPublicBuckets={}",
            f.block_public_acls, f.ignore_public_acls, f.block_public_policy, f.restrict_public_buckets
        ),
    }
}

/// Whether `restore` may go ahead over `live`: the remediation left all
/// four settings on, the rules absent, the policies detached; anything else
/// someone changed since, and the undo would overwrite it, so it is refused
/// unless `force` (then only what is still missing is restored).
pub fn decide(restore: Restore, live: &Live, force: bool) -> Verdict {
    match (&restore, live) {
        (Restore::Bucket { before, .. } | Restore::Account { before, .. }, Live::Settings(now)) => {
            if now == before {
                Verdict::AlreadyRestored(format!(
                    "the settings already are as before: {}",
                    show(*now)
                ))
            } else if *now != Some(Flags::ALL) && !force {
                Verdict::Diverged(format!(
                    "the settings changed since the remediation: now {}, the remediation left all four on; \
                     restoring would overwrite that (--force to restore {} anyway)",
                    show(*now),
                    show(*before)
                ))
            } else {
                Verdict::Restore(restore)
            }
        }
        (Restore::Group { group_id, rules }, Live::Rules(now)) => {
            let (back, missing): (Vec<&IngressRule>, Vec<&IngressRule>) =
                rules.iter().partition(|r| now.contains(&r.key()));
            if missing.is_empty() {
                return Verdict::AlreadyRestored("every revoked rule exists again".into());
            }
            if !back.is_empty() && !force {
                let which: Vec<String> = back.iter().map(|r| r.describe()).collect();
                return Verdict::Diverged(format!(
                    "{} exist(s) again since the remediation (--force to restore only the others)",
                    which.join("; ")
                ));
            }
            Verdict::Restore(Restore::Group {
                group_id: group_id.clone(),
                rules: missing.into_iter().cloned().collect(),
            })
        }
        (
            Restore::Role {
                role_name,
                policy_arns,
            },
            Live::Policies(now),
        ) => {
            let (back, missing): (Vec<&String>, Vec<&String>) =
                policy_arns.iter().partition(|p| now.contains(*p));
            if missing.is_empty() {
                return Verdict::AlreadyRestored("every detached policy is attached again".into());
            }
            if !back.is_empty() && !force {
                let which: Vec<&str> = back.iter().map(|p| p.as_str()).collect();
                return Verdict::Diverged(format!(
                    "{} attached again since the remediation (--force to attach only the others)",
                    which.join(", ")
                ));
            }
            Verdict::Restore(Restore::Role {
                role_name: role_name.clone(),
                policy_arns: missing.into_iter().cloned().collect(),
            })
        }
        (_, other) => Verdict::Diverged(format!(
            "the live state read ({other:?}) is not of this resource"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn bucket_record(before: Value) -> Value {
        json!({"function": "s3-block-public-access", "resource": "arn:aws:s3:::my-bucket", "before": before,
               "changes": [{"type": "enable_public_access_block", "settings": ["BlockPublicAcls"]}]})
    }

    const OFF: Flags = Flags {
        block_public_acls: false,
        ignore_public_acls: false,
        block_public_policy: false,
        restrict_public_buckets: false,
    };

    #[test]
    fn what_each_record_restores() {
        let partial = json!({"type": "bucket_public_access_block", "block_public_acls": true, "ignore_public_acls": false, "block_public_policy": true, "restrict_public_buckets": false});
        let none = json!({"type": "bucket_public_access_block", "block_public_acls": false, "ignore_public_acls": false, "block_public_policy": false, "restrict_public_buckets": false, "no_configuration": true});
        let sg = json!({"function": "sg-revoke-open-ssh", "resource": "arn:aws:ec2:eu-west-1:111111111111:security-group/sg-0abc",
            "before": {"type": "security_group_ingress"},
            "changes": [{"type": "revoke_ingress_rule", "rule_id": "sgr-1", "protocol": "tcp", "from_port": 22, "to_port": 22, "cidr": "0.0.0.0/0", "description": "office", "also_closes": []},
                        {"type": "revoke_ingress_rule", "rule_id": "sgr-2", "protocol": "-1", "from_port": -1, "to_port": -1, "cidr": "::/0", "also_closes": ["all traffic"]}]});
        let role = json!({"function": "iam-detach-admin-policy", "resource": "arn:aws:iam::111111111111:role/service-role/app",
            "before": {"type": "role_policies"}, "changes": [{"type": "detach_role_policy", "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"}]});
        let account = json!({"function": "s3-account-public-access-block", "resource": "arn:aws:iam::111111111111:root", "account": "111111111111",
            "before": none.clone(), "changes": [{"type": "enable_account_public_access_block"}]});
        let cases = [
            (
                "bucket_partial",
                bucket_record(partial),
                Restore::Bucket {
                    bucket: "my-bucket".into(),
                    before: Some(Flags {
                        block_public_acls: true,
                        block_public_policy: true,
                        ..OFF
                    }),
                },
            ),
            (
                "bucket_without_configuration",
                bucket_record(none),
                Restore::Bucket {
                    bucket: "my-bucket".into(),
                    before: None,
                },
            ),
            (
                "account",
                account,
                Restore::Account {
                    account: "111111111111".into(),
                    before: None,
                },
            ),
            (
                "group",
                sg,
                Restore::Group {
                    group_id: "sg-0abc".into(),
                    rules: vec![
                        IngressRule {
                            protocol: "tcp".into(),
                            from_port: 22,
                            to_port: 22,
                            cidr: "0.0.0.0/0".into(),
                            description: Some("office".into()),
                        },
                        IngressRule {
                            protocol: "-1".into(),
                            from_port: -1,
                            to_port: -1,
                            cidr: "::/0".into(),
                            description: None,
                        },
                    ],
                },
            ),
            (
                "role_with_a_path",
                role,
                Restore::Role {
                    role_name: "app".into(),
                    policy_arns: vec!["arn:aws:iam::aws:policy/AdministratorAccess".into()],
                },
            ),
        ];
        for (name, record, expected) in cases {
            assert_eq!(restore_of(&record), Ok(expected), "{name}");
        }
    }

    #[test]
    fn records_that_cannot_be_undone_say_why() {
        let cases = [
            (
                "flags_missing",
                bucket_record(json!({"type": "bucket_public_access_block"})),
                "block_public_acls",
            ),
            (
                "not_a_bucket_arn",
                json!({"function": "s3-block-public-access", "resource": "arn:aws:s3:::", "before": {}, "changes": [{}]}),
                "not a bucket ARN",
            ),
            (
                "unknown_function",
                json!({"function": "other", "resource": "x", "before": {}, "changes": [{}]}),
                "not a function",
            ),
            (
                "group_without_revokes",
                json!({"function": "sg-revoke-open-ssh", "resource": "arn:aws:ec2:r:1:security-group/sg-1", "before": {}, "changes": [{"type": "x"}]}),
                "no revoke_ingress_rule",
            ),
        ];
        for (name, record, part) in cases {
            let err = restore_of(&record).unwrap_err();
            assert!(err.to_string().contains(part), "{name}: {err}");
        }
    }

    #[test]
    fn an_undos_action_is_undo_and_the_functions_own_and_undo_for_any_other() {
        for (action, undo) in [
            (
                "enable_bucket_public_access_block",
                "undo_enable_bucket_public_access_block",
            ),
            (
                "enable_account_public_access_block",
                "undo_enable_account_public_access_block",
            ),
            (
                "revoke_world_open_ssh_ingress",
                "undo_revoke_world_open_ssh_ingress",
            ),
            (
                "detach_administrator_access",
                "undo_detach_administrator_access",
            ),
            ("attach_something", "undo"),
            ("", "undo"),
        ] {
            assert_eq!(undo_action(action), undo, "{action:?}");
        }
    }

    #[test]
    fn settings_are_restored_only_over_what_the_remediation_left() {
        let restore = |before| Restore::Bucket {
            bucket: "b".into(),
            before,
        };
        let cases = [
            ("as_left", Some(OFF), Some(Flags::ALL), false, "restore"),
            ("none_as_left", None, Some(Flags::ALL), false, "restore"),
            ("already_back", Some(OFF), Some(OFF), false, "already"),
            ("already_no_configuration", None, None, false, "already"),
            (
                "changed_since",
                Some(OFF),
                Some(Flags {
                    block_public_acls: true,
                    ..OFF
                }),
                false,
                "diverged",
            ),
            (
                "changed_since_forced",
                Some(OFF),
                Some(Flags {
                    block_public_acls: true,
                    ..OFF
                }),
                true,
                "restore",
            ),
            (
                "configuration_deleted_since",
                Some(OFF),
                None,
                false,
                "diverged",
            ),
        ];
        for (name, before, now, force, expected) in cases {
            let got = decide(restore(before), &Live::Settings(now), force);
            let kind = match &got {
                Verdict::Restore(_) => "restore",
                Verdict::AlreadyRestored(_) => "already",
                Verdict::Diverged(_) => "diverged",
            };
            assert_eq!(kind, expected, "{name}: {got:?}");
        }
    }

    #[test]
    fn rules_and_policies_that_exist_again_are_named_and_kept() {
        let rule = |cidr: &str| IngressRule {
            protocol: "tcp".into(),
            from_port: 22,
            to_port: 22,
            cidr: cidr.into(),
            description: None,
        };
        let group = Restore::Group {
            group_id: "sg-1".into(),
            rules: vec![rule("0.0.0.0/0"), rule("::/0")],
        };
        let live = |cidrs: &[&str]| Live::Rules(cidrs.iter().map(|c| rule(c).key()).collect());
        assert_eq!(
            decide(group.clone(), &live(&[]), false),
            Verdict::Restore(group.clone())
        );
        match decide(group.clone(), &live(&["::/0"]), false) {
            Verdict::Diverged(why) => assert!(why.contains("tcp 22-22 from ::/0"), "{why}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            decide(group.clone(), &live(&["::/0"]), true),
            Verdict::Restore(Restore::Group {
                group_id: "sg-1".into(),
                rules: vec![rule("0.0.0.0/0")]
            })
        );
        assert!(matches!(
            decide(group, &live(&["0.0.0.0/0", "::/0"]), false),
            Verdict::AlreadyRestored(_)
        ));

        let admin = "arn:aws:iam::aws:policy/AdministratorAccess".to_owned();
        let role = Restore::Role {
            role_name: "app".into(),
            policy_arns: vec![admin.clone()],
        };
        assert_eq!(
            decide(role.clone(), &Live::Policies(BTreeSet::new()), false),
            Verdict::Restore(role.clone())
        );
        assert!(matches!(
            decide(role, &Live::Policies(BTreeSet::from([admin])), false),
            Verdict::AlreadyRestored(_)
        ));
    }
}
