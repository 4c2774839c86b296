//! The undo's port over IAM: a role's attached managed policies read,
//! detached ones attached again, and the role tagged exempt. No function's
//! role may make these calls: only `remediation-undo`, run by a person,
//! does. It must not decide anything: [`crate::restore`] does.

use std::collections::BTreeSet;

use aws_sdk_iam::types::Tag;
use aws_sdk_iam::Client;
use remediation_runtime::deadline;
use remediation_runtime::restore::FromSdk;
use remediation_runtime::sdk::SdkConfig;
use remediation_runtime::Classify;
use remediation_shared::restore::{Exemption, RestorePort};
use remediation_shared::{AwsError, Permission};

/// What an undo of a role's fix calls (`remediation undo`, by a person):
/// read its attached policies, attach the detached one again, tag it exempt.
pub const UNDO_PERMISSIONS: &[Permission] = &[
    Permission::on("iam:ListAttachedRolePolicies", ROLES),
    Permission::on("iam:AttachRolePolicy", ROLES),
    Permission::on("iam:TagRole", ROLES),
];

/// The account's roles.
const ROLES: &str = "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*";

use crate::restore::RoleRestore;

/// The IAM calls of an undo.
#[derive(Debug, Clone)]
pub struct Restorer {
    iam: Client,
}

impl FromSdk for Restorer {
    fn from_sdk(sdk: &SdkConfig) -> Self {
        Restorer {
            iam: Client::new(sdk),
        }
    }
}

fn tag(key: &str, value: &str) -> Result<Tag, AwsError> {
    Tag::builder()
        .key(key)
        .value(value)
        .build()
        .map_err(|e| AwsError::classify("TagRole", "InvalidTag", &e.to_string(), None))
}

impl RestorePort<RoleRestore> for Restorer {
    async fn read(&self, restore: &RoleRestore) -> Result<BTreeSet<String>, AwsError> {
        let pages = self
            .iam
            .list_attached_role_policies()
            .role_name(&restore.role_name)
            .into_paginator()
            .items()
            .send();
        let attached = deadline::all("ListAttachedRolePolicies", pages).await?;
        Ok(attached
            .iter()
            .filter_map(|p| p.policy_arn().map(str::to_owned))
            .collect())
    }

    async fn write(&self, restore: &RoleRestore) -> Result<(), AwsError> {
        for arn in &restore.policy_arns {
            let attach = self
                .iam
                .attach_role_policy()
                .role_name(&restore.role_name)
                .policy_arn(arn)
                .send();
            deadline::call("AttachRolePolicy", attach).await?;
        }
        Ok(())
    }

    async fn exempt(&self, restore: &RoleRestore, tags: Exemption<'_>) -> Result<bool, AwsError> {
        let put = self
            .iam
            .tag_role()
            .role_name(&restore.role_name)
            .tags(tag(tags.key, "true")?)
            .tags(tag(tags.reason_key, tags.reason)?)
            .send();
        deadline::call("TagRole", put).await.map(|_| true)
    }
}
