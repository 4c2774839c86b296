//! The IAM decision: is this a service role, and does it hold AdministratorAccess?
//! And, after the detach, how it ended. Also the payloads this function writes
//! into audit records.
//!
//! Pure and synchronous: no AWS calls, no SDK types, no environment. A service
//! role is one whose trust policy lets only AWS services (`Principal.Service`)
//! assume it. Anything else (accounts, users, roles, `*`, federated, SAML or
//! OIDC principals, `NotPrincipal`, a policy we cannot read) is left alone, as
//! are service-linked roles (`/aws-service-role/`) and SSO roles (`/aws-reserved/`).

use remediation_shared::{AwsError, Decision, Examined, Outcome, Proposal, Report};
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

/// A change to a role in audit records (`changes`): the IAM kit's, which
/// undo reads back.
pub use remediation_iam::Change;

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

/// Whether the managed policies `attached` include AdministratorAccess of
/// `partition`: a sweep examines such a role.
pub fn holds_admin(attached: &[String], partition: &str) -> bool {
    let admin = admin_policy_arn(partition);
    attached.contains(&admin)
}

/// One entry of the list of roles that keep AdministratorAccess whatever a
/// finding says, because something the account relies on needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Protected {
    /// Roles whose name matches `pattern` (`*` stands for any run of
    /// characters; case-insensitive, as IAM role names are).
    Name {
        /// The pattern.
        pattern: String,
        /// Why these roles keep the policy.
        reason: String,
    },
    /// Roles that the AWS service `principal` may assume.
    Service {
        /// The service principal, e.g. `cloudformation.amazonaws.com`.
        principal: String,
        /// Why these roles keep the policy.
        reason: String,
    },
}

/// An entry of `PROTECTED_ROLES` that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("PROTECTED_ROLES entry {entry:?}: {problem}")]
pub struct ProtectionError {
    /// The entry.
    pub entry: String,
    /// What is wrong with it.
    pub problem: &'static str,
}

/// The roles protected from this function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Protections(pub Vec<Protected>);

impl Default for Protections {
    fn default() -> Self {
        Protections::defaults()
    }
}

impl Protections {
    /// The default list: the deployment and governance roles that real
    /// accounts give AdministratorAccess on purpose.
    pub fn defaults() -> Self {
        let name = |pattern: &str, reason: &str| Protected::Name {
            pattern: pattern.into(),
            reason: reason.into(),
        };
        Protections(vec![
            name(
                "cdk-*-cfn-exec-role-*",
                "the CDK bootstrap's CloudFormation execution role: every `cdk deploy` to this account runs with its AdministratorAccess",
            ),
            Protected::Service {
                principal: "cloudformation.amazonaws.com".into(),
                reason: "a CloudFormation service role: the stacks deployed with it need what it holds".into(),
            },
            name(
                "AWSCloudFormationStackSetExecutionRole",
                "the execution role of self-managed StackSets: stack sets deploy to this account with it",
            ),
            name(
                "stacksets-exec-*",
                "the execution role of service-managed StackSets: stack sets deploy to this account with it",
            ),
            name(
                "AWSControlTowerExecution",
                "Control Tower's execution role: Control Tower enrolls and governs this account with it",
            ),
            name(
                "OrganizationAccountAccessRole",
                "the AWS Organizations access role: the management account administers this account with it",
            ),
        ])
    }

    /// Reads `PROTECTED_ROLES`: comma-separated entries, each a role name
    /// pattern or `service:<principal>`; the word `default` includes the
    /// default list, which the value otherwise replaces. Unset: the defaults.
    pub fn from_setting(value: Option<&str>) -> Result<Self, ProtectionError> {
        let Some(value) = value else {
            return Ok(Protections::defaults());
        };
        let mut list = Vec::new();
        for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let error = |problem| ProtectionError {
                entry: entry.to_owned(),
                problem,
            };
            if entry.eq_ignore_ascii_case("default") {
                list.extend(Protections::defaults().0);
            } else if let Some(principal) = entry.strip_prefix("service:") {
                if principal.is_empty() || principal.contains(char::is_whitespace) {
                    return Err(error(
                        "a service principal such as service:codepipeline.amazonaws.com",
                    ));
                }
                list.push(Protected::Service {
                    principal: principal.to_owned(),
                    reason: "listed in PROTECTED_ROLES".into(),
                });
            } else if entry
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-*".contains(&b))
            {
                list.push(Protected::Name {
                    pattern: entry.to_owned(),
                    reason: "listed in PROTECTED_ROLES".into(),
                });
            } else {
                return Err(error(
                    "a role name pattern (letters, digits, +=,.@_- and *) or service:<principal>",
                ));
            }
        }
        Ok(Protections(list))
    }

    /// Why the role `name`, which `services` may assume, is protected, if it is.
    pub fn protects(&self, name: &str, services: &[String]) -> Option<&str> {
        self.0.iter().find_map(|p| match p {
            Protected::Name { pattern, reason } if matches_pattern(pattern, name) => {
                Some(reason.as_str())
            }
            Protected::Service { principal, reason } if services.iter().any(|s| s == principal) => {
                Some(reason.as_str())
            }
            _ => None,
        })
    }
}

/// Whether `name` matches `pattern`, where `*` stands for any run of
/// characters; ASCII case is ignored.
fn matches_pattern(pattern: &str, name: &str) -> bool {
    let (pattern, name) = (pattern.to_ascii_lowercase(), name.to_ascii_lowercase());
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty(); // no `*`: the whole name
    };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// Every service principal a trust policy names in an Allow statement, even
/// beside other principals: a protection by service holds whoever else may
/// assume the role.
fn services_named(document: &str) -> Vec<String> {
    let Ok(doc) = serde_json::from_str::<Value>(document) else {
        return Vec::new();
    };
    let statements = match doc.get("Statement") {
        Some(Value::Array(items)) => items.clone(),
        Some(one @ Value::Object(_)) => vec![one.clone()],
        _ => return Vec::new(),
    };
    statements
        .iter()
        .filter(|st| st.get("Effect").and_then(Value::as_str) == Some("Allow"))
        .filter_map(|st| st.get("Principal")?.get("Service").and_then(strings))
        .flatten()
        .collect()
}

/// What the function knows about a role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleFacts {
    /// The role's name.
    pub name: String,
    /// The role's path (`/`, `/service-role/`, ...).
    pub path: String,
    /// The decoded trust policy.
    pub trust_policy: String,
    /// ARNs of the attached managed policies.
    pub attached: Vec<String>,
    /// Whether the role carries the exemption tag.
    pub exempt: bool,
}

/// What to do with one role: the change is detaching this policy, and only this one.
pub type Plan = Decision<String>;

/// Decides from the role's live facts and the protection list.
pub fn plan(role: &RoleFacts, partition: &str, protections: &Protections) -> Plan {
    let admin = admin_policy_arn(partition);
    if !role.attached.contains(&admin) {
        return Plan::AlreadyCompliant;
    }
    if let Some(reason) = protections.protects(&role.name, &services_named(&role.trust_policy)) {
        return Plan::Withheld(format!("protected: {reason}"));
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
        return Plan::exempt("role");
    }
    match trust(&role.trust_policy) {
        Trust::Other(why) => Plan::Skip(format!("not a service role: {why}")),
        Trust::ServicesOnly(_) => Plan::Change(admin),
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

/// The plan as the driver takes it, for the role `name` whose facts are `role`.
pub fn examined(plan: Plan, name: &str, role: &RoleFacts) -> Examined<Work> {
    let before = State::RolePolicies {
        path: role.path.clone(),
        attached_policy_arns: role.attached.clone(),
    };
    plan.examined("AdministratorAccess is not attached", &before, |arn| {
        let change = Change::DetachRolePolicy {
            policy_arn: arn.clone(),
        };
        let work = Work {
            role_name: name.to_owned(),
            path: role.path.clone(),
            policy_arn: arn.clone(),
            attached: role.attached.clone(),
        };
        Proposal::new(&before, &[change], format!("detach {arn}"), work)
    })
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
    fn the_roles_accounts_rely_on_keep_administrator_access() {
        let admin = admin_policy_arn("aws");
        let role = |name: &str, trust: &str| RoleFacts {
            name: name.into(),
            path: "/".into(),
            trust_policy: allow(trust),
            attached: vec![admin.clone()],
            exempt: false,
        };
        let cfn = r#"{"Service":"cloudformation.amazonaws.com"}"#;
        let lambda = r#"{"Service":"lambda.amazonaws.com"}"#;
        let management = r#"{"AWS":"arn:aws:iam::111111111111:root"}"#;
        let cases: Vec<(&str, RoleFacts, &str)> = vec![
            (
                "the_cdk_bootstrap_execution_role_is_protected",
                role("cdk-hnb659fds-cfn-exec-role-123456789012-eu-west-1", cfn),
                "protected: the CDK bootstrap's CloudFormation execution role",
            ),
            (
                "a_cdk_role_with_a_custom_qualifier_is_protected",
                role("cdk-myqual-cfn-exec-role-123456789012-us-east-1", lambda),
                "protected: the CDK bootstrap's",
            ),
            (
                "any_role_cloudformation_assumes_is_protected",
                role("pipeline-deploy-role", cfn),
                "protected: a CloudFormation service role",
            ),
            (
                "the_self_managed_stackset_role_is_protected",
                role("AWSCloudFormationStackSetExecutionRole", management),
                "protected: the execution role of self-managed StackSets",
            ),
            (
                "the_service_managed_stackset_role_is_protected",
                role(
                    "stacksets-exec-0123456789abcdef0123456789abcdef",
                    management,
                ),
                "protected: the execution role of service-managed StackSets",
            ),
            (
                "control_towers_execution_role_is_protected",
                role("AWSControlTowerExecution", management),
                "protected: Control Tower's execution role",
            ),
            (
                "the_organizations_access_role_is_protected",
                role("OrganizationAccountAccessRole", management),
                "protected: the AWS Organizations access role",
            ),
            (
                "role_names_match_whatever_their_case",
                role("organizationaccountaccessrole", management),
                "protected: the AWS Organizations access role",
            ),
            (
                "a_lambda_role_named_like_cdk_but_not_its_pattern_loses_admin",
                role("cdk-app-role", lambda),
                "detach",
            ),
        ];
        for (name, facts, expected) in cases {
            let got = match plan(&facts, "aws", &Protections::defaults()) {
                Plan::Skip(reason) => format!("not withheld: {reason}"),
                Plan::Withheld(reason) => reason,
                Plan::Change(_) => "detach".into(),
                Plan::AlreadyCompliant => "compliant".into(),
            };
            assert!(got.starts_with(expected), "{name}: {got}");
        }
    }

    #[test]
    fn the_protection_setting_replaces_or_extends_the_defaults() {
        let defaults = Protections::defaults().0.len();
        let cases: Vec<(&str, Option<&str>, Result<usize, &str>)> = vec![
            ("unset_means_the_defaults", None, Ok(defaults)),
            ("an_empty_value_protects_nothing", Some(""), Ok(0)),
            (
                "a_list_replaces_the_defaults",
                Some("deploy-*, service:codepipeline.amazonaws.com"),
                Ok(2),
            ),
            (
                "the_word_default_extends_them",
                Some("default,deploy-*"),
                Ok(defaults + 1),
            ),
            (
                "a_pattern_with_a_slash_is_refused",
                Some("team/role"),
                Err("team/role"),
            ),
            (
                "a_service_without_a_principal_is_refused",
                Some("service:"),
                Err("service:"),
            ),
        ];
        for (name, value, expected) in cases {
            match (Protections::from_setting(value), expected) {
                (Ok(p), Ok(n)) => assert_eq!(p.0.len(), n, "{name}"),
                (Err(e), Err(entry)) => assert!(e.to_string().contains(entry), "{name}: {e}"),
                (got, want) => panic!("{name}: got {got:?}, expected {want:?}"),
            }
        }
        let custom =
            Protections::from_setting(Some("deploy-*,service:codepipeline.amazonaws.com")).unwrap();
        assert!(custom.protects("deploy-prod", &[]).is_some());
        assert!(custom
            .protects("app", &["codepipeline.amazonaws.com".into()])
            .is_some());
        assert!(
            custom.protects("cdk-x-cfn-exec-role-1-r", &[]).is_none(),
            "replaced, not extended"
        );
    }

    #[test]
    fn patterns_match_with_stars_anywhere() {
        for (pattern, name, expected) in [
            ("cdk-*-cfn-exec-role-*", "cdk-a-cfn-exec-role-1", true),
            ("cdk-*-cfn-exec-role-*", "cdk--cfn-exec-role-", true),
            ("cdk-*-cfn-exec-role-*", "xcdk-a-cfn-exec-role-1", false),
            ("*-deploy", "prod-deploy", true),
            ("*-deploy", "prod-deploy-2", false),
            ("exact", "exact", true),
            ("exact", "exactly", false),
            ("a*a", "a", false),
        ] {
            assert_eq!(
                matches_pattern(pattern, name),
                expected,
                "{pattern} ~ {name}"
            );
        }
    }

    #[test]
    fn plans() {
        let admin = admin_policy_arn("aws");
        let service = RoleFacts {
            name: "app-role".into(),
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
            ("service_role_with_admin_loses_admin_only", service.clone(), "aws", Plan::Change(admin.clone())),
            ("role_without_admin_is_compliant", RoleFacts { attached: vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".into()], ..service.clone() }, "aws", Plan::AlreadyCompliant),
            ("customer_policy_named_like_admin_is_not_admin", RoleFacts { attached: vec!["arn:aws:iam::123456789012:policy/AdministratorAccess".into()], ..service.clone() }, "aws", Plan::AlreadyCompliant),
            ("human_role_is_skipped", human.clone(), "aws", Plan::Skip("not a service role: trust policy allows AWS principal arn:aws:iam::123456789012:root".into())),
            ("service_linked_role_is_skipped", RoleFacts { path: "/aws-service-role/elasticbeanstalk.amazonaws.com/".into(), ..service.clone() }, "aws", Plan::Skip("service-linked role (path /aws-service-role/): AWS manages its policies".into())),
            ("sso_role_is_skipped", RoleFacts { path: "/aws-reserved/sso.amazonaws.com/".into(), ..human.clone() }, "aws", Plan::Skip("SSO role (path /aws-reserved/): IAM Identity Center manages its policies".into())),
            ("exempt_role_is_skipped", RoleFacts { exempt: true, ..service.clone() }, "aws", Plan::Withheld("role carries the exemption tag".into())),
            (
                "gov_cloud_partition_uses_its_own_arn",
                RoleFacts { attached: vec![admin_policy_arn("aws-us-gov")], ..service.clone() },
                "aws-us-gov",
Plan::Change("arn:aws-us-gov:iam::aws:policy/AdministratorAccess".into()),
            ),
            ("china_partition_uses_its_own_arn", RoleFacts { attached: vec![admin_policy_arn("aws-cn")], ..service.clone() }, "aws-cn", Plan::Change("arn:aws-cn:iam::aws:policy/AdministratorAccess".into())),
            ("other_partition_arn_does_not_match", service.clone(), "aws-cn", Plan::AlreadyCompliant),
        ];
        for (name, role, partition, expected) in cases {
            assert_eq!(
                plan(&role, partition, &Protections::defaults()),
                expected,
                "{name}"
            );
        }
    }
}
