//! `sg-revoke-open-ssh` against security groups in a non-default VPC of the
//! emulator: after a run, exactly the world-open SSH ingress rules are gone
//! and every other rule is still there, unchanged.

use std::collections::BTreeSet;

use remediation_testing::emulator::unique;
use remediation_testing::function::sample_ids::{GROUP, GROUP_2};
use remediation_testing::{Deployment, Emulator, Function, GroupRule, Source};
use serde_json::Value;

use crate::{assert_skipped, assert_untouched_answer, summary};

const F: Function = Function::named("sg-revoke-open-ssh");

/// One sample per trigger, for the tests that need only one; the loops run
/// every sample of `events/acted-on.json`.
const CONFIG: &str = "config-restricted-ssh-noncompliant.json";
const GUARDDUTY: &str = "guardduty-ssh-brute-force-target.json";
const SECURITY_HUB: &str = "securityhub-ec2-13-failed.json";
const CLOUDTRAIL: &str = "cloudtrail-authorize-ingress.json";

/// The rules every trigger test opens: SSH from the whole IPv4 and IPv6 internet.
fn world_ssh() -> Vec<GroupRule> {
    vec![
        GroupRule::cidr("tcp", 22, 22, "0.0.0.0/0"),
        GroupRule::cidr("tcp", 22, 22, "::/0"),
    ]
}

/// A rule every trigger test must keep: SSH from a private range.
fn office_ssh() -> GroupRule {
    GroupRule::cidr("tcp", 22, 22, "10.0.0.0/8")
}

/// A group in `vpc` seeded with `rules`; returns its id and every rule it then has
/// (the seeded ones and the default egress rule).
async fn group(emu: &Emulator, vpc: &str, rules: &[GroupRule]) -> (String, BTreeSet<GroupRule>) {
    let id = emu.create_group(vpc, &unique("open-ssh")).await;
    emu.authorize(&id, rules).await;
    let all = emu.rules(&id).await;
    for r in rules {
        assert!(all.contains(r), "seeding lost {r:?}: {all:?}");
    }
    (id, all)
}

/// The rules of `rules` minus `gone`.
fn without(rules: &BTreeSet<GroupRule>, gone: &[GroupRule]) -> BTreeSet<GroupRule> {
    rules
        .iter()
        .filter(|r| !gone.contains(r))
        .cloned()
        .collect()
}

/// The (protocol, from, to, cidr) of each rule a record lists under `changes`.
fn revoked(record: &Value) -> BTreeSet<(String, i64, i64, String)> {
    record["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert_eq!(c["type"], "revoke_ingress_rule", "{c}");
            assert!(c["rule_id"].as_str().unwrap().starts_with("sgr-"), "{c}");
            (
                c["protocol"].as_str().unwrap().to_owned(),
                c["from_port"].as_i64().unwrap(),
                c["to_port"].as_i64().unwrap(),
                c["cidr"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn described(rules: &[GroupRule]) -> BTreeSet<(String, i64, i64, String)> {
    rules
        .iter()
        .map(|r| match &r.source {
            Source::Cidr(c) => (r.protocol.clone(), r.from.into(), r.to.into(), c.clone()),
            other => panic!("not a CIDR rule: {other:?}"),
        })
        .collect()
}

#[tokio::test]
async fn exactly_the_world_open_ssh_rules_are_revoked_and_every_other_rule_is_kept() {
    let emu = Emulator::from_env();
    let vpc = emu.create_vpc().await;
    let peer = emu.create_group(&vpc, &unique("peer")).await;
    let prefix_list = emu
        .create_prefix_list(&unique("office"), "203.0.113.0/24")
        .await;
    let open = vec![
        GroupRule::cidr("tcp", 22, 22, "0.0.0.0/0"),
        GroupRule::cidr("tcp", 22, 22, "::/0"),
        GroupRule::cidr("tcp", 20, 25, "0.0.0.0/0"),
        GroupRule::cidr("tcp", 0, 65535, "::/0"),
        GroupRule::cidr("-1", -1, -1, "0.0.0.0/0"),
        GroupRule::cidr("-1", -1, -1, "::/0"),
    ];
    let keep = vec![
        office_ssh(),
        GroupRule::cidr("tcp", 22, 22, "2001:db8::/32"),
        GroupRule::cidr("udp", 22, 22, "0.0.0.0/0"),
        GroupRule::cidr("udp", 0, 65535, "::/0"),
        GroupRule::cidr("tcp", 443, 443, "0.0.0.0/0"),
        GroupRule::cidr("tcp", 23, 80, "0.0.0.0/0"),
        GroupRule::cidr("tcp", 0, 21, "::/0"),
        GroupRule::cidr("tcp", 22, 22, "0.0.0.0/1"),
        GroupRule::cidr("tcp", 22, 22, "128.0.0.0/1"),
        GroupRule::cidr("tcp", 22, 22, "::/1"),
        GroupRule::ingress("tcp", 22, 22, Source::Group(peer.clone())),
        GroupRule::ingress("-1", -1, -1, Source::Group(peer.clone())),
        GroupRule::ingress("tcp", 22, 22, Source::PrefixList(prefix_list)),
        GroupRule {
            egress: true,
            ..GroupRule::cidr("tcp", 22, 22, "::/0")
        },
    ];
    let (id, _) = group(&emu, &vpc, &[open.clone(), keep.clone()].concat()).await;
    // Several CIDRs in one permission become one rule each; only the world-open one goes.
    emu.authorize_cidrs(
        &id,
        "tcp",
        21,
        23,
        &["192.168.0.0/16", "0.0.0.0/0", "172.16.0.0/12"],
    )
    .await;
    let open = [open, vec![GroupRule::cidr("tcp", 21, 23, "0.0.0.0/0")]].concat();
    let before = emu.rules(&id).await;
    // The seeded rules, the three of the shared permission, and the default egress rule.
    assert_eq!(before.len(), open.len() + keep.len() + 2 + 1, "{before:#?}");
    let expected = without(&before, &open);

    let mut function = Deployment::start(&emu, F, &[]);
    let inv = function.invoke(&F.sample(CONFIG, &[(GROUP, &id)]));

    assert_eq!(
        summary(&inv),
        (true, vec!["remediated".into()]),
        "{}",
        function.logs()
    );
    assert_eq!(
        emu.rules(&id).await,
        expected,
        "the rules left are exactly the ones to keep"
    );
    let record = inv.record();
    assert_eq!(revoked(record), described(&open));
    assert_eq!(record["changes"].as_array().unwrap().len(), open.len());
    // Each rule broader than SSH says what else revoking it closed.
    let also_closes: Vec<(String, i64, i64, String, Value)> = record["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["protocol"].as_str().unwrap().to_owned(),
                c["from_port"].as_i64().unwrap(),
                c["to_port"].as_i64().unwrap(),
                c["cidr"].as_str().unwrap().to_owned(),
                c["also_closes"].clone(),
            )
        })
        .collect();
    let closes = |p: &str, from: i64, to: i64, cidr: &str, also: Value| {
        (p.to_owned(), from, to, cidr.to_owned(), also)
    };
    for expected in [
        closes("tcp", 22, 22, "0.0.0.0/0", serde_json::json!([])),
        closes(
            "tcp",
            20,
            25,
            "0.0.0.0/0",
            serde_json::json!(["tcp 20-21", "tcp 23-25"]),
        ),
        closes(
            "tcp",
            0,
            65535,
            "::/0",
            serde_json::json!(["tcp 0-21", "tcp 23-65535"]),
        ),
        closes(
            "-1",
            -1,
            -1,
            "0.0.0.0/0",
            serde_json::json!(["all traffic"]),
        ),
        closes(
            "tcp",
            21,
            23,
            "0.0.0.0/0",
            serde_json::json!(["tcp 21", "tcp 23"]),
        ),
    ] {
        assert!(
            also_closes.contains(&expected),
            "{expected:?} in {also_closes:#?}"
        );
    }
    assert_eq!(
        record["before"]["world_open_ssh_rules"]
            .as_array()
            .unwrap()
            .len(),
        open.len()
    );
    assert_eq!(
        record["after"]["world_open_ssh_rules"],
        serde_json::json!([])
    );
    assert_eq!(
        record["resource"],
        format!("arn:aws:ec2:us-east-1:123456789012:security-group/{id}")
    );
}

/// World-open SSH and RDP, each from IPv4 and IPv6: what every trigger test
/// opens, in the order of [`closed_by`]'s answer.
fn world_admin() -> [GroupRule; 4] {
    [
        GroupRule::cidr("tcp", 22, 22, "0.0.0.0/0"),
        GroupRule::cidr("tcp", 22, 22, "::/0"),
        GroupRule::cidr("tcp", 3389, 3389, "0.0.0.0/0"),
        GroupRule::cidr("tcp", 3389, 3389, "::/0"),
    ]
}

/// Which of [`world_admin`]'s rules (SSH v4, SSH v6, RDP v4, RDP v6) a
/// sample's check closes in the group it names first, and in the second
/// (`GROUP_2`) where it names one: its control's ports, from its internet.
fn closed_by(file: &str) -> ([bool; 4], [bool; 4]) {
    const SSH: [bool; 4] = [true, true, false, false];
    const RDP: [bool; 4] = [false, false, true, true];
    const BOTH: [bool; 4] = [true; 4];
    const IPV4: [bool; 4] = [true, false, true, false];
    const IPV6: [bool; 4] = [false, true, false, true];
    let first = match file {
        // EC2.53 (CIS 3.0 5.2): remote administration from IPv4.
        "securityhub-cis-3-0-5-2-per-standard.json"
        | "securityhub-ec2-53-rdp-only.json"
        | "securityhub-v2-ocsf-ec2-53-failed.json" => IPV4,
        // EC2.54 (CIS 3.0 5.3, CIS 5.0 5.4): from IPv6.
        "securityhub-cis-3-0-5-3-per-standard.json"
        | "securityhub-cis-5-0-5-4-per-standard.json" => IPV6,
        // RDP's own checks: EC2.14, CIS 1.2 4.2, restricted-common-ports, its probe and brute force.
        "securityhub-ec2-14-failed.json"
        | "securityhub-cis-1-2-rule-4-2.json"
        | "config-restricted-common-ports.json"
        | "guardduty-port-probe-rdp.json"
        | "guardduty-rdp-brute-force-target.json" => RDP,
        // Every remote administration port: EC2.19, the port restriction check,
        // API calls, a person's action (ADMIN_PORTS).
        "securityhub-ec2-19-failed.json"
        | "securityhub-ec2-19-database-port.json"
        | "config-vpc-sg-port-restriction-check.json"
        | "cloudtrail-authorize-ingress.json"
        | "cloudtrail-modify-rules.json"
        | "securityhub-custom-action-revoke-world-ssh.json" => BOTH,
        // SSH's own: EC2.13 and its per-standard ids, restricted-ssh, its probe and brute force.
        _ => SSH,
    };
    // The EC2.13 sample's second finding is EC2.54's.
    let second = if file == "securityhub-ec2-13-failed.json" {
        IPV6
    } else {
        first
    };
    (first, second)
}

/// The rules of [`world_admin`] that `mask` selects.
fn selected(mask: [bool; 4]) -> Vec<GroupRule> {
    world_admin()
        .into_iter()
        .zip(mask)
        .filter_map(|(r, on)| on.then_some(r))
        .collect()
}

#[tokio::test]
async fn every_trigger_revokes_exactly_its_controls_world_open_rules_and_redelivery_is_already_compliant(
) {
    let emu = Emulator::from_env();
    let vpc = emu.create_vpc().await;
    let mut function = Deployment::start(&emu, F, &[]);
    let seeded = [world_admin().to_vec(), vec![office_ssh()]].concat();
    for file in F.acted_on() {
        let (g1, rules1) = group(&emu, &vpc, &seeded).await;
        let (g2, rules2) = group(&emu, &vpc, &seeded).await;
        let event = F.sample(&file, &[(GROUP, &g1), (GROUP_2, &g2)]);
        let names_second = event.contains(&g2);
        let (first_mask, second_mask) = closed_by(&file);

        let first = function.invoke(&event);
        assert!(first.succeeded(), "{file}: {:?}", first.answer);
        let remediated = first
            .outcomes()
            .iter()
            .filter(|o| *o == "remediated")
            .count();
        assert_eq!(
            remediated,
            if names_second { 2 } else { 1 },
            "{file}: {:#?}",
            first.records
        );
        assert_eq!(
            emu.rules(&g1).await,
            without(&rules1, &selected(first_mask)),
            "{file}"
        );
        let expected2 = if names_second {
            without(&rules2, &selected(second_mask))
        } else {
            rules2
        };
        assert_eq!(emu.rules(&g2).await, expected2, "{file}");
        for r in first
            .records
            .iter()
            .filter(|r| r["outcome"] == "remediated")
        {
            let mask = if r["resource"].as_str().unwrap().ends_with(&g2) {
                second_mask
            } else {
                first_mask
            };
            assert_eq!(revoked(r), described(&selected(mask)), "{file}");
            if file.contains("custom-action") {
                // A person's action on EC2.2's finding: that control is not
                // one the function checks, so it is not verified.
                assert!(r.get("control").is_none(), "{file}: {r}");
            } else {
                // Nothing else of its check is open: the whole control holds.
                assert_eq!(r["control"]["holds"], true, "{file}: {r}");
            }
        }

        let again = function.invoke(&event);
        assert!(again.succeeded(), "{file}: {:?}", again.answer);
        assert!(
            again
                .outcomes()
                .iter()
                .all(|o| o == "already_compliant" || o == "skipped"),
            "{file}: {:#?}",
            again.records
        );
        assert_eq!(again.outcomes().len(), first.outcomes().len(), "{file}");
        assert_eq!(
            emu.rules(&g1).await,
            without(&rules1, &selected(first_mask)),
            "{file}"
        );
    }
}

#[tokio::test]
async fn dry_run_revokes_nothing_and_lists_what_it_would_revoke() {
    let emu = Emulator::from_env();
    let vpc = emu.create_vpc().await;
    let (id, before) = group(&emu, &vpc, &[world_ssh(), vec![office_ssh()]].concat()).await;
    let mut function = Deployment::start(&emu, F, &[("DRY_RUN", "1")]);
    let inv = function.invoke(&F.sample(SECURITY_HUB, &[(GROUP, &id), (GROUP_2, &id)]));
    assert!(inv.succeeded(), "{:?}", inv.answer);
    let dry: Vec<&Value> = inv
        .records
        .iter()
        .filter(|r| r["outcome"] == "dry_run")
        .collect();
    assert_eq!(
        dry.len(),
        1,
        "the group named twice is examined once: {:#?}",
        inv.records
    );
    assert_eq!(revoked(dry[0]), described(&world_ssh()));
    assert_eq!(dry[0]["dry_run"], true);
    assert_eq!(emu.rules(&id).await, before, "dry run changed the group");
}

#[tokio::test]
async fn an_exempt_group_is_skipped_and_keeps_its_rules() {
    let emu = Emulator::from_env();
    let vpc = emu.create_vpc().await;
    let (id, before) = group(&emu, &vpc, &world_ssh()).await;
    emu.tag_group(&id, "auto-remediation:exempt", "true").await;
    let mut function = Deployment::start(&emu, F, &[]);
    let inv = function.invoke(&F.sample(CLOUDTRAIL, &[(GROUP, &id)]));
    assert_skipped(&inv, "exemption tag");
    assert_eq!(emu.rules(&id).await, before);
}

#[tokio::test]
async fn a_group_deleted_before_its_event_arrives_is_skipped() {
    let emu = Emulator::from_env();
    let vpc = emu.create_vpc().await;
    let (id, _) = group(&emu, &vpc, &world_ssh()).await;
    emu.delete_group(&id).await;
    let mut function = Deployment::start(&emu, F, &[]);
    let inv = function.invoke(&F.sample(CONFIG, &[(GROUP, &id)]));
    assert_skipped(&inv, "no longer exists");
}

#[tokio::test]
async fn a_compliant_group_is_already_compliant_and_untouched() {
    let emu = Emulator::from_env();
    let vpc = emu.create_vpc().await;
    let (id, before) = group(
        &emu,
        &vpc,
        &[office_ssh(), GroupRule::cidr("udp", 22, 22, "::/0")],
    )
    .await;
    let mut function = Deployment::start(&emu, F, &[]);
    let inv = function.invoke(&F.sample(GUARDDUTY, &[(GROUP, &id)]));
    assert_eq!(summary(&inv), (true, vec!["already_compliant".into()]));
    assert_eq!(emu.rules(&id).await, before);
}

#[tokio::test]
async fn negative_samples_about_an_open_group_change_nothing() {
    let emu = Emulator::from_env();
    let vpc = emu.create_vpc().await;
    let (g1, rules1) = group(&emu, &vpc, &world_ssh()).await;
    let (g2, rules2) = group(&emu, &vpc, &world_ssh()).await;
    let mut function = Deployment::start(&emu, F, &[]);
    for file in F.not_acted_on() {
        let inv = function.invoke(&F.sample(&file, &[(GROUP, &g1), (GROUP_2, &g2)]));
        assert_untouched_answer(&file, &inv);
        assert_eq!(emu.rules(&g1).await, rules1, "{file} changed a group");
        assert_eq!(emu.rules(&g2).await, rules2, "{file} changed a group");
    }
}
