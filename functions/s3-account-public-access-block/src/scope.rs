//! Which events call for turning on an account's S3 Block Public Access, and
//! how to read the account out of each.
//!
//! Pure: no AWS calls, no environment. The shared normaliser has already
//! checked what every function checks the same way (compliance state,
//! resource type, the finding types and API calls declared here); this file
//! holds what is particular to the account-level setting: the account as a
//! resource, the Config rules and Security Hub control that check it, and the
//! CloudTrail calls that change it.

use remediation_shared::control::{Answer, Checks, Condition};
use remediation_shared::event::{CloudTrailCall, Detail, GuardDutyFinding};
use remediation_shared::notify::Wording;
use remediation_shared::resource::{is_account_id, Arn, Partition, ASFF_ACCOUNT_PREFIX};
use remediation_shared::scope::standards::{CIS_1_4, CIS_3_0};
use remediation_shared::scope::PerStandard;
use remediation_shared::{FindingError, Reading, Resource, Scope};

/// What the account's four Block Public Access settings on satisfy: each
/// control, Config rule and GuardDuty type this function answers, with what
/// it requires and where that is stated.
pub const CHECKS: Checks = Checks {
    own: "all four account-level Block Public Access settings on",
    table: &[
        Condition {
            answers: Answer::Control("S3.1"),
            requires: "all four account-level Block Public Access settings on",
            source: "Security Hub controls reference, S3.1 (Config s3-account-level-public-access-blocks-periodic, every parameter true by default); CIS 1.4 2.1.5.1, CIS 3.0 2.1.4.1",
        },
        Condition {
            answers: Answer::ConfigRule("s3-account-level-public-access-blocks"),
            requires: "all four account-level settings on (the rule's parameters, true by default)",
            source: "Config s3-account-level-public-access-blocks and its -periodic twin",
        },
        Condition {
            answers: Answer::GuardDuty("Policy:S3/AccountBlockPublicAccessDisabled"),
            requires: "the account's Block Public Access settings on",
            source: "GuardDuty finding types, S3",
        },
    ],
};

/// The account function's scope.
#[derive(Debug, Clone, Copy, Default)]
pub struct AccountScope;

/// An AWS account, as the resource whose S3 Block Public Access is set.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Account(String);

impl Account {
    /// Validates a 12-digit account id; `path` names the field, for the error.
    pub fn parse(path: &str, id: &str) -> Result<Self, FindingError> {
        if is_account_id(id) {
            Ok(Account(id.to_owned()))
        } else {
            Err(FindingError::value(path, id, "a 12-digit AWS account id"))
        }
    }

    /// The account id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Resource for Account {
    /// The type the change-triggered rule `s3-account-level-public-access-blocks` evaluates.
    const CONFIG_TYPE: &'static str = "AWS::S3::AccountPublicAccessBlock";
    /// The periodic rule (`...-periodic`) evaluates the account itself.
    const OTHER_CONFIG_TYPES: &'static [&'static str] = &["AWS::::Account"];
    const ASFF_TYPE: &'static str = "AwsAccount";

    fn parse_id(path: &str, id: &str) -> Result<Self, FindingError> {
        Account::parse(path, id)
    }

    /// An account has no ARN of its own: it is named as Security Hub and
    /// AWS Config name it, `AWS::::Account:123456789012`.
    fn resource_arn(&self, _partition: &Partition, _region: &str, _account: &str) -> String {
        format!("{ASFF_ACCOUNT_PREFIX}{}", self.0)
    }

    fn console_url(&self, region: &str) -> Option<String> {
        Some(format!(
            "https://s3.console.aws.amazon.com/s3/settings?region={region}"
        ))
    }
}

impl Scope for AccountScope {
    type Resource = Account;

    const FUNCTION: &'static str = "s3-account-public-access-block";
    const ACTION: &'static str = "enable_account_public_access_block";
    /// The account-level setting applies in every region: records carry no
    /// region, and a finding from any region of the account calls for it.
    const REGIONAL: bool = false;
    /// The GuardDuty finding type for the account-level setting turned off.
    const GUARDDUTY_TYPES: &'static [&'static str] =
        &["Policy:S3/AccountBlockPublicAccessDisabled"];
    /// S3 Control calls are logged under S3's event source.
    const CLOUDTRAIL_SOURCE: &'static str = "s3.amazonaws.com";
    /// The calls that may turn the account's settings off.
    const CLOUDTRAIL_CALLS: &'static [&'static str] = &[
        "PutAccountPublicAccessBlock",
        "DeleteAccountPublicAccessBlock",
    ];
    /// The managed rule, change-triggered and periodic (the periodic
    /// identifier contains the other, so one entry matches both).
    const CONFIG_RULES: &'static [&'static str] = &["s3-account-level-public-access-blocks"];
    /// S3.1: S3 general purpose buckets should have block public access settings enabled (account level).
    const SECURITY_HUB_CONTROLS: &'static [&'static str] = &["S3.1"];
    /// S3.1 in the CIS standards that number it themselves (CIS 5.0 does not check it).
    const PER_STANDARD_CONTROLS: &'static [PerStandard] = &[PerStandard::of(
        "S3.1",
        &[(CIS_1_4, "2.1.5.1"), (CIS_3_0, "2.1.4.1")],
    )];
    /// What a notification says of the fix.
    const WORDING: Wording = Wording {
        done: "Turned on the account's S3 Block Public Access",
        fix: "turn on the account's S3 Block Public Access",
    };

    /// Security Hub names the account `AWS::::Account:<id>`, read as its root ARN.
    fn security_hub_resource(path: &str, arn: &Arn) -> Result<Account, FindingError> {
        if arn.resource_of("iam", path)? == "root" {
            Account::parse(path, &arn.account)
        } else {
            Err(arn.of_another_type(path))
        }
    }

    /// The finding's own account.
    fn guardduty(
        finding: &GuardDutyFinding,
        _detail: Detail<'_>,
    ) -> Result<Reading<Account>, FindingError> {
        let id = finding
            .account_id
            .as_deref()
            .ok_or_else(|| remediation_shared::scope::missing("detail.accountId"))?;
        Ok(Reading::Targets(vec![Account::parse(
            "detail.accountId",
            id,
        )?]))
    }

    /// The account that received the call.
    fn cloudtrail(
        _call: &CloudTrailCall,
        detail: Detail<'_>,
    ) -> Result<Reading<Account>, FindingError> {
        Ok(Reading::Targets(vec![
            detail.parse("recipientAccountId", Account::parse)?
        ]))
    }
}

#[cfg(test)]
mod tests {
    use remediation_testing::samples::{check_readings, config_change, envelope, Reading};
    use serde_json::{json, Value};

    use super::*;

    fn hub(control: &str, id: &str) -> Value {
        envelope(
            "aws.securityhub",
            "Security Hub Findings - Imported",
            json!({"findings": [{"Id": "f-1", "AwsAccountId": "123456789012", "Region": "eu-west-1",
                   "Compliance": {"Status": "FAILED", "SecurityControlId": control},
                   "Resources": [{"Type": "AwsAccount", "Id": id, "Partition": "aws", "Region": "eu-west-1"}]}]}),
        )
    }

    #[test]
    fn readings() {
        const ACCOUNT: &str = "AWS::::Account:123456789012";
        let rows: Vec<Reading> = vec![
            (
                "the_change_triggered_rule_names_the_account",
                config_change(
                    "AWS::S3::AccountPublicAccessBlock",
                    "123456789012",
                    "s3-account-level-public-access-blocks",
                ),
                Ok(vec![ACCOUNT]),
            ),
            (
                "the_periodic_rule_evaluates_the_account_type",
                config_change(
                    "AWS::::Account",
                    "123456789012",
                    "securityhub-s3-account-level-public-access-blocks-periodic-x1",
                ),
                Ok(vec![ACCOUNT]),
            ),
            (
                "a_bucket_rule_is_not_this_functions",
                config_change(
                    "AWS::S3::Bucket",
                    "my-bucket",
                    "s3-bucket-level-public-access-prohibited",
                ),
                Ok(vec![
                    "skip resource type AWS::S3::Bucket is not AWS::S3::AccountPublicAccessBlock",
                ]),
            ),
            (
                "another_rule_on_the_account_is_skipped",
                config_change("AWS::::Account", "123456789012", "root-account-mfa-enabled"),
                Ok(vec![
                    "skip Config rule root-account-mfa-enabled is not handled by this function",
                ]),
            ),
            (
                "a_config_id_that_is_not_an_account_is_malformed",
                config_change(
                    "AWS::::Account",
                    "12345",
                    "s3-account-level-public-access-blocks",
                ),
                Err("detail.resourceId"),
            ),
            (
                "s3_1_names_the_account",
                hub("S3.1", ACCOUNT),
                Ok(vec![ACCOUNT]),
            ),
            (
                "s3_8_is_the_bucket_functions",
                hub("S3.8", ACCOUNT),
                Ok(vec![
                    "skip Security Hub control S3.8 does not call for this fix",
                ]),
            ),
            (
                "an_account_form_with_a_bad_id_is_malformed",
                hub("S3.1", "AWS::::Account:12"),
                Err("detail.findings[0].Resources[0].Id"),
            ),
            (
                "a_role_arn_is_not_an_account",
                hub("S3.1", "arn:aws:iam::123456789012:role/x"),
                Err("detail.findings[0].Resources[0].Id"),
            ),
        ];
        check_readings::<AccountScope>(rows, |t| t.arn());
    }
    /// A row for each control, Config rule and GuardDuty type answered, each resolved.
    #[test]
    fn the_table_of_checks_has_a_row_for_each_control_rule_and_type_answered() {
        remediation_testing::samples::check_conditions::<AccountScope>(CHECKS.table, |b| {
            CHECKS.verdict(b)
        });
    }
}
