//! Revokes the ingress rules of a security group that let the world reach TCP 22.
//!
//! The sequence per group: read its tags (and that it exists); read its rules;
//! plan; (the driver decides dry run;) revoke exactly the world-open SSH rules
//! by id in one call; if a rule vanished before the call, re-read and revoke
//! what is left, once; settle. Which events it answers is [`scope`], every
//! decision is [`plan`], the EC2 calls are behind [`aws::SecurityGroupRules`];
//! this file only sequences them.
//!
//! # Layout
//! - `main.rs`: wiring (tracing, config, EC2 client, runtime).
//! - [`scope`]: the events, rules and finding types it answers.
//! - [`plan`]: the pure decision and settle step, and the audit payloads.
//! - [`aws`]: the port trait and its SDK adapter.

pub mod aws;
pub mod plan;
pub mod scope;

use std::collections::BTreeMap;

use remediation_shared::resource::GroupId;
use remediation_shared::{Config, Examined, Proposal, Read, Remediator, Report, TargetOf};
use remediation_shared::{Home, Survey};

use crate::aws::SecurityGroupRules;
use crate::plan::{Revocation, Work};
use crate::scope::GroupScope;

/// The remediator over any [`SecurityGroupRules`] port: `RevokeOpenSsh(port)`.
pub struct RevokeOpenSsh<P>(pub P);

impl<P: SecurityGroupRules> Remediator for RevokeOpenSsh<P> {
    type Scope = GroupScope;
    type Work = Work;

    async fn examine(&self, target: &TargetOf<Self>, config: &Config) -> Examined<Work> {
        const WHAT: &str = "the security group";
        let group = target.resource.as_str();
        let tags = self.0.group_tags(group).await.or_settle(WHAT)?;
        let exempt = config.is_exempt(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let rules = self.0.rules(group).await.or_settle(WHAT)?;
        plan::examined(plan::plan(&rules, exempt), &rules)
    }

    /// Every rule of the region in one paginated read, by group: a group is
    /// a suspect when one of its ingress rules opens SSH to the world.
    /// (`examined` counts the groups that have at least one rule.)
    async fn survey(&self, _home: &Home) -> Survey<GroupId> {
        let rules = match self.0.region_rules().await {
            Ok(rules) => rules,
            Err(e) => return Survey::failed(e),
        };
        let mut groups: BTreeMap<String, Vec<plan::Rule>> = BTreeMap::new();
        for (group, rule) in rules {
            groups.entry(group).or_default().push(rule);
        }
        let suspects = groups
            .iter()
            .filter(|(_, rules)| !plan::world_open_ssh(rules).is_empty())
            .filter_map(|(group, _)| GroupId::parse("DescribeSecurityGroupRules", group).ok())
            .collect();
        Survey::complete(groups.len(), suspects)
    }

    async fn apply(&self, target: &TargetOf<Self>, proposal: Proposal<Work>) -> Report {
        let group = target.resource.as_str();
        let mut to_revoke = proposal.work.clone();
        let mut done = Revocation::default();
        for attempt in 0..2 {
            match self.0.revoke(group, &plan::ids(&to_revoke)).await {
                Ok(answer) => {
                    let (revoked, missed) = plan::confirmed(&to_revoke, answer.rule_ids.as_deref());
                    done.revoked.extend(revoked);
                    done.missed = missed;
                    break;
                }
                Err(e) if plan::reread_after(&e, attempt) => match self.0.rules(group).await {
                    Ok(rules) => {
                        let current = plan::world_open_ssh(&rules);
                        done.already_gone = plan::gone(&to_revoke, &current);
                        to_revoke = current;
                        if to_revoke.is_empty() {
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
        plan::settle(&proposal, done)
    }
}
