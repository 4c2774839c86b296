//! The security-group decision: which ingress rules open a check's ports to
//! the world, what to do about them, how the revoke calls ended, and what
//! still fails of the whole check afterwards. Also the payloads this function
//! writes into audit records.
//!
//! Pure and synchronous: no AWS calls, no SDK types, no environment. A rule
//! opens a port to the world when it is ingress, its protocol carries the
//! port's transport (tcp or 6, udp or 17, or -1 for all), its port range
//! contains the port (or it covers all ports), and its source is a CIDR with
//! prefix length 0 (0.0.0.0/0 or ::/0) of a family the check covers. Only
//! rules that open a port the function acts on ([`Check::act`]) are revoked.

use std::collections::BTreeMap;
use std::net::IpAddr;

use remediation_shared::{
    AwsError, AwsErrorKind, Decision, Examined, Outcome, Proposal, Report, Verdict,
};
use serde::Serialize;

use crate::scope::{describe, Check, Port, PortSet, Transport, World};

pub use remediation_ec2::RuleRecord;

/// A group's state in audit records (`before`, `after`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum State {
    /// Its ingress rules that open a port the function closes to the world.
    SecurityGroupIngress {
        /// Those rules; empty when compliant. The name predates RDP and is
        /// kept, as the action's is, so that saved log queries still match:
        /// it lists the rules on every port the trigger acts on.
        world_open_ssh_rules: Vec<RuleRecord>,
    },
}

impl State {
    /// The state of a group whose world-open rules on `act` are `rules`.
    pub fn of(rules: &[Rule], act: &PortSet) -> Self {
        State::SecurityGroupIngress {
            world_open_ssh_rules: rules.iter().map(|r| r.record(act)).collect(),
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

fn revocations(rules: &[Rule], act: &PortSet) -> Vec<Change> {
    rules
        .iter()
        .map(|r| Change::RevokeIngressRule(r.record(act)))
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
    /// The rule as audit records describe it, revoked for the ports of `act`.
    pub fn record(&self, act: &PortSet) -> RuleRecord {
        RuleRecord {
            rule_id: self.rule_id.clone(),
            protocol: self.protocol.clone(),
            from_port: self.from_port.unwrap_or(-1),
            to_port: self.to_port.unwrap_or(-1),
            cidr: self.source_text(),
            also_closes: also_closes(self, act),
            description: self.description.clone(),
        }
    }

    fn source_text(&self) -> String {
        match &self.source {
            Source::Cidr(c) => c.clone(),
            Source::Group(g) => g.clone(),
            Source::PrefixList(p) => p.clone(),
            Source::Unknown => String::new(),
        }
    }

    /// Whether the rule is for every protocol (and so every port).
    fn all_protocols(&self) -> bool {
        let p = self.protocol.trim();
        p == "-1" || p.eq_ignore_ascii_case("all")
    }

    /// The transport its protocol names, if TCP or UDP.
    fn transport(&self) -> Option<Transport> {
        let p = self.protocol.trim();
        if p.eq_ignore_ascii_case("tcp") || p == "6" {
            Some(Transport::Tcp)
        } else if p.eq_ignore_ascii_case("udp") || p == "17" {
            Some(Transport::Udp)
        } else {
            None
        }
    }

    /// Its port range; all ports when it gives none (or -1).
    fn range(&self) -> (i32, i32) {
        match (self.from_port, self.to_port) {
            (Some(from), Some(to)) if from >= 0 && to >= 0 => (from, to),
            _ => (0, 65535),
        }
    }
}

/// What revoking `rule` closes besides the ports of `act` it opens.
pub fn also_closes(rule: &Rule, act: &PortSet) -> Vec<String> {
    if rule.all_protocols() {
        return vec!["all traffic".into()];
    }
    let Some(transport) = rule.transport() else {
        return Vec::new();
    };
    let name = match transport {
        Transport::Tcp => "tcp",
        Transport::Udp => "udp",
    };
    let (from, to) = rule.range();
    let range = |a: i32, b: i32| {
        if a == b {
            format!("{name} {a}")
        } else {
            format!("{name} {a}-{b}")
        }
    };
    let mut closes = Vec::new();
    let mut next = from;
    for port in act.iter().filter(|p| p.transport == transport) {
        let n = i32::from(port.number);
        if n < next || n > to {
            continue;
        }
        if n > next {
            closes.push(range(next, n - 1));
        }
        next = n + 1;
    }
    if next <= to {
        closes.push(range(next, to));
    }
    closes
}

/// "sgr-1: tcp 0-21, tcp 23-65535; sgr-2: all traffic" for the rules of
/// `rules` broader than the ports of `act`; empty when none is.
fn broader(rules: &[Rule], act: &PortSet) -> String {
    rules
        .iter()
        .filter_map(|r| {
            let closes = also_closes(r, act);
            (!closes.is_empty()).then(|| format!("{}: {}", r.rule_id, closes.join(", ")))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Whether `cidr` is the whole IPv4 or IPv6 internet (prefix length 0), and
/// if so whether it is IPv6.
pub fn world_family(cidr: &str) -> Option<bool> {
    match cidr.trim().split_once('/') {
        Some((addr, "0")) => addr.parse::<IpAddr>().ok().map(|a| a.is_ipv6()),
        _ => None,
    }
}

/// Whether `cidr` is the whole IPv4 or IPv6 internet (prefix length 0).
pub fn is_world(cidr: &str) -> bool {
    world_family(cidr).is_some()
}

/// The ports of `ports` that `rule` opens to the part of the world `world` covers.
pub fn opens(rule: &Rule, ports: &PortSet, world: World) -> PortSet {
    let family = match &rule.source {
        Source::Cidr(c) if !rule.is_egress => world_family(c),
        _ => None,
    };
    if !family.is_some_and(|ipv6| world.covers(ipv6)) {
        return PortSet::new();
    }
    let (from, to) = rule.range();
    let all = rule.all_protocols();
    let transport = rule.transport();
    ports
        .iter()
        .filter(|p| {
            all || (transport == Some(p.transport)
                && from <= i32::from(p.number)
                && i32::from(p.number) <= to)
        })
        .copied()
        .collect()
}

/// The rules of `rules` that open a port of `ports` to `world`.
pub fn world_open(rules: &[Rule], ports: &PortSet, world: World) -> Vec<Rule> {
    rules
        .iter()
        .filter(|r| !opens(r, ports, world).is_empty())
        .cloned()
        .collect()
}

/// The rules of `rules` that the function revokes for `check`.
pub fn to_revoke(rules: &[Rule], check: &Check) -> Vec<Rule> {
    world_open(rules, &check.act, check.world)
}

/// "tcp 22, 5432; udp 3389".
fn ports_text(ports: &PortSet) -> String {
    let mut by: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for p in ports {
        let t = match p.transport {
            Transport::Tcp => "tcp",
            Transport::Udp => "udp",
        };
        by.entry(t).or_default().push(p.number.to_string());
    }
    by.into_iter()
        .map(|(t, n)| format!("{t} {}", n.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

/// What fails of `check` in a group whose rules are `rules`: one item per
/// rule that opens a port it covers to the world it covers, saying when
/// none of those ports is one this deployment closes.
pub fn failing(check: &Check, rules: &[Rule]) -> Vec<String> {
    rules
        .iter()
        .filter_map(|r| {
            let open = opens(r, &check.covers, check.world);
            if open.is_empty() {
                return None;
            }
            let outside = open.iter().all(|p: &Port| !check.act.contains(p));
            Some(format!(
                "{} open to {} ({}){}",
                ports_text(&open),
                r.source_text(),
                r.rule_id,
                if outside {
                    ", which this deployment does not change"
                } else {
                    ""
                }
            ))
        })
        .collect()
}

/// The verdict on `check` for a group whose live rules are `rules`; none
/// for a check the function does not know (a person's action on a finding
/// of another control).
pub fn verdict(check: &Check, rules: &[Rule]) -> Option<Verdict> {
    check
        .known
        .then(|| Verdict::of(check.name.clone(), failing(check, rules)))
}

/// What to do with one group: the change is revoking exactly these rules, by id.
pub type Plan = Decision<Vec<Rule>>;

/// Decides from the group's live rules, for `check`.
pub fn plan(rules: &[Rule], check: &Check, exempt: bool) -> Plan {
    Plan::to_fix(to_revoke(rules, check), exempt, "security group")
}

/// What the apply step needs: the rules to revoke and the check they answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Work {
    /// The rules to revoke.
    pub rules: Vec<Rule>,
    /// The check, to re-read against and verify.
    pub check: Check,
    /// Every rule of the group as a sweep's batch read it just before (none
    /// for a finding's target): the state after the fix is then this read
    /// less the rules EC2 answers it revoked, with no read of its own.
    pub batch_read: Option<Vec<Rule>>,
}

/// What a sweep's record adds when its check was verified on the batch's
/// read and EC2's answer rather than on a read of its own.
pub const VERIFIED_ON_BATCH: &str =
    "; verified on the sweep's read of the group just before and EC2's answer to the revoke";

/// The rules of a group after a revoke: `read` (the batch's read, just
/// before) without those EC2 confirmed revoked (by rule id).
pub fn after_revoking(read: &[Rule], revoked: &[Rule]) -> Vec<Rule> {
    read.iter()
        .filter(|r| !revoked.iter().any(|gone| gone.rule_id == r.rule_id))
        .cloned()
        .collect()
}

/// The report for a trigger whose check covers none of the configured ports:
/// nothing of it is this deployment's to change.
pub fn nothing_to_act_on(check: &Check, configured: &PortSet) -> Report {
    Report::new(
        Outcome::Skipped,
        format!(
            "{} covers none of the ports this deployment closes ({})",
            if check.name.is_empty() {
                "the trigger"
            } else {
                check.name.as_str()
            },
            describe(configured)
        ),
    )
}

/// The plan as the driver takes it, for a group whose rules were `rules`:
/// a group already right for the ports acted on carries the verdict on the
/// whole check, read from the same rules.
pub fn examined(plan: Plan, rules: &[Rule], check: &Check) -> Examined<Work> {
    let act = &check.act;
    let before = State::of(&to_revoke(rules, check), act);
    let compliant = format!(
        "no ingress rule opens {} to {}",
        describe(act),
        check.world.describe()
    );
    let examined = plan.examined(&compliant, &before, |wrong| {
        let mut summary = format!("revoke {} rule(s): {}", wrong.len(), ids(&wrong).join(", "));
        let also = broader(&wrong, act);
        if !also.is_empty() {
            summary.push_str(&format!("; that also closes {also}"));
        }
        Proposal::new(
            &before,
            &revocations(&wrong, act),
            summary,
            Work {
                rules: wrong,
                check: check.clone(),
                batch_read: None,
            },
        )
    });
    match examined {
        std::ops::ControlFlow::Break(r) if r.outcome == Outcome::AlreadyCompliant => {
            std::ops::ControlFlow::Break(match verdict(check, rules) {
                Some(v) => r.verdict(v),
                None => r,
            })
        }
        other => other,
    }
}

/// The report of a fix, with the group as re-read after it (`after`): its
/// state, and the verdict on the whole check; when the re-read failed, the
/// fix stands and the check is not verified.
pub fn verified(report: Report, check: &Check, after: Result<&[Rule], &AwsError>) -> Report {
    match after {
        Ok(rules) => {
            let report = report.after(&State::of(&to_revoke(rules, check), &check.act));
            match verdict(check, rules) {
                Some(v) => report.verdict(v),
                None => report,
            }
        }
        Err(e) => report.reason_suffixed(&format!(
            "; could not re-read the group to verify {}: {e}",
            check.name
        )),
    }
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
    let planned = &proposal.work.rules;
    let act = &proposal.work.check.act;
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
            .after(&State::of(&remaining, act))
            .changes(&revocations(&done.revoked, act));
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
        .after(&State::of(&done.missed, act))
        .changes(&revocations(&done.revoked, act));
    }
    let after = State::of(&[], act);
    if done.revoked.is_empty() {
        return proposal
            .report(
                Outcome::AlreadyCompliant,
                format!(
                    "the world-open rule(s) {} were already gone",
                    ids(&done.already_gone).join(", ")
                ),
            )
            .after(&after);
    }
    let mut reason = format!(
        "revoked {} rule(s) opening {} to the world: {}",
        done.revoked.len(),
        describe(act),
        ids(&done.revoked).join(", ")
    );
    if !done.already_gone.is_empty() {
        reason.push_str(&format!(
            "; already gone: {}",
            ids(&done.already_gone).join(", ")
        ));
    }
    let also = broader(&done.revoked, act);
    if !also.is_empty() {
        reason.push_str(&format!("; also closed {also}"));
    }
    proposal
        .report(Outcome::Remediated, reason)
        .after(&after)
        .changes(&revocations(&done.revoked, act))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ops::ControlFlow;

    use crate::scope::{check, AdminPorts};
    use remediation_shared::Basis;

    /// What EC2.13 checks, and acts on with the default ports: TCP 22 from anywhere.
    fn ssh() -> Check {
        check(&Basis::Control("EC2.13".into()), &AdminPorts::default())
    }
    fn tcp22() -> PortSet {
        [Port::tcp(22)].into()
    }
    fn is_world_open_ssh(r: &Rule) -> bool {
        !opens(r, &tcp22(), World::Both).is_empty()
    }
    fn world_open_ssh(rules: &[Rule]) -> Vec<Rule> {
        world_open(rules, &tcp22(), World::Both)
    }

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
    fn the_state_after_a_revoke_is_the_batchs_read_less_what_ec2_revoked() {
        let open = rule("sgr-open", "tcp", 22, 22, cidr("0.0.0.0/0"));
        let web = rule("sgr-web", "tcp", 443, 443, cidr("0.0.0.0/0"));
        let inside = rule("sgr-inside", "tcp", 22, 22, cidr("10.0.0.0/8"));
        let read = vec![open.clone(), web.clone(), inside.clone()];
        let cases: [(&str, Vec<Rule>, Vec<Rule>); 3] = [
            (
                "the_revoked_rule_is_gone_and_the_others_stay",
                vec![open.clone()],
                vec![web.clone(), inside.clone()],
            ),
            ("nothing_revoked_leaves_the_read", vec![], read.clone()),
            (
                "a_rule_is_matched_by_its_id",
                vec![rule("sgr-open", "tcp", 0, 0, cidr("::/0"))],
                vec![web.clone(), inside.clone()],
            ),
        ];
        for (name, revoked, after) in cases {
            assert_eq!(after_revoking(&read, &revoked), after, "{name}");
        }
        // The check holds on what is left.
        let after = after_revoking(&read, &[open]);
        assert!(to_revoke(&after, &ssh()).is_empty());
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
            assert_eq!(plan(&rules, &ssh(), exempt), expected, "{name}");
        }
    }

    #[test]
    fn a_dry_run_lists_the_rules_it_would_revoke() {
        let rules = vec![
            rule("sgr-1", "tcp", 22, 22, cidr("0.0.0.0/0")),
            rule("sgr-2", "tcp", 22, 22, cidr("10.0.0.0/8")),
        ];
        let ControlFlow::Continue(p) = examined(plan(&rules, &ssh(), false), &rules, &ssh()) else {
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
        let gone = AwsError::of(
            "Revoke",
            AwsErrorKind::Other,
            "InvalidSecurityGroupRuleId.NotFound",
            "m",
        )
        .into_not_found();
        let denied = AwsError::of(
            "Revoke",
            AwsErrorKind::AccessDenied,
            "UnauthorizedOperation",
            "m",
        );
        assert!(reread_after(&gone, 0));
        assert!(!reread_after(&gone, 1));
        assert!(!reread_after(&denied, 0));
    }

    #[test]
    fn settling() {
        let a = rule("sgr-a", "tcp", 22, 22, cidr("0.0.0.0/0"));
        let b = rule("sgr-b", "tcp", 22, 22, cidr("::/0"));
        let both = vec![a.clone(), b.clone()];
        let ControlFlow::Continue(p) = examined(plan(&both, &ssh(), false), &both, &ssh()) else {
            panic!("a change was expected")
        };
        let throttled = AwsError::of(
            "RevokeSecurityGroupIngress",
            AwsErrorKind::Throttled,
            "RequestLimitExceeded",
            "m",
        );
        let cases: Vec<(&str, Revocation, Outcome, &str, usize)> = vec![
            (
                "both_revoked_is_remediated",
                Revocation {
                    revoked: both.clone(),
                    ..Revocation::default()
                },
                Outcome::Remediated,
                "revoked 2 rule(s) opening tcp 22 to the world: sgr-a, sgr-b",
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
                "revoked 1 rule(s) opening tcp 22 to the world: sgr-b; already gone: sgr-a",
                1,
            ),
            (
                "all_gone_is_already_compliant",
                Revocation {
                    already_gone: both.clone(),
                    ..Revocation::default()
                },
                Outcome::AlreadyCompliant,
                "the world-open rule(s) sgr-a, sgr-b were already gone",
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
            assert_eq!(also_closes(r, &tcp22()), *expected, "{name}");
        }
    }

    #[test]
    fn the_dry_run_and_the_record_say_what_else_a_broad_rule_closed() {
        let rules = vec![
            rule("sgr-ssh", "tcp", 22, 22, cidr("0.0.0.0/0")),
            rule("sgr-all", "-1", -1, -1, cidr("::/0")),
            rule("sgr-range", "tcp", 0, 65535, cidr("0.0.0.0/0")),
        ];
        let ControlFlow::Continue(p) = examined(plan(&rules, &ssh(), false), &rules, &ssh()) else {
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
        let json = serde_json::to_value(described.record(&tcp22())).unwrap();
        assert_eq!(json["description"], "office VPN");
        let plain =
            serde_json::to_value(rule("sgr-2", "tcp", 22, 22, cidr("::/0")).record(&tcp22()))
                .unwrap();
        assert!(plain.get("description").is_none(), "{plain}");
    }

    #[test]
    fn records_carry_id_protocol_ports_and_cidr() {
        let r = rule("sgr-1", "tcp", 20, 25, cidr("::/0")).record(&tcp22());
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

    /// Each control's decision and verdict on one group: which rules are
    /// revoked (with the default `ADMIN_PORTS`), and, on the group as it is
    /// after those go, whether the whole control holds and what still fails.
    #[test]
    fn a_control_is_verified_whole_and_only_its_admin_ports_are_revoked() {
        let ssh4 = rule("sgr-ssh4", "tcp", 22, 22, cidr("0.0.0.0/0"));
        let ssh6 = rule("sgr-ssh6", "tcp", 22, 22, cidr("::/0"));
        let rdp4 = rule("sgr-rdp4", "tcp", 3389, 3389, cidr("0.0.0.0/0"));
        let rdp_udp = rule("sgr-rdpu", "udp", 3389, 3389, cidr("0.0.0.0/0"));
        let rdp6 = rule("sgr-rdp6", "tcp", 3389, 3389, cidr("::/0"));
        let pg = rule("sgr-pg", "tcp", 5432, 5432, cidr("0.0.0.0/0"));
        let udp22 = rule("sgr-udp22", "udp", 22, 22, cidr("0.0.0.0/0"));
        let office = rule("sgr-office", "tcp", 3389, 3389, cidr("10.0.0.0/8"));
        let c = |id: &str| Basis::Control(id.into());
        #[rustfmt::skip]
        /// Name, trigger, rules, revoked ids, whether the control holds after, what still fails.
        type Case<'a> = (&'a str, Basis, Vec<Rule>, &'a [&'a str], bool, &'a [&'a str]);
        let cases: Vec<Case> = vec![
            (
                "ec2_53_with_only_rdp_open_revokes_rdp_and_holds",
                c("EC2.53"),
                vec![rdp4.clone(), office.clone()],
                &["sgr-rdp4"],
                true,
                &[],
            ),
            (
                "ec2_53_revokes_rdp_over_udp_too",
                c("EC2.53"),
                vec![rdp_udp.clone()],
                &["sgr-rdpu"],
                true,
                &[],
            ),
            (
                "ec2_53_leaves_ipv6_to_ec2_54_and_holds",
                c("EC2.53"),
                vec![rdp6.clone(), ssh6.clone()],
                &[],
                true,
                &[],
            ),
            (
                "ec2_54_revokes_only_the_ipv6_rules",
                c("EC2.54"),
                vec![ssh4.clone(), ssh6.clone(), rdp6.clone()],
                &["sgr-ssh6", "sgr-rdp6"],
                true,
                &[],
            ),
            (
                "ec2_53_with_udp_22_open_is_not_resolved",
                c("EC2.53"),
                vec![ssh4.clone(), udp22.clone()],
                &["sgr-ssh4"],
                false,
                &["udp 22 open to 0.0.0.0/0 (sgr-udp22), which this deployment does not change"],
            ),
            (
                "ec2_19_with_ssh_and_5432_revokes_ssh_and_names_5432",
                c("EC2.19"),
                vec![ssh4.clone(), pg.clone()],
                &["sgr-ssh4"],
                false,
                &["tcp 5432 open to 0.0.0.0/0 (sgr-pg), which this deployment does not change"],
            ),
            (
                "ec2_19_with_only_5432_changes_nothing_and_fails",
                c("EC2.19"),
                vec![pg.clone()],
                &[],
                false,
                &["tcp 5432 open to 0.0.0.0/0 (sgr-pg), which this deployment does not change"],
            ),
            (
                "ec2_13_with_ssh_and_rdp_revokes_ssh_and_holds",
                c("EC2.13"),
                vec![ssh4.clone(), rdp4.clone()],
                &["sgr-ssh4"],
                true,
                &[],
            ),
            (
                "ec2_14_with_ssh_and_rdp_revokes_rdp_and_holds",
                c("EC2.14"),
                vec![ssh4.clone(), rdp4.clone()],
                &["sgr-rdp4"],
                true,
                &[],
            ),
            (
                "a_stale_ec2_53_finding_holds",
                c("EC2.53"),
                vec![office.clone(), pg.clone()],
                &[],
                true,
                &[],
            ),
            (
                "the_sweep_closes_rdp_and_ssh",
                Basis::Sweep,
                vec![ssh4.clone(), rdp4.clone(), rdp_udp.clone(), pg.clone()],
                &["sgr-ssh4", "sgr-rdp4", "sgr-rdpu"],
                true,
                &[],
            ),
        ];
        for (name, basis, rules, revoked, holds, still) in cases {
            let check = check(&basis, &AdminPorts::default());
            let planned = match plan(&rules, &check, false) {
                Plan::Change(r) => ids(&r),
                Plan::AlreadyCompliant => vec![],
                other => panic!("{name}: {other:?}"),
            };
            assert_eq!(planned, revoked.to_vec(), "{name}");
            let after: Vec<Rule> = rules
                .iter()
                .filter(|r| !revoked.contains(&r.rule_id.as_str()))
                .cloned()
                .collect();
            let v = verdict(&check, &after).expect(name);
            assert_eq!(
                (v.holds, v.failing.as_slice()),
                (
                    holds,
                    still
                        .iter()
                        .map(|s| s.to_string())
                        .collect::<Vec<_>>()
                        .as_slice()
                ),
                "{name}"
            );
            assert_eq!(v.check, check.name, "{name}");
        }
    }

    #[test]
    fn an_already_right_group_carries_the_verdict_and_a_fix_is_verified_on_the_reread() {
        let pg = rule("sgr-pg", "tcp", 5432, 5432, cidr("0.0.0.0/0"));
        let ssh4 = rule("sgr-ssh4", "tcp", 22, 22, cidr("0.0.0.0/0"));
        let ec2_19 = check(&Basis::Control("EC2.19".into()), &AdminPorts::default());
        // GIVEN only 5432 open: nothing to revoke, the verdict says EC2.19 still fails
        let ControlFlow::Break(r) = examined(
            plan(std::slice::from_ref(&pg), &ec2_19, false),
            std::slice::from_ref(&pg),
            &ec2_19,
        ) else {
            panic!("nothing to revoke")
        };
        assert_eq!(r.outcome, Outcome::AlreadyCompliant);
        assert!(!r.verdict.as_ref().unwrap().holds, "{r:?}");
        // GIVEN SSH and 5432: the re-read after the revoke still shows 5432
        let both = [ssh4.clone(), pg.clone()];
        let ControlFlow::Continue(p) = examined(plan(&both, &ec2_19, false), &both, &ec2_19) else {
            panic!("a change was expected")
        };
        let done = settle(
            &p,
            Revocation {
                revoked: vec![ssh4],
                ..Revocation::default()
            },
        );
        let r = verified(done.clone(), &ec2_19, Ok(&[pg]));
        assert_eq!(r.outcome, Outcome::Remediated);
        assert_eq!(r.verdict.as_ref().map(|v| v.holds), Some(false));
        // AND a re-read that fails leaves the fix standing, unverified
        let err = AwsError::of(
            "DescribeSecurityGroupRules",
            AwsErrorKind::Throttled,
            "RequestLimitExceeded",
            "m",
        );
        let r = verified(done, &ec2_19, Err(&err));
        assert_eq!(
            (r.outcome, r.verdict.is_none()),
            (Outcome::Remediated, true)
        );
        assert!(
            r.reason
                .contains("could not re-read the group to verify EC2.19"),
            "{}",
            r.reason
        );
    }

    #[test]
    fn rdp_rules_are_judged_on_both_transports() {
        let rdp: PortSet = [Port::tcp(3389), Port::udp(3389)].into();
        let cases: &[(&str, Rule, bool)] = &[
            (
                "tcp_3389_from_the_world_is_rdp",
                rule("a", "tcp", 3389, 3389, cidr("0.0.0.0/0")),
                true,
            ),
            (
                "udp_3389_from_the_world_is_rdp",
                rule("a", "udp", 3389, 3389, cidr("::/0")),
                true,
            ),
            (
                "protocol_17_range_is_udp",
                rule("a", "17", 3000, 4000, cidr("0.0.0.0/0")),
                true,
            ),
            (
                "all_traffic_is_rdp",
                rule("a", "-1", -1, -1, cidr("0.0.0.0/0")),
                true,
            ),
            (
                "udp_3390_is_not",
                rule("a", "udp", 3390, 3390, cidr("0.0.0.0/0")),
                false,
            ),
            (
                "icmp_is_not",
                rule("a", "icmp", -1, -1, cidr("0.0.0.0/0")),
                false,
            ),
            (
                "a_private_range_is_not",
                rule("a", "tcp", 3389, 3389, cidr("192.168.0.0/16")),
                false,
            ),
        ];
        for (name, r, expected) in cases {
            assert_eq!(!opens(r, &rdp, World::Both).is_empty(), *expected, "{name}");
        }
    }

    #[test]
    fn a_broad_rule_says_what_it_closes_beyond_every_port_acted_on() {
        let admin = AdminPorts::default().0;
        let cases: &[(&str, Rule, &[&str])] = &[
            (
                "every_tcp_port_around_22_and_3389",
                rule("a", "tcp", 0, 65535, cidr("0.0.0.0/0")),
                &["tcp 0-21", "tcp 23-3388", "tcp 3390-65535"],
            ),
            (
                "a_udp_range_around_3389",
                rule("a", "udp", 3000, 4000, cidr("0.0.0.0/0")),
                &["udp 3000-3388", "udp 3390-4000"],
            ),
            (
                "rdp_alone_closes_nothing_else",
                rule("a", "tcp", 3389, 3389, cidr("0.0.0.0/0")),
                &[],
            ),
        ];
        for (name, r, expected) in cases {
            assert_eq!(also_closes(r, &admin), *expected, "{name}");
        }
    }
}
