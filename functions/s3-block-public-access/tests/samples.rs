//! Every sample event read by this function's scope: its own samples exactly
//! as the table says, and the acted-on manifest checked against what the
//! scope reads from every sample of every function.

use std::collections::BTreeMap;

use remediation_testing::samples::check_scope;
use s3_block_public_access::scope::BucketScope;

const BUCKET: &str = "target arn:aws:s3:::example-public-bucket";

#[test]
fn every_sample_reads_as_the_table_says_and_the_manifest_agrees() {
    let expected: BTreeMap<&str, Vec<&str>> = BTreeMap::from([
        ("config-bucket-noncompliant.json", vec![BUCKET]),
        ("config-bucket-compliant.json", vec!["skip"]),
        ("config-other-resource-type.json", vec!["skip"]),
        ("config-versioning-website-bucket.json", vec!["skip"]),
        ("config-control-tower-public-read.json", vec![BUCKET]),
        (
            "config-legacy-bucket-name.json",
            vec!["target arn:aws:s3:::Example_Legacy_Bucket_2017"],
        ),
        ("guardduty-block-public-access-disabled.json", vec![BUCKET]),
        ("guardduty-anonymous-access-granted.json", vec![BUCKET]),
        ("guardduty-public-access-granted.json", vec![BUCKET]),
        ("guardduty-sample-finding.json", vec!["skip"]),
        ("securityhub-s3-8-failed.json", vec![BUCKET]),
        ("securityhub-s3-8-passed.json", vec!["skip"]),
        ("securityhub-s3-9-logging-failed.json", vec!["skip"]),
        ("securityhub-pci-s3-2-per-standard.json", vec![BUCKET]),
        ("cloudtrail-delete-public-access-block.json", vec![BUCKET]),
        ("cloudtrail-put-public-access-block.json", vec![BUCKET]),
        ("cloudtrail-call-failed.json", vec!["skip"]),
        ("other-event-scheduled.json", vec!["skip"]),
        ("malformed-missing-detail.json", vec!["malformed detail"]),
    ]);
    check_scope::<BucketScope>(&expected);
}
