//! Validated findings: which resources an event asks a given function to look
//! at, and which parts of the event it must skip, with the reason.
//!
//! This is the high-level side of the parse boundary: it takes the raw shapes of
//! `event` and decides, for one [`Remediation`], which triggers apply (rule
//! names, finding types, API calls, resource types) and turns identifiers into
//! validated types. It must not call AWS or read the live state: the event is
//! only a hint of what may be wrong.

use serde_json::Value;

use crate::error::FindingError;
use crate::event::{self, Envelope};
use crate::resource::{Arn, BucketName, GroupId, Partition, RoleId, RoleName};

/// The three remediations; each accepts its own set of triggers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remediation {
    /// Re-enable S3 Block Public Access on a bucket.
    S3BlockPublicAccess,
    /// Revoke ingress rules that open TCP 22 to the world.
    SgRevokeOpenSsh,
    /// Detach AdministratorAccess from service roles.
    IamDetachAdminPolicy,
}

impl Remediation {
    /// The function (and binary) name.
    pub fn function_name(self) -> &'static str {
        match self {
            Remediation::S3BlockPublicAccess => "s3-block-public-access",
            Remediation::SgRevokeOpenSsh => "sg-revoke-open-ssh",
            Remediation::IamDetachAdminPolicy => "iam-detach-admin-policy",
        }
    }

    /// The action name written in audit records.
    pub fn action(self) -> &'static str {
        match self {
            Remediation::S3BlockPublicAccess => "enable_bucket_public_access_block",
            Remediation::SgRevokeOpenSsh => "revoke_world_open_ssh_ingress",
            Remediation::IamDetachAdminPolicy => "detach_administrator_access",
        }
    }
}

/// GuardDuty finding types that mean a bucket may be public.
pub const GUARDDUTY_S3_TYPES: &[&str] = &[
    "Policy:S3/BucketBlockPublicAccessDisabled",
    "Policy:S3/BucketAnonymousAccessGranted",
    "Policy:S3/BucketPublicAccessGranted",
];
/// GuardDuty port probe finding (acted on when port 22 was probed).
pub const GUARDDUTY_PORT_PROBE: &str = "Recon:EC2/PortProbeUnprotectedPort";
/// GuardDuty SSH brute force finding (acted on when the instance is the target).
pub const GUARDDUTY_SSH_BRUTE_FORCE: &str = "UnauthorizedAccess:EC2/SSHBruteForce";
/// Config rules (by the managed rule's name) that flag open SSH.
pub const CONFIG_SSH_RULES: &[&str] = &["restricted-ssh", "vpc-sg-port-restriction-check"];
/// The Config rule that flags a blacklisted managed policy.
pub const CONFIG_IAM_RULE: &str = "iam-policy-blacklisted-check";
/// CloudTrail S3 calls that may turn Block Public Access off.
pub const CLOUDTRAIL_S3_CALLS: &[&str] = &[
    "PutBucketPublicAccessBlock",
    "DeleteBucketPublicAccessBlock",
];
/// CloudTrail EC2 calls that may open ingress.
pub const CLOUDTRAIL_EC2_CALLS: &[&str] =
    &["AuthorizeSecurityGroupIngress", "ModifySecurityGroupRules"];
/// The CloudTrail IAM call that may attach AdministratorAccess.
pub const CLOUDTRAIL_IAM_CALL: &str = "AttachRolePolicy";

/// What triggered an invocation, as recorded in audit records.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct Trigger {
    /// The envelope's `source` (`aws.config`, ...).
    pub source: String,
    /// The envelope's `detail-type`.
    pub detail_type: String,
    /// The envelope's `id`.
    pub event_id: String,
    /// The rule name, finding type or API call that matched.
    pub name: Option<String>,
}

/// A role as a finding names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RoleRef {
    /// By name (CloudTrail, Security Hub).
    Name(RoleName),
    /// By unique id (AWS Config): resolve before use.
    Id(RoleId),
}

/// A resource a finding points at.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Resource {
    /// An S3 bucket.
    Bucket(BucketName),
    /// A VPC security group.
    SecurityGroup(GroupId),
    /// An IAM role.
    Role(RoleRef),
}

/// One resource to examine, with where it lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The resource.
    pub resource: Resource,
    /// Its account, when the event says.
    pub account: Option<String>,
    /// Its region, when the event says (never for IAM).
    pub region: Option<String>,
    /// Its partition.
    pub partition: Partition,
    /// The finding that named it (Security Hub and GuardDuty ids), if not the event itself.
    pub finding_id: Option<String>,
}

impl Target {
    /// The resource's ARN, as well as the event lets us know it; a role known
    /// only by its id is named by the bare id (an ARN cannot be formed from it).
    pub fn arn(&self) -> String {
        let account = self.account.as_deref().unwrap_or("");
        match &self.resource {
            Resource::Bucket(b) => b.arn(&self.partition),
            Resource::SecurityGroup(g) => g.arn(
                &self.partition,
                self.region.as_deref().unwrap_or(""),
                account,
            ),
            Resource::Role(RoleRef::Name(n)) => n.arn(&self.partition, account),
            Resource::Role(RoleRef::Id(id)) => id.to_string(), // no ARN is known until the id is resolved
        }
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

/// One thing to record for an event: a target to examine, or a skip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A resource to examine.
    Target(Target),
    /// Something the function does not act on.
    Skip(Skip),
}

/// An event, normalised for one function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What triggered it.
    pub trigger: Trigger,
    /// The envelope's account.
    pub account: Option<String>,
    /// The envelope's region.
    pub region: Option<String>,
    /// What to examine and what to skip, at least one item.
    pub items: Vec<Item>,
}

/// Normalises a raw event for `remediation`.
///
/// Returns an error only for malformed input; events that are well formed but
/// not for this function become [`Item::Skip`]s.
pub fn normalize(value: Value, remediation: Remediation) -> Result<Finding, FindingError> {
    let env = event::parse_envelope(value)?;
    let trigger = Trigger {
        source: env.source.clone(),
        detail_type: env.detail_type.clone(),
        event_id: env.id.clone().unwrap_or_default(),
        name: None,
    };
    let mut finding = Finding {
        trigger,
        account: env.account.clone(),
        region: env.region.clone(),
        items: Vec::new(),
    };
    let mut n = Normalizer {
        remediation,
        env: &env,
        items: Vec::new(),
        name: None,
    };
    match (env.source.as_str(), env.detail_type.as_str()) {
        ("aws.config", "Config Rules Compliance Change") => n.config()?,
        ("aws.guardduty", "GuardDuty Finding") => n.guardduty()?,
        ("aws.securityhub", "Security Hub Findings - Imported") => n.security_hub()?,
        (_, "AWS API Call via CloudTrail") => n.cloudtrail()?,
        (source, detail_type) => n.skip(
            None,
            format!(
                "event {source} / {detail_type} is not a trigger of {}",
                remediation.function_name()
            ),
        ),
    }
    if n.items.is_empty() {
        n.skip(None, "the event names no resource".into());
    }
    finding.trigger.name = n.name;
    finding.items = dedupe(n.items);
    Ok(finding)
}

/// Keeps the first item for each resource, so one resource gets one record.
fn dedupe(items: Vec<Item>) -> Vec<Item> {
    let mut seen = Vec::<Resource>::new();
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

struct Normalizer<'a> {
    remediation: Remediation,
    env: &'a Envelope,
    items: Vec<Item>,
    name: Option<String>,
}

impl Normalizer<'_> {
    fn skip(&mut self, resource: Option<String>, reason: String) {
        self.items.push(Item::Skip(Skip {
            resource,
            finding_id: None,
            reason,
        }));
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

    fn config(&mut self) -> Result<(), FindingError> {
        let d: event::ConfigComplianceChange = self.detail()?;
        self.name = Some(d.config_rule_name.clone());
        let rule = d.config_rule_name.as_str();
        let id = d.resource_id.as_str();
        if d.new_evaluation_result.compliance_type != "NON_COMPLIANT" {
            self.skip(
                Some(id.to_owned()),
                format!(
                    "Config reports {} for {rule}",
                    d.new_evaluation_result.compliance_type
                ),
            );
            return Ok(());
        }
        let wanted = match self.remediation {
            Remediation::S3BlockPublicAccess => "AWS::S3::Bucket",
            Remediation::SgRevokeOpenSsh => "AWS::EC2::SecurityGroup",
            Remediation::IamDetachAdminPolicy => "AWS::IAM::Role",
        };
        if d.resource_type != wanted {
            self.skip(
                Some(id.to_owned()),
                format!("resource type {} is not {wanted}", d.resource_type),
            );
            return Ok(());
        }
        let rule_ok = match self.remediation {
            Remediation::S3BlockPublicAccess => true,
            Remediation::SgRevokeOpenSsh => CONFIG_SSH_RULES.iter().any(|r| rule.contains(r)),
            Remediation::IamDetachAdminPolicy => rule.contains(CONFIG_IAM_RULE),
        };
        if !rule_ok {
            self.skip(
                Some(id.to_owned()),
                format!("Config rule {rule} is not handled by this function"),
            );
            return Ok(());
        }
        let path = "detail.resourceId";
        let resource = match self.remediation {
            Remediation::S3BlockPublicAccess => Resource::Bucket(BucketName::parse(path, id)?),
            Remediation::SgRevokeOpenSsh => Resource::SecurityGroup(GroupId::parse(path, id)?),
            Remediation::IamDetachAdminPolicy if RoleId::looks_like(id) => {
                Resource::Role(RoleRef::Id(RoleId::parse(path, id)?))
            }
            Remediation::IamDetachAdminPolicy => {
                Resource::Role(RoleRef::Name(RoleName::parse(path, id)?))
            }
        };
        let region = d.aws_region.clone().filter(|r| !r.is_empty());
        self.items.push(Item::Target(Target {
            resource,
            account: self.account(d.aws_account_id.as_ref()),
            partition: self.partition_for(region.as_deref()),
            region: if self.remediation == Remediation::IamDetachAdminPolicy {
                None
            } else {
                region.or(self.env.region.clone())
            },
            finding_id: None,
        }));
        Ok(())
    }

    fn guardduty(&mut self) -> Result<(), FindingError> {
        let d: event::GuardDutyFinding = self.detail()?;
        self.name = Some(d.finding_type.clone());
        let partition = match &d.partition {
            Some(p) => Partition::parse("detail.partition", p)?,
            None => self.partition_for(d.region.as_deref()),
        };
        let account = self.account(d.account_id.as_ref());
        let region = d.region.clone().or(self.env.region.clone());
        let target = |resource| {
            Item::Target(Target {
                resource,
                account: account.clone(),
                region: region.clone(),
                partition: partition.clone(),
                finding_id: Some(d.id.clone()),
            })
        };
        match self.remediation {
            Remediation::S3BlockPublicAccess
                if GUARDDUTY_S3_TYPES.contains(&d.finding_type.as_str()) =>
            {
                let buckets = d.resource.s3_bucket_details.as_deref().unwrap_or_default();
                if buckets.is_empty() {
                    return Err(FindingError::Field {
                        path: "detail.resource.s3BucketDetails".into(),
                        message: "an S3 finding must name at least one bucket".into(),
                    });
                }
                for (i, b) in buckets.iter().enumerate() {
                    let name = BucketName::parse(
                        &format!("detail.resource.s3BucketDetails[{i}].name"),
                        &b.name,
                    )?;
                    self.items.push(target(Resource::Bucket(name)));
                }
            }
            Remediation::SgRevokeOpenSsh
                if d.finding_type == GUARDDUTY_PORT_PROBE
                    || d.finding_type == GUARDDUTY_SSH_BRUTE_FORCE =>
            {
                let role = d.service.resource_role.as_deref().unwrap_or("");
                let probed_ssh = d
                    .service
                    .action
                    .as_ref()
                    .and_then(|a| a.port_probe_action.as_ref())
                    .is_some_and(|p| {
                        p.port_probe_details.iter().any(|pd| {
                            pd.local_port_details.as_ref().and_then(|l| l.port) == Some(22)
                        })
                    });
                if d.finding_type == GUARDDUTY_SSH_BRUTE_FORCE
                    && !role.eq_ignore_ascii_case("TARGET")
                {
                    self.skip(
                        None,
                        format!("the instance is the {role} of the brute force, not its target"),
                    );
                    return Ok(());
                }
                if d.finding_type == GUARDDUTY_PORT_PROBE && !probed_ssh {
                    self.skip(None, "the probed ports do not include 22".into());
                    return Ok(());
                }
                let interfaces = d
                    .resource
                    .instance_details
                    .as_ref()
                    .map(|i| i.network_interfaces.as_slice())
                    .unwrap_or_default();
                for (i, ni) in interfaces.iter().enumerate() {
                    for (j, sg) in ni.security_groups.iter().enumerate() {
                        let path = format!("detail.resource.instanceDetails.networkInterfaces[{i}].securityGroups[{j}].groupId");
                        self.items
                            .push(target(Resource::SecurityGroup(GroupId::parse(
                                &path,
                                &sg.group_id,
                            )?)));
                    }
                }
                if self.items.is_empty() {
                    return Err(FindingError::Field {
                        path: "detail.resource.instanceDetails.networkInterfaces".into(),
                        message: "an EC2 finding must name at least one security group".into(),
                    });
                }
            }
            _ => self.skip(
                None,
                format!(
                    "GuardDuty finding type {} is not handled by {}",
                    d.finding_type,
                    self.remediation.function_name()
                ),
            ),
        }
        Ok(())
    }

    fn security_hub(&mut self) -> Result<(), FindingError> {
        let d: event::SecurityHubImported = self.detail()?;
        let wanted = match self.remediation {
            Remediation::S3BlockPublicAccess => "AwsS3Bucket",
            Remediation::SgRevokeOpenSsh => "AwsEc2SecurityGroup",
            Remediation::IamDetachAdminPolicy => "AwsIamRole",
        };
        let mut controls = Vec::new();
        for (i, f) in d.findings.iter().enumerate() {
            if let Some(c) = f
                .compliance
                .as_ref()
                .and_then(|c| c.security_control_id.clone())
            {
                controls.push(c);
            }
            let inactive = inactive_reason(f);
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
                let arn = Arn::parse(&path, &r.id)?;
                let resource = match self.remediation {
                    Remediation::S3BlockPublicAccess if arn.service == "s3" => {
                        Resource::Bucket(BucketName::parse(&path, &arn.resource)?)
                    }
                    Remediation::SgRevokeOpenSsh if arn.service == "ec2" => {
                        let id = arn
                            .resource
                            .strip_prefix("security-group/")
                            .unwrap_or(&arn.resource);
                        Resource::SecurityGroup(GroupId::parse(&path, id)?)
                    }
                    Remediation::IamDetachAdminPolicy
                        if arn.service == "iam" && arn.resource.starts_with("role/") =>
                    {
                        let name = arn.resource.rsplit('/').next().unwrap_or_default();
                        Resource::Role(RoleRef::Name(RoleName::parse(&path, name)?))
                    }
                    _ => {
                        return Err(FindingError::value(
                            path,
                            &r.id,
                            "the ARN of a resource of the stated type",
                        ))
                    }
                };
                let region = match self.remediation {
                    Remediation::IamDetachAdminPolicy => None,
                    _ => r
                        .region
                        .clone()
                        .or(f.region.clone())
                        .or(self.env.region.clone()),
                };
                let account = if arn.account.is_empty() {
                    self.account(f.aws_account_id.as_ref())
                } else {
                    Some(arn.account.clone())
                };
                self.items.push(Item::Target(Target {
                    resource,
                    account,
                    region,
                    partition: arn.partition,
                    finding_id: Some(f.id.clone()),
                }));
            }
        }
        if !controls.is_empty() {
            controls.dedup();
            self.name = Some(controls.join(","));
        }
        Ok(())
    }

    fn cloudtrail(&mut self) -> Result<(), FindingError> {
        let d: event::CloudTrailCall = self.detail()?;
        self.name = Some(d.event_name.clone());
        let (service, calls): (&str, &[&str]) = match self.remediation {
            Remediation::S3BlockPublicAccess => ("s3.amazonaws.com", CLOUDTRAIL_S3_CALLS),
            Remediation::SgRevokeOpenSsh => ("ec2.amazonaws.com", CLOUDTRAIL_EC2_CALLS),
            Remediation::IamDetachAdminPolicy => ("iam.amazonaws.com", &[CLOUDTRAIL_IAM_CALL]),
        };
        if d.event_source != service || !calls.contains(&d.event_name.as_str()) {
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
        let req = d.request_parameters.clone().unwrap_or_default();
        let region = d.aws_region.clone().or(self.env.region.clone());
        let partition = self.partition_for(region.as_deref());
        let account = self.account(d.recipient_account_id.as_ref());
        let mut push = |resource, region| {
            self.items.push(Item::Target(Target {
                resource,
                account: account.clone(),
                region,
                partition: partition.clone(),
                finding_id: d.event_id.clone(),
            }))
        };
        match self.remediation {
            Remediation::S3BlockPublicAccess => {
                let name = req
                    .bucket_name
                    .as_deref()
                    .ok_or_else(|| missing("detail.requestParameters.bucketName"))?;
                push(
                    Resource::Bucket(BucketName::parse(
                        "detail.requestParameters.bucketName",
                        name,
                    )?),
                    region,
                );
            }
            Remediation::SgRevokeOpenSsh => {
                let from_response: Vec<(String, String)> = d
                    .response_elements
                    .as_ref()
                    .and_then(|r| r.security_group_rule_set.as_ref())
                    .map(|s| {
                        s.items
                            .iter()
                            .enumerate()
                            .filter_map(|(i, it)| {
                                it.group_id.clone().map(|g| {
                                    (format!("detail.responseElements.securityGroupRuleSet.items[{i}].groupId"), g)
                                })
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let ids = if !from_response.is_empty() {
                    from_response
                } else if let Some(g) = req.group_id.clone() {
                    vec![("detail.requestParameters.groupId".to_owned(), g)]
                } else if let Some(g) = req
                    .modify_security_group_rules
                    .as_ref()
                    .and_then(|m| m.group_id.clone())
                {
                    vec![(
                        "detail.requestParameters.ModifySecurityGroupRulesRequest.GroupId"
                            .to_owned(),
                        g,
                    )]
                } else if d.event_name == "ModifySecurityGroupRules" {
                    return Err(missing(
                        "detail.requestParameters.ModifySecurityGroupRulesRequest.GroupId",
                    ));
                } else {
                    return Err(missing("detail.requestParameters.groupId"));
                };
                for (path, id) in ids {
                    push(
                        Resource::SecurityGroup(GroupId::parse(&path, &id)?),
                        region.clone(),
                    );
                }
            }
            Remediation::IamDetachAdminPolicy => {
                let policy = req
                    .policy_arn
                    .as_deref()
                    .ok_or_else(|| missing("detail.requestParameters.policyArn"))?;
                let arn = Arn::parse("detail.requestParameters.policyArn", policy)?;
                if arn.account != "aws" || arn.resource != "policy/AdministratorAccess" {
                    self.skip(
                        None,
                        format!("attached policy {policy} is not AdministratorAccess"),
                    );
                    return Ok(());
                }
                let name = req
                    .role_name
                    .as_deref()
                    .ok_or_else(|| missing("detail.requestParameters.roleName"))?;
                let role = RoleName::parse("detail.requestParameters.roleName", name)?;
                self.items.push(Item::Target(Target {
                    resource: Resource::Role(RoleRef::Name(role)),
                    account,
                    region: None,
                    partition: arn.partition,
                    finding_id: d.event_id.clone(),
                }));
            }
        }
        Ok(())
    }
}

fn missing(path: &str) -> FindingError {
    FindingError::Field {
        path: path.into(),
        message: "missing field".into(),
    }
}

/// Why an ASFF finding is not acted on, if it is not.
fn inactive_reason(f: &event::AsffFinding) -> Option<String> {
    if let Some(state) = f.record_state.as_deref().filter(|s| *s != "ACTIVE") {
        return Some(format!("finding record state is {state}"));
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
