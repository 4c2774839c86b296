//! The SQS and Organizations side of an organisation's sweep (the core's
//! `fanout`): the places of a hub's sweep (its lists, else, when
//! `SWEEP_ORGANIZATION_ACCOUNTS=true`, the organisation's active accounts
//! from `organizations:ListAccounts`), sent one message each to the
//! function's own queue, `SWEEP_QUEUE_URL` (`SendMessageBatch`, ten to a
//! request, a few requests at a time). Both clients are built on first use:
//! a function that never fans out never builds them.
//!
//! It must not decide which places a sweep covers (the core's
//! [`fanout::places`]) or what a place's sweep does.

use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use futures_util::stream::{self, StreamExt, TryStreamExt};
use remediation_shared::fanout::{self, FanOut};
use remediation_shared::home::Home;
use remediation_shared::hub::Hub;
use remediation_shared::{AwsError, Permission};

use crate::error::Classify;
use crate::sdk::SdkConfig;

/// The grant that reading the organisation's accounts needs (in hub mode,
/// only with `SweepOrganizationAccounts`): the action has no resource-level
/// permissions. Sending to and reading the function's own sweep queue is
/// granted on that queue alone.
pub const LIST_ACCOUNTS: Permission = Permission::on("organizations:ListAccounts", "*");

/// The most messages SQS takes in one `SendMessageBatch`.
pub const SEND_BATCH: usize = 10;

/// How many `SendMessageBatch` requests are in flight at once.
const SENDING: usize = 4;

/// The queue of an organisation's sweep, and where its places come from.
#[derive(Debug)]
pub struct SweepQueue {
    sdk: SdkConfig,
    url: Option<String>,
    hub: Option<Hub>,
    sqs: tokio::sync::OnceCell<aws_sdk_sqs::Client>,
    organizations: tokio::sync::OnceCell<aws_sdk_organizations::Client>,
}

impl SweepQueue {
    /// The queue of `SWEEP_QUEUE_URL` (none when unset or empty: a scheduled
    /// event sweeps the function's own place), with the places of `hub`.
    pub fn from_env(sdk: &SdkConfig, hub: Option<&Hub>) -> Self {
        let url = std::env::var("SWEEP_QUEUE_URL")
            .ok()
            .map(|u| u.trim().to_owned())
            .filter(|u| !u.is_empty());
        SweepQueue {
            sdk: sdk.clone(),
            url,
            hub: hub.cloned(),
            sqs: tokio::sync::OnceCell::new(),
            organizations: tokio::sync::OnceCell::new(),
        }
    }

    /// The organisation's active accounts (`ListAccounts`, every page).
    async fn active_accounts(&self) -> Result<Vec<String>, AwsError> {
        use aws_sdk_organizations::types::{AccountState, AccountStatus};
        let client = self
            .organizations
            .get_or_init(|| async { aws_sdk_organizations::Client::new(&self.sdk) })
            .await;
        let pages = client.list_accounts().into_paginator().send();
        let pages = crate::deadline::all("ListAccounts", pages).await?;
        Ok(pages
            .iter()
            .flat_map(|page| page.accounts())
            .filter(|a| match (a.state(), a.status()) {
                (Some(state), _) => *state == AccountState::Active,
                (None, status) => status == Some(&AccountStatus::Active),
            })
            .filter_map(|a| a.id().map(str::to_owned))
            .collect())
    }
}

impl FanOut for SweepQueue {
    fn enabled(&self) -> bool {
        self.url.is_some()
    }

    async fn places(&self, home: &Home, regional: bool) -> Result<Vec<Home>, AwsError> {
        let Some(hub) = &self.hub else {
            return Ok(vec![home.clone()]);
        };
        let organization = if hub.accounts.is_none() && hub.organization {
            Some(self.active_accounts().await?)
        } else {
            None
        };
        Ok(fanout::places(hub, home, organization.as_deref(), regional))
    }

    async fn send(&self, bodies: Vec<String>) -> Result<(), AwsError> {
        let Some(url) = &self.url else {
            return Ok(());
        };
        let client = self
            .sqs
            .get_or_init(|| async { aws_sdk_sqs::Client::new(&self.sdk) })
            .await;
        let batches: Vec<Vec<String>> = bodies.chunks(SEND_BATCH).map(<[String]>::to_vec).collect();
        stream::iter(batches)
            .map(|batch| send_batch(client, url, batch))
            .buffer_unordered(SENDING)
            .try_collect::<()>()
            .await
    }
}

/// One `SendMessageBatch` of at most [`SEND_BATCH`] bodies: an error when
/// SQS refuses the request or any of its messages.
async fn send_batch(
    client: &aws_sdk_sqs::Client,
    url: &str,
    bodies: Vec<String>,
) -> Result<(), AwsError> {
    let entries = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| {
            SendMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .message_body(body)
                .build()
                .map_err(|e| {
                    AwsError::classify("SendMessageBatch", "InvalidParameter", &e.to_string(), None)
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let request = client
        .send_message_batch()
        .queue_url(url)
        .set_entries(Some(entries));
    let answer = crate::deadline::call("SendMessageBatch", request.send()).await?;
    match answer.failed().first() {
        None => Ok(()),
        Some(failed) => Err(AwsError::classify(
            "SendMessageBatch",
            failed.code(),
            &format!(
                "{} of {} messages not queued: {}",
                answer.failed().len(),
                bodies.len(),
                failed.message().unwrap_or_default()
            ),
            None,
        )),
    }
}
