//! The organisation's sweep, fanned out on a queue: which places a hub's
//! sweep covers ([`places`]), the message that carries one place to the
//! function ([`PlaceMessage`]), the queue's event read back
//! ([`queued_messages`]), and [`FanOut`], the driver's port to the queue and
//! to the organisation's list of accounts ([`NoFanOut`]: today's sweep of the
//! function's own place).
//!
//! Pure: the SQS and Organizations calls are the SDK runtime's. It must not
//! decide what the sweep of one place does (the driver's sweep) or whether a
//! place is in reach when its message arrives (the hub's [`Hub::refuses`]).

use std::collections::BTreeSet;
use std::future::Future;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::AwsError;
use crate::home::Home;
use crate::hub::{is_region, Hub};
use crate::resource::is_account_id;
use crate::sweep;

/// The `type` of a place's message.
pub const MESSAGE_TYPE: &str = "remediation_sweep_place";

/// The `eventSource` of each record of an event from an SQS queue.
pub const QUEUE_EVENT_SOURCE: &str = "aws:sqs";

/// The places of a hub's sweep: its own account and region first, then every
/// account of `TARGET_ACCOUNTS` (else of the organisation, `organization`,
/// when the hub reads it; else none other) in its own region and every
/// region of `TARGET_REGIONS`. A global service's resources (`regional`
/// false) are swept once per account, in the hub's region. Nothing outside
/// the lists, each place once.
pub fn places(
    hub: &Hub,
    home: &Home,
    organization: Option<&[String]>,
    regional: bool,
) -> Vec<Home> {
    let mut accounts: BTreeSet<String> = match (&hub.accounts, organization) {
        (Some(listed), _) => listed.clone(),
        (None, Some(members)) => members
            .iter()
            .filter(|a| is_account_id(a))
            .cloned()
            .collect(),
        (None, None) => BTreeSet::new(),
    };
    accounts.insert(home.account.clone());
    let mut regions = BTreeSet::from([home.region.clone()]);
    if regional {
        regions.extend(hub.regions.iter().flatten().cloned());
    }
    let mut all = vec![home.clone()];
    for account in &accounts {
        for region in &regions {
            if account != &home.account || region != &home.region {
                all.push(Home {
                    account: account.clone(),
                    region: region.clone(),
                });
            }
        }
    }
    all
}

/// One place of an organisation's sweep, as its queue message carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlaceMessage {
    /// Always [`MESSAGE_TYPE`].
    #[serde(rename = "type")]
    pub message_type: String,
    /// The function that sweeps it (each function has its own queue).
    pub function: String,
    /// The account to sweep.
    pub account: String,
    /// The region to sweep.
    pub region: String,
    /// The scheduled event that started the sweep: every record of the
    /// place's sweep names it as its trigger.
    pub schedule: Value,
}

/// A queue message that is not a place of this function's sweep.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    /// The body is not a place's message.
    #[error("the message body is not a sweep place ({0})")]
    NotAPlace(String),
    /// A field does not hold what it must.
    #[error("the message's {field} is {value:?}, not {wanted}")]
    Field {
        /// The field.
        field: &'static str,
        /// What it holds.
        value: String,
        /// What it must hold.
        wanted: &'static str,
    },
}

impl PlaceMessage {
    /// The message that sends `place` to `function`'s sweep, started by `schedule`.
    pub fn new(function: &str, place: &Home, schedule: &Value) -> Self {
        PlaceMessage {
            message_type: MESSAGE_TYPE.to_owned(),
            function: function.to_owned(),
            account: place.account.clone(),
            region: place.region.clone(),
            schedule: schedule.clone(),
        }
    }

    /// The message's body: one line of JSON.
    pub fn body(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a message body sent to `function`: a place of its own sweep, in
    /// a valid account and region, started by a scheduled event.
    pub fn read(body: &str, function: &str) -> Result<Self, MessageError> {
        let message: PlaceMessage =
            serde_json::from_str(body).map_err(|e| MessageError::NotAPlace(e.to_string()))?;
        let field = |field, value: &str, wanted| MessageError::Field {
            field,
            value: value.chars().take(100).collect(),
            wanted,
        };
        if message.message_type != MESSAGE_TYPE {
            return Err(field("type", &message.message_type, MESSAGE_TYPE));
        }
        if message.function != function {
            return Err(field("function", &message.function, "this function"));
        }
        if !is_account_id(&message.account) {
            return Err(field("account", &message.account, "a 12-digit account id"));
        }
        if !is_region(&message.region) {
            return Err(field("region", &message.region, "a region name"));
        }
        if !sweep::is_schedule(&message.schedule) {
            let shown = message.schedule.to_string();
            return Err(field("schedule", &shown, "EventBridge's scheduled event"));
        }
        Ok(message)
    }

    /// The place to sweep.
    pub fn place(&self) -> Home {
        Home {
            account: self.account.clone(),
            region: self.region.clone(),
        }
    }
}

/// One message of a queue's event, as Lambda's event source mapping delivers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMessage {
    /// Its `messageId`: what `batchItemFailures` names when it failed.
    pub message_id: String,
    /// Its body.
    pub body: String,
}

/// The messages of an event from an SQS queue, or `None` when the event is
/// not one (a `Records` list whose every record comes from SQS).
pub fn queued_messages(event: &Value) -> Option<Vec<QueuedMessage>> {
    let records = event.get("Records")?.as_array()?;
    let from_queue =
        |r: &Value| r.get("eventSource").and_then(Value::as_str) == Some(QUEUE_EVENT_SOURCE);
    if records.is_empty() || !records.iter().all(from_queue) {
        return None;
    }
    let text = |r: &Value, k: &str| {
        r.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    Some(
        records
            .iter()
            .map(|r| QueuedMessage {
                message_id: text(r, "messageId"),
                body: text(r, "body"),
            })
            .collect(),
    )
}

/// A message Lambda is told to deliver again (`batchItemFailures`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchItemFailure {
    /// The message's id.
    #[serde(rename = "itemIdentifier")]
    pub item_identifier: String,
}

/// The driver's port to an organisation's sweep: whether a scheduled event
/// is fanned out, the places it covers, and the queue that carries them.
pub trait FanOut: Sync {
    /// Whether a scheduled event queues its places (a queue is configured)
    /// rather than sweeping the function's own place.
    fn enabled(&self) -> bool;

    /// The places of the sweep of a function at `home` whose resources are
    /// `regional` ([`places`]); an error when the organisation's accounts
    /// cannot be read.
    fn places(
        &self,
        home: &Home,
        regional: bool,
    ) -> impl Future<Output = Result<Vec<Home>, AwsError>> + Send;

    /// Sends the messages `bodies`, every one or an error.
    fn send(&self, bodies: Vec<String>) -> impl Future<Output = Result<(), AwsError>> + Send;
}

/// No queue: a scheduled event sweeps the function's own place.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoFanOut;

impl FanOut for NoFanOut {
    fn enabled(&self) -> bool {
        false
    }

    async fn places(&self, home: &Home, _regional: bool) -> Result<Vec<Home>, AwsError> {
        Ok(vec![home.clone()])
    }

    async fn send(&self, _bodies: Vec<String>) -> Result<(), AwsError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn home() -> Home {
        Home {
            account: "999999999999".into(),
            region: "us-east-1".into(),
        }
    }

    fn hub(accounts: Option<&[&str]>, regions: Option<&[&str]>) -> Hub {
        let set = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect();
        Hub {
            member_role: "m".into(),
            accounts: accounts.map(set),
            regions: regions.map(set),
            organization: accounts.is_none(),
        }
    }

    fn names(places: &[Home]) -> Vec<String> {
        places
            .iter()
            .map(|p| format!("{} {}", p.account, p.region))
            .collect()
    }

    #[test]
    fn places_of_a_hubs_sweep() {
        let org = [
            "111111111111".to_owned(),
            "999999999999".to_owned(),
            "not-an-id".to_owned(),
        ];
        type Case<'a> = (&'a str, Hub, Option<&'a [String]>, bool, &'a [&'a str]);
        let cases: &[Case] = &[
            (
                "the_listed_accounts_in_the_listed_regions_and_the_hub_first",
                hub(
                    Some(&["222222222222", "111111111111"]),
                    Some(&["eu-west-1"]),
                ),
                None,
                true,
                &[
                    "999999999999 us-east-1",
                    "111111111111 eu-west-1",
                    "111111111111 us-east-1",
                    "222222222222 eu-west-1",
                    "222222222222 us-east-1",
                    "999999999999 eu-west-1",
                ],
            ),
            (
                "a_global_service_once_per_account_in_the_hub_region",
                hub(Some(&["111111111111"]), Some(&["eu-west-1", "us-west-2"])),
                None,
                false,
                &["999999999999 us-east-1", "111111111111 us-east-1"],
            ),
            (
                "the_list_wins_over_the_organisation",
                hub(Some(&["222222222222"]), None),
                Some(&org),
                true,
                &["999999999999 us-east-1", "222222222222 us-east-1"],
            ),
            (
                "the_organisation_without_a_list_and_the_hub_once",
                hub(None, Some(&["eu-west-1"])),
                Some(&org),
                true,
                &[
                    "999999999999 us-east-1",
                    "111111111111 eu-west-1",
                    "111111111111 us-east-1",
                    "999999999999 eu-west-1",
                ],
            ),
            (
                "neither_a_list_nor_the_organisation_is_the_hub_alone",
                hub(None, None),
                None,
                true,
                &["999999999999 us-east-1"],
            ),
        ];
        for (name, hub, org, regional, expected) in cases {
            assert_eq!(
                names(&places(hub, &home(), *org, *regional)),
                *expected,
                "{name}"
            );
        }
    }

    #[test]
    fn a_message_reads_back_only_as_a_valid_place_of_this_function() {
        let schedule =
            json!({"source": "aws.events", "detail-type": "Scheduled Event", "id": "e1"});
        let place = Home {
            account: "111111111111".into(),
            region: "eu-west-1".into(),
        };
        let good = PlaceMessage::new("f", &place, &schedule);
        assert_eq!(PlaceMessage::read(&good.body(), "f"), Ok(good.clone()));
        assert_eq!(good.place(), place);
        let with = |k: &str, v: Value| {
            let mut m = serde_json::to_value(&good).unwrap();
            m[k] = v;
            m.to_string()
        };
        let cases = [
            ("not_json", "{".to_owned(), "not a sweep place"),
            ("another_type", with("type", json!("x")), "type is \"x\""),
            (
                "another_function",
                with("function", json!("g")),
                "function is \"g\"",
            ),
            (
                "a_short_account",
                with("account", json!("123")),
                "account is \"123\"",
            ),
            (
                "a_region_typo",
                with("region", json!("eu-west")),
                "region is \"eu-west\"",
            ),
            (
                "a_finding_not_a_schedule",
                with("schedule", json!({"source": "aws.config"})),
                "schedule",
            ),
            (
                "no_account",
                {
                    let mut m = serde_json::to_value(&good).unwrap();
                    m.as_object_mut().unwrap().remove("account");
                    m.to_string()
                },
                "missing field `account`",
            ),
        ];
        for (name, body, says) in cases {
            let err = PlaceMessage::read(&body, "f").unwrap_err().to_string();
            assert!(err.contains(says), "{name}: {err}");
        }
    }

    #[test]
    fn only_an_event_of_sqs_records_is_a_queue_event() {
        let record = json!({"eventSource": "aws:sqs", "messageId": "m1", "body": "b"});
        let cases = [
            ("one_record", json!({"Records": [record]}), Some(1)),
            ("two_records", json!({"Records": [record, record]}), Some(2)),
            ("no_records", json!({"Records": []}), None),
            (
                "an_s3_record",
                json!({"Records": [record, {"eventSource": "aws:s3"}]}),
                None,
            ),
            ("a_finding", json!({"source": "aws.securityhub"}), None),
        ];
        for (name, event, count) in cases {
            assert_eq!(queued_messages(&event).map(|m| m.len()), count, "{name}");
        }
        assert_eq!(
            queued_messages(&json!({"Records": [record]})).unwrap()[0],
            QueuedMessage {
                message_id: "m1".into(),
                body: "b".into()
            }
        );
    }
}
