//! Validated findings: which resources an event asks a function to look at,
//! and which parts of the event it must skip, with the reason.
//!
//! This is the high-level side of the parse boundary. It takes the raw shapes
//! of [`crate::event`], applies the checks every function makes the same way
//! (compliance state, resource type, declared finding types and API calls,
//! account, region and partition), and hands the rest to the function's
//! [`Scope`]. It must not call AWS or read the live state (the event is only a
//! hint of what may be wrong), and it must not name any function.
//!
//! # Layout
//! - this file: the finding's types and [`normalize`].
//! - `normalizer`: one reader per trigger (Config, GuardDuty, Security Hub, CloudTrail).
//! - `ocsf`: Security Hub's OCSF findings (`Findings Imported V2`).
//! - `read`: the small readers they share, and where a part of an event lives.

mod normalizer;
mod ocsf;
mod read;

use std::time::SystemTime;

use serde_json::Value;

use normalizer::Normalizer;

use crate::audit::Trigger;
use crate::control::Basis;
use crate::error::FindingError;
use crate::event;
use crate::resource::{Partition, Resource};
use crate::scope::Scope;

/// One resource to examine, with where it lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target<R> {
    /// The resource.
    pub resource: R,
    /// Its account, when the event says.
    pub account: Option<String>,
    /// Its region, when the event says (never for a global service's resource).
    pub region: Option<String>,
    /// Its partition.
    pub partition: Partition,
    /// The finding that named it (Security Hub and GuardDuty ids, CloudTrail event ids).
    pub finding_id: Option<String>,
    /// When the event's source saw the problem: the finding's or evaluation's
    /// own time, the API call's time, else the event's; what time to
    /// remediate is measured from.
    pub observed_at: Option<SystemTime>,
    /// The Security Hub finding that named it, for updating its workflow.
    pub hub_finding: Option<HubFinding>,
    /// What called for examining it: the control, rule, finding type or call
    /// whose whole check the function verifies after acting.
    pub basis: Basis,
}

impl<R: Resource> Target<R> {
    /// The resource's ARN, as well as the event lets us know it.
    pub fn arn(&self) -> String {
        self.resource.resource_arn(
            &self.partition,
            self.region.as_deref().unwrap_or(""),
            self.account.as_deref().unwrap_or(""),
        )
    }
}

/// A part of an event that this function does not act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip {
    /// The resource it is about, when known (an ARN or id).
    pub resource: Option<String>,
    /// The finding it came from, when not the event itself.
    pub finding_id: Option<String>,
    /// Why it is skipped.
    pub reason: String,
}

/// A Security Hub finding, as `BatchUpdateFindings` identifies it (ASFF),
/// or `BatchUpdateFindingsV2` (OCSF, `Findings Imported V2`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HubFinding {
    /// The finding's `Id` (OCSF: `finding_info.uid`).
    pub id: String,
    /// The finding's `ProductArn` (OCSF: `metadata.product.uid`).
    pub product_arn: String,
    /// For an OCSF finding, its `cloud.account.uid`: the third part of its
    /// identifier, and the sign that it is updated through the V2 API.
    pub ocsf_account: Option<String>,
}

/// One thing to record for an event: a target to examine, or a skip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item<R> {
    /// A resource to examine.
    Target(Target<R>),
    /// Something the function does not act on.
    Skip(Skip),
}

/// An event, normalised for one function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding<R> {
    /// What triggered it.
    pub trigger: Trigger,
    /// The envelope's account.
    pub account: Option<String>,
    /// The envelope's region.
    pub region: Option<String>,
    /// What to examine and what to skip, at least one item.
    pub items: Vec<Item<R>>,
}

/// Normalises a raw event for the function whose scope is `S`.
///
/// Returns an error only for malformed input; events that are well formed but
/// not for this function become [`Item::Skip`]s.
pub fn normalize<S: Scope>(value: Value) -> Result<Finding<S::Resource>, FindingError> {
    let env = event::parse_envelope(value)?;
    let mut n = Normalizer::<S> {
        env: &env,
        items: Vec::new(),
        name: None,
        person: None,
    };
    match (env.source.as_str(), env.detail_type.as_str()) {
        ("aws.config", "Config Rules Compliance Change") => n.config()?,
        ("aws.guardduty", "GuardDuty Finding") => n.guardduty()?,
        ("aws.securityhub", "Security Hub Findings - Imported") => n.security_hub(false)?,
        ("aws.securityhub", "Security Hub Findings - Custom Action") => n.security_hub(true)?,
        (_, "AWS API Call via CloudTrail") => n.cloudtrail()?,
        ("aws.securityhub", "Findings Imported V2") => n.security_hub_v2()?,
        (source, detail_type) => n.skip(
            None,
            format!(
                "event {source} / {detail_type} is not a trigger of {}",
                S::FUNCTION
            ),
        ),
    }
    if n.items.is_empty() {
        n.skip(None, "the event names no resource".into());
    }
    Ok(Finding {
        trigger: Trigger {
            // A person, through a Security Hub custom action, says so.
            source: match &n.person {
                Some(_) => CUSTOM_ACTION_SOURCE.to_owned(),
                None => env.source.clone(),
            },
            detail_type: env.detail_type.clone(),
            event_id: env.id.clone().unwrap_or_default(),
            finding_id: None,
            name: match &n.person {
                Some(action) => Some(format!(
                    "custom action {action:?}: {}",
                    n.name.as_deref().unwrap_or("no control")
                )),
                None => n.name,
            },
        },
        account: env.account.clone(),
        region: env.region.clone(),
        items: dedupe(n.items),
    })
}

/// Keeps the first item for each resource, so one resource gets one record.
fn dedupe<R: PartialEq + Clone>(items: Vec<Item<R>>) -> Vec<Item<R>> {
    let mut seen = Vec::<R>::new();
    items
        .into_iter()
        .filter(|item| match item {
            Item::Target(t) if seen.contains(&t.resource) => false,
            Item::Target(t) => {
                seen.push(t.resource.clone());
                true
            }
            Item::Skip(_) => true,
        })
        .collect()
}

/// How `trigger.source` begins in a record a person started: a Security
/// Hub custom action ([`CUSTOM_ACTION_SOURCE`]), or `remediation apply`
/// (`person:` and the caller's ARN).
pub const PERSON_SOURCE_PREFIX: &str = "person:";

/// `trigger.source` of a record a person started, through a Security Hub
/// custom action.
pub const CUSTOM_ACTION_SOURCE: &str = "person:securityhub-custom-action";
