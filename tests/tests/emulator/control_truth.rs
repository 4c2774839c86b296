//! A finding is resolved only when its whole control holds: the
//! security-group function through its real binary, against groups in the
//! emulator, with Security Hub's endpoint a recording server on loopback (the
//! emulator lacks `BatchUpdateFindings`). Each case reads the group after the
//! run and the exact finding update sent: RDP closed for EC2.53, SSH closed
//! and a database port named (never resolved) for EC2.19, SSH alone for
//! EC2.13, a stale finding resolved, and a sweep that closes RDP.

use std::collections::BTreeSet;

use remediation_testing::emulator::unique;
use remediation_testing::function::sample_ids::{GROUP, GROUP_2};
use remediation_testing::recorder::Recorder;
use remediation_testing::{Deployment, Emulator, Function, GroupRule, Invocation};
use serde_json::{json, Value};

const F: Function = Function::named("sg-revoke-open-ssh");
const UPDATED: &str = r#"{"ProcessedFindings": [], "UnprocessedFindings": []}"#;

fn rule(protocol: &str, port: i32, cidr: &str) -> GroupRule {
    GroupRule::cidr(protocol, port, port, cidr)
}

/// A group in a new VPC seeded with `rules`, and a second empty one (for
/// samples that name two groups); returns their ids.
async fn groups(emu: &Emulator, rules: &[GroupRule]) -> (String, String) {
    let vpc = emu.create_vpc().await;
    let id = emu.create_group(&vpc, &unique("admin")).await;
    emu.authorize(&id, rules).await;
    let other = emu.create_group(&vpc, &unique("other")).await;
    (id, other)
}

/// The group's ingress rules.
async fn ingress(emu: &Emulator, group: &str) -> BTreeSet<GroupRule> {
    emu.rules(group)
        .await
        .into_iter()
        .filter(|r| !r.egress)
        .collect()
}

/// Runs the sample `file` for `group` with updates sent to a recorder, and
/// returns the invocation and the update of the finding whose id names `control`.
fn run(emu: &Emulator, file: &str, group: &str, other: &str, control: &str) -> (Invocation, Value) {
    let hub = Recorder::start(200, UPDATED);
    let mut function = Deployment::start(
        emu,
        F,
        &[
            ("DRY_RUN", "false"),
            ("AWS_ENDPOINT_URL_SECURITYHUB", hub.url()),
        ],
    );
    let inv = function.invoke(&F.sample(file, &[(GROUP, group), (GROUP_2, other)]));
    assert!(inv.succeeded(), "{file}: {:?}", inv.answer);
    let update = hub
        .requests()
        .into_iter()
        .map(|r| r.body)
        .find(|b| {
            b["FindingIdentifiers"][0]["Id"]
                .as_str()
                .is_some_and(|id| id.contains(&format!("/{control}/")))
        })
        .unwrap_or_else(|| panic!("{file}: no update of the {control} finding"));
    (inv, update)
}

/// The record of `group`.
fn record<'a>(inv: &'a Invocation, group: &str) -> &'a Value {
    inv.records
        .iter()
        .find(|r| r["resource"].as_str().is_some_and(|a| a.ends_with(group)))
        .unwrap_or_else(|| panic!("no record of {group}: {:#?}", inv.records))
}

#[tokio::test]
async fn ec2_53_with_only_rdp_open_is_revoked_and_resolved() {
    let emu = Emulator::from_env();
    // GIVEN RDP open to the IPv4 world, over TCP and UDP, beside a private RDP rule
    let office = rule("tcp", 3389, "10.0.0.0/8");
    let (g, other) = groups(
        &emu,
        &[
            rule("tcp", 3389, "0.0.0.0/0"),
            rule("udp", 3389, "0.0.0.0/0"),
            office.clone(),
        ],
    )
    .await;
    // WHEN its EC2.53 finding arrives
    let (inv, update) = run(
        &emu,
        "securityhub-ec2-53-rdp-only.json",
        &g,
        &other,
        "EC2.53",
    );
    // THEN both world-open RDP rules are gone, the private one kept, and the finding resolved
    assert_eq!(ingress(&emu, &g).await, BTreeSet::from([office]));
    let r = record(&inv, &g);
    assert_eq!(r["outcome"], "remediated", "{r}");
    assert_eq!(
        r["control"],
        json!({"check": "EC2.53", "holds": true, "failing": []})
    );
    assert_eq!(update["Workflow"]["Status"], "RESOLVED", "{update}");
}

#[tokio::test]
async fn ec2_19_with_ssh_and_5432_open_loses_ssh_keeps_5432_and_names_it() {
    let emu = Emulator::from_env();
    // GIVEN SSH and PostgreSQL open to the world
    let pg = rule("tcp", 5432, "0.0.0.0/0");
    let (g, other) = groups(&emu, &[rule("tcp", 22, "0.0.0.0/0"), pg.clone()]).await;
    // WHEN its EC2.19 finding arrives
    let (inv, update) = run(
        &emu,
        "securityhub-ec2-19-database-port.json",
        &g,
        &other,
        "EC2.19",
    );
    // THEN SSH is revoked, 5432 kept (not this deployment's to close)
    assert_eq!(ingress(&emu, &g).await, BTreeSet::from([pg]));
    let r = record(&inv, &g);
    assert_eq!(r["outcome"], "remediated", "{r}");
    assert_eq!(r["control"]["holds"], false, "{r}");
    // AND the finding is NOTIFIED, its note naming the port still open
    assert_eq!(update["Workflow"]["Status"], "NOTIFIED", "{update}");
    let note = update["Note"]["Text"].as_str().unwrap();
    assert!(
        note.contains("EC2.19 still fails: tcp 5432 open to 0.0.0.0/0"),
        "{note}"
    );
    assert!(
        note.contains("which this deployment does not change"),
        "{note}"
    );
}

#[tokio::test]
async fn ec2_19_with_only_5432_open_changes_nothing_and_is_not_resolved() {
    let emu = Emulator::from_env();
    let pg = rule("tcp", 5432, "0.0.0.0/0");
    let (g, other) = groups(&emu, std::slice::from_ref(&pg)).await;
    let (inv, update) = run(
        &emu,
        "securityhub-ec2-19-database-port.json",
        &g,
        &other,
        "EC2.19",
    );
    assert_eq!(ingress(&emu, &g).await, BTreeSet::from([pg]));
    let r = record(&inv, &g);
    assert_eq!(r["outcome"], "already_compliant", "{r}");
    assert_eq!(r["changes"], json!([]), "{r}");
    assert_ne!(update["Workflow"]["Status"], "RESOLVED", "{update}");
    assert!(
        update["Note"]["Text"]
            .as_str()
            .unwrap()
            .contains("tcp 5432"),
        "{update}"
    );
}

#[tokio::test]
async fn ec2_13_with_ssh_and_rdp_open_loses_ssh_keeps_rdp_and_is_resolved() {
    let emu = Emulator::from_env();
    let rdp = rule("tcp", 3389, "0.0.0.0/0");
    let (g, other) = groups(&emu, &[rule("tcp", 22, "0.0.0.0/0"), rdp.clone()]).await;
    let (inv, update) = run(&emu, "securityhub-ec2-13-failed.json", &g, &other, "EC2.13");
    // RDP is left to its own finding (EC2.14 or EC2.53): EC2.13 is SSH only
    assert_eq!(ingress(&emu, &g).await, BTreeSet::from([rdp]));
    let r = record(&inv, &g);
    assert_eq!(r["outcome"], "remediated", "{r}");
    assert_eq!(
        r["control"],
        json!({"check": "EC2.13", "holds": true, "failing": []})
    );
    assert_eq!(update["Workflow"]["Status"], "RESOLVED", "{update}");
}

#[tokio::test]
async fn a_stale_ec2_53_finding_on_a_closed_group_is_resolved() {
    let emu = Emulator::from_env();
    let https = rule("tcp", 443, "0.0.0.0/0");
    let (g, other) = groups(&emu, std::slice::from_ref(&https)).await;
    let (inv, update) = run(
        &emu,
        "securityhub-ec2-53-rdp-only.json",
        &g,
        &other,
        "EC2.53",
    );
    assert_eq!(ingress(&emu, &g).await, BTreeSet::from([https]));
    assert_eq!(record(&inv, &g)["outcome"], "already_compliant");
    assert_eq!(update["Workflow"]["Status"], "RESOLVED", "{update}");
}

#[tokio::test]
async fn the_sweep_closes_world_open_rdp_and_keeps_the_rest() {
    // An account of its own: a sweep acts on every group of the region.
    let emu = Emulator::from_env().in_account("210000000022").await;
    let kept = [
        rule("tcp", 443, "0.0.0.0/0"),
        rule("tcp", 3389, "10.0.0.0/8"),
    ];
    let (g, _) = groups(
        &emu,
        &[
            [rule("tcp", 3389, "0.0.0.0/0"), rule("udp", 3389, "::/0")].as_slice(),
            &kept,
        ]
        .concat(),
    )
    .await;
    let mut function = Deployment::start(&emu, F, &[("DRY_RUN", "false")]);
    let inv = function.invoke(&F.sample("scheduled-sweep.json", &[]));
    assert!(inv.succeeded(), "{:?}", inv.answer);
    assert_eq!(record(&inv, &g)["outcome"], "remediated");
    assert_eq!(ingress(&emu, &g).await, BTreeSet::from(kept));
    assert_eq!(record(&inv, &g)["control"]["holds"], true);
}

#[tokio::test]
async fn an_ocsf_ec2_53_finding_is_resolved_only_when_the_whole_control_holds() {
    let emu = Emulator::from_env();
    let file = "securityhub-v2-ocsf-ec2-53-failed.json";
    let ssh = rule("tcp", 22, "0.0.0.0/0");
    // The deployment acts on RDP alone (ADMIN_PORTS=3389), then on both.
    for (admin_ports, kept, status) in [("3389", vec![ssh.clone()], 2), ("22,3389", vec![], 4)] {
        let (g, other) = groups(&emu, &[ssh.clone(), rule("tcp", 3389, "0.0.0.0/0")]).await;
        let hub = Recorder::start(200, UPDATED);
        let mut function = Deployment::start(
            &emu,
            F,
            &[
                ("DRY_RUN", "false"),
                ("ADMIN_PORTS", admin_ports),
                ("AWS_ENDPOINT_URL_SECURITYHUB", hub.url()),
            ],
        );
        let inv = function.invoke(&F.sample(file, &[(GROUP, &g), (GROUP_2, &other)]));
        assert!(inv.succeeded(), "{admin_ports}: {:?}", inv.answer);
        assert_eq!(
            ingress(&emu, &g).await,
            kept.into_iter().collect::<BTreeSet<_>>(),
            "{admin_ports}"
        );
        let r = record(&inv, &g);
        assert_eq!(r["outcome"], "remediated", "{r}");
        let sent = hub.requests();
        assert_eq!(sent.len(), 1, "{admin_ports}: {sent:#?}");
        assert_eq!(sent[0].path, "/findingsv2/batchupdatev2");
        let body = &sent[0].body;
        assert_eq!(body["StatusId"], status, "{admin_ports}: {body}");
        let comment = body["Comment"].as_str().unwrap_or_default();
        if status == 2 {
            assert!(comment.contains("EC2.53 still fails: tcp 22"), "{comment}");
        }
        assert!(comment.chars().count() <= 512, "{comment}");
    }
}
