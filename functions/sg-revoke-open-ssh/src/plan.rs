//! The security-group decision: which ingress rules let the world reach TCP 22,
//! and what to do about them.
//!
//! Pure and synchronous: no AWS calls, no SDK types, no environment. A rule is
//! world-open SSH when it is ingress, its protocol is tcp (or 6) or -1 (all),
//! its port range contains 22 (or it covers all ports), and its source is a
//! CIDR with prefix length 0 (0.0.0.0/0 or ::/0). Nothing else is ever revoked.

use std::net::IpAddr;

use remediation_shared::RuleRecord;

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
        }
    }
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

/// What to do with one group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// No rule opens SSH to the world.
    AlreadyCompliant,
    /// Leave the group alone, for this reason.
    Skip(String),
    /// Dry run: would revoke these rules.
    WouldRevoke(Vec<Rule>),
    /// Revoke exactly these rules, by id.
    Revoke(Vec<Rule>),
}

/// Decides from the group's live rules.
pub fn plan(rules: &[Rule], exempt: bool, dry_run: bool) -> Plan {
    let open = world_open_ssh(rules);
    if open.is_empty() {
        Plan::AlreadyCompliant
    } else if exempt {
        Plan::Skip("security group carries the exemption tag".into())
    } else if dry_run {
        Plan::WouldRevoke(open)
    } else {
        Plan::Revoke(open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: &str, protocol: &str, from: i32, to: i32, source: Source) -> Rule {
        Rule {
            rule_id: id.into(),
            is_egress: false,
            protocol: protocol.into(),
            from_port: Some(from),
            to_port: Some(to),
            source,
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
        let cases: Vec<(&str, Vec<Rule>, bool, bool, Plan)> = vec![
            (
                "no_open_rule_is_compliant",
                vec![kept.clone()],
                false,
                false,
                Plan::AlreadyCompliant,
            ),
            (
                "empty_group_is_compliant",
                vec![],
                false,
                false,
                Plan::AlreadyCompliant,
            ),
            (
                "open_rule_is_revoked_and_the_rest_kept",
                both.clone(),
                false,
                false,
                Plan::Revoke(vec![open.clone()]),
            ),
            (
                "exempt_group_is_skipped",
                both.clone(),
                true,
                false,
                Plan::Skip("security group carries the exemption tag".into()),
            ),
            (
                "dry_run_lists_what_it_would_revoke",
                both.clone(),
                false,
                true,
                Plan::WouldRevoke(vec![open.clone()]),
            ),
            (
                "exempt_and_compliant_is_compliant",
                vec![kept],
                true,
                false,
                Plan::AlreadyCompliant,
            ),
        ];
        for (name, rules, exempt, dry_run, expected) in cases {
            assert_eq!(plan(&rules, exempt, dry_run), expected, "{name}");
        }
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
