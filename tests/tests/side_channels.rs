//! The side channels' SDK adapters over mock clients (aws-smithy-mocks), with
//! the SDK's standard retry: a throttled finding update or publish is retried
//! and, if it never gets through, ends in an error the driver records; a
//! finding Security Hub did not process is an error too, never a success.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_securityhub::operation::batch_update_findings::BatchUpdateFindingsOutput;
use aws_sdk_securityhub::types::{
    AwsSecurityFindingIdentifier, BatchUpdateFindingsUnprocessedFinding,
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
