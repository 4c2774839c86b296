//! The security-group decision: which ingress rules let the world reach TCP 22,
//! what to do about them, and how the revoke calls ended. Also the payloads
//! this function writes into audit records.
//!
//! Pure and synchronous: no AWS calls, no SDK types, no environment. A rule is
//! world-open SSH when it is ingress, its protocol is tcp (or 6) or -1 (all),
//! its port range contains 22 (or it covers all ports), and its source is a
//! CIDR with prefix length 0 (0.0.0.0/0 or ::/0). Nothing else is ever revoked.

use std::net::IpAddr;

use remediation_shared::{AwsError, AwsErrorKind, Decision, Examined, Outcome, Proposal, Report};
use serde::Serialize;

/// An ingress rule as audit records describe it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleRecord {
    /// The rule id (`sgr-...`).
    pub rule_id: String,
    /// `tcp`, `-1`, ...
    pub protocol: String,
    /// First port (-1: all).
    pub from_port: i32,
    /// Last port (-1: all).
    pub to_port: i32,
    /// The source CIDR (IPv4 or IPv6).
    pub cidr: String,
    /// What else revoking the rule closes, besides TCP 22 (`tcp 0-21`,
    /// `tcp 23-65535`, `all traffic`): a rule broader than SSH is revoked
    /// whole, because narrowing it would need the power to open ports; the
    /// owner re-opens what they need.
    pub also_closes: Vec<String>,
    /// The rule's description, when it has one: what an undo puts back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A group's state in audit records (`before`, `after`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum State {
    /// Its ingress rules that open TCP 22 to the world.
    SecurityGroupIngress {
        /// Those rules; empty when compliant.
        world_open_ssh_rules: Vec<RuleRecord>,
    },
}

impl State {
    /// The state of a group whose world-open SSH rules are `rules`.
    pub fn of(rules: &[Rule]) -> Self {
        State::SecurityGroupIngress {
            world_open_ssh_rules: rules.iter().map(Rule::record).collect(),
        }
    }
}

/// A change to a group in audit records (`changes`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    /// One ingress rule revoked by id.
    RevokeIngressRule(RuleRecord),
}

fn revocations(rules: &[Rule]) -> Vec<Change> {
    rules
        .iter()
        .map(|r| Change::RevokeIngressRule(r.record()))
        .collect()
}

/// The ids of `rules`.
pub fn ids(rules: &[Rule]) -> Vec<String> {
    rules.iter().map(|r| r.rule_id.clone()).collect()
}

/// Where a rule lets traffic in from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// An IPv4 or IPv6 CIDR.
    Cidr(String),
    /// Another security group.
    Group(String),
    /// A managed prefix list.
    PrefixList(String),
    /// None of the above (should not happen).
    Unknown,
}

/// One rule of a group, as `DescribeSecurityGroupRules` lists it (one source per rule).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// `sgr-...`.
    pub rule_id: String,
    /// Egress rules are never touched.
    pub is_egress: bool,
    /// `tcp`, `udp`, `icmp`, `-1`, or a protocol number.
    pub protocol: String,
    /// First port; `None` or -1 means all.
    pub from_port: Option<i32>,
    /// Last port; `None` or -1 means all.
    pub to_port: Option<i32>,
    /// The source.
    pub source: Source,
    /// The rule's description, if any.
    pub description: Option<String>,
}

impl Rule {
    /// The rule as audit records describe it.
    pub fn record(&self) -> RuleRecord {
        RuleRecord {
            rule_id: self.rule_id.clone(),
            protocol: self.protocol.clone(),
            from_port: self.from_port.unwrap_or(-1),
            to_port: self.to_port.unwrap_or(-1),
            cidr: match &self.source {
                Source::Cidr(c) => c.clone(),
                Source::Group(g) => g.clone(),
                Source::PrefixList(p) => p.clone(),
                Source::Unknown => String::new(),
            },
            also_closes: also_closes(self),
            description: self.description.clone(),
        }
    }
}

/// What revoking `rule` closes besides TCP 22, for a rule that opens it.
pub fn also_closes(rule: &Rule) -> Vec<String> {
    let protocol = rule.protocol.trim();
    if protocol == "-1" || protocol.eq_ignore_ascii_case("all") {
        return vec!["all traffic".into()];
    }
    let (from, to) = match (rule.from_port, rule.to_port) {
        (Some(from), Some(to)) if from >= 0 && to >= 0 => (from, to),
        _ => (0, 65535),
    };
    let range = |a: i32, b: i32| {
        if a == b {
            format!("tcp {a}")
        } else {
            format!("tcp {a}-{b}")
        }
    };
    let mut closes = Vec::new();
    if from < SSH_PORT {
        closes.push(range(from, SSH_PORT - 1));
    }
    if to > SSH_PORT {
        closes.push(range(SSH_PORT + 1, to));
    }
    closes
}

/// "sgr-1: tcp 0-21, tcp 23-65535; sgr-2: all traffic" for the rules of
/// `rules` broader than SSH; empty when none is.
fn broader(rules: &[Rule]) -> String {
    rules
        .iter()
        .filter_map(|r| {
            let closes = also_closes(r);
            (!closes.is_empty()).then(|| format!("{}: {}", r.rule_id, closes.join(", ")))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The SSH port.
pub const SSH_PORT: i32 = 22;

/// Whether `cidr` is the whole IPv4 or IPv6 internet (prefix length 0).
pub fn is_world(cidr: &str) -> bool {
    match cidr.trim().split_once('/') {
        Some((addr, len)) => len == "0" && addr.parse::<IpAddr>().is_ok(),
        None => false,
    }
}

/// Whether the protocol carries TCP traffic.
fn carries_tcp(protocol: &str) -> bool {
    let p = protocol.trim();
    p.eq_ignore_ascii_case("tcp") || p == "6" || p == "-1" || p.eq_ignore_ascii_case("all")
}

/// Whether the rule's ports include 22.
fn covers_ssh(rule: &Rule) -> bool {
    let all_protocols =
        rule.protocol.trim() == "-1" || rule.protocol.trim().eq_ignore_ascii_case("all");
    match (rule.from_port, rule.to_port) {
        _ if all_protocols => true,
        (None | Some(-1), _) | (_, None | Some(-1)) => true,
        (Some(from), Some(to)) => from <= SSH_PORT && SSH_PORT <= to,
    }
}

/// Whether the rule lets the world reach TCP 22.
pub fn is_world_open_ssh(rule: &Rule) -> bool {
    !rule.is_egress
        && carries_tcp(&rule.protocol)
        && covers_ssh(rule)
        && matches!(&rule.source, Source::Cidr(c) if is_world(c))
}

/// The rules of `rules` that let the world reach TCP 22.
pub fn world_open_ssh(rules: &[Rule]) -> Vec<Rule> {
    rules
        .iter()
        .filter(|r| is_world_open_ssh(r))
        .cloned()
        .collect()
}

/// What to do with one group: the change is revoking exactly these rules, by id.
pub type Plan = Decision<Vec<Rule>>;

/// Decides from the group's live rules.
pub fn plan(rules: &[Rule], exempt: bool) -> Plan {
    Plan::to_fix(world_open_ssh(rules), exempt, "security group")
}

/// The rules to revoke, as the apply step needs them.
pub type Work = Vec<Rule>;

/// The plan as the driver takes it, for a group whose rules were `rules`.
pub fn examined(plan: Plan, rules: &[Rule]) -> Examined<Work> {
    let before = State::of(&world_open_ssh(rules));
    plan.examined(
        "no ingress rule opens TCP 22 to 0.0.0.0/0 or ::/0",
        &before,
        |rules| {
            let mut summary = format!("revoke {} rule(s): {}", rules.len(), ids(&rules).join(", "));
            let also = broader(&rules);
            if !also.is_empty() {
                summary.push_str(&format!("; that also closes {also}"));
            }
            Proposal::new(&before, &revocations(&rules), summary, rules)
        },
    )
}

/// The rules of `asked` that a revoke answer confirms, and those it does not:
/// `listed` is the ids the answer names (`None`: the answer names none, which
/// EC2 does when every rule asked for was revoked).
pub fn confirmed(asked: &[Rule], listed: Option<&[String]>) -> (Vec<Rule>, Vec<Rule>) {
    asked
        .iter()
        .cloned()
        .partition(|r| listed.is_none_or(|l| l.contains(&r.rule_id)))
}

/// Whether a failed revoke calls for re-reading the group and revoking what
/// is left: once, when a rule vanished under us (someone else revoked it).
pub fn reread_after(err: &AwsError, attempt: u32) -> bool {
    err.kind == AwsErrorKind::NotFound && attempt == 0
}

/// The rules of `asked` no longer among the world-open `current` ones.
pub fn gone(asked: &[Rule], current: &[Rule]) -> Vec<Rule> {
    asked
        .iter()
        .filter(|r| !current.contains(r))
        .cloned()
        .collect()
}

/// What the revoke calls did, as the sequence saw them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Revocation {
    /// Rules EC2 confirmed revoked.
    pub revoked: Vec<Rule>,
    /// Rules that were gone before we revoked them.
    pub already_gone: Vec<Rule>,
    /// Rules asked for that the answer did not confirm.
    pub missed: Vec<Rule>,
    /// The revoke call that failed, if one did.
    pub error: Option<AwsError>,
    /// The re-read after a vanished rule, if it failed.
    pub reread_error: Option<AwsError>,
}

/// How the revokes of `proposal` ended.
pub fn settle(proposal: &Proposal<Work>, done: Revocation) -> Report {
    let planned = &proposal.work;
    if let Some(e) = &done.reread_error {
        return Report::read_failed(e, "the security group").before_json(proposal.before.clone());
    }
    if let Some(e) = &done.error {
        let remaining: Vec<Rule> = planned
            .iter()
            .filter(|r| !done.revoked.contains(r) && !done.already_gone.contains(r))
            .cloned()
            .collect();
        return Report::failed(e)
            .before_json(proposal.before.clone())
            .after(&State::of(&remaining))
            .changes(&revocations(&done.revoked));
    }
    if !done.missed.is_empty() {
        return Report::failure(
            "PartialRevoke",
            "Remediation.Partial",
            format!(
                "partial: revoked {} of {} rule(s); still open: {}",
                done.revoked.len(),
                planned.len(),
                ids(&done.missed).join(", ")
            ),
        )
        .before_json(proposal.before.clone())
        .after(&State::of(&done.missed))
        .changes(&revocations(&done.revoked));
    }
    let after = State::of(&[]);
    if done.revoked.is_empty() {
        return proposal
            .report(
                Outcome::AlreadyCompliant,
                format!(
                    "the world-open SSH rule(s) {} were already gone",
                    ids(&done.already_gone).join(", ")
                ),
            )
            .after(&after);
    }
    let mut reason = format!(
        "revoked {} world-open SSH rule(s): {}",
        done.revoked.len(),
        ids(&done.revoked).join(", ")
    );
    if !done.already_gone.is_empty() {
        reason.push_str(&format!(
            "; already gone: {}",
            ids(&done.already_gone).join(", ")
        ));
    }
    let also = broader(&done.revoked);
    if !also.is_empty() {
        reason.push_str(&format!("; also closed {also}"));
    }
    proposal
        .report(Outcome::Remediated, reason)
        .after(&after)
        .changes(&revocations(&done.revoked))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ops::ControlFlow;

    fn rule(id: &str, protocol: &str, from: i32, to: i32, source: Source) -> Rule {
        Rule {
            rule_id: id.into(),
            is_egress: false,
            protocol: protocol.into(),
            from_port: Some(from),
            to_port: Some(to),
            source,
            description: None,
        }
    }
    fn cidr(c: &str) -> Source {
        Source::Cidr(c.into())
    }

    #[test]
    fn world_open_ssh_rules() {
        let egress = Rule {
            is_egress: true,
            ..rule("e", "-1", -1, -1, cidr("0.0.0.0/0"))
        };
        let no_ports = Rule {
            from_port: None,
            to_port: None,
            ..rule("n", "tcp", 0, 0, cidr("0.0.0.0/0"))
        };
        let cases: &[(&str, Rule, bool)] = &[
            (
                "ipv4_any_on_22_is_world_open",
                rule("a", "tcp", 22, 22, cidr("0.0.0.0/0")),
                true,
            ),
            (
                "ipv6_any_on_22_is_world_open",
                rule("a", "tcp", 22, 22, cidr("::/0")),
                true,
            ),
            (
                "all_ports_0_to_65535_contain_ssh",
                rule("a", "tcp", 0, 65535, cidr("0.0.0.0/0")),
                true,
            ),
            (
                "range_20_to_25_contains_ssh",
                rule("a", "tcp", 20, 25, cidr("::/0")),
                true,
            ),
            (
                "range_23_to_25_does_not_contain_ssh",
                rule("a", "tcp", 23, 25, cidr("0.0.0.0/0")),
                false,
            ),
            (
                "range_1_to_21_does_not_contain_ssh",
                rule("a", "tcp", 1, 21, cidr("0.0.0.0/0")),
                false,
            ),
            (
                "protocol_minus_1_opens_every_port",
                rule("a", "-1", -1, -1, cidr("0.0.0.0/0")),
                true,
            ),
            (
                "protocol_minus_1_on_ipv6_opens_every_port",
                rule("a", "-1", -1, -1, cidr("::/0")),
                true,
            ),
            (
                "protocol_number_6_is_tcp",
                rule("a", "6", 22, 22, cidr("0.0.0.0/0")),
                true,
            ),
            (
                "udp_22_is_not_ssh",
                rule("a", "udp", 22, 22, cidr("0.0.0.0/0")),
                false,
            ),
            (
                "icmp_is_not_ssh",
                rule("a", "icmp", -1, -1, cidr("0.0.0.0/0")),
                false,
            ),
            (
                "protocol_17_is_udp_not_ssh",
                rule("a", "17", 0, 65535, cidr("0.0.0.0/0")),
                false,
            ),
            (
                "private_cidr_on_22_is_kept",
                rule("a", "tcp", 22, 22, cidr("10.0.0.0/8")),
                false,
            ),
            (
                "half_the_ipv4_internet_is_not_the_world",
                rule("a", "tcp", 22, 22, cidr("0.0.0.0/1")),
                false,
            ),
            (
                "half_the_ipv6_internet_is_not_the_world",
                rule("a", "tcp", 22, 22, cidr("::/1")),
                false,
            ),
            (
                "single_host_is_kept",
                rule("a", "tcp", 22, 22, cidr("203.0.113.7/32")),
                false,
            ),
            (
                "world_on_443_is_kept",
                rule("a", "tcp", 443, 443, cidr("0.0.0.0/0")),
                false,
            ),
            (
                "group_reference_is_kept",
                rule("a", "tcp", 22, 22, Source::Group("sg-12345678".into())),
                false,
            ),
            (
                "prefix_list_is_kept",
                rule("a", "tcp", 22, 22, Source::PrefixList("pl-12345678".into())),
                false,
            ),
            (
                "group_reference_on_all_traffic_is_kept",
                rule("a", "-1", -1, -1, Source::Group("sg-12345678".into())),
                false,
            ),
            ("egress_to_the_world_is_kept", egress, false),
            ("tcp_without_ports_counts_as_all_ports", no_ports, true),
            (
                "uppercase_tcp_is_tcp",
                rule("a", "TCP", 22, 22, cidr("0.0.0.0/0")),
                true,
            ),
            (
                "garbage_cidr_is_not_the_world",
                rule("a", "tcp", 22, 22, cidr("nonsense/0")),
                false,
            ),
        ];
        for (name, r, expected) in cases {
            assert_eq!(is_world_open_ssh(r), *expected, "{name}");
        }
    }

    #[test]
    fn several_cidrs_of_one_permission_are_judged_one_by_one() {
        // DescribeSecurityGroupRules lists each CIDR of a permission as its own rule.
        let rules = vec![
            rule("sgr-world4", "tcp", 22, 22, cidr("0.0.0.0/0")),
            rule("sgr-private", "tcp", 22, 22, cidr("10.0.0.0/8")),
            rule("sgr-world6", "tcp", 22, 22, cidr("::/0")),
            rule("sgr-https", "tcp", 443, 443, cidr("0.0.0.0/0")),
        ];
        let ids: Vec<_> = world_open_ssh(&rules)
            .into_iter()
            .map(|r| r.rule_id)
            .collect();
        assert_eq!(ids, ["sgr-world4", "sgr-world6"]);
    }

    #[test]
    fn plans() {
        let open = rule("sgr-1", "tcp", 22, 22, cidr("0.0.0.0/0"));
        let kept = rule("sgr-2", "tcp", 22, 22, cidr("10.0.0.0/8"));
        let both = vec![open.clone(), kept.clone()];
        let cases: Vec<(&str, Vec<Rule>, bool, Plan)> = vec![
            (
                "no_open_rule_is_compliant",
                vec![kept.clone()],
                false,
                Plan::AlreadyCompliant,
            ),
            (
                "empty_group_is_compliant",
                vec![],
                false,
                Plan::AlreadyCompliant,
            ),
            (
                "open_rule_is_revoked_and_the_rest_kept",
                both.clone(),
                false,
                Plan::Change(vec![open.clone()]),
            ),
            (
                "exempt_group_is_skipped",
                both.clone(),
                true,
                Plan::Withheld("security group carries the exemption tag".into()),
            ),
            (
                "exempt_and_compliant_is_compliant",
                vec![kept],
                true,
                Plan::AlreadyCompliant,
            ),
        ];
        for (name, rules, exempt, expected) in cases {
            assert_eq!(plan(&rules, exempt), expected, "{name}");
        }
    }

    #[test]
    fn a_dry_run_lists_the_rules_it_would_revoke() {
        let rules = vec![
            rule("sgr-1", "tcp", 22, 22, cidr("0.0.0.0/0")),
            rule("sgr-2", "tcp", 22, 22, cidr("10.0.0.0/8")),
        ];
        let ControlFlow::Continue(p) = examined(plan(&rules, false), &rules) else {
            panic!("a change was expected")
        };
        let r = p.dry_run();
        assert_eq!(r.reason, "dry run: would revoke 1 rule(s): sgr-1");
        assert_eq!(r.changes.len(), 1);
        assert_eq!(r.changes[0]["rule_id"], "sgr-1");
        assert_eq!(r.before, r.after);
    }

    /// The rule ids a revoke answer lists, if any.
    type Listed = Option<Vec<String>>;

    #[test]
    fn revoke_answers_confirm_what_they_list() {
        let a = rule("sgr-a", "tcp", 22, 22, cidr("0.0.0.0/0"));
        let b = rule("sgr-b", "tcp", 22, 22, cidr("::/0"));
        let asked = vec![a.clone(), b.clone()];
        let cases: Vec<(&str, Listed, Vec<Rule>, Vec<Rule>)> = vec![
            (
                "an_answer_naming_no_rule_confirms_all",
                None,
                asked.clone(),
                vec![],
            ),
            (
                "an_answer_naming_both_confirms_both",
                Some(vec!["sgr-a".into(), "sgr-b".into()]),
                asked.clone(),
                vec![],
            ),
            (
                "an_answer_naming_one_misses_the_other",
                Some(vec!["sgr-b".into()]),
                vec![b.clone()],
                vec![a.clone()],
            ),
        ];
        for (name, listed, yes, no) in cases {
            assert_eq!(confirmed(&asked, listed.as_deref()), (yes, no), "{name}");
        }
    }

    #[test]
    fn only_the_first_not_found_calls_for_a_reread() {
        let gone = AwsError::new(
            "Revoke",
            "InvalidSecurityGroupRuleId.NotFound",
            "m",
            Some(400),
        )
        .into_not_found();
        let denied = AwsError::new("Revoke", "UnauthorizedOperation", "m", Some(403));
        assert!(reread_after(&gone, 0));
        assert!(!reread_after(&gone, 1));
        assert!(!reread_after(&denied, 0));
    }

    #[test]
    fn settling() {
        let a = rule("sgr-a", "tcp", 22, 22, cidr("0.0.0.0/0"));
        let b = rule("sgr-b", "tcp", 22, 22, cidr("::/0"));
        let both = vec![a.clone(), b.clone()];
        let ControlFlow::Continue(p) = examined(plan(&both, false), &both) else {
            panic!("a change was expected")
        };
        let throttled = AwsError::new(
            "RevokeSecurityGroupIngress",
            "RequestLimitExceeded",
            "m",
            Some(503),
        );
        let cases: Vec<(&str, Revocation, Outcome, &str, usize)> = vec![
            (
                "both_revoked_is_remediated",
                Revocation {
                    revoked: both.clone(),
                    ..Revocation::default()
                },
                Outcome::Remediated,
                "revoked 2 world-open SSH rule(s): sgr-a, sgr-b",
                2,
            ),
            (
                "one_revoked_one_gone_is_remediated_and_says_so",
                Revocation {
                    revoked: vec![b.clone()],
                    already_gone: vec![a.clone()],
                    ..Revocation::default()
                },
                Outcome::Remediated,
                "revoked 1 world-open SSH rule(s): sgr-b; already gone: sgr-a",
                1,
            ),
            (
                "all_gone_is_already_compliant",
                Revocation {
                    already_gone: both.clone(),
                    ..Revocation::default()
                },
                Outcome::AlreadyCompliant,
                "the world-open SSH rule(s) sgr-a, sgr-b were already gone",
                0,
            ),
            (
                "an_unconfirmed_rule_is_a_partial_failure",
                Revocation {
                    revoked: vec![b.clone()],
                    missed: vec![a.clone()],
                    ..Revocation::default()
                },
                Outcome::Failed,
                "partial: revoked 1 of 2 rule(s); still open: sgr-a",
                1,
            ),
            (
                "a_failed_revoke_fails",
                Revocation {
                    error: Some(throttled.clone()),
                    ..Revocation::default()
                },
                Outcome::Failed,
                "throttled after retries",
                0,
            ),
            (
                "a_failed_reread_fails",
                Revocation {
                    reread_error: Some(throttled),
                    ..Revocation::default()
                },
                Outcome::Failed,
                "throttled after retries",
                0,
            ),
        ];
        for (name, done, outcome, reason, changes) in cases {
            let r = settle(&p, done);
            assert_eq!(r.outcome, outcome, "{name}");
            assert!(r.reason.contains(reason), "{name}: {}", r.reason);
            assert_eq!(r.changes.len(), changes, "{name}");
            assert_eq!(r.before, Some(p.before.clone()), "{name}");
        }
    }

    #[test]
    fn a_rule_broader_than_ssh_says_what_else_it_closes() {
        let cases: &[(&str, Rule, &[&str])] = &[
            (
                "ssh_alone_closes_nothing_else",
                rule("a", "tcp", 22, 22, cidr("0.0.0.0/0")),
                &[],
            ),
            (
                "all_traffic_is_all_traffic",
                rule("a", "-1", -1, -1, cidr("::/0")),
                &["all traffic"],
            ),
            (
                "every_tcp_port_is_the_ports_around_22",
                rule("a", "tcp", 0, 65535, cidr("0.0.0.0/0")),
                &["tcp 0-21", "tcp 23-65535"],
            ),
            (
                "tcp_without_ports_is_every_port",
                Rule {
                    from_port: None,
                    to_port: None,
                    ..rule("a", "tcp", 0, 0, cidr("0.0.0.0/0"))
                },
                &["tcp 0-21", "tcp 23-65535"],
            ),
            (
                "a_range_from_20_to_25",
                rule("a", "tcp", 20, 25, cidr("0.0.0.0/0")),
                &["tcp 20-21", "tcp 23-25"],
            ),
            (
                "a_range_from_21_to_23_names_single_ports",
                rule("a", "6", 21, 23, cidr("0.0.0.0/0")),
                &["tcp 21", "tcp 23"],
            ),
            (
                "a_range_starting_at_22",
                rule("a", "tcp", 22, 80, cidr("0.0.0.0/0")),
                &["tcp 23-80"],
            ),
        ];
        for (name, r, expected) in cases {
            assert_eq!(also_closes(r), *expected, "{name}");
        }
    }

    #[test]
    fn the_dry_run_and_the_record_say_what_else_a_broad_rule_closed() {
        let rules = vec![
            rule("sgr-ssh", "tcp", 22, 22, cidr("0.0.0.0/0")),
            rule("sgr-all", "-1", -1, -1, cidr("::/0")),
            rule("sgr-range", "tcp", 0, 65535, cidr("0.0.0.0/0")),
        ];
        let ControlFlow::Continue(p) = examined(plan(&rules, false), &rules) else {
            panic!("a change was expected")
        };
        assert_eq!(
            p.dry_run().reason,
            "dry run: would revoke 3 rule(s): sgr-ssh, sgr-all, sgr-range; that also closes sgr-all: all traffic; sgr-range: tcp 0-21, tcp 23-65535"
        );
        assert_eq!(
            p.changes[1]["also_closes"],
            serde_json::json!(["all traffic"])
        );
        let r = settle(
            &p,
            Revocation {
                revoked: rules.clone(),
                ..Revocation::default()
            },
        );
        assert!(
            r.reason
                .ends_with("; also closed sgr-all: all traffic; sgr-range: tcp 0-21, tcp 23-65535"),
            "{}",
            r.reason
        );
        assert_eq!(r.changes[0]["also_closes"], serde_json::json!([]));
    }

    #[test]
    fn records_carry_the_description_an_undo_puts_back_and_omit_none() {
        let described = Rule {
            description: Some("office VPN".into()),
            ..rule("sgr-1", "tcp", 22, 22, cidr("0.0.0.0/0"))
        };
        let json = serde_json::to_value(described.record()).unwrap();
        assert_eq!(json["description"], "office VPN");
        let plain =
            serde_json::to_value(rule("sgr-2", "tcp", 22, 22, cidr("::/0")).record()).unwrap();
        assert!(plain.get("description").is_none(), "{plain}");
    }

    #[test]
    fn records_carry_id_protocol_ports_and_cidr() {
        let r = rule("sgr-1", "tcp", 20, 25, cidr("::/0")).record();
        assert_eq!(
            (
                r.rule_id.as_str(),
                r.protocol.as_str(),
                r.from_port,
                r.to_port,
                r.cidr.as_str()
            ),
            ("sgr-1", "tcp", 20, 25, "::/0")
        );
    }
}
