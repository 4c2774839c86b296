//! Detaches the AWS managed AdministratorAccess policy from service roles.
//!
//! The sequence per role: resolve a role id to its name (AWS Config names
//! roles by id); read the role (path, trust policy, tags) and its attached
//! policies; plan; (the driver decides dry run;) detach AdministratorAccess
//! and nothing else; settle. Which events it answers is [`scope`], every
//! decision is [`plan`], the IAM calls are behind [`aws::RolePolicies`]; this
//! file only sequences them.
//!
//! # Layout
//! - `main.rs`: wiring (tracing, config, IAM and Config clients, runtime).
//! - [`scope`]: the events, rules and API calls it answers; [`scope::RoleRef`].
//! - [`plan`]: the pure decision (including the trust-policy reading) and
//!   settle step, and the audit payloads.
//! - [`aws`]: the port trait and its SDK adapter.

pub mod aws;
pub mod plan;
pub mod scope;

use std::ops::ControlFlow;

use remediation_shared::resource::Arn;
use remediation_shared::resource::RoleName;
use remediation_shared::{
    Config, Examined, OrSettle, Outcome, Proposal, Remediator, Report, TargetOf,
};
use remediation_shared::{Home, Survey};

use crate::aws::RolePolicies;
use crate::plan::{Protections, RoleFacts, Work};
use crate::scope::{RoleRef, RoleScope};

/// The IAM remediator over any [`RolePolicies`] port.
#[derive(Debug, Clone)]
pub struct DetachAdminPolicy<P> {
    port: P,
    protections: Protections,
}

impl<P> DetachAdminPolicy<P> {
    /// Builds the remediator over `port`, with the default protection list.
    pub fn new(port: P) -> Self {
        DetachAdminPolicy {
            port,
            protections: Protections::defaults(),
        }
    }

    /// The same remediator, protecting `protections` instead.
    pub fn protecting(self, protections: Protections) -> Self {
        DetachAdminPolicy {
            protections,
            ..self
        }
    }
}

/// As the Lambda function builds it: over the IAM client, protecting the
/// roles of `PROTECTED_ROLES` besides the built-in ones.
impl remediation_runtime::person::FromEnv for DetachAdminPolicy<aws::IamAdapter> {
    fn from_env(sdk: &remediation_runtime::SdkConfig) -> Result<Self, String> {
        let protections =
            Protections::from_setting(std::env::var("PROTECTED_ROLES").ok().as_deref())
                .map_err(|e| e.to_string())?;
        Ok(DetachAdminPolicy::new(aws::IamAdapter::from_sdk(sdk)).protecting(protections))
    }
}

impl<P: RolePolicies> Remediator for DetachAdminPolicy<P> {
    type Scope = RoleScope;
    type Work = Work;

    async fn examine(&self, target: &TargetOf<Self>, config: &Config) -> Examined<Work> {
        let name = match &target.resource {
            RoleRef::Name(n) => n.as_str().to_owned(),
            RoleRef::Id(id) => match self.port.role_name_for_id(id.as_str()).await {
                Ok(Some(n)) => n,
                Ok(None) => {
                    return ControlFlow::Break(Report::new(
                        Outcome::Skipped,
                        format!("no role with id {id} exists (deleted?)"),
                    ))
                }
                Err(e) => return ControlFlow::Break(Report::failed(&e)),
            },
        };
        let what = format!("the role {name}");
        let role = self.port.role(&name).await.or_settle(&what)?;
        let attached = match self.port.attached_policies(&name).await {
            Ok(a) => a,
            Err(e) => return ControlFlow::Break(Report::read_failed(&e, &what).resource(role.arn)),
        };
        // The role's own ARN is the authority on its partition.
        let partition = Arn::parse("Role.Arn", &role.arn)
            .map(|a| a.partition)
            .unwrap_or_else(|_| target.partition.clone());
        let facts = RoleFacts {
            name: name.clone(),
            path: role.path,
            trust_policy: role.trust_policy,
            attached,
            exempt: config.is_exempt(role.tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        };
        let plan = plan::plan(&facts, partition.as_str(), &self.protections);
        match plan::examined(plan, &name, &facts) {
            ControlFlow::Break(report) => ControlFlow::Break(
                report
                    .resource(role.arn)
                    .verdict_if_fixed(scope::CHECKS.verdict(&target.basis)),
            ),
            ControlFlow::Continue(proposal) => ControlFlow::Continue(proposal.resource(role.arn)),
        }
    }

    /// Every role of the account, with its attached policies, in one
    /// paginated read: a role is a suspect when AdministratorAccess is
    /// attached (whether it is a service role, protected or exempt is decided
    /// when it is examined, and recorded).
    async fn survey(&self, home: &Home) -> Survey<RoleRef> {
        let roles = match self.port.roles_with_policies().await {
            Ok(roles) => roles,
            Err(e) => return Survey::failed(e),
        };
        let partition = remediation_shared::resource::Partition::of_region(&home.region);
        let suspects = roles
            .iter()
            .filter(|(_, attached)| plan::holds_admin(attached, partition.as_str()))
            .filter_map(|(name, _)| RoleName::parse("GetAccountAuthorizationDetails", name).ok())
            .map(RoleRef::Name)
            .collect();
        Survey::complete(roles.len(), suspects)
    }

    async fn apply(&self, target: &TargetOf<Self>, proposal: Proposal<Work>) -> Report {
        let work = &proposal.work;
        let detach = self.port.detach(&work.role_name, &work.policy_arn).await;
        plan::settle(&proposal, detach).verdict_if_fixed(scope::CHECKS.verdict(&target.basis))
    }
}
