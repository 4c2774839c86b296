//! Revokes the ingress rules of a security group that open remote
//! administration (by default TCP 22 and TCP and UDP 3389) to the world.
//!
//! The sequence per group: resolve what the trigger checks and the ports it
//! acts on ([`scope::check`]); read the group's tags (and that it exists);
//! read its rules; plan; (the driver decides dry run;) revoke exactly the
//! world-open rules on those ports by id in one call; if a rule vanished
//! before the call, re-read and revoke what is left, once; settle; re-read
//! the group and verify the trigger's whole check. A sweep re-reads a batch of
//! suspects' tags and rules in two calls just before examining them, and
//! verifies on that read less the rules EC2 answers it revoked. Which events it answers
//! and what each checks is [`scope`], every decision is [`plan`], the EC2
//! calls are behind [`aws::SecurityGroupRules`]; this file only sequences them.
//!
//! # Layout
//! - `main.rs`: wiring (tracing, config, `ADMIN_PORTS`, EC2 client, runtime).
//! - [`scope`]: the events, rules and finding types it answers, and what each checks.
//! - [`plan`]: the pure decision, settle and verify steps, and the audit payloads.
//! - [`aws`]: the port trait and its SDK adapter.

pub mod aws;
pub mod plan;
pub mod scope;

use std::collections::{BTreeMap, HashMap};
use std::ops::ControlFlow;
use std::sync::Mutex;

use remediation_shared::resource::GroupId;
use remediation_shared::{
    Basis, Config, Examined, OrSettle, Outcome, Proposal, Remediator, Report, TargetOf,
};
use remediation_shared::{Home, Survey};

use crate::aws::SecurityGroupRules;
use crate::plan::{Revocation, Work};
use crate::scope::{AdminPorts, GroupScope};

/// A group's tags and rules as a sweep's batch read them, just before
/// examining it.
type Prefetched = (aws::Tags, Vec<plan::Rule>);

/// The remediator over any [`SecurityGroupRules`] port, closing the
/// configured remote administration ports.
pub struct RevokeOpenAdmin<P> {
    /// The EC2 calls.
    pub rules: P,
    /// The ports it closes (`ADMIN_PORTS`).
    pub admin: AdminPorts,
    /// What the sweep's last batch read, by group, taken once by `examine`.
    prefetched: Mutex<HashMap<String, Prefetched>>,
}

impl<P> RevokeOpenAdmin<P> {
    /// Over `rules`, closing the default ports (TCP 22, TCP and UDP 3389).
    pub fn new(rules: P) -> Self {
        RevokeOpenAdmin {
            rules,
            admin: AdminPorts::default(),
            prefetched: Mutex::default(),
        }
    }

    /// What the sweep's batch read of `group`, if it did (taken: read once).
    fn take_prefetched(&self, group: &str) -> Option<Prefetched> {
        self.prefetched.lock().ok()?.remove(group)
    }

    /// Closing `admin` instead.
    pub fn closing(self, admin: AdminPorts) -> Self {
        RevokeOpenAdmin { admin, ..self }
    }
}

/// As the Lambda function builds it: over the EC2 client, closing the
/// ports of `ADMIN_PORTS` (the default when unset).
impl remediation_runtime::person::FromEnv for RevokeOpenAdmin<aws::Ec2Adapter> {
    fn from_env(sdk: &remediation_runtime::SdkConfig) -> Result<Self, String> {
        let ports =
            std::env::var("ADMIN_PORTS").unwrap_or_else(|_| scope::DEFAULT_ADMIN_PORTS.to_owned());
        Ok(
            RevokeOpenAdmin::new(aws::Ec2Adapter::from_sdk(sdk))
                .closing(AdminPorts::parse(&ports)?),
        )
    }
}

impl<P: SecurityGroupRules> Remediator for RevokeOpenAdmin<P> {
    type Scope = GroupScope;
    type Work = Work;

    async fn examine(&self, target: &TargetOf<Self>, config: &Config) -> Examined<Work> {
        const WHAT: &str = "the security group";
        let check = scope::check(&target.basis, &self.admin);
        if check.act.is_empty() {
            return ControlFlow::Break(plan::nothing_to_act_on(&check, &self.admin.0));
        }
        let group = target.resource.as_str();
        let (tags, rules, batch) = match self.take_prefetched(group) {
            Some((tags, rules)) => (tags, rules, true),
            None => {
                let tags = self.rules.group_tags(group).await.or_settle(WHAT)?;
                (tags, self.rules.rules(group).await.or_settle(WHAT)?, false)
            }
        };
        let exempt = config.is_exempt(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let mut examined = plan::examined(plan::plan(&rules, &check, exempt), &rules, &check);
        if let ControlFlow::Continue(proposal) = &mut examined {
            proposal.work.batch_read = batch.then_some(rules);
        }
        examined
    }

    /// The batch's tags and rules in two paginated calls instead of two per
    /// group. A group either call leaves out (gone since the survey) is not
    /// kept, so `examine` reads it for itself and says what it finds.
    async fn prefetch(&self, suspects: &[GroupId]) {
        let ids: Vec<String> = suspects.iter().map(|g| g.as_str().to_owned()).collect();
        let Ok(tags) = self.rules.groups_tags(&ids).await else {
            return;
        };
        let Ok(rules) = self.rules.groups_rules(&ids).await else {
            return;
        };
        let mut read: HashMap<String, Prefetched> = tags
            .into_iter()
            .map(|(group, tags)| (group, (tags, Vec::new())))
            .collect();
        for (group, rule) in rules {
            if let Some((_, rules)) = read.get_mut(&group) {
                rules.push(rule);
            }
        }
        if let Ok(mut kept) = self.prefetched.lock() {
            *kept = read;
        }
    }

    /// Every rule of the region in one paginated read, by group: a group is
    /// a suspect when one of its ingress rules opens a configured port to
    /// the world. (`examined` counts the groups that have at least one rule.)
    async fn survey(&self, _home: &Home) -> Survey<GroupId> {
        let rules = match self.rules.region_rules().await {
            Ok(rules) => rules,
            Err(e) => return Survey::failed(e),
        };
        let mut groups: BTreeMap<String, Vec<plan::Rule>> = BTreeMap::new();
        for (group, rule) in rules {
            groups.entry(group).or_default().push(rule);
        }
        let check = scope::check(&Basis::Sweep, &self.admin);
        let suspects = groups
            .iter()
            .filter(|(_, rules)| !plan::to_revoke(rules, &check).is_empty())
            .filter_map(|(group, _)| GroupId::parse("DescribeSecurityGroupRules", group).ok())
            .collect();
        Survey::complete(groups.len(), suspects)
    }

    async fn apply(&self, target: &TargetOf<Self>, proposal: Proposal<Work>) -> Report {
        let group = target.resource.as_str();
        let check = &proposal.work.check;
        let mut to_revoke = proposal.work.rules.clone();
        let mut done = Revocation::default();
        // The rules as last re-read, when nothing was revoked since.
        let mut reread = None;
        // Whether EC2 answered that every rule asked for was revoked, at the first call.
        let mut answered_all = false;
        for attempt in 0..2 {
            match self.rules.revoke(group, &plan::ids(&to_revoke)).await {
                Ok(answer) => {
                    let (revoked, missed) = plan::confirmed(&to_revoke, answer.rule_ids.as_deref());
                    answered_all = missed.is_empty() && attempt == 0;
                    done.revoked.extend(revoked);
                    done.missed = missed;
                    break;
                }
                Err(e) if plan::reread_after(&e, attempt) => match self.rules.rules(group).await {
                    Ok(rules) => {
                        let current = plan::to_revoke(&rules, check);
                        done.already_gone = plan::gone(&to_revoke, &current);
                        to_revoke = current;
                        if to_revoke.is_empty() {
                            reread = Some(rules);
                            break;
                        }
                    }
                    Err(e) => {
                        done.reread_error = Some(e);
                        break;
                    }
                },
                Err(e) => {
                    done.error = Some(e);
                    break;
                }
            }
        }
        let revoked = done.revoked.clone();
        let report = plan::settle(&proposal, done);
        if !matches!(
            report.outcome,
            Outcome::Remediated | Outcome::AlreadyCompliant
        ) {
            return report;
        }
        // The live state after the fix is what a finding is resolved on: read
        // again, unless it was just read and nothing was revoked since, or a
        // sweep's batch read it just before and EC2 named each rule it revoked.
        let after = match (reread, &proposal.work.batch_read) {
            (Some(rules), _) => Ok(rules),
            (None, Some(read)) if answered_all => {
                let after = plan::after_revoking(read, &revoked);
                let report = plan::verified(report, check, Ok(&after));
                return report.reason_suffixed(plan::VERIFIED_ON_BATCH);
            }
            (None, _) => self.rules.rules(group).await,
        };
        plan::verified(report, check, after.as_deref())
    }
}
