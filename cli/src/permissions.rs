//! `remediation permissions`: the IAM policy a person needs to run `plan`,
//! `apply` and `undo` with their own credentials, built from the catalog
//! (each function's declared calls, and its undo's), so that it follows
//! the code as the functions' roles do.
//!
//! Pure: it builds a JSON policy document and calls nothing. It must not
//! list a call by hand: a call the code does not declare is not granted.

use remediation_shared::Permission;
use serde_json::{json, Map, Value};

/// The policy document granting every call of `plan` and `apply` (each
/// function's declared permissions, with their conditions) and of `undo`
/// (its restores' permissions), in `partition`, in any region and, where a
/// permission names an account, in the account acted in; with
/// `member_role`, assuming that role in other accounts. (`sts:GetCallerIdentity`
/// needs no permission.)
pub fn policy(partition: &str, member_role: Option<&str>) -> Value {
    let mut statements = Vec::new();
    for f in remediation_catalog::ALL {
        for (kind, permissions) in [("Run", f.permissions), ("Undo", f.undo_permissions)] {
            for (n, p) in permissions.iter().enumerate() {
                let sid = format!("{kind}{}{n}", camel(f.name));
                statements.push(statement(&sid, p, partition));
            }
        }
    }
    if let Some(role) = member_role {
        statements.push(json!({
            "Sid": "ReachMembers",
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Resource": format!("arn:{partition}:iam::*:role/{role}"),
        }));
    }
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// `name` as a statement id may spell it: `a-function` as `AFunction`.
fn camel(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// One permission as a statement: its resource in any region and account
/// (the person's credentials, or the member role, choose the account), and
/// its condition where the grant names a value (`iam:PolicyARN`), or keeps
/// to the account acted in (`s3:ResourceAccount`).
fn statement(sid: &str, p: &Permission, partition: &str) -> Value {
    let resolve = |text: &str| {
        text.replace("${AWS::Partition}", partition)
            .replace("${AWS::Region}", "*")
            .replace("${AWS::AccountId}", "*")
    };
    let mut s = Map::new();
    s.insert("Sid".into(), json!(sid));
    s.insert("Effect".into(), json!("Allow"));
    s.insert("Action".into(), json!(p.action));
    s.insert("Resource".into(), json!(resolve(p.resource)));
    let condition = match (p.condition_key, p.condition_value) {
        (Some(key), Some(value)) if value.starts_with("arn:") => {
            Some(json!({"ArnEquals": {key: resolve(value)}}))
        }
        (Some(key), Some(value)) => Some(json!({"StringEquals": {key: resolve(value)}})),
        (Some(key @ "s3:ResourceAccount"), None) => {
            Some(json!({"StringEquals": {key: "${aws:PrincipalAccount}"}}))
        }
        _ => None,
    };
    if let Some(c) = condition {
        s.insert("Condition".into(), c);
    }
    Value::Object(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_declared_call_of_each_function_and_its_undo_is_granted_once() {
        let p = policy("aws", None);
        let statements = p["Statement"].as_array().unwrap();
        let want: usize = remediation_catalog::ALL
            .iter()
            .map(|f| f.permissions.len() + f.undo_permissions.len())
            .sum();
        assert_eq!(statements.len(), want);
        for f in remediation_catalog::ALL {
            for d in f.permissions.iter().chain(f.undo_permissions) {
                assert!(
                    statements.iter().any(|s| s["Action"] == d.action),
                    "{}: {}",
                    f.name,
                    d.action
                );
            }
        }
        let text = p.to_string();
        assert!(!text.contains("${AWS::"), "{text}");
        assert!(!text.contains("sts:AssumeRole"), "{text}");
    }

    #[test]
    fn detach_keeps_its_condition_and_a_member_role_is_the_only_role_assumed() {
        let p = policy("aws-us-gov", Some("remediation-member"));
        let statements = p["Statement"].as_array().unwrap();
        let detach = statements
            .iter()
            .find(|s| s["Action"] == "iam:DetachRolePolicy")
            .unwrap();
        assert_eq!(
            detach["Condition"]["ArnEquals"]["iam:PolicyARN"],
            "arn:aws-us-gov:iam::aws:policy/AdministratorAccess"
        );
        let assume: Vec<_> = statements
            .iter()
            .filter(|s| s["Action"] == "sts:AssumeRole")
            .collect();
        assert_eq!(assume.len(), 1);
        assert_eq!(
            assume[0]["Resource"],
            "arn:aws-us-gov:iam::*:role/remediation-member"
        );
        assert!(statements.iter().all(|s| s["Sid"]
            .as_str()
            .unwrap()
            .chars()
            .all(|c| c.is_ascii_alphanumeric())));
    }
}
