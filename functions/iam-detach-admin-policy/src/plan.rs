//! The IAM decision: is this a service role, and does it hold AdministratorAccess?
//! And, after the detach, how it ended. Also the payloads this function writes
//! into audit records.
//!
//! Pure and synchronous: no AWS calls, no SDK types, no environment. A service
//! role is one whose trust policy lets only AWS services (`Principal.Service`)
//! assume it. Anything else (accounts, users, roles, `*`, federated, SAML or
//! OIDC principals, `NotPrincipal`, a policy we cannot read) is left alone, as
//! are service-linked roles (`/aws-service-role/`) and SSO roles (`/aws-reserved/`).

use remediation_shared::{AwsError, Examined, Outcome, Proposal, Report};
use serde::Serialize;
use serde_json::Value;

/// A role's state in audit records (`before`, `after`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum State {
    /// Its path and attached managed policies.
    RolePolicies {
        /// The role's path.
        path: String,
        /// ARNs of the managed policies attached.
        attached_policy_arns: Vec<String>,
    },
}

/// A change to a role in audit records (`changes`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    /// One managed policy detached.
    DetachRolePolicy {
        /// Its ARN.
        policy_arn: String,
    },
}

/// Who a trust policy lets assume the role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust {
    /// Only these AWS services.
    ServicesOnly(Vec<String>),
    /// Something other than AWS services, described.
    Other(String),
}

/// Reads a (decoded) trust policy document.
pub fn trust(document: &str) -> Trust {
    let doc: Value = match serde_json::from_str(document) {
        Ok(v) => v,
        Err(e) => return Trust::Other(format!("trust policy is not valid JSON ({e})")),
    };
    let statements: Vec<&Value> = match doc.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => return Trust::Other("trust policy has no Statement".into()),
    };
    let mut services = Vec::new();
    for st in statements {
        match st.get("Effect").and_then(Value::as_str) {
            Some("Deny") => continue, // a Deny only narrows who may assume the role
            Some("Allow") => {}
            other => {
                return Trust::Other(format!(
                    "trust policy has a statement with Effect {other:?}"
                ))
            }
        }
        if st.get("NotPrincipal").is_some() {
            return Trust::Other("trust policy allows a NotPrincipal".into());
        }
        match st.get("Principal") {
            Some(Value::String(s)) if s == "*" => {
                return Trust::Other("trust policy allows any principal (*)".into())
            }
            Some(Value::Object(map)) if !map.is_empty() => {
                for (kind, value) in map {
                    let values = match strings(value) {
                        Some(v) if !v.is_empty() => v,
                        _ => {
                            return Trust::Other(format!(
                                "trust policy has an unreadable {kind} principal"
                            ))
                        }
                    };
                    if kind != "Service" {
                        let what = match kind.as_str() {
                            "AWS" => "AWS principal",
                            "Federated" => "federated (SAML or OIDC) principal",
                            "CanonicalUser" => "canonical user",
                            _ => "principal",
                        };
                        return Trust::Other(format!(
                            "trust policy allows {what} {}",
                            values.join(", ")
                        ));
                    }
                    services.extend(values);
                }
            }
            _ => {
                return Trust::Other(
                    "trust policy has an Allow statement with an unreadable Principal".into(),
                )
            }
        }
    }
    if services.is_empty() {
        return Trust::Other("trust policy allows no principal".into());
    }
    services.sort();
    services.dedup();
    Trust::ServicesOnly(services)
}

fn strings(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map(str::to_owned))
            .collect(),
        _ => None,
    }
}

/// The AWS managed AdministratorAccess policy in `partition`.
pub fn admin_policy_arn(partition: &str) -> String {
    format!("arn:{partition}:iam::aws:policy/AdministratorAccess")
}

/// What the function knows about a role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleFacts {
    /// The role's path (`/`, `/service-role/`, ...).
    pub path: String,
    /// The decoded trust policy.
    pub trust_policy: String,
    /// ARNs of the attached managed policies.
    pub attached: Vec<String>,
    /// Whether the role carries the exemption tag.
    pub exempt: bool,
}

/// What to do with one role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// AdministratorAccess is not attached.
    AlreadyCompliant,
    /// Leave the role alone, for this reason.
    Skip(String),
    /// Detach this policy, and only this one.
    Detach(String),
}

/// Decides from the role's live facts.
pub fn plan(role: &RoleFacts, partition: &str) -> Plan {
    let admin = admin_policy_arn(partition);
    if !role.attached.contains(&admin) {
        return Plan::AlreadyCompliant;
    }
    if role.path.starts_with("/aws-service-role/") {
        return Plan::Skip(
            "service-linked role (path /aws-service-role/): AWS manages its policies".into(),
        );
    }
    if role.path.starts_with("/aws-reserved/") {
        return Plan::Skip(
            "SSO role (path /aws-reserved/): IAM Identity Center manages its policies".into(),
        );
    }
    if role.exempt {
        return Plan::Skip("role carries the exemption tag".into());
    }
    match trust(&role.trust_policy) {
        Trust::Other(why) => Plan::Skip(format!("not a service role: {why}")),
        Trust::ServicesOnly(_) => Plan::Detach(admin),
    }
}

/// What the detach step needs: the role's name and path, the policy, and the
/// policies attached before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Work {
    /// The role's name.
    pub role_name: String,
    /// The role's path.
    pub path: String,
    /// The policy to detach.
    pub policy_arn: String,
    /// The policies attached before.
    pub attached: Vec<String>,
}

impl Work {
    /// The role's state once the policy is gone.
    fn state_after(&self) -> State {
        State::RolePolicies {
            path: self.path.clone(),
            attached_policy_arns: self
                .attached
                .iter()
                .filter(|a| **a != self.policy_arn)
                .cloned()
                .collect(),
        }
    }
}

impl Plan {
    /// The plan as the driver takes it, for the role `name` whose facts are `role`.
    pub fn examined(self, name: &str, role: &RoleFacts) -> Examined<Work> {
        let before = State::RolePolicies {
            path: role.path.clone(),
            attached_policy_arns: role.attached.clone(),
        };
        match self {
            Plan::AlreadyCompliant => Examined::Settled(
                Report::new(
                    Outcome::AlreadyCompliant,
                    "AdministratorAccess is not attached",
                )
                .unchanged(&before),
            ),
            Plan::Skip(reason) => {
                Examined::Settled(Report::new(Outcome::Skipped, reason).unchanged(&before))
            }
            Plan::Detach(arn) => Examined::Change(Proposal::new(
                &before,
                &[Change::DetachRolePolicy {
                    policy_arn: arn.clone(),
                }],
                format!("detach {arn}"),
                Work {
                    role_name: name.to_owned(),
                    path: role.path.clone(),
                    policy_arn: arn,
                    attached: role.attached.clone(),
                },
            )),
        }
    }
}

/// How the detach of `proposal` ended.
pub fn settle(proposal: &Proposal<Work>, detach: Result<Detached, AwsError>) -> Report {
    let work = &proposal.work;
    let arn = &work.policy_arn;
    match detach {
        Ok(Detached::Detached) => proposal
            .report(
                Outcome::Remediated,
                format!("detached {arn} from service role {}", work.role_name),
            )
            .after(&work.state_after())
            .changes(&[Change::DetachRolePolicy {
                policy_arn: arn.clone(),
            }]),
        Ok(Detached::WasNotAttached) => proposal
            .report(
                Outcome::AlreadyCompliant,
                format!("{arn} was already detached"),
            )
            .after(&work.state_after()),
        Err(e) => Report::failed(&e).before_json(proposal.before.clone()),
    }
}

/// The result of a detach call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detached {
    /// The policy was attached and is now detached.
    Detached,
    /// The policy was not attached (`NoSuchEntity`).
    WasNotAttached,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allow(principal: &str) -> String {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{principal},"Action":"sts:AssumeRole"}}]}}"#
        )
    }

    #[test]
    fn trust_policies() {
        let lambda = Trust::ServicesOnly(vec!["lambda.amazonaws.com".into()]);
        let cases: Vec<(&str, String, Trust)> = vec![
            ("service_as_string_is_a_service_role", allow(r#"{"Service":"lambda.amazonaws.com"}"#), lambda.clone()),
            (
                "service_as_list_is_a_service_role",
                allow(r#"{"Service":["lambda.amazonaws.com","edgelambda.amazonaws.com"]}"#),
                Trust::ServicesOnly(vec!["edgelambda.amazonaws.com".into(), "lambda.amazonaws.com".into()]),
            ),
            (
                "statement_as_object_is_read",
                r#"{"Statement":{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}}"#.into(),
                lambda.clone(),
            ),
            (
                "service_with_condition_is_still_a_service_role",
                r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}}]}"#.into(),
                lambda.clone(),
            ),
            (
                "deny_statements_do_not_widen_trust",
                r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}"#.into(),
                lambda.clone(),
            ),
            ("account_principal_is_not_a_service_role", allow(r#"{"AWS":"arn:aws:iam::123456789012:root"}"#), Trust::Other("trust policy allows AWS principal arn:aws:iam::123456789012:root".into())),
            ("bare_account_id_is_not_a_service_role", allow(r#"{"AWS":"123456789012"}"#), Trust::Other("trust policy allows AWS principal 123456789012".into())),
            ("user_principal_is_not_a_service_role", allow(r#"{"AWS":["arn:aws:iam::123456789012:user/alice"]}"#), Trust::Other("trust policy allows AWS principal arn:aws:iam::123456789012:user/alice".into())),
            ("wildcard_principal_is_not_a_service_role", allow(r#""*""#), Trust::Other("trust policy allows any principal (*)".into())),
            ("aws_wildcard_is_not_a_service_role", allow(r#"{"AWS":"*"}"#), Trust::Other("trust policy allows AWS principal *".into())),
            (
                "saml_federation_is_not_a_service_role",
                allow(r#"{"Federated":"arn:aws:iam::123456789012:saml-provider/Okta"}"#),
                Trust::Other("trust policy allows federated (SAML or OIDC) principal arn:aws:iam::123456789012:saml-provider/Okta".into()),
            ),
            (
                "oidc_federation_is_not_a_service_role",
                allow(r#"{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"}"#),
                Trust::Other("trust policy allows federated (SAML or OIDC) principal arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com".into()),
            ),
            (
                "service_mixed_with_account_is_not_a_service_role",
                allow(r#"{"Service":"ec2.amazonaws.com","AWS":"arn:aws:iam::123456789012:role/admin"}"#),
                Trust::Other("trust policy allows AWS principal arn:aws:iam::123456789012:role/admin".into()),
            ),
            (
                "second_statement_with_account_is_not_a_service_role",
                r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}"#.into(),
                Trust::Other("trust policy allows AWS principal arn:aws:iam::111122223333:root".into()),
            ),
            (
                "not_principal_is_not_a_service_role",
                r#"{"Statement":[{"Effect":"Allow","NotPrincipal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#.into(),
                Trust::Other("trust policy allows a NotPrincipal".into()),
            ),
            ("only_deny_allows_no_principal", r#"{"Statement":[{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}"#.into(), Trust::Other("trust policy allows no principal".into())),
            ("invalid_json_is_not_trusted", "{not json".into(), Trust::Other("trust policy is not valid JSON (key must be a string at line 1 column 2)".into())),
            ("missing_statement_is_not_trusted", "{}".into(), Trust::Other("trust policy has no Statement".into())),
            ("empty_service_list_is_unreadable", allow(r#"{"Service":[]}"#), Trust::Other("trust policy has an unreadable Service principal".into())),
        ];
        for (name, doc, expected) in cases {
            assert_eq!(trust(&doc), expected, "{name}");
        }
    }

    #[test]
    fn plans() {
        let admin = admin_policy_arn("aws");
        let service = RoleFacts {
            path: "/service-role/".into(),
            trust_policy: allow(r#"{"Service":"lambda.amazonaws.com"}"#),
            attached: vec![
                "arn:aws:iam::aws:policy/ReadOnlyAccess".into(),
                admin.clone(),
            ],
            exempt: false,
        };
        let human = RoleFacts {
            trust_policy: allow(r#"{"AWS":"arn:aws:iam::123456789012:root"}"#),
            ..service.clone()
        };
        let cases: Vec<(&str, RoleFacts, &str, Plan)> = vec![
            ("service_role_with_admin_loses_admin_only", service.clone(), "aws", Plan::Detach(admin.clone())),
            ("role_without_admin_is_compliant", RoleFacts { attached: vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".into()], ..service.clone() }, "aws", Plan::AlreadyCompliant),
            ("customer_policy_named_like_admin_is_not_admin", RoleFacts { attached: vec!["arn:aws:iam::123456789012:policy/AdministratorAccess".into()], ..service.clone() }, "aws", Plan::AlreadyCompliant),
            ("human_role_is_skipped", human.clone(), "aws", Plan::Skip("not a service role: trust policy allows AWS principal arn:aws:iam::123456789012:root".into())),
            ("service_linked_role_is_skipped", RoleFacts { path: "/aws-service-role/elasticbeanstalk.amazonaws.com/".into(), ..service.clone() }, "aws", Plan::Skip("service-linked role (path /aws-service-role/): AWS manages its policies".into())),
            ("sso_role_is_skipped", RoleFacts { path: "/aws-reserved/sso.amazonaws.com/".into(), ..human.clone() }, "aws", Plan::Skip("SSO role (path /aws-reserved/): IAM Identity Center manages its policies".into())),
            ("exempt_role_is_skipped", RoleFacts { exempt: true, ..service.clone() }, "aws", Plan::Skip("role carries the exemption tag".into())),
            (
                "gov_cloud_partition_uses_its_own_arn",
                RoleFacts { attached: vec![admin_policy_arn("aws-us-gov")], ..service.clone() },
                "aws-us-gov",
Plan::Detach("arn:aws-us-gov:iam::aws:policy/AdministratorAccess".into()),
            ),
            ("china_partition_uses_its_own_arn", RoleFacts { attached: vec![admin_policy_arn("aws-cn")], ..service.clone() }, "aws-cn", Plan::Detach("arn:aws-cn:iam::aws:policy/AdministratorAccess".into())),
            ("other_partition_arn_does_not_match", service.clone(), "aws-cn", Plan::AlreadyCompliant),
        ];
        for (name, role, partition, expected) in cases {
            assert_eq!(plan(&role, partition), expected, "{name}");
        }
    }
}
