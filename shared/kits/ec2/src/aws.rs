//! The undo's port over EC2: a group's ingress rules read by content,
//! revoked rules authorised again, and the group tagged exempt. No
//! function's role may make these calls: only `remediation-undo`, run by a
//! person, does. It must not decide anything: [`crate::restore`] does.

use std::collections::BTreeSet;

use aws_sdk_ec2::types::{Filter, IpPermission, IpRange, Ipv6Range, Tag};
use aws_sdk_ec2::Client;
use remediation_runtime::deadline;
use remediation_runtime::restore::FromSdk;
use remediation_runtime::sdk::SdkConfig;
use remediation_shared::restore::{Exemption, RestorePort};
use remediation_shared::{AwsError, Permission};

/// What an undo of a group's fix calls (`remediation undo`, by a person):
/// read its rules, authorise the revoked ones again, tag it exempt.
pub const UNDO_PERMISSIONS: &[Permission] = &[
    Permission::on("ec2:DescribeSecurityGroupRules", "*"),
    Permission::on("ec2:AuthorizeSecurityGroupIngress", GROUPS),
    Permission::on("ec2:CreateTags", GROUPS),
];

/// Every security group of the account, in any region.
const GROUPS: &str = "arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:security-group/*";

use crate::restore::{GroupRestore, IngressRule, RuleKey};

/// The EC2 calls of an undo.
#[derive(Debug, Clone)]
pub struct Restorer {
    ec2: Client,
}

impl FromSdk for Restorer {
    fn from_sdk(sdk: &SdkConfig) -> Self {
        Restorer {
            ec2: Client::new(sdk),
        }
    }
}

fn permission(rule: &IngressRule) -> IpPermission {
    let mut p = IpPermission::builder().ip_protocol(&rule.protocol);
    if rule.protocol != "-1" {
        p = p.from_port(rule.from_port).to_port(rule.to_port);
    }
    if rule.cidr.contains(':') {
        let range = Ipv6Range::builder()
            .cidr_ipv6(&rule.cidr)
            .set_description(rule.description.clone());
        p.ipv6_ranges(range.build()).build()
    } else {
        let range = IpRange::builder()
            .cidr_ip(&rule.cidr)
            .set_description(rule.description.clone());
        p.ip_ranges(range.build()).build()
    }
}

impl RestorePort<GroupRestore> for Restorer {
    async fn read(&self, restore: &GroupRestore) -> Result<BTreeSet<RuleKey>, AwsError> {
        let filter = Filter::builder()
            .name("group-id")
            .values(&restore.group_id)
            .build();
        let pages = self
            .ec2
            .describe_security_group_rules()
            .filters(filter)
            .into_paginator()
            .items()
            .send();
        let rules = deadline::all("DescribeSecurityGroupRules", pages).await?;
        Ok(rules
            .iter()
            .filter(|r| !r.is_egress().unwrap_or(false))
            .filter_map(|r| {
                let cidr = r.cidr_ipv4().or(r.cidr_ipv6())?;
                Some((
                    r.ip_protocol().unwrap_or_default().to_owned(),
                    r.from_port().unwrap_or(-1),
                    r.to_port().unwrap_or(-1),
                    cidr.to_owned(),
                ))
            })
            .collect())
    }

    async fn write(&self, restore: &GroupRestore) -> Result<(), AwsError> {
        let authorize = self
            .ec2
            .authorize_security_group_ingress()
            .group_id(&restore.group_id)
            .set_ip_permissions(Some(restore.rules.iter().map(permission).collect()))
            .send();
        deadline::call("AuthorizeSecurityGroupIngress", authorize)
            .await
            .map(|_| ())
    }

    async fn exempt(&self, restore: &GroupRestore, tags: Exemption<'_>) -> Result<bool, AwsError> {
        let put = self
            .ec2
            .create_tags()
            .resources(&restore.group_id)
            .tags(Tag::builder().key(tags.key).value("true").build())
            .tags(
                Tag::builder()
                    .key(tags.reason_key)
                    .value(tags.reason)
                    .build(),
            )
            .send();
        deadline::call("CreateTags", put).await.map(|_| true)
    }
}
