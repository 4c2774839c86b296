//! Every sample event read by this function's scope: its own samples exactly
//! as the table says, and the acted-on manifest checked against what the
//! scope reads from every sample of every function.

use remediation_testing::samples::check_scope;
use s3_block_public_access::scope::BucketScope;

/// Each sample of `events/s3-block-public-access/` and how the scope reads
/// it (see `check_scope`).
const READINGS: &str = "
    config-bucket-noncompliant.json              target arn:aws:s3:::example-public-bucket
    config-bucket-compliant.json                 skip
    config-other-resource-type.json              skip
    config-versioning-website-bucket.json        skip
    config-control-tower-public-read.json        target arn:aws:s3:::example-public-bucket
    config-legacy-bucket-name.json               target arn:aws:s3:::Example_Legacy_Bucket_2017
    guardduty-block-public-access-disabled.json  target arn:aws:s3:::example-public-bucket
    guardduty-anonymous-access-granted.json      target arn:aws:s3:::example-public-bucket
    guardduty-public-access-granted.json         target arn:aws:s3:::example-public-bucket
    guardduty-public-access-granted-exponent-numbers.json  target arn:aws:s3:::example-public-bucket
    guardduty-sample-finding.json                skip
    securityhub-s3-8-failed.json                 target arn:aws:s3:::example-public-bucket
    securityhub-s3-8-passed.json                 skip
    securityhub-s3-9-logging-failed.json         skip
    securityhub-custom-action-fix-public-bucket.json  target arn:aws:s3:::example-public-bucket
    securityhub-pci-s3-2-per-standard.json       target arn:aws:s3:::example-public-bucket
    securityhub-cis-1-4-2-1-5-2-per-standard.json  target arn:aws:s3:::example-public-bucket
    securityhub-cis-3-0-2-1-4-2-per-standard.json  target arn:aws:s3:::example-public-bucket
    securityhub-v2-ocsf-s3-8-failed.json         target arn:aws:s3:::example-public-bucket
    securityhub-v2-ocsf-s3-8-passed.json         skip
    securityhub-v2-ocsf-s3-9-logging-failed.json  skip
    securityhub-v2-ocsf-suppressed.json          skip
    securityhub-v2-ocsf-detection-finding.json   skip
    cloudtrail-delete-public-access-block.json   target arn:aws:s3:::example-public-bucket
    cloudtrail-put-public-access-block.json      target arn:aws:s3:::example-public-bucket
    cloudtrail-put-public-access-block-by-another-account.json          target arn:aws:s3:::example-public-bucket
    cloudtrail-put-public-access-block-bucket-of-another-account.json   target arn:aws:s3:::example-public-bucket
    cloudtrail-call-failed.json                  skip
    scheduled-sweep.json                         skip
    malformed-missing-detail.json                malformed detail
";

#[test]
fn every_sample_reads_as_the_table_says_and_the_manifest_agrees() {
    check_scope::<BucketScope>(READINGS);
}
