//! Normalisation rules that the samples do not show: partitions, identifiers
//! that fail validation, shapes that vary between services.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use remediation_shared::finding::{normalize, Item};
use remediation_shared::{FindingError, Remediation, Resource};
use serde_json::{json, Value};

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

fn only_target(v: Value, r: Remediation) -> remediation_shared::Target {
    let f = normalize(v, r).unwrap();
    match f.items.as_slice() {
        [Item::Target(t)] => t.clone(),
        other => panic!("expected one target, got {other:?}"),
    }
}

#[test]
fn partitions_come_from_the_resource_arn() {
    let t = only_target(
        hub(
            "AwsIamRole",
            "arn:aws-us-gov:iam::123456789012:role/app/worker",
        ),
        Remediation::IamDetachAdminPolicy,
    );
    assert_eq!(t.partition.as_str(), "aws-us-gov");
    assert_eq!(t.region, None, "IAM is global");
    let t = only_target(
        hub("AwsS3Bucket", "arn:aws-cn:s3:::cn-bucket"),
        Remediation::S3BlockPublicAccess,
    );
    assert_eq!(t.arn(), "arn:aws-cn:s3:::cn-bucket");
}

#[test]
fn malformed_resource_arns_are_rejected_with_their_path() {
    for bad in [
        "not-an-arn",
        "arn:aws-mars:s3:::b",
        "arn:aws:ec2:us-east-1:123456789012:instance/i-1",
    ] {
        let err = normalize(
            hub("AwsEc2SecurityGroup", bad),
            Remediation::SgRevokeOpenSsh,
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("detail.findings[0].Resources[0].Id"),
            "{bad}: {err}"
        );
    }
}

#[test]
fn invalid_identifiers_are_rejected_before_any_call() {
    let config = |rtype: &str, id: &str, rule: &str| {
        envelope(
            "aws.config",
            "Config Rules Compliance Change",
            json!({
            "resourceId": id, "resourceType": rtype, "configRuleName": rule,
            "newEvaluationResult": {"complianceType": "NON_COMPLIANT"}}),
        )
    };
    let cases = [
        (
            config(
                "AWS::S3::Bucket",
                "Bad_Bucket",
                "s3-bucket-level-public-access-prohibited",
            ),
            Remediation::S3BlockPublicAccess,
        ),
        (
            config("AWS::EC2::SecurityGroup", "sg-xyz", "restricted-ssh"),
            Remediation::SgRevokeOpenSsh,
        ),
        (
            config("AWS::IAM::Role", "bad/role", "iam-policy-blacklisted-check"),
            Remediation::IamDetachAdminPolicy,
        ),
    ];
    for (event, r) in cases {
        let err = normalize(event, r).unwrap_err();
        assert!(
            matches!(&err, FindingError::Value { path, .. } if path == "detail.resourceId"),
            "{err}"
        );
    }
}

#[test]
fn prefixed_config_rule_names_still_match() {
    let e = envelope(
        "aws.config",
        "Config Rules Compliance Change",
        json!({
        "resourceId": "sg-12345678", "resourceType": "AWS::EC2::SecurityGroup",
        "configRuleName": "securityhub-restricted-ssh-a1b2c3", "awsRegion": "eu-west-1",
        "newEvaluationResult": {"complianceType": "NON_COMPLIANT"}}),
    );
    let t = only_target(e, Remediation::SgRevokeOpenSsh);
    assert_eq!(t.region.as_deref(), Some("eu-west-1"));
}

#[test]
fn config_role_names_are_accepted_when_not_an_id() {
    let e = envelope(
        "aws.config",
        "Config Rules Compliance Change",
        json!({
        "resourceId": "plain-name", "resourceType": "AWS::IAM::Role", "configRuleName": "iam-policy-blacklisted-check",
        "newEvaluationResult": {"complianceType": "NON_COMPLIANT"}}),
    );
    let t = only_target(e, Remediation::IamDetachAdminPolicy);
    assert!(matches!(
        t.resource,
        Resource::Role(remediation_shared::RoleRef::Name(_))
    ));
}

#[test]
fn suppressed_or_warning_findings_are_skipped_with_the_reason() {
    let mut e = hub("AwsS3Bucket", "arn:aws:s3:::some-bucket");
    e["detail"]["findings"][0]["Workflow"] = json!({"Status": "SUPPRESSED"});
    let f = normalize(e, Remediation::S3BlockPublicAccess).unwrap();
    assert!(matches!(&f.items[..], [Item::Skip(s)] if s.reason.contains("SUPPRESSED")));
    let mut e = hub("AwsS3Bucket", "arn:aws:s3:::some-bucket");
    e["detail"]["findings"][0]["Compliance"] = json!({"Status": "WARNING"});
    let f = normalize(e, Remediation::S3BlockPublicAccess).unwrap();
    assert!(matches!(&f.items[..], [Item::Skip(s)] if s.reason.contains("WARNING")));
}

#[test]
fn cloudtrail_group_id_falls_back_to_the_request() {
    let e = envelope(
        "aws.ec2",
        "AWS API Call via CloudTrail",
        json!({
        "eventSource": "ec2.amazonaws.com", "eventName": "AuthorizeSecurityGroupIngress",
        "requestParameters": {"groupId": "sg-87654321"}, "responseElements": null}),
    );
    let t = only_target(e, Remediation::SgRevokeOpenSsh);
    assert_eq!(
        t.resource,
        Resource::SecurityGroup(
            remediation_shared::resource::GroupId::parse("x", "sg-87654321").unwrap()
        )
    );
}

#[test]
fn cloudtrail_call_without_a_group_is_malformed() {
    let e = envelope(
        "aws.ec2",
        "AWS API Call via CloudTrail",
        json!({
        "eventSource": "ec2.amazonaws.com", "eventName": "AuthorizeSecurityGroupIngress",
        "requestParameters": {"groupName": "default"}}),
    );
    let err = normalize(e, Remediation::SgRevokeOpenSsh).unwrap_err();
    assert!(
        err.to_string().contains("requestParameters.groupId"),
        "{err}"
    );
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
            Remediation::S3BlockPublicAccess,
            "detail.resourceId",
        ),
        (
            envelope(
                "aws.guardduty",
                "GuardDuty Finding",
                json!({"id": "x", "type": ["a"]}),
            ),
            Remediation::S3BlockPublicAccess,
            "detail.type",
        ),
        (
            envelope(
                "aws.s3",
                "AWS API Call via CloudTrail",
                json!({"eventSource": "s3.amazonaws.com", "eventName": "PutBucketPublicAccessBlock", "requestParameters": {"bucketName": false}}),
            ),
            Remediation::S3BlockPublicAccess,
            "detail.requestParameters.bucketName",
        ),
        (
            json!({"detail-type": 5, "source": "aws.config", "detail": {}}),
            Remediation::S3BlockPublicAccess,
            "detail-type",
        ),
    ];
    for (event, r, field) in cases {
        let err = normalize(event, r).unwrap_err().to_string();
        assert!(err.contains(field), "expected {field} in {err}");
    }
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
    let f = normalize(e, Remediation::S3BlockPublicAccess).unwrap();
    assert_eq!(f.items.len(), 1);
}
