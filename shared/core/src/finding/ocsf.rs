//! Security Hub's OCSF findings (`Findings Imported V2`, OCSF 1.6): the
//! control findings (class 2003, Compliance Finding) that fail, read into
//! targets through the function's scope like the ASFF event's, and every
//! other finding into a skip with the reason.
//!
//! The resource is `resources[].uid_alt` when it is an ARN, else `uid`, else
//! `name` (a bucket's `uid` is its name, a group's its id); its account the
//! ARN's, else the resource owner's, else `cloud.account.uid`; its region the
//! resource's, else `cloud.region`. Fields read only to compare with a
//! constant (class, statuses, control) are compared, never validated: an
//! unexpected value is a skip, not a malformed event. It must not decide what
//! a function answers (its [`Scope`] does) nor read the live state.

use serde::Deserialize;
use serde_json::Value;

use super::normalizer::Normalizer;
use super::read::Origin;
use super::{HubFinding, Item, Skip};
use crate::control::Basis;
use crate::error::FindingError;
use crate::resource::{Arn, Partition, Resource};
use crate::scope::{missing, per_standard_control, Scope};

/// OCSF's class of a control finding: Compliance Finding.
const COMPLIANCE_FINDING: i64 = 2003;

/// The event's detail: one finding per event, as a list.
#[derive(Debug, Deserialize)]
struct Imported {
    findings: Vec<OcsfFinding>,
}

/// The parts of an OCSF finding read here; the others are ignored.
#[derive(Debug, Default, Deserialize)]
struct OcsfFinding {
    #[serde(default)]
    class_uid: Value,
    #[serde(default)]
    status: Value,
    #[serde(default)]
    status_id: Value,
    #[serde(default)]
    compliance: Value,
    #[serde(default)]
    finding_info: Value,
    #[serde(default)]
    metadata: Value,
    #[serde(default)]
    cloud: Value,
    #[serde(default)]
    time_dt: Value,
    #[serde(default)]
    resources: Vec<OcsfResource>,
}

/// One of a finding's resources.
#[derive(Debug, Deserialize)]
struct OcsfResource {
    /// Its CloudFormation type (`AWS::S3::Bucket`).
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    uid: Option<String>,
    #[serde(default)]
    uid_alt: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    cloud_partition: Option<String>,
    #[serde(default)]
    owner: Value,
}

/// The non-empty string at `path` under `value`, if there is one.
fn text<'v>(value: &'v Value, path: &[&str]) -> Option<&'v str> {
    path.iter()
        .try_fold(value, |at, key| at.get(key))?
        .as_str()
        .filter(|s| !s.is_empty())
}

/// The integer at `value`, written as a number or as a string.
fn integer(value: &Value) -> Option<i64> {
    value
        .as_i64()
        .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
}

/// `value` as the record's reason shows it.
fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "none".into(),
        other => other.to_string(),
    }
}

/// Why a finding is not a failing, active control finding, if it is not.
fn inactive(f: &OcsfFinding) -> Option<String> {
    if integer(&f.class_uid) != Some(COMPLIANCE_FINDING) {
        return Some(format!(
            "OCSF class {} is not a Compliance Finding ({COMPLIANCE_FINDING}): only control findings call for a fix",
            shown(&f.class_uid)
        ));
    }
    // 3 Suppressed, 4 Resolved, 5 Archived, 6 Deleted.
    let closed = matches!(integer(&f.status_id), Some(3..=6))
        || ["Suppressed", "Resolved", "Archived", "Deleted"]
            .iter()
            .any(|s| f.status.as_str().is_some_and(|t| t.eq_ignore_ascii_case(s)));
    if closed {
        let status = text(&f.status, &[]).map_or_else(|| shown(&f.status_id), str::to_owned);
        return Some(format!("finding status is {status}"));
    }
    let status = f.compliance.get("status").unwrap_or(&Value::Null);
    let failing = status
        .as_str()
        .is_some_and(|s| s.eq_ignore_ascii_case("Fail"))
        || integer(f.compliance.get("status_id").unwrap_or(&Value::Null)) == Some(3);
    (!failing).then(|| format!("finding compliance status is {}", shown(status)))
}

/// The consolidated control a finding reports on, if it is one that calls
/// for the fix of `S`; else why not.
fn control<S: Scope>(f: &OcsfFinding) -> Result<String, String> {
    let Some(id) = text(&f.compliance, &["control"]) else {
        return Err("the finding names no Security Hub control that calls for this fix".into());
    };
    if S::SECURITY_HUB_CONTROLS.contains(&id) {
        return Ok(id.to_owned());
    }
    let standards = match f.compliance.get("standards") {
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" "),
        Some(Value::String(one)) => one.clone(),
        _ => String::new(),
    };
    match per_standard_control(id, &standards, S::PER_STANDARD_CONTROLS) {
        Some(c) if S::SECURITY_HUB_CONTROLS.contains(&c.as_str()) => Ok(c),
        _ => Err(format!(
            "Security Hub control {id} does not call for this fix"
        )),
    }
}

impl<S: Scope> Normalizer<'_, S> {
    /// The findings of a `Findings Imported V2` event.
    pub(super) fn security_hub_v2(&mut self) -> Result<(), FindingError> {
        let d: Imported = self.detail()?;
        let wanted = <S::Resource as Resource>::CONFIG_TYPE;
        let others = <S::Resource as Resource>::OTHER_CONFIG_TYPES;
        let mut controls = Vec::new();
        for (i, f) in d.findings.iter().enumerate() {
            let finding_id = text(&f.finding_info, &["uid"]).map(str::to_owned);
            if let Some(c) = text(&f.compliance, &["control"]) {
                controls.push(c.to_owned());
            }
            let read = match inactive(f) {
                Some(why) => Err(why),
                None => control::<S>(f),
            };
            for (j, r) in f.resources.iter().enumerate() {
                let kind = r.kind.as_deref().unwrap_or_default();
                let id = r.uid_alt.as_deref().filter(|u| u.starts_with("arn:"));
                let (field, id) = match (id, &r.uid, &r.name) {
                    (Some(alt), _, _) => ("uid_alt", Some(alt)),
                    (None, Some(uid), _) => ("uid", Some(uid.as_str())),
                    (None, None, name) => ("name", name.as_deref()),
                };
                let skip = |reason: String| {
                    Item::Skip(Skip {
                        resource: id.map(str::to_owned),
                        finding_id: finding_id.clone(),
                        reason,
                    })
                };
                let control = match &read {
                    Err(why) => {
                        self.items.push(skip(why.clone()));
                        continue;
                    }
                    Ok(control) => control,
                };
                if kind != wanted && !others.contains(&kind) {
                    let kind = if kind.is_empty() { "none" } else { kind };
                    self.items
                        .push(skip(format!("resource type {kind} is not {wanted}")));
                    continue;
                }
                let path = format!("detail.findings[{i}].resources[{j}].{field}");
                let id =
                    id.ok_or_else(|| missing(&format!("detail.findings[{i}].resources[{j}].uid")))?;
                self.v2_target(f, r, &path, id, finding_id.clone(), control)?;
            }
        }
        if !controls.is_empty() {
            controls.dedup();
            self.name = Some(controls.join(","));
        }
        Ok(())
    }

    /// The target of one resource of a failing control finding.
    fn v2_target(
        &mut self,
        f: &OcsfFinding,
        r: &OcsfResource,
        path: &str,
        id: &str,
        finding_id: Option<String>,
        control: &str,
    ) -> Result<(), FindingError> {
        let region = r
            .region
            .clone()
            .filter(|r| !r.is_empty())
            .or_else(|| text(&f.cloud, &["region"]).map(str::to_owned));
        let partition = r
            .cloud_partition
            .as_deref()
            .and_then(|p| Partition::parse("cloud_partition", p).ok())
            .unwrap_or_else(|| self.partition_for(region.as_deref()));
        // An ARN (or Security Hub's account id form) names its own account;
        // a bucket name or a group id is read as Config names the resource.
        let (resource, partition, arn_account) =
            if id.starts_with("arn:") || id.starts_with("AWS::::Account:") {
                let arn = Arn::parse_asff_id(path, id, &partition)?;
                let account = Some(arn.account.clone()).filter(|a| !a.is_empty());
                (
                    S::security_hub_resource(path, &arn)?,
                    arn.partition,
                    account,
                )
            } else {
                (S::config_resource(path, id)?, partition, None)
            };
        let owner = text(&r.owner, &["account", "uid"]).map(str::to_owned);
        let cloud_account = text(&f.cloud, &["account", "uid"]).map(str::to_owned);
        let account = arn_account.or(owner).or(cloud_account.clone());
        let hub_finding = match (
            &finding_id,
            text(&f.metadata, &["product", "uid"]),
            cloud_account,
        ) {
            (Some(id), Some(product), Some(account)) => Some(HubFinding {
                id: id.clone(),
                product_arn: product.to_owned(),
                ocsf_account: Some(account),
            }),
            _ => None,
        };
        let observed_at = super::read::observed_time(
            text(&f.finding_info, &["modified_time_dt"]).or(text(&f.time_dt, &[])),
        )
        .or(self.sent_at());
        let place = Origin {
            account: self.account(account.as_ref()),
            region: self.region(region),
            partition,
            finding_id,
            observed_at,
            hub_finding,
            basis: Basis::Control(control.to_owned()),
        };
        self.items.push(Item::Target(place.target(resource)));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn finding(value: Value) -> OcsfFinding {
        serde_json::from_value(value).unwrap_or_default()
    }

    #[test]
    fn only_failing_active_compliance_findings_are_live() {
        let live = json!({"class_uid": 2003, "status_id": 1, "compliance": {"control": "S3.8", "status": "Fail"}});
        let cases = [
            ("failing_new", live.clone(), None),
            (
                "failing_by_status_id_as_text",
                json!({"class_uid": "2003", "status": "In Progress", "compliance": {"status_id": 3}}),
                None,
            ),
            (
                "passing",
                json!({"class_uid": 2003, "compliance": {"status": "Pass"}}),
                Some("compliance status is Pass"),
            ),
            (
                "no_compliance_status",
                json!({"class_uid": 2003, "compliance": {}}),
                Some("compliance status is none"),
            ),
            (
                "resolved",
                json!({"class_uid": 2003, "status_id": 4, "status": "Resolved", "compliance": {"status": "Fail"}}),
                Some("status is Resolved"),
            ),
            (
                "suppressed_by_id_only",
                json!({"class_uid": 2003, "status_id": 3, "compliance": {"status": "Fail"}}),
                Some("status is 3"),
            ),
            (
                "another_class",
                json!({"class_uid": 2004, "compliance": {"status": "Fail"}}),
                Some("class 2004"),
            ),
            (
                "no_class",
                json!({"compliance": {"status": "Fail"}}),
                Some("class none"),
            ),
            (
                "a_class_of_the_wrong_type",
                json!({"class_uid": [2003], "compliance": {"status": "Fail"}}),
                Some("class [2003]"),
            ),
        ];
        for (name, value, expected) in cases {
            let got = inactive(&finding(value));
            crate::test_support::assert_reason(name, got.as_deref(), expected);
        }
    }

    #[test]
    fn resource_ids_are_taken_from_an_arn_alias_then_the_uid_then_the_name() {
        let ids = |r: Value| {
            let r: OcsfResource = serde_json::from_value(r).unwrap_or_else(|e| panic!("{e}"));
            let alt = r.uid_alt.filter(|u| u.starts_with("arn:"));
            alt.or(r.uid).or(r.name)
        };
        assert_eq!(
            ids(json!({"uid": "https://sqs/q", "uid_alt": "arn:aws:sqs:r:1:q"})).as_deref(),
            Some("arn:aws:sqs:r:1:q")
        );
        assert_eq!(
            ids(json!({"uid": "bucket", "uid_alt": "not-an-arn"})).as_deref(),
            Some("bucket")
        );
        assert_eq!(ids(json!({"name": "sg-1"})).as_deref(), Some("sg-1"));
        assert!(serde_json::from_value::<OcsfResource>(json!({"uid": 7})).is_err());
    }
}
