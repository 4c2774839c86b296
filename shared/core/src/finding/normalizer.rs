//! Reading each trigger's event into targets and skips: Config, GuardDuty,
//! Security Hub (imported or sent by a person) and CloudTrail, one method
//! each, with the checks every function makes the same way.
//!
//! It must not decide what a function answers (its [`Scope`] does) nor read
//! the live state.

use std::time::SystemTime;

use super::read::{
    archived, inactive_reason, is_sample, observed_time, probed_ports, resource_owner,
    without_beta_label, Origin,
};
use super::{HubFinding, Item, Skip};
use crate::control::Basis;
use crate::error::FindingError;
use crate::event::{self, Detail, Envelope};
use crate::resource::{Arn, Partition, Resource};
use crate::scope::{missing, security_control, Reading, Scope};

pub(super) struct Normalizer<'a, S: Scope> {
    pub(super) env: &'a Envelope,
    pub(super) items: Vec<Item<S::Resource>>,
    pub(super) name: Option<String>,
    /// The custom action a person sent the findings with, if one did.
    pub(super) person: Option<String>,
}

impl<S: Scope> Normalizer<'_, S> {
    /// The time in the detail's field at `path` (RFC 3339), else the event's.
    /// Read leniently: a time the function cannot read only costs a metric.
    pub(super) fn observed_at(&self, path: &str) -> Option<SystemTime> {
        let field = Detail(&self.env.detail).get::<String>(path).ok().flatten();
        observed_time(field.as_deref()).or(self.sent_at())
    }

    /// When EventBridge says the event happened.
    pub(super) fn sent_at(&self) -> Option<SystemTime> {
        self.env.time.map(SystemTime::from)
    }

    pub(super) fn skip(&mut self, resource: Option<String>, reason: String) {
        self.items.push(Item::Skip(Skip {
            resource,
            finding_id: None,
            reason,
        }));
    }

    /// Adds the targets of a reading, or its skip.
    pub(super) fn read(&mut self, reading: Reading<S::Resource>, place: &Origin) {
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
    pub(super) fn detail<T: serde::de::DeserializeOwned>(&self) -> Result<T, FindingError> {
        if self.env.detail.is_null() {
            return Err(missing("detail"));
        }
        event::deserialize_at("detail", self.env.detail.clone())
    }

    pub(super) fn partition_for(&self, region: Option<&str>) -> Partition {
        region
            .or(self.env.region.as_deref())
            .map(Partition::of_region)
            .unwrap_or_else(Partition::aws)
    }

    pub(super) fn account(&self, own: Option<&String>) -> Option<String> {
        own.or(self.env.account.as_ref())
            .filter(|a| !a.is_empty())
            .cloned()
    }

    /// The region a target records: its own, else the envelope's; none for a
    /// global service.
    pub(super) fn region(&self, own: Option<String>) -> Option<String> {
        if S::REGIONAL {
            own.or(self.env.region.clone())
        } else {
            None
        }
    }

    pub(super) fn config(&mut self) -> Result<(), FindingError> {
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

    pub(super) fn guardduty(&mut self) -> Result<(), FindingError> {
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
    pub(super) fn security_hub(&mut self, by_person: bool) -> Result<(), FindingError> {
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
                        ocsf_account: None,
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

    pub(super) fn cloudtrail(&mut self) -> Result<(), FindingError> {
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
