//! The [`Scope`] trait: what a function declares about the events it answers,
//! and the hooks that pull its targets out of each trigger's detail.
//!
//! Each function's `scope.rs` implements it; [`crate::finding::normalize`]
//! applies it. The trait holds the vocabulary common to every function
//! (resource types, rule names, finding types, API calls); the rules that tell
//! one function's findings apart live in its implementation, never here. It
//! must stay pure: no AWS call, no environment, no I/O.

use crate::error::FindingError;
use crate::event::{AsffFinding, CloudTrailCall, Detail, GuardDutyFinding};
use crate::resource::{Arn, Resource};

/// How a function reads one part of an event it was handed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading<R> {
    /// These resources, in the account, region and partition the event says.
    Targets(Vec<R>),
    /// Not for this function, for this reason.
    Skip(String),
}

/// Which events, rules, controls and finding types a function answers, and
/// how to read its targets out of each source's detail.
///
/// The normaliser checks what every function checks the same way (Config
/// compliance, resource types, a Security Hub finding's record and workflow
/// state, the GuardDuty types and CloudTrail calls declared here, a failed
/// CloudTrail call) before it calls a hook, so a hook sees only what is
/// already known to be for this function.
pub trait Scope {
    /// The resource this function acts on.
    type Resource: Resource;

    /// The function (and binary) name, as records and summaries give it.
    const FUNCTION: &'static str;
    /// The action, verb-object, as records give it.
    const ACTION: &'static str;
    /// What notifications say of its fix.
    const WORDING: Wording = Wording {
        done: "Remediated",
        fix: "remediate",
    };
    /// Whether its resources live in a region; records of a global
    /// service's resources (IAM) carry no region.
    const REGIONAL: bool = true;

    /// The GuardDuty finding types it answers.
    const GUARDDUTY_TYPES: &'static [&'static str];
    /// The CloudTrail event source of its service (`s3.amazonaws.com`).
    const CLOUDTRAIL_SOURCE: &'static str;
    /// The CloudTrail API calls it answers.
    const CLOUDTRAIL_CALLS: &'static [&'static str];
    /// The managed Config rules that call for the fix, by identifier.
    const CONFIG_RULES: &'static [&'static str];
    /// The Security Hub controls that call for the fix, by consolidated id.
    const SECURITY_HUB_CONTROLS: &'static [&'static str] = &[];
    /// The same controls as standards name them in per-standard findings.
    const PER_STANDARD_CONTROLS: &'static [PerStandard] = &[];

    /// Whether a non-compliant result of this Config rule calls for the fix:
    /// by default, whether it is one of [`Self::CONFIG_RULES`] as deployed.
    fn config_rule(rule: &str) -> bool {
        config_rule_is(rule, Self::CONFIG_RULES)
    }

    /// The resource a Config event's `resourceId` names; `path` is its field.
    fn config_resource(path: &str, id: &str) -> Result<Self::Resource, FindingError> {
        Self::Resource::parse_id(path, id)
    }

    /// The targets of a GuardDuty finding of one of [`Self::GUARDDUTY_TYPES`];
    /// `detail` is the whole finding, for the fields this function reads.
    fn guardduty(
        finding: &GuardDutyFinding,
        detail: Detail<'_>,
    ) -> Result<Reading<Self::Resource>, FindingError>;

    /// Why an active, failed Security Hub finding does not call for this fix,
    /// if it does not: by default, when its control is not one of
    /// [`Self::SECURITY_HUB_CONTROLS`] (see [`control_skip`]).
    fn security_hub_skip(finding: &AsffFinding) -> Option<String> {
        control_skip(
            finding,
            Self::SECURITY_HUB_CONTROLS,
            Self::PER_STANDARD_CONTROLS,
        )
    }

    /// The resource a Security Hub resource of its type
    /// ([`Resource::ASFF_TYPE`]) names by `arn`; `path` is the field it came from.
    fn security_hub_resource(path: &str, arn: &Arn) -> Result<Self::Resource, FindingError>;

    /// The targets of a successful CloudTrail call of one of
    /// [`Self::CLOUDTRAIL_CALLS`]; `detail` is the whole record, for the
    /// request and response fields this function reads.
    fn cloudtrail(
        call: &CloudTrailCall,
        detail: Detail<'_>,
    ) -> Result<Reading<Self::Resource>, FindingError>;
}

/// What the message says of one function's fix: `done` in the past tense
/// ("Closed the open port"), `fix` as an infinitive ("close the open
/// port").
#[derive(Debug, Clone, Copy)]
pub struct Wording {
    /// The fix done, capitalised, e.g. `Closed the open port`.
    pub done: &'static str,
    /// The fix to do, e.g. `close the open port`.
    pub fix: &'static str,
}

/// The error for a field that must be present and is not.
pub fn missing(path: &str) -> FindingError {
    FindingError::Field {
        path: path.into(),
        message: "missing field".into(),
    }
}

/// A consolidated control and the ids that standards give it in their
/// per-standard findings (consolidation off), as Security Hub's controls
/// reference lists them:
/// `PerStandard::of("EC2.13", &[(CIS_1_2, "4.1"), (PCI_3_2_1, "PCI.EC2.5")])`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PerStandard {
    /// The consolidated control, e.g. `EC2.13`.
    pub control: &'static str,
    /// Each standard (see [`standards`]) and the control's id in it.
    pub ids: &'static [(&'static str, &'static str)],
}

impl PerStandard {
    /// `control` and its id in each standard.
    pub const fn of(control: &'static str, ids: &'static [(&'static str, &'static str)]) -> Self {
        PerStandard { control, ids }
    }
}

/// The standards that give controls their own ids, as the part of their ARNs
/// that names them and their version.
pub mod standards {
    /// CIS AWS Foundations Benchmark v1.2.0 (ids in `ProductFields.RuleId`).
    pub const CIS_1_2: &str = "cis-aws-foundations-benchmark/v/1.2.0";
    /// CIS AWS Foundations Benchmark v1.4.0.
    pub const CIS_1_4: &str = "cis-aws-foundations-benchmark/v/1.4.0";
    /// CIS AWS Foundations Benchmark v3.0.0.
    pub const CIS_3_0: &str = "cis-aws-foundations-benchmark/v/3.0.0";
    /// CIS AWS Foundations Benchmark v5.0.0.
    pub const CIS_5_0: &str = "cis-aws-foundations-benchmark/v/5.0.0";
    /// PCI DSS v3.2.1.
    pub const PCI_3_2_1: &str = "pci-dss/v/3.2.1";
}

/// Standards whose per-standard findings name controls by their
/// consolidated ids.
const SAME_IDS: &[&str] = &["aws-foundational-security-best-practices", "nist-800-53"];

/// The consolidated Security Hub control a finding reports on, if any:
/// `Compliance.SecurityControlId` (consolidated findings, the default since
/// 2023), else the finding's `ProductFields.ControlId` (`RuleId` in CIS
/// 1.2.0) under its standard, looked up in `per_standard`.
pub fn security_control(finding: &AsffFinding, per_standard: &[PerStandard]) -> Option<String> {
    if let Some(c) = finding
        .compliance
        .as_ref()
        .and_then(|c| c.security_control_id.as_deref())
    {
        return Some(c.to_owned());
    }
    let id = finding
        .product_field("ControlId")
        .or_else(|| finding.product_field("RuleId"))?;
    let standard = [
        finding.product_field("StandardsArn"),
        finding.product_field("StandardsGuideArn"),
        finding.product_field("StandardsControlArn"),
        finding.generator_id.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    per_standard_control(id, &standard, per_standard)
}

/// The consolidated control that a standard whose ARN or name is in
/// `standard` calls `id`, looked up in `per_standard` (or `id` itself, for a
/// standard that uses the consolidated ids).
pub fn per_standard_control(
    id: &str,
    standard: &str,
    per_standard: &[PerStandard],
) -> Option<String> {
    per_standard
        .iter()
        .find(|row| {
            row.ids
                .iter()
                .any(|(s, i)| *i == id && standard.contains(s))
        })
        .map(|row| row.control.to_owned())
        .or_else(|| {
            SAME_IDS
                .iter()
                .any(|s| standard.contains(s))
                .then(|| id.to_owned())
        })
}

/// Why a Security Hub finding does not call for a fix that answers
/// `controls`, if it does not; see [`security_control`].
pub fn control_skip(
    finding: &AsffFinding,
    controls: &[&str],
    per_standard: &[PerStandard],
) -> Option<String> {
    match security_control(finding, per_standard) {
        Some(c) if controls.contains(&c.as_str()) => None,
        Some(c) => Some(format!(
            "Security Hub control {c} does not call for this fix"
        )),
        None => Some("the finding names no Security Hub control that calls for this fix".into()),
    }
}

/// Whether the Config rule `rule`, as deployed, is one of the `managed` rules:
/// conformance packs add suffixes, Security Hub a `securityhub-` prefix, and
/// Control Tower writes names its own way (`AWSControlTower_AWS-GR_RESTRICTED_SSH`),
/// so the match ignores case and reads `_` as `-`.
pub fn config_rule_is(rule: &str, managed: &[&str]) -> bool {
    let rule = rule.to_ascii_lowercase().replace('_', "-");
    managed.iter().any(|m| rule.contains(m))
}
