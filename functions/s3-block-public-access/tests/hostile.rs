//! Hostile and broken input, generated, through this function's driver:
//! arbitrary JSON, every sample in `events/` with a wrong type in each
//! field, truncated payloads, oversized strings, and ARNs of every partition
//! and of no valid shape (see `remediation_testing::hostile`).

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

remediation_testing::hostile_tests!(
    s3_block_public_access::scope::BucketScope,
    serde_json::json!({"Compliance": {"Status": "FAILED", "SecurityControlId": "S3.8"}})
);

#[test]
fn an_event_naming_ten_thousand_buckets_gets_a_record_for_each() {
    let findings: Vec<Value> = (0..10_000)
        .map(|i| serde_json::json!({"Id": format!("f-{i}"), "AwsAccountId": "123456789012", "RecordState": "ACTIVE",
            "Compliance": {"Status": "FAILED", "SecurityControlId": "S3.8"},
            "Resources": [{"Type": "AwsS3Bucket", "Id": format!("arn:aws:s3:::bucket-{i}"), "Region": "us-east-1"}]}))
        .collect();
    let value = serde_json::json!({"version": "0", "id": "e-big", "detail-type": "Security Hub Findings - Imported",
        "source": "aws.securityhub", "account": "123456789012", "region": "us-east-1",
        "time": "2026-01-01T00:00:00Z", "resources": [], "detail": {"findings": findings}});
    let run = run::<s3_block_public_access::scope::BucketScope>(&Payload::Json(value));
    check(&run).unwrap();
    assert_eq!(run.calls, 10_000);
    assert_eq!(run.records.len(), 10_000);
}
