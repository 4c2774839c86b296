//! Which events call for re-enabling a bucket's Block Public Access, and how
//! to read the bucket out of each.
//!
//! Pure: no AWS calls, no environment. The shared normaliser has already
//! checked what every function checks the same way (compliance state,
//! resource type, the finding types and API calls declared here); this file
//! holds what is particular to buckets.

use remediation_shared::control::{Answer, Checks, Condition};
use remediation_shared::event::{CloudTrailCall, Detail, GuardDutyFinding};
use remediation_shared::notify::Wording;
use remediation_shared::resource::{Arn, BucketName};
use remediation_shared::scope::standards::{CIS_1_4, CIS_3_0, PCI_3_2_1};
use remediation_shared::scope::PerStandard;
use remediation_shared::{FindingError, Reading, Scope};
use serde::Deserialize;

/// What the bucket's four Block Public Access settings on satisfy: each
/// control, Config rule and GuardDuty type this function answers, with what
/// it requires and where that is stated. With all four on, S3 ignores public
/// ACLs and restricts public policies, so the bucket is neither publicly
/// readable nor writable.
pub const CHECKS: Checks = Checks {
    own: "all four bucket-level Block Public Access settings on",
    table: &[
        Condition {
            answers: Answer::Control("S3.2"),
            requires: "the bucket does not allow public read access: holds with its four Block Public Access settings on",
            source: "Security Hub controls reference, S3.2 (Config s3-bucket-public-read-prohibited: compliant when Block Public Access blocks public policies and ACLs); PCI.S3.2",
        },
        Condition {
            answers: Answer::Control("S3.3"),
            requires: "the bucket does not allow public write access: holds with its four Block Public Access settings on",
            source: "Security Hub controls reference, S3.3 (Config s3-bucket-public-write-prohibited); PCI.S3.1",
        },
        Condition {
            answers: Answer::Control("S3.8"),
            requires: "all four bucket-level Block Public Access settings on",
            source: "Security Hub controls reference, S3.8 (Config s3-bucket-level-public-access-prohibited); CIS 1.4 2.1.5.2, CIS 3.0 2.1.4.2",
        },
        Condition {
            answers: Answer::ConfigRule("s3-bucket-level-public-access-prohibited"),
            requires: "all four bucket-level Block Public Access settings on",
            source: "Config s3-bucket-level-public-access-prohibited",
        },
        Condition {
            answers: Answer::ConfigRule("s3-bucket-public-read-prohibited"),
            requires: "no public read access: holds with the four settings on",
            source: "Config s3-bucket-public-read-prohibited",
        },
        Condition {
            answers: Answer::ConfigRule("s3-bucket-public-write-prohibited"),
            requires: "no public write access: holds with the four settings on",
            source: "Config s3-bucket-public-write-prohibited",
        },
        Condition {
            answers: Answer::GuardDuty("Policy:S3/BucketBlockPublicAccessDisabled"),
            requires: "the bucket's Block Public Access settings on",
            source: "GuardDuty finding types, S3",
        },
        Condition {
            answers: Answer::GuardDuty("Policy:S3/BucketAnonymousAccessGranted"),
            requires: "no anonymous access: holds with the four settings on",
            source: "GuardDuty finding types, S3",
        },
        Condition {
            answers: Answer::GuardDuty("Policy:S3/BucketPublicAccessGranted"),
            requires: "no public access: holds with the four settings on",
            source: "GuardDuty finding types, S3",
        },
    ],
};

/// The bucket function's scope.
#[derive(Debug, Clone, Copy, Default)]
pub struct BucketScope;

impl Scope for BucketScope {
    type Resource = BucketName;

    const FUNCTION: &'static str = "s3-block-public-access";
    const ACTION: &'static str = "enable_bucket_public_access_block";
    /// GuardDuty finding types that mean a bucket may be public.
    const GUARDDUTY_TYPES: &'static [&'static str] = &[
        "Policy:S3/BucketBlockPublicAccessDisabled",
        "Policy:S3/BucketAnonymousAccessGranted",
        "Policy:S3/BucketPublicAccessGranted",
    ];
    const CLOUDTRAIL_SOURCE: &'static str = "s3.amazonaws.com";
    /// CloudTrail S3 calls that may turn Block Public Access off.
    const CLOUDTRAIL_CALLS: &'static [&'static str] = &[
        "PutBucketPublicAccessBlock",
        "DeleteBucketPublicAccessBlock",
    ];
    /// The managed Config rules that call for the fix, by their identifiers.
    const CONFIG_RULES: &'static [&'static str] = &[
        "s3-bucket-level-public-access-prohibited",
        "s3-bucket-public-read-prohibited",
        "s3-bucket-public-write-prohibited",
    ];
    /// The Security Hub controls that call for the fix: S3.2 (public read), S3.3
    /// (public write), S3.8 (bucket-level Block Public Access).
    const SECURITY_HUB_CONTROLS: &'static [&'static str] = &["S3.2", "S3.3", "S3.8"];
    /// What a notification says of the fix.
    const WORDING: Wording = Wording {
        done: "Turned on Block Public Access",
        fix: "turn on Block Public Access",
    };
    /// The same controls as standards name them in per-standard findings
    /// (consolidation off), from Security Hub's controls reference ("related
    /// requirements") and the ids AWS's Automated Security Response routes
    /// on; AWS Foundational Security Best Practices and NIST 800-53 use the
    /// consolidated ids. CIS 1.2 has no bucket control; CIS 1.4's `2.1.5.1`
    /// and CIS 3.0's `2.1.4.1` are account-level Block Public Access (S3.1),
    /// not this function's.
    const PER_STANDARD_CONTROLS: &'static [PerStandard] = &[
        PerStandard::of("S3.2", &[(PCI_3_2_1, "PCI.S3.2")]),
        PerStandard::of("S3.3", &[(PCI_3_2_1, "PCI.S3.1")]),
        PerStandard::of("S3.8", &[(CIS_1_4, "2.1.5.2"), (CIS_3_0, "2.1.4.2")]),
    ];

    fn guardduty(
        _finding: &GuardDutyFinding,
        detail: Detail<'_>,
    ) -> Result<Reading<BucketName>, FindingError> {
        let buckets = detail.get_or_default::<Vec<S3BucketDetail>>("resource.s3BucketDetails")?;
        if buckets.is_empty() {
            return Err(FindingError::Field {
                path: "detail.resource.s3BucketDetails".into(),
                message: "an S3 finding must name at least one bucket".into(),
            });
        }
        let names = buckets
            .iter()
            .enumerate()
            .map(|(i, b)| {
                BucketName::parse(
                    &format!("detail.resource.s3BucketDetails[{i}].name"),
                    &b.name,
                )
            })
            .collect::<Result<_, _>>()?;
        Ok(Reading::Targets(names))
    }

    fn security_hub_resource(path: &str, arn: &Arn) -> Result<BucketName, FindingError> {
        BucketName::parse(path, arn.resource_of("s3", path)?)
    }

    fn cloudtrail(
        _call: &CloudTrailCall,
        detail: Detail<'_>,
    ) -> Result<Reading<BucketName>, FindingError> {
        let bucket = detail.parse("requestParameters.bucketName", BucketName::parse)?;
        Ok(Reading::Targets(vec![bucket]))
    }
}

// The parts of events that only this function reads.

/// One bucket of a GuardDuty S3 finding (`resource.s3BucketDetails[]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct S3BucketDetail {
    /// The bucket name.
    pub name: String,
}

#[cfg(test)]
mod tests {
    use remediation_testing::samples::{
        check_readings, config_change, envelope, security_hub, Reading,
    };
    use serde_json::{json, Value};

    use super::*;

    fn config(id: &str) -> Value {
        rule("s3-bucket-level-public-access-prohibited", id)
    }

    fn rule(rule: &str, id: &str) -> Value {
        config_change("AWS::S3::Bucket", id, rule)
    }

    fn hub(control: Option<&str>, product_fields: Value) -> Value {
        security_hub(
            "AwsS3Bucket",
            "arn:aws:s3:::site-bucket",
            control,
            product_fields,
        )
    }

    fn guardduty(buckets: Value) -> Value {
        envelope(
            "aws.guardduty",
            "GuardDuty Finding",
            json!({"id": "gd-1", "type": "Policy:S3/BucketBlockPublicAccessDisabled", "region": "us-east-1",
                   "resource": {"s3BucketDetails": buckets}}),
        )
    }

    #[test]
    fn readings() {
        let rows: Vec<Reading> = vec![
            (
                "a_config_bucket_is_named_with_its_region",
                config("my-bucket"),
                Ok(vec!["arn:aws:s3:::my-bucket eu-west-1"]),
            ),
            (
                "public_read_is_answered",
                rule("s3-bucket-public-read-prohibited", "b-1"),
                Ok(vec!["arn:aws:s3:::b-1 eu-west-1"]),
            ),
            (
                "public_write_in_a_conformance_pack_is_answered",
                rule(
                    "s3-bucket-public-write-prohibited-conformance-pack-ab12",
                    "b-1",
                ),
                Ok(vec!["arn:aws:s3:::b-1 eu-west-1"]),
            ),
            (
                "security_hubs_own_rule_name_is_answered",
                rule(
                    "securityhub-s3-bucket-level-public-access-prohibited-9f8e7d",
                    "b-1",
                ),
                Ok(vec!["arn:aws:s3:::b-1 eu-west-1"]),
            ),
            (
                "control_towers_guardrail_is_answered",
                rule(
                    "AWSControlTower_AWS-GR_S3_BUCKET_PUBLIC_READ_PROHIBITED",
                    "b-1",
                ),
                Ok(vec!["arn:aws:s3:::b-1 eu-west-1"]),
            ),
            (
                "a_versioning_finding_leaves_a_website_bucket_alone",
                rule("s3-bucket-versioning-enabled", "b-1"),
                Ok(vec![
                    "skip Config rule s3-bucket-versioning-enabled is not handled by this function",
                ]),
            ),
            (
                "a_logging_finding_leaves_a_website_bucket_alone",
                rule("s3-bucket-logging-enabled", "b-1"),
                Ok(vec![
                    "skip Config rule s3-bucket-logging-enabled is not handled by this function",
                ]),
            ),
            (
                "control_s3_8_is_answered",
                hub(Some("S3.8"), json!({})),
                Ok(vec!["arn:aws:s3:::site-bucket us-east-1"]),
            ),
            (
                "control_s3_2_is_answered",
                hub(Some("S3.2"), json!({})),
                Ok(vec!["arn:aws:s3:::site-bucket us-east-1"]),
            ),
            (
                "control_s3_3_is_answered",
                hub(Some("S3.3"), json!({})),
                Ok(vec!["arn:aws:s3:::site-bucket us-east-1"]),
            ),
            (
                "ssl_control_s3_5_is_not",
                hub(Some("S3.5"), json!({})),
                Ok(vec![
                    "skip Security Hub control S3.5 does not call for this fix",
                ]),
            ),
            (
                "logging_control_s3_9_is_not",
                hub(Some("S3.9"), json!({})),
                Ok(vec![
                    "skip Security Hub control S3.9 does not call for this fix",
                ]),
            ),
            (
                "versioning_control_s3_14_is_not",
                hub(Some("S3.14"), json!({})),
                Ok(vec![
                    "skip Security Hub control S3.14 does not call for this fix",
                ]),
            ),
            (
                "a_per_standard_pci_finding_is_read_by_its_own_id",
                hub(
                    None,
                    json!({"StandardsArn": "arn:aws:securityhub:::standards/pci-dss/v/3.2.1", "ControlId": "PCI.S3.2"}),
                ),
                Ok(vec!["arn:aws:s3:::site-bucket us-east-1"]),
            ),
            (
                "cis_1_4_names_bucket_level_block_public_access_2_1_5_2",
                hub(
                    None,
                    json!({"StandardsArn": "arn:aws:securityhub:::standards/cis-aws-foundations-benchmark/v/1.4.0", "ControlId": "2.1.5.2"}),
                ),
                Ok(vec!["arn:aws:s3:::site-bucket us-east-1"]),
            ),
            (
                "cis_3_0_names_it_2_1_4_2",
                hub(
                    None,
                    json!({"StandardsArn": "arn:aws:securityhub:::standards/cis-aws-foundations-benchmark/v/3.0.0", "ControlId": "2.1.4.2"}),
                ),
                Ok(vec!["arn:aws:s3:::site-bucket us-east-1"]),
            ),
            (
                "an_id_is_read_only_under_its_own_standard",
                hub(
                    None,
                    json!({"StandardsArn": "arn:aws:securityhub:::standards/cis-aws-foundations-benchmark/v/3.0.0", "ControlId": "2.1.5.2"}),
                ),
                Ok(vec![
                    "skip the finding names no Security Hub control that calls for this fix",
                ]),
            ),
            (
                "a_per_standard_foundational_finding_uses_the_consolidated_id",
                hub(
                    None,
                    json!({"StandardsArn": "arn:aws:securityhub:::standards/aws-foundational-security-best-practices/v/1.0.0", "ControlId": "S3.8"}),
                ),
                Ok(vec!["arn:aws:s3:::site-bucket us-east-1"]),
            ),
            (
                "a_finding_without_a_control_is_skipped",
                hub(None, json!({})),
                Ok(vec![
                    "skip the finding names no Security Hub control that calls for this fix",
                ]),
            ),
            (
                "a_name_s3_could_never_have_is_malformed",
                config("bad bucket?"),
                Err("detail.resourceId"),
            ),
            (
                "a_legacy_us_east_1_name_is_a_bucket",
                config("Legacy_Bucket_2017"),
                Ok(vec!["arn:aws:s3:::Legacy_Bucket_2017 eu-west-1"]),
            ),
            (
                "guardduty_names_every_bucket",
                guardduty(json!([{"name": "one-bucket"}, {"name": "two-bucket"}])),
                Ok(vec![
                    "arn:aws:s3:::one-bucket us-east-1",
                    "arn:aws:s3:::two-bucket us-east-1",
                ]),
            ),
            (
                "a_guardduty_s3_finding_without_a_bucket_is_malformed",
                guardduty(json!([])),
                Err("detail.resource.s3BucketDetails"),
            ),
            (
                "a_cloudtrail_call_without_a_bucket_is_malformed",
                envelope(
                    "aws.s3",
                    "AWS API Call via CloudTrail",
                    json!({"eventSource": "s3.amazonaws.com", "eventName": "DeleteBucketPublicAccessBlock", "requestParameters": {}}),
                ),
                Err("detail.requestParameters.bucketName"),
            ),
        ];
        check_readings::<BucketScope>(rows, |t| {
            format!("{} {}", t.arn(), t.region.clone().unwrap_or_default())
        });
    }
    /// A row for each control, Config rule and GuardDuty type answered, each resolved.
    #[test]
    fn the_table_of_checks_has_a_row_for_each_control_rule_and_type_answered() {
        remediation_testing::samples::check_conditions::<BucketScope>(CHECKS.table, |b| {
            CHECKS.verdict(b)
        });
    }
}
