//! An organisation's sweep queue in the emulator, and Lambda's SQS event
//! source mapping played as Lambda plays it: a queue failing over to a
//! dead-letter queue after a number of receives ([`SweepQueue::create`]),
//! and its messages delivered to a running function as SQS events, one
//! message per event, until the queue is empty ([`SweepQueue::drain`]): a
//! message the function does not hand back (`batchItemFailures`) is deleted;
//! one it hands back, or every message of an invocation that failed, is left
//! for the queue to deliver again after its visibility timeout. The
//! redelivery and the dead-letter queue are the emulator's own.
//!
//! Loopback only; it asserts nothing.

use std::time::{Duration, Instant};

use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use serde_json::{json, Value};

use crate::emulator::{unique, Emulator};
use crate::function::{Deployment, Invocation};
use crate::runtime_api::Answer;

/// A sweep queue and its dead-letter queue.
#[derive(Debug, Clone)]
pub struct SweepQueue {
    /// The queue's URL, for `SWEEP_QUEUE_URL`.
    pub url: String,
    /// The queue's ARN, as an SQS event names it.
    pub arn: String,
    /// The dead-letter queue's URL.
    pub dead_letter_url: String,
}

/// One message delivered to the function.
#[derive(Debug, Clone)]
pub struct Delivered {
    /// The message body.
    pub body: Value,
    /// How many times the queue had delivered it, this time included.
    pub receive_count: u32,
    /// The invocation it was delivered in.
    pub invocation: Invocation,
    /// Whether the function handed it back for another delivery.
    pub handed_back: bool,
}

impl SweepQueue {
    /// A new queue in `emu`'s account and region whose messages go to a new
    /// dead-letter queue after `max_receives` deliveries, each hidden
    /// `visibility` seconds after it is delivered.
    pub async fn create(emu: &Emulator, max_receives: u32, visibility: u32) -> Self {
        let name = unique("sweep");
        let dead = emu
            .sqs
            .create_queue()
            .queue_name(format!("{name}-dead"))
            .send()
            .await
            .unwrap();
        let dead_letter_url = dead.queue_url().unwrap().to_owned();
        let dead_arn = arn(emu, &dead_letter_url).await;
        let redrive =
            json!({"deadLetterTargetArn": dead_arn, "maxReceiveCount": max_receives}).to_string();
        let queue = emu
            .sqs
            .create_queue()
            .queue_name(&name)
            .attributes(QueueAttributeName::RedrivePolicy, redrive)
            .attributes(
                QueueAttributeName::VisibilityTimeout,
                visibility.to_string(),
            )
            .send()
            .await
            .unwrap();
        let url = queue.queue_url().unwrap().to_owned();
        SweepQueue {
            arn: arn(emu, &url).await,
            url,
            dead_letter_url,
        }
    }

    /// The bodies of the messages waiting in the queue (left there, hidden for its visibility timeout).
    pub async fn peek(&self, emu: &Emulator) -> Vec<Value> {
        receive_all(emu, &self.url).await
    }

    /// The bodies of the messages in the dead-letter queue.
    pub async fn dead_letters(&self, emu: &Emulator) -> Vec<Value> {
        receive_all(emu, &self.dead_letter_url).await
    }

    /// Delivers the queue's messages to `deployment`, one per SQS event,
    /// until the queue holds none (visible or in flight), or `limit` passes.
    pub async fn drain(
        &self,
        emu: &Emulator,
        deployment: &mut Deployment,
        limit: Duration,
    ) -> Vec<Delivered> {
        let until = Instant::now() + limit;
        let mut delivered = Vec::new();
        while Instant::now() < until {
            let got = emu
                .sqs
                .receive_message()
                .queue_url(&self.url)
                .max_number_of_messages(1)
                .wait_time_seconds(1)
                .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
                .send()
                .await
                .unwrap();
            let Some(message) = got.messages().first().cloned() else {
                if self.depth(emu).await == 0 {
                    break;
                }
                continue;
            };
            let id = message.message_id().unwrap().to_owned();
            let body = message.body().unwrap_or_default().to_owned();
            let receive_count = message
                .attributes()
                .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                .and_then(|c| c.parse().ok())
                .unwrap_or(0);
            let event = self.event(&id, &body, emu.region());
            let invocation = deployment.invoke(&event);
            let handed_back = match &invocation.answer {
                Answer::Error(_) => true,
                Answer::Response(r) => serde_json::from_str::<Value>(r)
                    .ok()
                    .and_then(|v| v.get("batchItemFailures").cloned())
                    .and_then(|f| f.as_array().cloned())
                    .unwrap_or_default()
                    .iter()
                    .any(|f| f["itemIdentifier"] == id.as_str()),
            };
            if !handed_back {
                emu.sqs
                    .delete_message()
                    .queue_url(&self.url)
                    .receipt_handle(message.receipt_handle().unwrap())
                    .send()
                    .await
                    .unwrap();
            }
            delivered.push(Delivered {
                body: serde_json::from_str(&body).unwrap_or(Value::String(body)),
                receive_count,
                invocation,
                handed_back,
            });
        }
        delivered
    }

    /// The SQS event Lambda's event source mapping sends for one message.
    pub fn event(&self, message_id: &str, body: &str, region: &str) -> String {
        json!({"Records": [{
            "messageId": message_id,
            "receiptHandle": "receipt",
            "body": body,
            "attributes": {"ApproximateReceiveCount": "1"},
            "messageAttributes": {},
            "md5OfBody": "",
            "eventSource": "aws:sqs",
            "eventSourceARN": self.arn,
            "awsRegion": region,
        }]})
        .to_string()
    }

    /// Messages visible and in flight.
    async fn depth(&self, emu: &Emulator) -> usize {
        let attrs = emu
            .sqs
            .get_queue_attributes()
            .queue_url(&self.url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .unwrap();
        attrs
            .attributes()
            .map(|a| {
                a.values()
                    .filter_map(|v| v.parse::<usize>().ok())
                    .sum::<usize>()
            })
            .unwrap_or(0)
    }
}

async fn arn(emu: &Emulator, url: &str) -> String {
    let attrs = emu
        .sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap();
    attrs
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn))
        .unwrap()
        .clone()
}

async fn receive_all(emu: &Emulator, url: &str) -> Vec<Value> {
    let mut all = Vec::new();
    loop {
        let got = emu
            .sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .visibility_timeout(30)
            .send()
            .await
            .unwrap();
        if got.messages().is_empty() {
            return all;
        }
        all.extend(
            got.messages()
                .iter()
                .map(|m| serde_json::from_str(m.body().unwrap_or("null")).unwrap_or(Value::Null)),
        );
    }
}
