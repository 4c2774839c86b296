//! Validated findings: which resources an event asks a function to look at,
//! and which parts of the event it must skip, with the reason.
//!
//! This is the high-level side of the parse boundary. It takes the raw shapes
//! of [`crate::event`], applies the checks every function makes the same way
//! (compliance state, resource type, declared finding types and API calls,
//! account, region and partition), and hands the rest to the function's
//! [`Scope`]. It must not call AWS or read the live state (the event is only a
//! hint of what may be wrong), and it must not name any function.

use std::time::SystemTime;

use aws_smithy_types::date_time::{DateTime, Format};
use serde_json::Value;

use crate::audit::Trigger;
use crate::control::Basis;
use crate::error::FindingError;
use crate::event::{self, AsffFinding, Detail, Envelope};
use crate::resource::{is_account_id, Arn, Partition, Resource};
use crate::scope::{missing, security_control, Reading, Scope};

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

/// A Security Hub finding, as `BatchUpdateFindings` identifies it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HubFinding {
    /// The finding's `Id`.
    pub id: String,
    /// The finding's `ProductArn`.
    pub product_arn: String,
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
        // Security Hub sends the same control finding in ASFF beside it; AWS
        // documents the OCSF event's envelope but no control finding in it.
        ("aws.securityhub", "Findings Imported V2") => n.skip(
            None,
            "Security Hub's OCSF event (Findings Imported V2) is not read; the same \
             finding arrives as Security Hub Findings - Imported"
                .into(),
        ),
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

struct Normalizer<'a, S: Scope> {
    env: &'a Envelope,
    items: Vec<Item<S::Resource>>,
    name: Option<String>,
    /// The custom action a person sent the findings with, if one did.
    person: Option<String>,
}

impl<S: Scope> Normalizer<'_, S> {
    /// The time in the detail's field at `path` (RFC 3339), else the event's.
    /// Read leniently: a time the function cannot read only costs a metric.
    fn observed_at(&self, path: &str) -> Option<SystemTime> {
        let field = Detail(&self.env.detail).get::<String>(path).ok().flatten();
        observed_time(field.as_deref()).or(self.sent_at())
    }

    /// When EventBridge says the event happened.
    fn sent_at(&self) -> Option<SystemTime> {
        self.env.time.map(SystemTime::from)
    }

    fn skip(&mut self, resource: Option<String>, reason: String) {
        self.items.push(Item::Skip(Skip {
            resource,
            finding_id: None,
            reason,
        }));
    }

    /// Adds the targets of a reading, or its skip.
    fn read(&mut self, reading: Reading<S::Resource>, place: &Origin) {
        match reading {
            Reading::Targets(resources) => {
                for resource in resources {
                    self.items.push(Item::Target(place.target(resource)));
                }
            }
            Reading::Skip(reason) => self.skip(None, reason),
        }
    }

    /// The detail as `T`; an absent detail (JSON null) is a missing field.
    fn detail<T: serde::de::DeserializeOwned>(&self) -> Result<T, FindingError> {
        if self.env.detail.is_null() {
            return Err(missing("detail"));
        }
        event::deserialize_at("detail", self.env.detail.clone())
    }

    fn partition_for(&self, region: Option<&str>) -> Partition {
        region
            .or(self.env.region.as_deref())
            .map(Partition::of_region)
            .unwrap_or_else(Partition::aws)
    }

    fn account(&self, own: Option<&String>) -> Option<String> {
        own.or(self.env.account.as_ref())
            .filter(|a| !a.is_empty())
            .cloned()
    }

    /// The region a target records: its own, else the envelope's; none for a
    /// global service.
    fn region(&self, own: Option<String>) -> Option<String> {
        if S::REGIONAL {
            own.or(self.env.region.clone())
        } else {
            None
        }
    }

    fn config(&mut self) -> Result<(), FindingError> {
        let d: event::ConfigComplianceChange = self.detail()?;
        self.name = Some(d.config_rule_name.clone());
        let rule = d.config_rule_name.as_str();
        let id = d.resource_id.as_str();
        let skip = if d.new_evaluation_result.compliance_type != "NON_COMPLIANT" {
            Some(format!(
                "Config reports {} for {rule}",
                d.new_evaluation_result.compliance_type
            ))
        } else if d.resource_type != <S::Resource as Resource>::CONFIG_TYPE
            && !<S::Resource as Resource>::OTHER_CONFIG_TYPES.contains(&d.resource_type.as_str())
        {
            Some(format!(
                "resource type {} is not {}",
                d.resource_type,
                <S::Resource as Resource>::CONFIG_TYPE
            ))
        } else if !S::config_rule(rule) {
            Some(format!(
                "Config rule {rule} is not handled by this function"
            ))
        } else {
            None
        };
        if let Some(reason) = skip {
            self.skip(Some(id.to_owned()), reason);
            return Ok(());
        }
        let resource = S::config_resource("detail.resourceId", id)?;
        let region = d.aws_region.clone().filter(|r| !r.is_empty());
        let place = Origin {
            account: self.account(d.aws_account_id.as_ref()),
            partition: self.partition_for(region.as_deref()),
            region: self.region(region),
            finding_id: None,
            observed_at: self.observed_at("newEvaluationResult.resultRecordedTime"),
            hub_finding: None,
            basis: Basis::ConfigRule(d.config_rule_name.clone()),
        };
        self.items.push(Item::Target(place.target(resource)));
        Ok(())
    }

    fn guardduty(&mut self) -> Result<(), FindingError> {
        let mut d: event::GuardDutyFinding = self.detail()?;
        // The record keeps the type as sent; the scope sees it unlabelled.
        let sent = d.finding_type.clone();
        d.finding_type = without_beta_label(&sent).to_owned();
        self.name = Some(sent.clone());
        if is_sample(Detail(&self.env.detail))? {
            self.skip(
                None,
                "GuardDuty sample finding (from \"Generate sample findings\"): its resources are placeholders".into(),
            );
            return Ok(());
        }
        if !S::GUARDDUTY_TYPES.contains(&d.finding_type.as_str()) {
            self.skip(
                None,
                format!(
                    "GuardDuty finding type {} is not handled by {}",
                    sent,
                    S::FUNCTION
                ),
            );
            return Ok(());
        }
        let partition = match &d.partition {
            Some(p) => Partition::parse("detail.partition", p)?,
            None => self.partition_for(d.region.as_deref()),
        };
        let place = Origin {
            account: self.account(d.account_id.as_ref()),
            region: self.region(d.region.clone()),
            partition,
            finding_id: Some(d.id.clone()),
            observed_at: self.observed_at("updatedAt"),
            hub_finding: None,
            basis: Basis::GuardDuty {
                probed_ports: probed_ports(Detail(&self.env.detail)),
                finding_type: d.finding_type.clone(),
            },
        };
        let reading = S::guardduty(&d, Detail(&self.env.detail))?;
        self.read(reading, &place);
        Ok(())
    }

    /// The findings of an import, or of a custom action (`by_person`): a
    /// person chose them in the console, so any active finding on a resource
    /// of this function's type is examined, whatever its control or status;
    /// the decisions on the resource are the same.
    fn security_hub(&mut self, by_person: bool) -> Result<(), FindingError> {
        let d: event::SecurityHubImported = self.detail()?;
        let wanted = <S::Resource as Resource>::ASFF_TYPE;
        let mut controls = Vec::new();
        for (i, f) in d.findings.iter().enumerate() {
            // The control as the finding names it (per-standard findings name
            // it in their own product fields).
            if let Some(c) = f
                .compliance
                .as_ref()
                .and_then(|c| c.security_control_id.as_deref())
                .or_else(|| f.product_field("ControlId"))
                .or_else(|| f.product_field("RuleId"))
            {
                controls.push(c.to_owned());
            }
            let inactive = if by_person {
                archived(f)
            } else {
                inactive_reason(f).or_else(|| S::security_hub_skip(f))
            };
            for (j, r) in f.resources.iter().enumerate() {
                let path = format!("detail.findings[{i}].Resources[{j}].Id");
                let skip = |reason: String| {
                    Item::Skip(Skip {
                        resource: Some(r.id.clone()),
                        finding_id: Some(f.id.clone()),
                        reason,
                    })
                };
                if let Some(reason) = &inactive {
                    self.items.push(skip(reason.clone()));
                    continue;
                }
                if r.resource_type != wanted {
                    self.items.push(skip(format!(
                        "resource type {} is not {wanted}",
                        r.resource_type
                    )));
                    continue;
                }
                // Read only for an id that is not an ARN (an account); an ARN names its own.
                let partition = r
                    .partition
                    .as_deref()
                    .and_then(|p| Partition::parse("Partition", p).ok())
                    .unwrap_or_else(|| {
                        self.partition_for(r.region.as_deref().or(f.region.as_deref()))
                    });
                let arn = Arn::parse_asff_id(&path, &r.id, &partition)?;
                let resource = S::security_hub_resource(&path, &arn)?;
                let account = if arn.account.is_empty() {
                    self.account(f.aws_account_id.as_ref())
                } else {
                    Some(arn.account.clone())
                };
                let place = Origin {
                    account,
                    region: self.region(r.region.clone().or(f.region.clone())),
                    partition: arn.partition,
                    finding_id: Some(f.id.clone()),
                    observed_at: observed_time(f.updated_at.as_deref()).or(self.sent_at()),
                    hub_finding: f.product_arn.as_ref().map(|product_arn| HubFinding {
                        id: f.id.clone(),
                        product_arn: product_arn.clone(),
                    }),
                    // A control's finding names its control; one that AWS
                    // Config sends through Security Hub names its rule.
                    basis: security_control(f, S::PER_STANDARD_CONTROLS)
                        .map(Basis::Control)
                        .or_else(|| {
                            f.product_field("aws/config/ConfigRuleName")
                                .map(|r| Basis::ConfigRule(r.to_owned()))
                        })
                        .unwrap_or_default(),
                };
                self.items.push(Item::Target(place.target(resource)));
            }
        }
        if !controls.is_empty() {
            controls.dedup();
            self.name = Some(controls.join(","));
        }
        if by_person {
            let action = Detail(&self.env.detail)
                .get::<String>("actionName")
                .ok()
                .flatten()
                .unwrap_or_default();
            self.person = Some(action);
        }
        Ok(())
    }

    fn cloudtrail(&mut self) -> Result<(), FindingError> {
        let d: event::CloudTrailCall = self.detail()?;
        self.name = Some(d.event_name.clone());
        if d.event_source != S::CLOUDTRAIL_SOURCE
            || !S::CLOUDTRAIL_CALLS.contains(&d.event_name.as_str())
        {
            self.skip(
                None,
                format!(
                    "API call {} {} is not handled by this function",
                    d.event_source, d.event_name
                ),
            );
            return Ok(());
        }
        if let Some(code) = &d.error_code {
            self.skip(
                None,
                format!(
                    "the {} call failed with {code}, so it changed nothing",
                    d.event_name
                ),
            );
            return Ok(());
        }
        let region = d.aws_region.clone().or(self.env.region.clone());
        // The resource's owner, when CloudTrail names it: for S3 the account
        // that received the call need not own the bucket.
        let owner = resource_owner(Detail(&self.env.detail))?;
        let place = Origin {
            account: self.account(owner.as_ref().or(d.recipient_account_id.as_ref())),
            partition: self.partition_for(region.as_deref()),
            region: self.region(region),
            finding_id: d.event_id.clone(),
            observed_at: self.observed_at("eventTime"),
            hub_finding: None,
            basis: Basis::ApiCall(d.event_name.clone()),
        };
        let reading = S::cloudtrail(&d, Detail(&self.env.detail))?;
        self.read(reading, &place);
        Ok(())
    }
}

/// The ports a GuardDuty port probe finding says were probed
/// (`service.action.portProbeAction.portProbeDetails[].localPortDetails.port`),
/// read leniently: the function's scope has already read the same list
/// strictly, and a port it cannot read is simply not among them.
fn probed_ports(detail: Detail<'_>) -> Vec<i64> {
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
fn without_beta_label(finding_type: &str) -> &str {
    finding_type
        .strip_prefix("[beta]")
        .map_or(finding_type, str::trim_start)
}

/// An RFC 3339 time, if it is one.
fn observed_time(text: Option<&str>) -> Option<SystemTime> {
    let t = DateTime::from_str(text?, Format::DateTime).ok()?;
    SystemTime::try_from(t).ok()
}

/// Why a finding is no longer live, if it is archived.
fn archived(f: &AsffFinding) -> Option<String> {
    f.record_state
        .as_deref()
        .filter(|s| *s != "ACTIVE")
        .map(|state| format!("finding record state is {state}"))
}

/// `trigger.source` of a record a person started, through a Security Hub
/// custom action.
pub const CUSTOM_ACTION_SOURCE: &str = "person:securityhub-custom-action";

/// Where the targets of one part of an event live.
struct Origin {
    account: Option<String>,
    region: Option<String>,
    partition: Partition,
    finding_id: Option<String>,
    observed_at: Option<SystemTime>,
    hub_finding: Option<HubFinding>,
    basis: Basis,
}

impl Origin {
    fn target<R>(&self, resource: R) -> Target<R> {
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
fn resource_owner(detail: Detail<'_>) -> Result<Option<String>, FindingError> {
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
fn is_sample(detail: Detail<'_>) -> Result<bool, FindingError> {
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
fn inactive_reason(f: &AsffFinding) -> Option<String> {
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
