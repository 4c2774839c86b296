//! The same finding delivered 50 times at once: 50 instances of the function's
//! binary (Lambda's concurrency), each invoked with the same event at the same
//! moment, against one misconfigured resource in the emulator.
//!
//! Afterwards the resource is right, no invocation failed, every invocation
//! answered with exactly one record, and no change is claimed twice: the
//! instances that lost the race say the resource was already compliant.

use std::sync::Barrier;

use remediation_testing::emulator::{service_trust, unique, ADMIN_POLICY, READ_ONLY_POLICY};
use remediation_testing::function::sample_ids::{BUCKET, GROUP, ROLE};
use remediation_testing::{Deployment, Emulator, Function, GroupRule, Invocation};

/// How many times the finding is delivered, all at once.
const DELIVERIES: usize = 50;

/// Starts `DELIVERIES` instances and invokes them all with `event` at once.
fn deliver_at_once(emu: &Emulator, f: Function, event: &str) -> Vec<Invocation> {
    let mut instances: Vec<Deployment> = (0..DELIVERIES)
        .map(|_| Deployment::start(emu, f, &[]))
        .collect();
    let barrier = Barrier::new(DELIVERIES);
    std::thread::scope(|s| {
        let handles: Vec<_> = instances
            .iter_mut()
            .map(|d| {
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    d.invoke(event)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// The checks every function's duplicates must pass; returns the records.
fn assert_all_held(f: Function, invocations: &[Invocation]) -> Vec<serde_json::Value> {
    assert_eq!(invocations.len(), DELIVERIES);
    let mut records = Vec::new();
    for inv in invocations {
        assert!(inv.succeeded(), "{}: {:?}", f.name(), inv.answer);
        assert_eq!(inv.records.len(), 1, "{}: {:#?}", f.name(), inv.records);
        records.push(inv.record().clone());
    }
    let outcomes: Vec<&str> = records
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert!(
        outcomes
            .iter()
            .all(|o| *o == "remediated" || *o == "already_compliant"),
        "{}: {outcomes:?}",
        f.name()
    );
    assert!(
        outcomes.contains(&"remediated"),
        "{}: {outcomes:?}",
        f.name()
    );
    records
}

/// Every change claimed across the records, as JSON text.
fn claimed(records: &[serde_json::Value]) -> Vec<String> {
    records
        .iter()
        .flat_map(|r| {
            r["changes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.to_string())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_deliveries_of_one_security_group_finding_revoke_each_rule_once() {
    let emu = Emulator::from_env();
    let vpc = emu.create_vpc().await;
    let f = Function::named("sg-revoke-open-ssh");
    let id = emu.create_group(&vpc, &unique("dup-sg")).await;
    let open = [
        GroupRule::cidr("tcp", 22, 22, "0.0.0.0/0"),
        GroupRule::cidr("tcp", 22, 22, "::/0"),
    ];
    let keep = GroupRule::cidr("tcp", 22, 22, "10.0.0.0/8");
    emu.authorize(&id, &[open.to_vec(), vec![keep.clone()]].concat())
        .await;
    let before = emu.rules(&id).await;
    let event = f.sample("config-restricted-ssh-noncompliant.json", &[(GROUP, &id)]);

    let invocations = tokio::task::block_in_place(|| deliver_at_once(&emu, f, &event));

    let records = assert_all_held(f, &invocations);
    let expected: std::collections::BTreeSet<GroupRule> =
        before.into_iter().filter(|r| !open.contains(r)).collect();
    assert_eq!(emu.rules(&id).await, expected);
    let mut changes = claimed(&records);
    assert_eq!(
        changes.len(),
        open.len(),
        "each rule claimed once: {changes:#?}"
    );
    changes.dedup();
    assert_eq!(changes.len(), open.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_deliveries_of_one_role_finding_detach_administrator_access_once() {
    let emu = Emulator::from_env();
    let f = Function::named("iam-detach-admin-policy");
    let name = unique("dup-role");
    emu.create_role(
        &name,
        "/service-role/",
        &service_trust(&["lambda.amazonaws.com"]),
        &[ADMIN_POLICY, READ_ONLY_POLICY],
    )
    .await;
    let event = f.sample("cloudtrail-attach-admin.json", &[(ROLE, &name)]);

    let invocations = tokio::task::block_in_place(|| deliver_at_once(&emu, f, &event));

    let records = assert_all_held(f, &invocations);
    assert_eq!(
        emu.attached(&name).await,
        [READ_ONLY_POLICY.to_owned()].into()
    );
    assert_eq!(claimed(&records).len(), 1, "one detach, claimed once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_deliveries_of_one_bucket_finding_leave_all_four_settings_on() {
    let emu = Emulator::from_env();
    let f = Function::named("s3-block-public-access");
    let bucket = unique("dup-bucket");
    emu.create_bucket(&bucket).await;
    emu.put_flags(&bucket, [false, true, false, false]).await;
    let event = f.sample("config-bucket-noncompliant.json", &[(BUCKET, &bucket)]);

    let invocations = tokio::task::block_in_place(|| deliver_at_once(&emu, f, &event));

    let records = assert_all_held(f, &invocations);
    assert_eq!(emu.flags(&bucket).await, Some([true; 4]));
    // Writing the same four settings is idempotent: several instances may each
    // have written them, and each that did says so, with the state it read back.
    for r in records.iter().filter(|r| r["outcome"] == "remediated") {
        for flag in [
            "block_public_acls",
            "ignore_public_acls",
            "block_public_policy",
            "restrict_public_buckets",
        ] {
            assert_eq!(r["after"][flag], true, "{r:#}");
        }
    }
}
