//! Which events call for re-enabling a bucket's Block Public Access, and how
//! to read the bucket out of each.
//!
//! Pure: no AWS calls, no environment. The shared normaliser has already
//! checked what every function checks the same way (compliance state,
//! resource type, the finding types and API calls declared here); this file
//! holds what is particular to buckets.

use remediation_shared::event::{CloudTrailCall, Detail, GuardDutyFinding, S3BucketDetail};
use remediation_shared::resource::{Arn, BucketName};
use remediation_shared::scope::missing;
use remediation_shared::{FindingError, Reading, Scope};

/// The bucket function's scope.
#[derive(Debug, Clone, Copy, Default)]
pub struct BucketScope;

/// GuardDuty finding types that mean a bucket may be public.
pub const GUARDDUTY_TYPES: &[&str] = &[
    "Policy:S3/BucketBlockPublicAccessDisabled",
    "Policy:S3/BucketAnonymousAccessGranted",
    "Policy:S3/BucketPublicAccessGranted",
];

/// CloudTrail S3 calls that may turn Block Public Access off.
pub const CLOUDTRAIL_CALLS: &[&str] = &[
    "PutBucketPublicAccessBlock",
    "DeleteBucketPublicAccessBlock",
];

impl Scope for BucketScope {
    type Resource = BucketName;

    const FUNCTION: &'static str = "s3-block-public-access";
    const ACTION: &'static str = "enable_bucket_public_access_block";
    const CONFIG_RESOURCE_TYPE: &'static str = "AWS::S3::Bucket";
    const ASFF_RESOURCE_TYPE: &'static str = "AwsS3Bucket";
    const GUARDDUTY_TYPES: &'static [&'static str] = GUARDDUTY_TYPES;
    const CLOUDTRAIL_SOURCE: &'static str = "s3.amazonaws.com";
    const CLOUDTRAIL_CALLS: &'static [&'static str] = CLOUDTRAIL_CALLS;

    fn config_rule(_rule: &str) -> bool {
        true
    }

    fn config_resource(path: &str, id: &str) -> Result<BucketName, FindingError> {
        BucketName::parse(path, id)
    }

    fn guardduty(
        _finding: &GuardDutyFinding,
        detail: Detail<'_>,
    ) -> Result<Reading<BucketName>, FindingError> {
        let buckets = detail
            .get::<Vec<S3BucketDetail>>("resource.s3BucketDetails")?
            .unwrap_or_default();
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
        if arn.service != "s3" {
            return Err(arn.of_another_type(path));
        }
        BucketName::parse(path, &arn.resource)
    }

    fn cloudtrail(
        _call: &CloudTrailCall,
        detail: Detail<'_>,
    ) -> Result<Reading<BucketName>, FindingError> {
        let path = "detail.requestParameters.bucketName";
        let name = detail
            .get::<String>("requestParameters.bucketName")?
            .ok_or_else(|| missing(path))?;
        Ok(Reading::Targets(vec![BucketName::parse(path, &name)?]))
    }
}

#[cfg(test)]
mod tests {
    use remediation_shared::finding::{normalize, Item};
    use serde_json::{json, Value};

    use super::*;

    fn envelope(source: &str, detail_type: &str, detail: Value) -> Value {
        json!({"version": "0", "id": "e-1", "detail-type": detail_type, "source": source,
               "account": "123456789012", "region": "us-east-1", "resources": [], "detail": detail})
    }

    /// What the scope reads: `<bucket arn> <region>` or `skip <reason>`, or the error.
    fn read(event: Value) -> Result<Vec<String>, String> {
        let finding = normalize::<BucketScope>(event).map_err(|e| e.to_string())?;
        Ok(finding
            .items
            .into_iter()
            .map(|item| match item {
                Item::Target(t) => format!("{} {}", t.arn(), t.region.unwrap_or_default()),
                Item::Skip(s) => format!("skip {}", s.reason),
            })
            .collect())
    }

    fn config(id: &str) -> Value {
        envelope(
            "aws.config",
            "Config Rules Compliance Change",
            json!({"resourceId": id, "resourceType": "AWS::S3::Bucket", "awsRegion": "eu-west-1",
                   "configRuleName": "s3-bucket-level-public-access-prohibited",
                   "newEvaluationResult": {"complianceType": "NON_COMPLIANT"}}),
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

    /// A row: its name, the event, and the reading (or a field the error names).
    type Case = (&'static str, Value, Result<Vec<&'static str>, &'static str>);

    #[test]
    fn readings() {
        let cases: Vec<Case> = vec![
            (
                "a_config_bucket_is_named_with_its_region",
                config("my-bucket"),
                Ok(vec!["arn:aws:s3:::my-bucket eu-west-1"]),
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
        for (name, event, expected) in cases {
            match (read(event), expected) {
                (Ok(items), Ok(want)) => assert_eq!(items, want, "{name}"),
                (Err(err), Err(field)) => assert!(err.contains(field), "{name}: {err}"),
                (got, want) => panic!("{name}: got {got:?}, expected {want:?}"),
            }
        }
    }
}
