//! A scope that exists only for the shared crate's own tests, so that the
//! framework is tested without any real function: [`Buckets`] answers a small,
//! fixed set of triggers on S3 buckets.

use remediation_shared::event::{CloudTrailCall, Detail, GuardDutyFinding};
use remediation_shared::resource::{Arn, BucketName};
use remediation_shared::{FindingError, Reading, Scope};

/// One bucket of a GuardDuty S3 finding (`resource.s3BucketDetails[]`).
#[derive(Debug, Clone, serde::Deserialize)]
struct S3BucketDetail {
    name: String,
}

/// Buckets, named by Security Hub, Config, GuardDuty or CloudTrail.
#[derive(Debug, Default)]
pub struct Buckets;

impl Scope for Buckets {
    type Resource = BucketName;
    const FUNCTION: &'static str = "test-buckets";
    const ACTION: &'static str = "test_bucket_action";
    const GUARDDUTY_TYPES: &'static [&'static str] = &["Policy:S3/BucketBlockPublicAccessDisabled"];
    const CLOUDTRAIL_SOURCE: &'static str = "s3.amazonaws.com";
    const CLOUDTRAIL_CALLS: &'static [&'static str] = &["PutBucketPublicAccessBlock"];

    const CONFIG_RULES: &'static [&'static str] = &["public"];
    const SECURITY_HUB_CONTROLS: &'static [&'static str] = &["S3.8"];
    fn guardduty(_: &GuardDutyFinding, d: Detail<'_>) -> Result<Reading<BucketName>, FindingError> {
        let names = d
            .get::<Vec<S3BucketDetail>>("resource.s3BucketDetails")?
            .unwrap_or_default();
        let buckets = names
            .iter()
            .map(|b| BucketName::parse("detail.resource.s3BucketDetails", &b.name))
            .collect::<Result<_, _>>()?;
        Ok(Reading::Targets(buckets))
    }
    fn security_hub_resource(path: &str, arn: &Arn) -> Result<BucketName, FindingError> {
        BucketName::parse(path, arn.resource_of("s3", path)?)
    }

    // Every failed finding on a bucket calls for this test fix.
    fn security_hub_skip(_: &remediation_shared::event::AsffFinding) -> Option<String> {
        None
    }
    fn cloudtrail(_: &CloudTrailCall, d: Detail<'_>) -> Result<Reading<BucketName>, FindingError> {
        let path = "detail.requestParameters.bucketName";
        let name = d
            .get::<String>("requestParameters.bucketName")?
            .ok_or_else(|| remediation_shared::scope::missing(path))?;
        Ok(Reading::Targets(vec![BucketName::parse(path, &name)?]))
    }
}
