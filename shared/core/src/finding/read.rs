//! Small readers the normaliser shares: probed ports, GuardDuty's `[beta]`
//! label, times, archived and inactive findings, a CloudTrail call's
//! resource owner, sample findings, and where a part of an event lives
//! ([`Origin`]).
//!
//! Each reads one thing from the event; none decides what is acted on.

use std::time::SystemTime;

use serde_json::Value;

use super::{HubFinding, Target};
use crate::control::Basis;
use crate::error::FindingError;
use crate::event::{self, AsffFinding, Detail};
use crate::resource::{is_account_id, Partition};

/// The ports a GuardDuty port probe finding says were probed
/// (`service.action.portProbeAction.portProbeDetails[].localPortDetails.port`),
/// read leniently: the function's scope has already read the same list
/// strictly, and a port it cannot read is simply not among them.
pub(super) fn probed_ports(detail: Detail<'_>) -> Vec<i64> {
    detail
        .get::<Vec<event::PortProbeDetail>>("service.action.portProbeAction.portProbeDetails")
        .ok()
        .flatten()
        .unwrap_or_default()
        .iter()
        .filter_map(|p| p.local_port_details.as_ref().and_then(|l| l.port))
        .collect()
}

/// A GuardDuty finding type without the `[beta]` label that marks a type
/// still in preview (`[beta]Recon:EC2/PortProbeUnprotectedPort`): the finding
/// is the same detection, so it calls for the same fix.
pub(super) fn without_beta_label(finding_type: &str) -> &str {
    finding_type
        .strip_prefix("[beta]")
        .map_or(finding_type, str::trim_start)
}

/// An RFC 3339 time, if it is one.
pub(super) fn observed_time(text: Option<&str>) -> Option<SystemTime> {
    crate::stamp::parse(text?)
}

/// Why a finding is no longer live, if it is archived.
pub(super) fn archived(f: &AsffFinding) -> Option<String> {
    f.record_state
        .as_deref()
        .filter(|s| *s != "ACTIVE")
        .map(|state| format!("finding record state is {state}"))
}

/// Where the targets of one part of an event live.
pub(super) struct Origin {
    pub(super) account: Option<String>,
    pub(super) region: Option<String>,
    pub(super) partition: Partition,
    pub(super) finding_id: Option<String>,
    pub(super) observed_at: Option<SystemTime>,
    pub(super) hub_finding: Option<HubFinding>,
    pub(super) basis: Basis,
}

impl Origin {
    pub(super) fn target<R>(&self, resource: R) -> Target<R> {
        Target {
            resource,
            account: self.account.clone(),
            region: self.region.clone(),
            partition: self.partition.clone(),
            finding_id: self.finding_id.clone(),
            observed_at: self.observed_at,
            hub_finding: self.hub_finding.clone(),
            basis: self.basis.clone(),
        }
    }
}

/// The account of the first resource a CloudTrail record lists with one
/// (`resources[].accountId`); a list that cannot be read names none.
pub(super) fn resource_owner(detail: Detail<'_>) -> Result<Option<String>, FindingError> {
    // Absent means the call named no resource (most EC2 calls); a list or an
    // owner that is present but null cannot be read, so it is refused like
    // any other unreadable value rather than taken for absent.
    let items = match detail.0.get("resources") {
        None => return Ok(None),
        // As a pasted event prints Python's None for an absent list.
        Some(Value::String(s)) if s == "None" => return Ok(None),
        Some(Value::Array(items)) => items,
        Some(other) => return Err(FindingError::value(
            "detail.resources",
            &other.to_string(),
            "a list of the resources the call named (their owner decides where the fix applies)",
        )),
    };
    // Read strictly: an owner that cannot be read is refused, not replaced
    // by the account that received the call.
    for (i, item) in items.iter().enumerate() {
        match item.get("accountId") {
            None => {}
            Some(Value::String(a)) if is_account_id(a) => return Ok(Some(a.clone())),
            Some(Value::String(_)) => {}
            Some(other) => {
                return Err(FindingError::value(
                    format!("detail.resources[{i}].accountId"),
                    &other.to_string(),
                    "the account id of the resource's owner",
                ))
            }
        }
        if !item.is_object() {
            return Err(FindingError::value(
                format!("detail.resources[{i}]"),
                &item.to_string(),
                "an object naming a resource and its owner",
            ));
        }
    }
    Ok(None)
}

/// Whether a GuardDuty finding is one of the console's generated samples
/// (`service.additionalInfo.sample`: true, written as a boolean or a string).
/// Read strictly: a finding whose sample flag cannot be read is refused, not
/// taken for a real one, since its resources may be placeholders.
pub(super) fn is_sample(detail: Detail<'_>) -> Result<bool, FindingError> {
    let mut at = detail.0;
    let mut path = String::from("detail");
    for key in ["service", "additionalInfo"] {
        path = format!("{path}.{key}");
        match at.get(key) {
            None => return Ok(false),
            Some(next @ Value::Object(_)) => at = next,
            Some(other) => {
                return Err(FindingError::value(
                    path,
                    &other.to_string(),
                    "an object (it says whether the finding is a generated sample)",
                ))
            }
        }
    }
    match at.get("sample") {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(true),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(false),
        Some(other) => Err(FindingError::value(
            format!("{path}.sample"),
            &other.to_string(),
            "true or false",
        )),
    }
}

/// Why an ASFF finding is not acted on, if it is not.
pub(super) fn inactive_reason(f: &AsffFinding) -> Option<String> {
    if let Some(archived) = archived(f) {
        return Some(archived);
    }
    if let Some(status) = f.workflow.as_ref().and_then(|w| w.status.as_deref()) {
        if status == "SUPPRESSED" || status == "RESOLVED" {
            return Some(format!("finding workflow status is {status}"));
        }
    }
    match f.compliance.as_ref().and_then(|c| c.status.as_deref()) {
        Some("FAILED") | None => None,
        Some(status) => Some(format!("finding compliance status is {status}")),
    }
}
