//! The port over IAM (and AWS Config, for role ids) that the function needs,
//! and its SDK adapter.
//!
//! The only file of this package that imports `aws_sdk_iam` and `aws_sdk_config`.
//! Normalises once: IAM's URL-encoded trust policy is decoded; `NoSuchEntity` is
//! not found on reads and "already detached" on detach. It must not decide
//! whether a role may be changed.

use std::future::Future;

use aws_sdk_config::types::ResourceType;
use remediation_runtime::{deadline, Classify};
use remediation_shared::{AwsError, AwsErrorKind, Permission};

/// The IAM permissions this adapter's calls need, one per SDK operation:
/// `ListDiscoveredResources` and `ListRoles` (a role id to its name; neither
/// supports resource-level permissions), `GetAccountAuthorizationDetails`
/// (a sweep), `GetRole`, `ListAttachedRolePolicies`,
/// and `DetachRolePolicy`, for AdministratorAccess only (`iam:PolicyARN`).
/// `template.yaml` grants exactly these (checked by `tests/tests/template/`).
pub const PERMISSIONS: &[Permission] = &[
    Permission::on("config:ListDiscoveredResources", "*"),
    // A sweep reads every role with its attached policies in one paginated
    // call; the action has no resource-level permissions.
    Permission::on("iam:GetAccountAuthorizationDetails", "*"),
    Permission::on("iam:ListRoles", "*"),
    Permission::on("iam:GetRole", ROLES),
    Permission::on("iam:ListAttachedRolePolicies", ROLES),
    Permission::on("iam:DetachRolePolicy", ROLES).when_equal(
        "iam:PolicyARN",
        "arn:${AWS::Partition}:iam::aws:policy/AdministratorAccess",
    ),
];

/// The account's roles.
const ROLES: &str = "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*";

/// What the function knows of a role after reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleInfo {
    /// The role's ARN.
    pub arn: String,
    /// The role's path.
    pub path: String,
    /// The trust policy, decoded to plain JSON.
    pub trust_policy: String,
    /// The role's tags.
    pub tags: Vec<(String, String)>,
}

pub use crate::plan::Detached;

/// What the function needs from IAM and AWS Config.
pub trait RolePolicies: Send + Sync {
    /// The name of the role with this unique id, `None` when no role has it.
    fn role_name_for_id(
        &self,
        role_id: &str,
    ) -> impl Future<Output = Result<Option<String>, AwsError>> + Send;
    /// The role; not found when it does not exist.
    fn role(&self, name: &str) -> impl Future<Output = Result<RoleInfo, AwsError>> + Send;
    /// ARNs of the managed policies attached to the role.
    fn attached_policies(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Vec<String>, AwsError>> + Send;
    /// Every role of the account with the ARNs of its attached managed
    /// policies, for a sweep.
    fn roles_with_policies(
        &self,
    ) -> impl Future<Output = Result<Vec<(String, Vec<String>)>, AwsError>> + Send;
    /// Detaches one managed policy.
    fn detach(
        &self,
        name: &str,
        policy_arn: &str,
    ) -> impl Future<Output = Result<Detached, AwsError>> + Send;
}

/// The IAM and Config adapter.
#[derive(Debug, Clone)]
pub struct IamAdapter {
    iam: aws_sdk_iam::Client,
    config: aws_sdk_config::Client,
}

impl IamAdapter {
    /// Wraps clients built once at start-up.
    pub fn new(iam: aws_sdk_iam::Client, config: aws_sdk_config::Client) -> Self {
        IamAdapter { iam, config }
    }

    /// The adapter over IAM and Config clients built from `sdk`.
    pub fn from_sdk(sdk: &remediation_runtime::sdk::SdkConfig) -> Self {
        IamAdapter::new(
            aws_sdk_iam::Client::new(sdk),
            aws_sdk_config::Client::new(sdk),
        )
    }

    async fn role_name_from_config(&self, role_id: &str) -> Result<Option<String>, AwsError> {
        let call = self
            .config
            .list_discovered_resources()
            .resource_type(ResourceType::Role)
            .resource_ids(role_id)
            .include_deleted_resources(false)
            .send();
        let out = deadline::call("ListDiscoveredResources", call).await?;
        Ok(out
            .resource_identifiers()
            .iter()
            .find(|r| r.resource_id() == Some(role_id))
            .and_then(|r| r.resource_name())
            .map(str::to_owned))
    }

    async fn role_name_from_list(&self, role_id: &str) -> Result<Option<String>, AwsError> {
        let mut pages = self
            .iam
            .list_roles()
            .max_items(1000)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| AwsError::from_sdk("ListRoles", &e))?;
            if let Some(role) = page.roles().iter().find(|r| r.role_id() == role_id) {
                return Ok(Some(role.role_name().to_owned()));
            }
        }
        Ok(None)
    }
}

/// Decodes a trust policy as IAM returns it (URL-encoded JSON); plain JSON is kept as is.
pub fn decode_policy(document: &str) -> String {
    if document.trim_start().starts_with('{') {
        return document.to_owned();
    }
    percent_encoding::percent_decode_str(document)
        .decode_utf8()
        .map(|s| s.into_owned())
        .unwrap_or_else(|_| document.to_owned())
}

/// A role (or policy attachment) that does not exist.
fn not_found_if_no_entity(err: AwsError) -> AwsError {
    err.not_found_if(&["NoSuchEntity"])
}

impl RolePolicies for IamAdapter {
    async fn role_name_for_id(&self, role_id: &str) -> Result<Option<String>, AwsError> {
        // Config knows the id-to-name mapping in one call; when it cannot answer
        // (not recording roles, not yet recorded, no permission), list the roles.
        match self.role_name_from_config(role_id).await {
            Ok(Some(name)) => return Ok(Some(name)),
            Ok(None) => tracing::info!(
                role_id,
                "AWS Config does not know this role id; listing roles"
            ),
            Err(e) if e.kind == AwsErrorKind::AccessDenied || e.kind == AwsErrorKind::Other => {
                tracing::warn!(role_id, error = %e, "AWS Config lookup failed; listing roles")
            }
            Err(e) => return Err(e),
        }
        self.role_name_from_list(role_id).await
    }

    async fn role(&self, name: &str) -> Result<RoleInfo, AwsError> {
        let call = self.iam.get_role().role_name(name).send();
        let out = deadline::call("GetRole", call)
            .await
            .map_err(not_found_if_no_entity)?;
        let role = out.role().ok_or_else(|| {
            AwsError::classify("GetRole", "NoSuchEntity", "GetRole returned no role", None)
                .into_not_found()
        })?;
        Ok(RoleInfo {
            arn: role.arn().to_owned(),
            path: role.path().to_owned(),
            trust_policy: decode_policy(role.assume_role_policy_document().unwrap_or_default()),
            tags: role
                .tags()
                .iter()
                .map(|t| (t.key().to_owned(), t.value().to_owned()))
                .collect(),
        })
    }

    async fn attached_policies(&self, name: &str) -> Result<Vec<String>, AwsError> {
        let request = self.iam.list_attached_role_policies().role_name(name);
        let policies = deadline::all(
            "ListAttachedRolePolicies",
            request.into_paginator().items().send(),
        )
        .await
        .map_err(not_found_if_no_entity)?;
        Ok(policies
            .iter()
            .filter_map(|p| p.policy_arn().map(str::to_owned))
            .collect())
    }

    async fn roles_with_policies(&self) -> Result<Vec<(String, Vec<String>)>, AwsError> {
        let details = self
            .iam
            .get_account_authorization_details()
            .filter(aws_sdk_iam::types::EntityType::Role)
            .into_paginator();
        let pages = deadline::all("GetAccountAuthorizationDetails", details.send()).await?;
        let role = |r: &aws_sdk_iam::types::RoleDetail| {
            let attached = r.attached_managed_policies().iter();
            let policies = attached
                .filter_map(|p| p.policy_arn().map(str::to_owned))
                .collect();
            (r.role_name().unwrap_or_default().to_owned(), policies)
        };
        Ok(pages
            .iter()
            .flat_map(|page| page.role_detail_list().iter().map(role))
            .collect())
    }

    async fn detach(&self, name: &str, policy_arn: &str) -> Result<Detached, AwsError> {
        let call = self
            .iam
            .detach_role_policy()
            .role_name(name)
            .policy_arn(policy_arn)
            .send();
        match deadline::call("DetachRolePolicy", call).await {
            Ok(_) => Ok(Detached::Detached),
            Err(err) => {
                if err.code == "NoSuchEntity" {
                    Ok(Detached::WasNotAttached)
                } else {
                    Err(err)
                }
            }
        }
    }
}
