//! The normaliser's checks common to every function, through a test scope:
//! partitions, accounts and regions; compliance, workflow and record state;
//! declared types and calls; one record per resource; fields named on error.
//! Each function's own rules are tested in its `scope.rs`.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use remediation_shared::finding::{normalize, Item};
use remediation_shared::FindingError;
use serde_json::{json, Value};
use support::Buckets;

fn envelope(source: &str, detail_type: &str, detail: Value) -> Value {
    json!({"version": "0", "id": "e-1", "detail-type": detail_type, "source": source,
           "account": "123456789012", "time": "2026-11-20T12:00:00Z", "region": "us-east-1",
           "resources": [], "detail": detail})
}

fn hub(resource_type: &str, id: &str) -> Value {
    envelope(
        "aws.securityhub",
        "Security Hub Findings - Imported",
        json!({"findings": [{
        "Id": "f-1", "AwsAccountId": "123456789012", "Region": "us-east-1", "RecordState": "ACTIVE",
        "Compliance": {"Status": "FAILED"}, "Resources": [{"Type": resource_type, "Id": id}]}]}),
    )
}

/// A `Findings Imported V2` event of one control finding on `resource`.
fn ocsf(resource: Value, control: &str, compliance: &str, status_id: i64) -> Value {
    envelope(
        "aws.securityhub",
        "Findings Imported V2",
        json!({"findings": [{"class_uid": 2003, "status_id": status_id,
            "compliance": {"control": control, "status": compliance},
            "finding_info": {"uid": "arn:aws:securityhub:eu-west-1:111122223333:security-control/S3.8/finding/f-1"},
            "metadata": {"product": {"uid": "arn:aws:securityhub:eu-west-1::productv2/aws/securityhub"}},
            "cloud": {"account": {"uid": "111122223333"}, "region": "eu-west-1"},
            "resources": [resource]}]}),
    )
}

fn config(rule: &str, rtype: &str, id: &str, compliance: &str) -> Value {
    envelope(
        "aws.config",
        "Config Rules Compliance Change",
        json!({"resourceId": id, "resourceType": rtype, "configRuleName": rule,
               "awsRegion": "eu-west-1", "awsAccountId": "111122223333",
               "newEvaluationResult": {"complianceType": compliance}}),
    )
}

/// What the normaliser read: `target <arn> <account> <region>` or `skip <reason>`.
fn read(v: Value) -> Vec<String> {
    normalize::<Buckets>(v)
        .unwrap()
        .items
        .into_iter()
        .map(|item| match item {
            Item::Target(t) => format!(
                "target {} {} {}",
                t.arn(),
                t.account.unwrap_or_default(),
                t.region.unwrap_or_default()
            ),
            Item::Skip(s) => format!("skip {}", s.reason),
        })
        .collect()
}

#[test]
fn each_source_is_read_with_its_account_region_and_partition() {
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "a_china_bucket_arn_names_the_china_partition",
            hub("AwsS3Bucket", "arn:aws-cn:s3:::cn-bucket"),
            "target arn:aws-cn:s3:::cn-bucket 123456789012 us-east-1",
        ),
        (
            "a_config_event_names_its_own_account_and_region",
            config("s3-public", "AWS::S3::Bucket", "cfg-bucket", "NON_COMPLIANT"),
            "target arn:aws:s3:::cfg-bucket 111122223333 eu-west-1",
        ),
        (
            "a_compliant_result_is_skipped",
            config("s3-public", "AWS::S3::Bucket", "cfg-bucket", "COMPLIANT"),
            "skip Config reports COMPLIANT for s3-public",
        ),
        (
            "another_resource_type_is_skipped",
            config("s3-public", "AWS::EC2::Instance", "i-1", "NON_COMPLIANT"),
            "skip resource type AWS::EC2::Instance is not AWS::S3::Bucket",
        ),
        (
            "a_rule_the_scope_does_not_answer_is_skipped",
            config("s3-versioning", "AWS::S3::Bucket", "b-1", "NON_COMPLIANT"),
            "skip Config rule s3-versioning is not handled by this function",
        ),
        (
            "a_guardduty_type_not_declared_is_skipped",
            envelope("aws.guardduty", "GuardDuty Finding", json!({"id": "g", "type": "Recon:EC2/Portscan"})),
            "skip GuardDuty finding type Recon:EC2/Portscan is not handled by test-buckets",
        ),
        (
            "a_cloudtrail_call_not_declared_is_skipped",
            envelope("aws.s3", "AWS API Call via CloudTrail", json!({"eventSource": "s3.amazonaws.com", "eventName": "PutBucketAcl"})),
            "skip API call s3.amazonaws.com PutBucketAcl is not handled by this function",
        ),
        (
            "a_failed_cloudtrail_call_is_skipped",
            envelope("aws.s3", "AWS API Call via CloudTrail", json!({"eventSource": "s3.amazonaws.com", "eventName": "PutBucketPublicAccessBlock", "errorCode": "AccessDenied"})),
            "skip the PutBucketPublicAccessBlock call failed with AccessDenied, so it changed nothing",
        ),
        (
            "a_guardduty_sample_finding_is_a_quiet_skip",
            envelope("aws.guardduty", "GuardDuty Finding", json!({"id": "g", "type": "Policy:S3/BucketBlockPublicAccessDisabled",
                "service": {"additionalInfo": {"sample": true}}, "resource": {"s3BucketDetails": [{"name": "bucketName"}]}})),
            "skip GuardDuty sample finding (from \"Generate sample findings\"): its resources are placeholders",
        ),
        (
            "a_sample_flag_written_as_a_string_is_read",
            envelope("aws.guardduty", "GuardDuty Finding", json!({"id": "g", "type": "Recon:EC2/Portscan",
                "service": {"additionalInfo": {"sample": "true"}}})),
            "skip GuardDuty sample finding (from \"Generate sample findings\"): its resources are placeholders",
        ),
        (
            "a_failing_ocsf_control_finding_reads_a_bucket_by_name_in_its_owners_account_and_region",
            ocsf(json!({"type": "AWS::S3::Bucket", "uid": "ocsf-bucket", "region": "eu-west-2",
                        "owner": {"account": {"uid": "333344445555"}}}), "S3.8", "Fail", 1),
            "target arn:aws:s3:::ocsf-bucket 333344445555 eu-west-2",
        ),
        (
            "an_ocsf_resource_is_read_from_its_arn_alias_first_with_the_findings_account_and_region",
            ocsf(json!({"type": "AWS::S3::Bucket", "uid": "https://example/not-an-arn", "uid_alt": "arn:aws:s3:::alias-bucket"}), "S3.8", "Fail", 2),
            "target arn:aws:s3:::alias-bucket 111122223333 eu-west-1",
        ),
        (
            "a_passing_ocsf_finding_is_skipped_with_its_status",
            ocsf(json!({"type": "AWS::S3::Bucket", "uid": "ocsf-bucket"}), "S3.8", "Pass", 1),
            "skip finding compliance status is Pass",
        ),
        (
            "a_resolved_ocsf_finding_is_skipped",
            ocsf(json!({"type": "AWS::S3::Bucket", "uid": "ocsf-bucket"}), "S3.8", "Fail", 4),
            "skip finding status is 4",
        ),
        (
            "an_ocsf_finding_of_another_control_is_skipped",
            ocsf(json!({"type": "AWS::S3::Bucket", "uid": "ocsf-bucket"}), "S3.9", "Fail", 1),
            "skip Security Hub control S3.9 does not call for this fix",
        ),
        (
            "an_ocsf_finding_on_another_resource_type_is_skipped",
            ocsf(json!({"type": "AWS::SQS::Queue", "uid": "https://sqs/q"}), "S3.8", "Fail", 1),
            "skip resource type AWS::SQS::Queue is not AWS::S3::Bucket",
        ),
        (
            "a_type_labelled_beta_is_the_same_detection",
            envelope("aws.guardduty", "GuardDuty Finding", json!({"id": "g", "type": "[beta]Policy:S3/BucketBlockPublicAccessDisabled",
                "accountId": "111122223333", "region": "eu-west-1", "resource": {"s3BucketDetails": [{"name": "beta-bucket"}]}})),
            "target arn:aws:s3:::beta-bucket 111122223333 eu-west-1",
        ),
        (
            "a_beta_label_does_not_make_another_type_ours",
            envelope("aws.guardduty", "GuardDuty Finding", json!({"id": "g", "type": "[beta] Recon:EC2/Portscan"})),
            "skip GuardDuty finding type [beta] Recon:EC2/Portscan is not handled by test-buckets",
        ),
        (
            "numbers_in_exponent_form_that_the_function_does_not_read_are_accepted",
            envelope("aws.guardduty", "GuardDuty Finding", json!({"id": "g", "type": "Policy:S3/BucketBlockPublicAccessDisabled",
                "severity": 2.0, "service": {"count": 1.0E0, "eventFirstSeen": 1.646144449E9},
                "resource": {"s3BucketDetails": [{"name": "exp-bucket", "createdAt": 1.646144449E9}]}})),
            "target arn:aws:s3:::exp-bucket 123456789012 us-east-1",
        ),
        (
            "the_bucket_owner_named_by_cloudtrail_wins_over_the_recipient",
            envelope("aws.s3", "AWS API Call via CloudTrail", json!({"eventSource": "s3.amazonaws.com", "eventName": "PutBucketPublicAccessBlock",
                "recipientAccountId": "111111111111", "awsRegion": "eu-west-1",
                "resources": [{"type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::owned-bucket", "accountId": "222222222222"}],
                "requestParameters": {"bucketName": "owned-bucket"}})),
            "target arn:aws:s3:::owned-bucket 222222222222 eu-west-1",
        ),
        (
            "fields_the_function_does_not_read_may_have_any_shape",
            envelope("aws.s3", "AWS API Call via CloudTrail", json!({"eventSource": "s3.amazonaws.com", "eventName": "PutBucketPublicAccessBlock",
                "recipientAccountId": "111111111111", "responseElements": "None", "resources": "None",
                "requestParameters": {"bucketName": "any-bucket", "PublicAccessBlockConfiguration": "None"}})),
            "target arn:aws:s3:::any-bucket 111111111111 us-east-1",
        ),
        (
            "another_event_is_skipped",
            envelope("aws.events", "Scheduled Event", json!({})),
            "skip event aws.events / Scheduled Event is not a trigger of test-buckets",
        ),
    ];
    for (name, event, expected) in cases {
        assert_eq!(read(event), [expected], "{name}");
    }
}

#[test]
fn suppressed_or_warning_findings_are_skipped_with_the_reason() {
    let mut e = hub("AwsS3Bucket", "arn:aws:s3:::some-bucket");
    e["detail"]["findings"][0]["Workflow"] = json!({"Status": "SUPPRESSED"});
    assert_eq!(read(e), ["skip finding workflow status is SUPPRESSED"]);
    let mut e = hub("AwsS3Bucket", "arn:aws:s3:::some-bucket");
    e["detail"]["findings"][0]["Compliance"] = json!({"Status": "WARNING"});
    assert_eq!(read(e), ["skip finding compliance status is WARNING"]);
    let mut e = hub("AwsS3Bucket", "arn:aws:s3:::some-bucket");
    e["detail"]["findings"][0]["RecordState"] = json!("ARCHIVED");
    assert_eq!(read(e), ["skip finding record state is ARCHIVED"]);
}

#[test]
fn a_cloudtrail_owner_present_but_null_is_refused_not_replaced_by_the_recipient() {
    let call = |resources: Value| {
        envelope(
            "aws.s3",
            "AWS API Call via CloudTrail",
            json!({"eventSource": "s3.amazonaws.com",
            "eventName": "PutBucketPublicAccessBlock", "recipientAccountId": "111111111111",
            "resources": resources, "requestParameters": {"bucketName": "owned-bucket"}}),
        )
    };
    for (resources, path) in [
        (Value::Null, "detail.resources"),
        (
            json!([{"type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::owned-bucket", "accountId": null}]),
            "detail.resources[0].accountId",
        ),
    ] {
        let err = normalize::<Buckets>(call(resources.clone())).unwrap_err();
        assert!(err.to_string().contains(path), "{resources}: {err}");
    }
}

#[test]
fn malformed_resource_arns_are_rejected_with_their_path() {
    for bad in [
        "not-an-arn",
        "arn:aws-mars:s3:::b",
        "arn:aws:ec2:us-east-1:123456789012:instance/i-1",
    ] {
        let err = normalize::<Buckets>(hub("AwsS3Bucket", bad)).unwrap_err();
        assert!(
            err.to_string()
                .contains("detail.findings[0].Resources[0].Id"),
            "{bad}: {err}"
        );
    }
}

#[test]
fn wrong_types_in_trigger_fields_are_named() {
    let cases = [
        (
            envelope(
                "aws.config",
                "Config Rules Compliance Change",
                json!({"resourceId": 7}),
            ),
            "detail.resourceId",
        ),
        (
            envelope(
                "aws.guardduty",
                "GuardDuty Finding",
                json!({"id": "x", "type": ["a"]}),
            ),
            "detail.type",
        ),
        (
            envelope(
                "aws.s3",
                "AWS API Call via CloudTrail",
                json!({"eventSource": "s3.amazonaws.com", "eventName": "PutBucketPublicAccessBlock", "requestParameters": {"bucketName": false}}),
            ),
            "detail.requestParameters.bucketName",
        ),
        (
            envelope(
                "aws.s3",
                "AWS API Call via CloudTrail",
                json!({"eventSource": "s3.amazonaws.com", "eventName": "PutBucketPublicAccessBlock", "recipientAccountId": "111111111111",
                       "resources": {"accountId": "222222222222"}, "requestParameters": {"bucketName": "b-1"}}),
            ),
            "detail.resources",
        ),
        (
            envelope(
                "aws.s3",
                "AWS API Call via CloudTrail",
                json!({"eventSource": "s3.amazonaws.com", "eventName": "PutBucketPublicAccessBlock", "recipientAccountId": "111111111111",
                       "resources": [{"accountId": 222222222222_u64}], "requestParameters": {"bucketName": "b-1"}}),
            ),
            "detail.resources[0].accountId",
        ),
        (
            json!({"detail-type": 5, "source": "aws.config", "detail": {}}),
            "detail-type",
        ),
        (
            envelope(
                "aws.securityhub",
                "Findings Imported V2",
                json!({"findings": {"class_uid": 2003}}),
            ),
            "detail.findings",
        ),
        (
            envelope(
                "aws.securityhub",
                "Findings Imported V2",
                json!({"findings": [{"resources": "AWS::S3::Bucket"}]}),
            ),
            "detail.findings[0].resources",
        ),
        (
            ocsf(
                json!({"type": "AWS::S3::Bucket", "uid": 42}),
                "S3.8",
                "Fail",
                1,
            ),
            "detail.findings[0].resources[0].uid",
        ),
        (
            ocsf(json!({"type": "AWS::S3::Bucket"}), "S3.8", "Fail", 1),
            "detail.findings[0].resources[0].uid",
        ),
        (
            ocsf(
                json!({"type": "AWS::S3::Bucket", "uid": "Not A Bucket!"}),
                "S3.8",
                "Fail",
                1,
            ),
            "detail.findings[0].resources[0].uid",
        ),
    ];
    for (event, field) in cases {
        let err = normalize::<Buckets>(event).unwrap_err().to_string();
        assert!(err.contains(field), "expected {field} in {err}");
    }
}

#[test]
fn an_invalid_identifier_is_rejected_with_its_field() {
    let err = normalize::<Buckets>(config(
        "s3-public",
        "AWS::S3::Bucket",
        "bad bucket",
        "NON_COMPLIANT",
    ))
    .unwrap_err();
    assert!(
        matches!(&err, FindingError::Value { path, .. } if path == "detail.resourceId"),
        "{err}"
    );
}

#[test]
fn one_resource_named_twice_is_examined_once() {
    let e = envelope(
        "aws.securityhub",
        "Security Hub Findings - Imported",
        json!({"findings": [
        {"Id": "f-1", "RecordState": "ACTIVE", "Resources": [{"Type": "AwsS3Bucket", "Id": "arn:aws:s3:::twice-named"}]},
        {"Id": "f-2", "RecordState": "ACTIVE", "Resources": [{"Type": "AwsS3Bucket", "Id": "arn:aws:s3:::twice-named"}]}]}),
    );
    assert_eq!(read(e).len(), 1);
}

#[test]
fn an_event_that_names_nothing_is_one_skip() {
    let e = envelope(
        "aws.securityhub",
        "Security Hub Findings - Imported",
        json!({"findings": []}),
    );
    assert_eq!(read(e), ["skip the event names no resource"]);
}

#[test]
fn a_person_sending_findings_with_a_custom_action_gets_each_active_one_examined() {
    let action = |control: &str, record_state: &str| {
        envelope(
            "aws.securityhub",
            "Security Hub Findings - Custom Action",
            json!({"actionName": "Fix public bucket", "actionDescription": "d", "findings": [{
                "Id": "f-1", "AwsAccountId": "123456789012", "RecordState": record_state,
                "Compliance": {"Status": "PASSED", "SecurityControlId": control},
                "Workflow": {"Status": "RESOLVED"},
                "Resources": [{"Type": "AwsS3Bucket", "Id": "arn:aws:s3:::chosen-bucket"}]}]}),
        )
    };
    // Whatever the control or status: the person chose the finding.
    assert_eq!(
        read(action("S3.9", "ACTIVE")),
        ["target arn:aws:s3:::chosen-bucket 123456789012 us-east-1"]
    );
    assert_eq!(
        read(action("S3.9", "ARCHIVED")),
        ["skip finding record state is ARCHIVED"]
    );
    let f = normalize::<Buckets>(action("S3.9", "ACTIVE")).unwrap();
    assert_eq!(f.trigger.source, "person:securityhub-custom-action");
    assert_eq!(
        f.trigger.name.as_deref(),
        Some("custom action \"Fix public bucket\": S3.9")
    );
}
