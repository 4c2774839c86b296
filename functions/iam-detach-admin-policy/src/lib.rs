//! Detaches the AWS managed AdministratorAccess policy from service roles.
//!
//! Flow per role: resolve a role id to its name (AWS Config names roles by id);
//! read the role (path, trust policy, tags) and its attached policies; plan;
//! detach AdministratorAccess and nothing else. The decision lives in [`plan`],
//! the IAM calls behind [`aws::RolePolicies`]; this file only sequences them.
//!
//! # Layout
//! - `main.rs`: wiring (tracing, config, IAM and Config clients, runtime).
//! - [`plan`]: the pure decision, including the trust-policy reading.
//! - [`aws`]: the port trait and its SDK adapter.

pub mod aws;
pub mod plan;

use remediation_shared::resource::Arn;
use remediation_shared::{
    Change, Config, Outcome, Remediation, Remediator, Report, Resource, RoleRef, State, Target,
};

use crate::aws::{Detached, RolePolicies};
use crate::plan::{Plan, RoleFacts};

/// The IAM remediator over any [`RolePolicies`] port.
#[derive(Debug, Clone)]
pub struct DetachAdminPolicy<P> {
    port: P,
}

impl<P> DetachAdminPolicy<P> {
    /// Builds the remediator over `port`.
    pub fn new(port: P) -> Self {
        DetachAdminPolicy { port }
    }
}

impl<P: RolePolicies> Remediator for DetachAdminPolicy<P> {
    const REMEDIATION: Remediation = Remediation::IamDetachAdminPolicy;

    async fn remediate(&self, target: &Target, config: &Config) -> Report {
        let name = match &target.resource {
            Resource::Role(RoleRef::Name(n)) => n.as_str().to_owned(),
            Resource::Role(RoleRef::Id(id)) => {
                match self.port.role_name_for_id(id.as_str()).await {
                    Ok(Some(n)) => n,
                    Ok(None) => {
                        return Report::new(
                            Outcome::Skipped,
                            format!("no role with id {id} exists (deleted?)"),
                        )
                    }
                    Err(e) => return Report::failed(&e),
                }
            }
            _ => return Report::new(Outcome::Skipped, "not a role"),
        };
        let role = match self.port.role(&name).await {
            Ok(r) => r,
            Err(e) => return Report::read_failed(&e, &format!("the role {name}")),
        };
        let attached = match self.port.attached_policies(&name).await {
            Ok(a) => a,
            Err(e) => {
                return Report::read_failed(&e, &format!("the role {name}"))
                    .resource(role.arn.clone())
            }
        };
        // The role's own ARN is the authority on its partition.
        let partition = Arn::parse("Role.Arn", &role.arn)
            .map(|a| a.partition.as_str().to_owned())
            .unwrap_or_else(|_| target.partition.as_str().to_owned());
        let facts = RoleFacts {
            path: role.path.clone(),
            trust_policy: role.trust_policy.clone(),
            attached: attached.clone(),
            exempt: config.is_exempt(role.tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        };
        let state = |attached: Vec<String>| State::RolePolicies {
            path: role.path.clone(),
            attached_policy_arns: attached,
        };
        let before = state(attached.clone());
        let report = match plan::plan(&facts, &partition, config.dry_run) {
            Plan::AlreadyCompliant => Report::new(
                Outcome::AlreadyCompliant,
                "AdministratorAccess is not attached",
            )
            .before(before.clone())
            .after(before),
            Plan::Skip(reason) => Report::new(Outcome::Skipped, reason)
                .before(before.clone())
                .after(before),
            Plan::WouldDetach(arn) => {
                Report::new(Outcome::DryRun, format!("dry run: would detach {arn}"))
                    .before(before.clone())
                    .after(before)
                    .changes(vec![Change::DetachRolePolicy { policy_arn: arn }])
            }
            Plan::Detach(arn) => {
                let remaining: Vec<String> =
                    attached.iter().filter(|a| **a != arn).cloned().collect();
                match self.port.detach(&name, &arn).await {
                    Ok(Detached::Detached) => Report::new(
                        Outcome::Remediated,
                        format!("detached {arn} from service role {name}"),
                    )
                    .before(before)
                    .after(state(remaining))
                    .changes(vec![Change::DetachRolePolicy { policy_arn: arn }]),
                    Ok(Detached::WasNotAttached) => Report::new(
                        Outcome::AlreadyCompliant,
                        format!("{arn} was already detached"),
                    )
                    .before(before)
                    .after(state(remaining)),
                    Err(e) => Report::failed(&e).before(before),
                }
            }
        };
        report.resource(role.arn)
    }
}
