//! The side channels' SDK adapters over mock clients (aws-smithy-mocks), with
//! the SDK's standard retry: a throttled finding update or publish is retried
//! and, if it never gets through, ends in an error the driver records; a
//! finding Security Hub did not process is an error too, never a success.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_securityhub::operation::batch_update_findings::BatchUpdateFindingsOutput;
use aws_sdk_securityhub::operation::batch_update_findings_v2::BatchUpdateFindingsV2Output;
use aws_sdk_securityhub::types::{
    AwsSecurityFindingIdentifier, BatchUpdateFindingsUnprocessedFinding,
    BatchUpdateFindingsV2UnprocessedFinding, BatchUpdateFindingsV2UnprocessedFindingErrorCode,
};
use aws_sdk_sns::operation::publish::PublishOutput;
use remediation_runtime::{SecurityHubFindings, SnsTopic};
use remediation_shared::notify::Message;
use remediation_shared::workflow::{FindingUpdate, HubFinding};
use remediation_shared::{AwsErrorKind, Notify, UpdateFindings};
use remediation_testing::aws_smithy_mocks::mock;
use remediation_testing::faults::MAX_ATTEMPTS;
use remediation_testing::retrying_client;

const THROTTLED: &str = r#"{"__type": "TooManyRequestsException", "Message": "Rate exceeded"}"#;

fn finding() -> HubFinding {
    HubFinding {
        id: "arn:aws:securityhub:us-east-1:123456789012:security-control/S3.8/finding/f-1".into(),
        product_arn: "arn:aws:securityhub:us-east-1::product/aws/securityhub".into(),
        ocsf_account: None,
    }
}

/// The same finding from Security Hub's OCSF event.
fn ocsf_finding() -> HubFinding {
    HubFinding {
        product_arn: "arn:aws:securityhub:us-east-1::productv2/aws/securityhub".into(),
        ocsf_account: Some("123456789012".into()),
        ..finding()
    }
}

fn resolved() -> FindingUpdate {
    FindingUpdate {
        status: Some("RESOLVED"),
        note: "fixed".into(),
    }
}

#[tokio::test]
async fn a_throttled_finding_update_is_retried_and_one_never_let_through_is_an_error() {
    for (throttled, ok) in [(1, true), (MAX_ATTEMPTS, false)] {
        let rule = mock!(aws_sdk_securityhub::Client::batch_update_findings)
            .sequence()
            .http_status(429, Some(THROTTLED.into()))
            .times(throttled)
            .output(|| BatchUpdateFindingsOutput::builder().build())
            .build();
        let hub = SecurityHubFindings::with_client(retrying_client!(aws_sdk_securityhub, &[&rule]));
        let result = hub
            .update(&finding(), &resolved(), "s3-block-public-access")
            .await;
        match (ok, result) {
            (true, Ok(())) => {}
            (false, Err(e)) => {
                assert_eq!(e.kind, AwsErrorKind::Throttled, "{e}");
                assert_eq!(e.code, "TooManyRequestsException");
            }
            (_, other) => panic!("throttled {throttled} times: {other:?}"),
        }
        assert_eq!(rule.num_calls(), throttled + usize::from(ok));
    }
}

#[tokio::test]
async fn a_finding_security_hub_did_not_process_is_an_error_with_its_code() {
    let rule = mock!(aws_sdk_securityhub::Client::batch_update_findings).then_output(|| {
        BatchUpdateFindingsOutput::builder()
            .unprocessed_findings(
                BatchUpdateFindingsUnprocessedFinding::builder()
                    .finding_identifier(
                        AwsSecurityFindingIdentifier::builder()
                            .id("f-1")
                            .product_arn("p")
                            .build(),
                    )
                    .error_code("FindingNotFound")
                    .error_message("gone")
                    .build(),
            )
            .build()
    });
    let hub = SecurityHubFindings::with_client(retrying_client!(aws_sdk_securityhub, &[&rule]));
    let e = hub
        .update(&finding(), &resolved(), "s3-block-public-access")
        .await
        .unwrap_err();
    assert_eq!(e.code, "FindingNotFound");
}

#[tokio::test]
async fn an_ocsf_finding_is_updated_through_the_v2_api_by_its_three_part_identifier() {
    let rule = mock!(aws_sdk_securityhub::Client::batch_update_findings_v2)
        .match_requests(|r| {
            let id = &r.finding_identifiers()[0];
            id.cloud_account_uid() == Some("123456789012")
                && id.finding_info_uid() == Some(finding().id.as_str())
                && id.metadata_product_uid()
                    == Some("arn:aws:securityhub:us-east-1::productv2/aws/securityhub")
                && r.metadata_uids().is_empty()
                && r.status_id() == Some(4)
                && r.comment() == Some("fixed")
                && r.severity_id().is_none()
        })
        .then_output(|| BatchUpdateFindingsV2Output::builder().build());
    let v1 = mock!(aws_sdk_securityhub::Client::batch_update_findings)
        .then_output(|| BatchUpdateFindingsOutput::builder().build());
    let hub =
        SecurityHubFindings::with_client(retrying_client!(aws_sdk_securityhub, &[&rule, &v1]));
    let result = hub
        .update(&ocsf_finding(), &resolved(), "s3-block-public-access")
        .await;
    assert!(result.is_ok(), "{result:?}");
    assert_eq!((rule.num_calls(), v1.num_calls()), (1, 0));

    // A finding left for a person is In Progress (2), with the comment.
    let flagged = FindingUpdate {
        status: Some("NOTIFIED"),
        note: "could not fix".into(),
    };
    let rule = mock!(aws_sdk_securityhub::Client::batch_update_findings_v2)
        .match_requests(|r| r.status_id() == Some(2) && r.comment() == Some("could not fix"))
        .then_output(|| BatchUpdateFindingsV2Output::builder().build());
    let hub = SecurityHubFindings::with_client(retrying_client!(aws_sdk_securityhub, &[&rule]));
    assert!(hub.update(&ocsf_finding(), &flagged, "x").await.is_ok());
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test]
async fn an_ocsf_finding_security_hub_did_not_process_is_an_error_with_its_code() {
    let rule = mock!(aws_sdk_securityhub::Client::batch_update_findings_v2).then_output(|| {
        BatchUpdateFindingsV2Output::builder()
            .unprocessed_findings(
                BatchUpdateFindingsV2UnprocessedFinding::builder()
                    .error_code(BatchUpdateFindingsV2UnprocessedFindingErrorCode::from(
                        "ResourceNotFoundException",
                    ))
                    .error_message("no such finding")
                    .build(),
            )
            .build()
    });
    let hub = SecurityHubFindings::with_client(retrying_client!(aws_sdk_securityhub, &[&rule]));
    let err = hub
        .update(&ocsf_finding(), &resolved(), "s3-block-public-access")
        .await
        .unwrap_err();
    assert_eq!(
        (err.operation, err.code.as_str()),
        ("BatchUpdateFindingsV2", "ResourceNotFoundException")
    );
    assert!(err.message.contains("no such finding"), "{err}");
}

#[tokio::test]
async fn a_throttled_publish_is_retried_and_one_never_let_through_is_an_error() {
    let message = Message {
        subject: "Turned on Block Public Access on b in 123456789012/us-east-1".into(),
        body: "body".into(),
        attributes: vec![("outcome", "remediated".into())],
    };
    let throttled = r#"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r</RequestId></ErrorResponse>"#;
    for (times, ok) in [(1, true), (MAX_ATTEMPTS, false)] {
        let rule = mock!(aws_sdk_sns::Client::publish)
            .sequence()
            .http_status(400, Some(throttled.into()))
            .times(times)
            .output(|| PublishOutput::builder().message_id("m-1").build())
            .build();
        let topic = SnsTopic::with_client(
            "arn:aws:sns:us-east-1:123456789012:notifications",
            retrying_client!(aws_sdk_sns, &[&rule]),
        );
        let result = topic.publish(&message).await;
        match (ok, result) {
            (true, Ok(())) => {}
            (false, Err(e)) => assert_eq!(e.kind, AwsErrorKind::Throttled, "{e}"),
            (_, other) => panic!("throttled {times} times: {other:?}"),
        }
        assert_eq!(rule.num_calls(), times + usize::from(ok));
    }
}
