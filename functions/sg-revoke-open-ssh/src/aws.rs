//! The port over EC2 that the function needs, and its SDK adapter.
//!
//! The only file of this package that imports `aws_sdk_ec2`. Normalises errors
//! once: `InvalidGroup.NotFound`, `InvalidSecurityGroupRuleId.NotFound` and
//! `InvalidPermission.NotFound` are not found. Revokes by rule id only: revoking by `IpPermissions` fails as a
//! whole in non-default VPCs when one permission does not match exactly. It must
//! not decide which rules to revoke.

use std::future::Future;

use aws_sdk_ec2::operation::describe_security_group_rules::builders::DescribeSecurityGroupRulesFluentBuilder;
use aws_sdk_ec2::types::{Filter, SecurityGroup, SecurityGroupRule};
use aws_sdk_ec2::Client;
use remediation_runtime::{deadline, Classify};
use remediation_shared::{AwsError, Permission};

use crate::plan::{Rule, Source};

/// The IAM permissions this adapter's calls need, one per SDK operation:
/// `DescribeSecurityGroupRules`, `DescribeSecurityGroups` (tags),
/// `RevokeSecurityGroupIngress`. `template.yaml` grants exactly these
/// (checked by `tests/tests/template/`). EC2's describe actions support no
/// resource-level permissions; the region condition narrows them instead.
pub const PERMISSIONS: &[Permission] = &[
    Permission::on("ec2:DescribeSecurityGroupRules", "*").when("aws:RequestedRegion"),
    Permission::on("ec2:DescribeSecurityGroups", "*").when("aws:RequestedRegion"),
    Permission::on(
        "ec2:RevokeSecurityGroupIngress",
        "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:security-group/*",
    ),
];

/// A group's tags, as key and value pairs.
pub type Tags = Vec<(String, String)>;

/// What the function needs from EC2.
pub trait SecurityGroupRules: Send + Sync {
    /// The group's tags; not found when the group does not exist.
    fn group_tags(
        &self,
        group_id: &str,
    ) -> impl Future<Output = Result<Vec<(String, String)>, AwsError>> + Send;
    /// All rules of the group (ingress and egress), one per source.
    fn rules(&self, group_id: &str) -> impl Future<Output = Result<Vec<Rule>, AwsError>> + Send;
    /// The tags of each of these groups that exists, by id, in one
    /// paginated call (a sweep's batch of suspects).
    fn groups_tags(
        &self,
        group_ids: &[String],
    ) -> impl Future<Output = Result<Vec<(String, Tags)>, AwsError>> + Send;
    /// Every rule of these groups, with its group's id, in one paginated
    /// call (a sweep's batch of suspects).
    fn groups_rules(
        &self,
        group_ids: &[String],
    ) -> impl Future<Output = Result<Vec<(String, Rule)>, AwsError>> + Send;
    /// Every rule of every group in the region, with its group's id: one
    /// paginated call over the region, for a sweep.
    fn region_rules(&self) -> impl Future<Output = Result<Vec<(String, Rule)>, AwsError>> + Send;
    /// Revokes these ingress rules in one call; not found when one of them no longer exists.
    fn revoke(
        &self,
        group_id: &str,
        rule_ids: &[String],
    ) -> impl Future<Output = Result<Revoked, AwsError>> + Send;
}

/// The result of a revoke call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revoked {
    /// The rule ids EC2 says it revoked; `None` when the response does not list them.
    pub rule_ids: Option<Vec<String>>,
}

/// The EC2 adapter.
#[derive(Debug, Clone)]
pub struct Ec2Adapter {
    client: Client,
}

impl Ec2Adapter {
    /// Wraps a client built once at start-up.
    pub fn new(client: Client) -> Self {
        Ec2Adapter { client }
    }

    /// The adapter over an EC2 client built from `sdk`.
    pub fn from_sdk(sdk: &remediation_runtime::sdk::SdkConfig) -> Self {
        Ec2Adapter::new(Client::new(sdk))
    }
}

/// A group or rule that does not exist (or no longer does).
fn normalise(err: AwsError) -> AwsError {
    err.not_found_if(&[
        "InvalidGroup.NotFound",
        "InvalidSecurityGroupRuleId.NotFound",
        "InvalidSecurityGroupId.NotFound",
        "InvalidSecurityGroupID.NotFound",
        // "The specified rule does not exist in this security group": what the
        // emulator answers when concurrent deliveries race to revoke one rule.
        "InvalidPermission.NotFound",
    ])
}

/// Every rule the request's pages list (1,000 a page), within the time left.
async fn all_rules(
    request: DescribeSecurityGroupRulesFluentBuilder,
) -> Result<Vec<SecurityGroupRule>, AwsError> {
    let op = "DescribeSecurityGroupRules";
    let pages = request.max_results(1000).into_paginator().items().send();
    deadline::all(op, pages).await.map_err(normalise)
}

/// Every rule the request lists, with its group's id.
async fn rules_by_group(
    request: DescribeSecurityGroupRulesFluentBuilder,
) -> Result<Vec<(String, Rule)>, AwsError> {
    let rules = all_rules(request).await?;
    let with_group =
        |r: &SecurityGroupRule| (r.group_id().unwrap_or_default().to_owned(), Rule::from(r));
    Ok(rules.iter().map(with_group).collect())
}

impl From<&SecurityGroupRule> for Rule {
    fn from(r: &SecurityGroupRule) -> Self {
        let source = if let Some(c) = r.cidr_ipv4().or(r.cidr_ipv6()) {
            Source::Cidr(c.to_owned())
        } else if let Some(g) = r.referenced_group_info().and_then(|g| g.group_id()) {
            Source::Group(g.to_owned())
        } else if let Some(p) = r.prefix_list_id() {
            Source::PrefixList(p.to_owned())
        } else {
            Source::Unknown
        };
        Rule {
            rule_id: r.security_group_rule_id().unwrap_or_default().to_owned(),
            is_egress: r.is_egress().unwrap_or(false),
            protocol: r.ip_protocol().unwrap_or_default().to_owned(),
            from_port: r.from_port(),
            to_port: r.to_port(),
            source,
            description: r.description().map(str::to_owned),
        }
    }
}

/// A group's tags, as pairs.
fn tags_of(group: &SecurityGroup) -> Tags {
    group
        .tags()
        .iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_owned(),
                t.value().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// The filter that keeps `group_ids`.
fn in_groups(group_ids: &[String]) -> Filter {
    Filter::builder()
        .name("group-id")
        .set_values(Some(group_ids.to_vec()))
        .build()
}

impl SecurityGroupRules for Ec2Adapter {
    async fn group_tags(&self, group_id: &str) -> Result<Vec<(String, String)>, AwsError> {
        let call = self
            .client
            .describe_security_groups()
            .group_ids(group_id)
            .send();
        let out = deadline::call("DescribeSecurityGroups", call)
            .await
            .map_err(normalise)?;
        let group = out
            .security_groups()
            .iter()
            .find(|g| g.group_id() == Some(group_id))
            .ok_or_else(|| {
                AwsError::classify(
                    "DescribeSecurityGroups",
                    "InvalidGroup.NotFound",
                    "no such group",
                    None,
                )
                .into_not_found()
            })?;
        Ok(tags_of(group))
    }

    async fn groups_tags(&self, group_ids: &[String]) -> Result<Vec<(String, Tags)>, AwsError> {
        let list = self
            .client
            .describe_security_groups()
            .filters(in_groups(group_ids))
            .max_results(1000);
        let groups = deadline::all(
            "DescribeSecurityGroups",
            list.into_paginator().items().send(),
        )
        .await
        .map_err(normalise)?;
        Ok(groups
            .iter()
            .map(|g| (g.group_id().unwrap_or_default().to_owned(), tags_of(g)))
            .collect())
    }

    async fn groups_rules(&self, group_ids: &[String]) -> Result<Vec<(String, Rule)>, AwsError> {
        let list = self.client.describe_security_group_rules();
        rules_by_group(list.filters(in_groups(group_ids))).await
    }

    async fn rules(&self, group_id: &str) -> Result<Vec<Rule>, AwsError> {
        let list = self.client.describe_security_group_rules();
        let rules = all_rules(list.filters(in_groups(&[group_id.to_owned()]))).await?;
        Ok(rules.iter().map(Rule::from).collect())
    }

    async fn region_rules(&self) -> Result<Vec<(String, Rule)>, AwsError> {
        rules_by_group(self.client.describe_security_group_rules()).await
    }

    async fn revoke(&self, group_id: &str, rule_ids: &[String]) -> Result<Revoked, AwsError> {
        let call = self
            .client
            .revoke_security_group_ingress()
            .group_id(group_id)
            .set_security_group_rule_ids(Some(rule_ids.to_vec()))
            .send();
        let out = deadline::call("RevokeSecurityGroupIngress", call)
            .await
            .map_err(normalise)?;
        if out.r#return() == Some(false) {
            return Err(AwsError::classify(
                "RevokeSecurityGroupIngress",
                "ReturnFalse",
                "EC2 answered false: no rule was revoked",
                None,
            ));
        }
        let listed: Vec<String> = out
            .revoked_security_group_rules()
            .iter()
            .filter_map(|r| r.security_group_rule_id().map(str::to_owned))
            .collect();
        Ok(Revoked {
            rule_ids: if listed.is_empty() {
                None
            } else {
                Some(listed)
            },
        })
    }
}
