//! The side channels' adapters: notifications to an SNS topic and Security
//! Hub finding updates (`BatchUpdateFindings`). Each client is built on first
//! use, so neither slows the cold start.
//!
//! They must not decide whether to tell or what to write: the core's
//! `notify` and `workflow` rules do; a failure here is recorded, never fatal.

use aws_sdk_sns::types::MessageAttributeValue;
use remediation_shared::notify::{Message, Notify};
use remediation_shared::workflow::{FindingUpdate, HubFinding, UpdateFindings};
use remediation_shared::AwsError;

use crate::error::Classify;

use crate::sdk::SdkConfig;

/// Notifications to the SNS topic that `NOTIFICATION_TOPIC_ARN` names (none
/// when it is unset or empty). The client is built on the first publish, so
/// a function that has nothing to tell starts no faster or slower for it.
#[derive(Debug)]
pub struct SnsTopic {
    sdk: SdkConfig,
    topic: Option<String>,
    client: tokio::sync::OnceCell<aws_sdk_sns::Client>,
}

impl SnsTopic {
    /// The topic of `NOTIFICATION_TOPIC_ARN`, over the function's SDK configuration.
    pub fn from_env(sdk: &SdkConfig) -> Self {
        let topic = std::env::var("NOTIFICATION_TOPIC_ARN")
            .ok()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty());
        SnsTopic {
            sdk: sdk.clone(),
            topic,
            client: tokio::sync::OnceCell::new(),
        }
    }

    /// `topic` through `client` (tests, with a mock client).
    pub fn with_client(topic: &str, client: aws_sdk_sns::Client) -> Self {
        SnsTopic {
            sdk: SdkConfig::builder().build(),
            topic: Some(topic.to_owned()),
            client: tokio::sync::OnceCell::new_with(Some(client)),
        }
    }
}

impl Notify for SnsTopic {
    fn enabled(&self) -> bool {
        self.topic.is_some()
    }

    async fn publish(&self, message: &Message) -> Result<(), AwsError> {
        let Some(topic) = &self.topic else {
            return Ok(());
        };
        let client = self
            .client
            .get_or_init(|| async { aws_sdk_sns::Client::new(&self.sdk) })
            .await;
        let mut request = client
            .publish()
            .topic_arn(topic)
            .subject(&message.subject)
            .message(&message.body);
        for (name, value) in &message.attributes {
            let attribute = MessageAttributeValue::builder()
                .data_type("String")
                .string_value(value)
                .build()
                .map_err(|e| {
                    AwsError::classify("Publish", "InvalidParameter", &e.to_string(), None)
                })?;
            request = request.message_attributes(*name, attribute);
        }
        crate::deadline::call("Publish", request.send())
            .await
            .map(|_| ())
    }
}

/// Security Hub finding updates (`BatchUpdateFindings`; `BatchUpdateFindingsV2`
/// for an OCSF finding), in the function's
/// own region. The client is built on the first update, so a function whose
/// findings come from elsewhere never builds it.
#[derive(Debug)]
pub struct SecurityHubFindings {
    sdk: SdkConfig,
    client: tokio::sync::OnceCell<aws_sdk_securityhub::Client>,
}

impl SecurityHubFindings {
    /// Updates over the function's SDK configuration.
    pub fn new(sdk: &SdkConfig) -> Self {
        SecurityHubFindings {
            sdk: sdk.clone(),
            client: tokio::sync::OnceCell::new(),
        }
    }

    /// Updates through `client` (tests, with a mock client).
    pub fn with_client(client: aws_sdk_securityhub::Client) -> Self {
        SecurityHubFindings {
            sdk: SdkConfig::builder().build(),
            client: tokio::sync::OnceCell::new_with(Some(client)),
        }
    }
}

impl UpdateFindings for SecurityHubFindings {
    fn enabled(&self) -> bool {
        true
    }

    async fn update(
        &self,
        finding: &HubFinding,
        update: &FindingUpdate,
        updated_by: &str,
    ) -> Result<(), AwsError> {
        let client = self
            .client
            .get_or_init(|| async { aws_sdk_securityhub::Client::new(&self.sdk) })
            .await;
        match &finding.ocsf_account {
            None => update_asff(client, finding, update, updated_by).await,
            Some(account) => update_ocsf(client, finding, account, update).await,
        }
    }
}

/// `BatchUpdateFindings`: the workflow status and a note.
async fn update_asff(
    client: &aws_sdk_securityhub::Client,
    finding: &HubFinding,
    update: &FindingUpdate,
    updated_by: &str,
) -> Result<(), AwsError> {
    use aws_sdk_securityhub::types::{
        AwsSecurityFindingIdentifier, NoteUpdate, WorkflowStatus, WorkflowUpdate,
    };
    let identifier = AwsSecurityFindingIdentifier::builder()
        .id(&finding.id)
        .product_arn(&finding.product_arn)
        .build();
    let note = NoteUpdate::builder()
        .text(&update.note)
        .updated_by(updated_by)
        .build();
    let mut request = client
        .batch_update_findings()
        .finding_identifiers(identifier)
        .note(note);
    if let Some(status) = update.status {
        request = request.workflow(
            WorkflowUpdate::builder()
                .status(WorkflowStatus::from(status))
                .build(),
        );
    }
    let answer = crate::deadline::call("BatchUpdateFindings", request.send()).await?;
    // A finding Security Hub could not update comes back in the answer,
    // not as an error.
    match answer.unprocessed_findings().first() {
        None => Ok(()),
        Some(u) => Err(unprocessed(
            "BatchUpdateFindings",
            u.error_code().map(|c| c.to_string()),
            u.error_message(),
        )),
    }
}

/// `BatchUpdateFindingsV2`: the status (`StatusId`: RESOLVED is 4 Resolved,
/// NOTIFIED 2 In Progress, for a person) and a comment.
async fn update_ocsf(
    client: &aws_sdk_securityhub::Client,
    finding: &HubFinding,
    account: &str,
    update: &FindingUpdate,
) -> Result<(), AwsError> {
    let identifier = aws_sdk_securityhub::types::OcsfFindingIdentifier::builder()
        .cloud_account_uid(account)
        .finding_info_uid(&finding.id)
        .metadata_product_uid(&finding.product_arn)
        .build();
    let mut request = client
        .batch_update_findings_v2()
        .finding_identifiers(identifier)
        .comment(&update.note);
    if let Some(status) = update.status {
        request = request.status_id(remediation_shared::workflow::ocsf_status_id(status));
    }
    let answer = crate::deadline::call("BatchUpdateFindingsV2", request.send()).await?;
    match answer.unprocessed_findings().first() {
        None => Ok(()),
        Some(u) => Err(unprocessed(
            "BatchUpdateFindingsV2",
            u.error_code().map(|c| c.as_str().to_owned()),
            u.error_message(),
        )),
    }
}

/// A finding Security Hub answered it could not update.
fn unprocessed(operation: &'static str, code: Option<String>, message: Option<&str>) -> AwsError {
    AwsError::classify(
        operation,
        code.as_deref().unwrap_or("UnprocessedFinding"),
        message.unwrap_or("Security Hub did not update the finding"),
        None,
    )
}
