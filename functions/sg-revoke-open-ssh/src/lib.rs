//! Revokes the ingress rules of a security group that let the world reach TCP 22.
//!
//! Flow per group: read its tags (and that it exists); read its rules; plan;
//! revoke exactly the world-open SSH rules by id in one call. A rule that
//! disappears before the call is already fixed: re-read and revoke what is
//! left, once. The decision lives in [`plan`], the EC2 calls behind
//! [`aws::SecurityGroupRules`]; this file only sequences them and reports.
//!
//! # Layout
//! - `main.rs`: wiring (tracing, config, EC2 client, runtime).
//! - [`plan`]: the pure decision.
//! - [`aws`]: the port trait and its SDK adapter.

pub mod aws;
pub mod plan;

use remediation_shared::{
    AwsErrorKind, Change, Config, Outcome, Remediation, Remediator, Report, Resource, State, Target,
};

use crate::aws::SecurityGroupRules;
use crate::plan::{Plan, Rule};

/// The security-group remediator over any [`SecurityGroupRules`] port.
#[derive(Debug, Clone)]
pub struct RevokeOpenSsh<P> {
    port: P,
}

impl<P> RevokeOpenSsh<P> {
    /// Builds the remediator over `port`.
    pub fn new(port: P) -> Self {
        RevokeOpenSsh { port }
    }
}

fn ingress_state(rules: &[Rule]) -> State {
    State::SecurityGroupIngress {
        world_open_ssh_rules: rules.iter().map(Rule::record).collect(),
    }
}

fn revocations(rules: &[Rule]) -> Vec<Change> {
    rules
        .iter()
        .map(|r| Change::RevokeIngressRule(r.record()))
        .collect()
}

fn ids(rules: &[Rule]) -> Vec<String> {
    rules.iter().map(|r| r.rule_id.clone()).collect()
}

impl<P: SecurityGroupRules> Remediator for RevokeOpenSsh<P> {
    const REMEDIATION: Remediation = Remediation::SgRevokeOpenSsh;

    async fn remediate(&self, target: &Target, config: &Config) -> Report {
        let Resource::SecurityGroup(group) = &target.resource else {
            return Report::new(Outcome::Skipped, "not a security group");
        };
        let group = group.as_str();
        let tags = match self.port.group_tags(group).await {
            Ok(t) => t,
            Err(e) => return Report::read_failed(&e, "the security group"),
        };
        let exempt = config.is_exempt(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let rules = match self.port.rules(group).await {
            Ok(r) => r,
            Err(e) => return Report::read_failed(&e, "the security group"),
        };
        let open = plan::world_open_ssh(&rules);
        let before = ingress_state(&open);
        let planned = match plan::plan(&rules, exempt, config.dry_run) {
            Plan::AlreadyCompliant => {
                return Report::new(
                    Outcome::AlreadyCompliant,
                    "no ingress rule opens TCP 22 to 0.0.0.0/0 or ::/0",
                )
                .before(before.clone())
                .after(before)
            }
            Plan::Skip(reason) => {
                return Report::new(Outcome::Skipped, reason)
                    .before(before.clone())
                    .after(before)
            }
            Plan::WouldRevoke(rules) => {
                return Report::new(
                    Outcome::DryRun,
                    format!(
                        "dry run: would revoke {} rule(s): {}",
                        rules.len(),
                        ids(&rules).join(", ")
                    ),
                )
                .before(before.clone())
                .after(before)
                .changes(revocations(&rules))
            }
            Plan::Revoke(rules) => rules,
        };

        let mut to_revoke = planned.clone();
        let mut revoked: Vec<Rule> = Vec::new();
        let mut already_gone: Vec<Rule> = Vec::new();
        // Two attempts: the second only after a rule vanished under us.
        for attempt in 0..2 {
            match self.port.revoke(group, &ids(&to_revoke)).await {
                Ok(result) => {
                    let confirmed: Vec<Rule> = match &result.rule_ids {
                        Some(listed) => to_revoke
                            .iter()
                            .filter(|r| listed.contains(&r.rule_id))
                            .cloned()
                            .collect(),
                        None => to_revoke.clone(),
                    };
                    let missed: Vec<Rule> = to_revoke
                        .iter()
                        .filter(|r| !confirmed.contains(r))
                        .cloned()
                        .collect();
                    revoked.extend(confirmed);
                    if !missed.is_empty() {
                        let mut r = Report::new(
                            Outcome::Failed,
                            format!(
                                "partial: revoked {} of {} rule(s); still open: {}",
                                revoked.len(),
                                planned.len(),
                                ids(&missed).join(", ")
                            ),
                        )
                        .before(before)
                        .after(ingress_state(&missed))
                        .changes(revocations(&revoked));
                        r.error_code = Some("PartialRevoke".into());
                        r.error_type = Some("Remediation.Partial");
                        return r;
                    }
                    break;
                }
                Err(e) if e.kind == AwsErrorKind::NotFound && attempt == 0 => {
                    // Some rule is already gone: re-read and revoke what is still open.
                    let current = match self.port.rules(group).await {
                        Ok(r) => plan::world_open_ssh(&r),
                        Err(e) => {
                            return Report::read_failed(&e, "the security group").before(before)
                        }
                    };
                    already_gone = to_revoke
                        .iter()
                        .filter(|r| !current.contains(r))
                        .cloned()
                        .collect();
                    to_revoke = current;
                    if to_revoke.is_empty() {
                        break;
                    }
                }
                Err(e) => {
                    let remaining: Vec<Rule> = planned
                        .iter()
                        .filter(|r| !revoked.contains(r) && !already_gone.contains(r))
                        .cloned()
                        .collect();
                    return Report::failed(&e)
                        .before(before)
                        .after(ingress_state(&remaining))
                        .changes(revocations(&revoked));
                }
            }
        }
        let after = ingress_state(&[]);
        if revoked.is_empty() {
            return Report::new(
                Outcome::AlreadyCompliant,
                format!(
                    "the world-open SSH rule(s) {} were already gone",
                    ids(&already_gone).join(", ")
                ),
            )
            .before(before)
            .after(after);
        }
        let mut reason = format!(
            "revoked {} world-open SSH rule(s): {}",
            revoked.len(),
            ids(&revoked).join(", ")
        );
        if !already_gone.is_empty() {
            reason.push_str(&format!(
                "; already gone: {}",
                ids(&already_gone).join(", ")
            ));
        }
        Report::new(Outcome::Remediated, reason)
            .before(before)
            .after(after)
            .changes(revocations(&revoked))
    }
}
