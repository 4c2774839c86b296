//! Which events call for detaching AdministratorAccess from a role, and how to
//! read the role out of each.
//!
//! Pure: no AWS calls, no environment. The shared normaliser has already
//! checked what every function checks the same way (compliance state,
//! resource type, the API calls declared here); this file holds what is
//! particular to roles: the Config rule, a role named by its id, and that the
//! attached policy is AdministratorAccess. No GuardDuty finding type reports
//! AdministratorAccess on a role, so none is answered.

use remediation_shared::control::{Answer, Checks, Condition};
use remediation_shared::event::{AsffFinding, CloudTrailCall, Detail, GuardDutyFinding};
use remediation_shared::notify::Wording;
use remediation_shared::resource::{Arn, Partition, RoleId, RoleName};
use remediation_shared::scope::config_rule_is;
use remediation_shared::{FindingError, Reading, Resource, Scope};

/// What a role without AdministratorAccess satisfies: the Config rule this
/// function answers (directly, or relayed by Security Hub), with what it
/// requires and where that is stated.
pub const CHECKS: Checks = Checks {
    own: "AdministratorAccess not attached",
    table: &[Condition {
        answers: Answer::ConfigRule(CONFIG_RULE),
        requires: "no blacklisted managed policy attached; with the rule's default parameter, AdministratorAccess (a rule given other policies is not verified beyond it)",
        source: "Config iam-policy-blacklisted-check (policyArns, default arn:aws:iam::aws:policy/AdministratorAccess)",
    }],
};

/// The role function's scope.
#[derive(Debug, Clone, Copy, Default)]
pub struct RoleScope;

/// The Config rule that flags a blacklisted managed policy.
pub const CONFIG_RULE: &str = "iam-policy-blacklisted-check";
/// The CloudTrail IAM call that may attach AdministratorAccess.
pub const CLOUDTRAIL_CALL: &str = "AttachRolePolicy";

/// A role as a finding names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RoleRef {
    /// By name (CloudTrail, Security Hub).
    Name(RoleName),
    /// By unique id (AWS Config): resolve before use.
    Id(RoleId),
}

impl Resource for RoleRef {
    const CONFIG_TYPE: &'static str = "AWS::IAM::Role";
    const ASFF_TYPE: &'static str = "AwsIamRole";

    /// AWS Config names roles by their unique id; a name is read as one.
    fn parse_id(path: &str, id: &str) -> Result<Self, FindingError> {
        if RoleId::looks_like(id) {
            Ok(RoleRef::Id(RoleId::parse(path, id)?))
        } else {
            Ok(RoleRef::Name(RoleName::parse(path, id)?))
        }
    }

    fn resource_arn(&self, partition: &Partition, _region: &str, account: &str) -> String {
        match self {
            RoleRef::Name(n) => n.arn(partition, account),
            // No ARN is known until the id is resolved.
            RoleRef::Id(id) => id.to_string(),
        }
    }

    fn console_url(&self, _region: &str) -> Option<String> {
        match self {
            RoleRef::Name(n) => Some(format!(
                "https://console.aws.amazon.com/iam/home#/roles/details/{}",
                n.as_str()
            )),
            RoleRef::Id(_) => None,
        }
    }
}

impl Scope for RoleScope {
    type Resource = RoleRef;

    const FUNCTION: &'static str = "iam-detach-admin-policy";
    const ACTION: &'static str = "detach_administrator_access";
    const REGIONAL: bool = false;
    const GUARDDUTY_TYPES: &'static [&'static str] = &[];
    const CLOUDTRAIL_SOURCE: &'static str = "iam.amazonaws.com";
    const CLOUDTRAIL_CALLS: &'static [&'static str] = &[CLOUDTRAIL_CALL];
    const CONFIG_RULES: &'static [&'static str] = &[CONFIG_RULE];

    /// What a notification says of the fix.
    const WORDING: Wording = Wording {
        done: "Detached AdministratorAccess",
        fix: "detach AdministratorAccess",
    };

    fn guardduty(
        _finding: &GuardDutyFinding,
        _detail: Detail<'_>,
    ) -> Result<Reading<RoleRef>, FindingError> {
        // Never called: no GuardDuty type is declared.
        Ok(Reading::Skip(
            "no GuardDuty finding reports AdministratorAccess on a role".into(),
        ))
    }

    /// No Security Hub control checks AWS managed AdministratorAccess on a
    /// role (IAM.1 covers customer managed policies only): the findings that
    /// call for this fix are those AWS Config sends for its
    /// `iam-policy-blacklisted-check` rule.
    fn security_hub_skip(finding: &AsffFinding) -> Option<String> {
        match finding.product_field("aws/config/ConfigRuleName") {
            Some(rule) if config_rule_is(rule, &[CONFIG_RULE]) => None,
            Some(rule) => Some(format!("Config rule {rule} does not call for this fix")),
            None => Some(
                "only findings of the Config rule iam-policy-blacklisted-check call for this fix"
                    .into(),
            ),
        }
    }

    fn security_hub_resource(path: &str, arn: &Arn) -> Result<RoleRef, FindingError> {
        let Some(role) = arn.resource_of("iam", path)?.strip_prefix("role/") else {
            return Err(arn.of_another_type(path));
        };
        // The name is the last part: a role's path sits between `role/` and it.
        let name = role.rsplit('/').next().unwrap_or_default();
        Ok(RoleRef::Name(RoleName::parse(path, name)?))
    }

    fn cloudtrail(
        _call: &CloudTrailCall,
        detail: Detail<'_>,
    ) -> Result<Reading<RoleRef>, FindingError> {
        // Read only to compare with AdministratorAccess's ARN: compared, not
        // validated (a sanitised sample's customer policy ARN may not parse).
        let policy: String = detail.require("requestParameters.policyArn")?;
        let admin = policy
            .strip_prefix("arn:")
            .and_then(|rest| rest.split_once(':'))
            .is_some_and(|(_, rest)| rest == "iam::aws:policy/AdministratorAccess");
        if !admin {
            return Ok(Reading::Skip(format!(
                "attached policy {policy} is not AdministratorAccess"
            )));
        }
        let role = detail.parse("requestParameters.roleName", RoleName::parse)?;
        Ok(Reading::Targets(vec![RoleRef::Name(role)]))
    }
}

#[cfg(test)]
mod tests {
    use remediation_shared::Basis;
    use remediation_testing::samples::{check_readings, config_change, envelope, Reading};
    use serde_json::{json, Value};

    use super::*;

    fn config(id: &str) -> Value {
        config_change(
            "AWS::IAM::Role",
            id,
            "iam-policy-blacklisted-check-conformance-pack-x1",
        )
    }

    fn attach(policy: &str) -> Value {
        envelope(
            "aws.iam",
            "AWS API Call via CloudTrail",
            json!({"eventSource": "iam.amazonaws.com", "eventName": "AttachRolePolicy",
                   "awsRegion": "us-east-1", "recipientAccountId": "123456789012",
                   "requestParameters": {"roleName": "app-role", "policyArn": policy}}),
        )
    }

    fn hub(arn: &str, rule: &str) -> Value {
        envelope(
            "aws.securityhub",
            "Security Hub Findings - Imported",
            json!({"findings": [{"Id": "f-1", "AwsAccountId": "123456789012", "Region": "us-gov-west-1",
                   "ProductFields": {"aws/config/ConfigRuleName": rule},
                   "Compliance": {"Status": "FAILED"}, "Resources": [{"Type": "AwsIamRole", "Id": arn}]}]}),
        )
    }

    #[test]
    fn readings() {
        let rows: Vec<Reading> = vec![
            ("a_config_role_id_is_kept_to_be_resolved", config("AROAEXAMPLEROLEID0001"), Ok(vec!["AROAEXAMPLEROLEID0001 aws region="])),
            ("config_role_names_are_accepted_when_not_an_id", config("plain-name"), Ok(vec!["arn:aws:iam::123456789012:role/plain-name aws region="])),
            ("an_invalid_role_name_is_malformed", config("bad/role"), Err("detail.resourceId")),
            ("attaching_admin_names_the_role", attach("arn:aws:iam::aws:policy/AdministratorAccess"), Ok(vec!["arn:aws:iam::123456789012:role/app-role aws region="])),
            ("attaching_another_policy_is_skipped", attach("arn:aws:iam::aws:policy/ReadOnlyAccess"), Ok(vec!["skip attached policy arn:aws:iam::aws:policy/ReadOnlyAccess is not AdministratorAccess"])),
            ("a_customer_policy_named_like_admin_is_skipped", attach("arn:aws:iam::123456789012:policy/AdministratorAccess"), Ok(vec!["skip attached policy arn:aws:iam::123456789012:policy/AdministratorAccess is not AdministratorAccess"])),
            ("partitions_come_from_the_resource_arn_and_iam_has_no_region", hub("arn:aws-us-gov:iam::123456789012:role/app/worker", "securityhub-iam-policy-blacklisted-check-x1"), Ok(vec!["arn:aws-us-gov:iam::123456789012:role/worker aws-us-gov region="])),
            ("a_user_arn_is_not_a_role", hub("arn:aws:iam::123456789012:user/alice", "iam-policy-blacklisted-check"), Err("detail.findings[0].Resources[0].Id")),
        ];
        check_readings::<RoleScope>(rows, |t| {
            format!(
                "{} {} region={}",
                t.arn(),
                t.partition,
                t.region.clone().unwrap_or_default()
            )
        });
    }
    /// A row for the Config rule answered, resolved as deployed, relayed or not.
    #[test]
    fn the_table_of_checks_has_a_row_for_each_rule_answered() {
        remediation_testing::samples::check_conditions::<RoleScope>(CHECKS.table, |b| {
            CHECKS.verdict(b)
        });
        assert_eq!(CHECKS.verdict(&Basis::Control("IAM.1".into())), None);
    }
}
