//! The scheduled sweep of each function against the emulator, each in an
//! account of its own (a sweep acts on every resource of its kind in the
//! account): the misconfigured resources no event reported are fixed, the
//! exempt and protected ones are recorded and left alone, the compliant ones
//! get no record, and the summary adds up. A second sweep finds nothing to fix.

use std::collections::BTreeMap;

use remediation_testing::emulator::{service_trust, unique, GroupRule};
use remediation_testing::{Deployment, Emulator, Function, Invocation};
use serde_json::{json, Value};

const EXEMPT: &str = "auto-remediation:exempt";
const ADMIN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";
const READ_ONLY: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";

/// Runs `function`'s scheduled-sweep sample in the emulator's account.
fn sweep(emu: &Emulator, function: Function, settings: &[(&str, &str)]) -> Invocation {
    let mut deployment = Deployment::start(emu, function, settings);
    deployment.invoke(&function.sample("scheduled-sweep.json", &[]))
}

/// The outcome of each record, by the last part of its resource.
fn outcomes(inv: &Invocation) -> BTreeMap<String, String> {
    inv.records
        .iter()
        .map(|r| {
            let resource = r["resource"].as_str().unwrap_or_default();
            let name = resource.rsplit(['/', ':']).next().unwrap_or_default();
            (name.to_owned(), r["outcome"].as_str().unwrap().to_owned())
        })
        .collect()
}

/// Checks the summary: what was examined, found compliant, and how each suspect ended.
fn assert_summary(
    inv: &Invocation,
    account: &str,
    examined: u64,
    compliant: u64,
    by_outcome: Value,
) {
    let s = inv.sweep.as_ref().expect("a sweep writes its summary");
    assert_eq!(s["record_type"], "remediation_sweep");
    assert_eq!(s["account"], account);
    assert_eq!(
        (s["examined"].as_u64(), s["compliant"].as_u64()),
        (Some(examined), Some(compliant)),
        "{s}"
    );
    assert_eq!(s["outcomes"], by_outcome, "{s}");
    assert_eq!(s["finished"], true, "{s}");
    assert!(s["api_calls"].as_u64().unwrap() > 0, "{s}");
    for r in &inv.records {
        assert_eq!(r["trigger"]["detail_type"], "Scheduled Event");
        assert_eq!(r["account"], account);
    }
}

#[tokio::test]
async fn the_bucket_sweep_fixes_every_open_bucket_of_the_account_and_only_those() {
    let emu = Emulator::from_env().in_account("210000000001").await;
    let (open, partial, closed, exempt) = (
        unique("open"),
        unique("partial"),
        unique("closed"),
        unique("exempt"),
    );
    for b in [&open, &partial, &closed, &exempt] {
        emu.create_bucket(b).await;
    }
    emu.put_flags(&partial, [true, false, true, false]).await;
    emu.put_flags(&closed, [true; 4]).await;
    emu.tag_bucket(&exempt, EXEMPT, "true").await;
    let f = Function::named("s3-block-public-access");

    let dry = sweep(&emu, f, &[("DRY_RUN", "true")]);
    assert_eq!(
        outcomes(&dry).values().filter(|o| *o == "dry_run").count(),
        2,
        "{:#?}",
        dry.records
    );
    assert_eq!(emu.flags(&open).await, None, "a dry run changed a bucket");

    let first = sweep(&emu, f, &[]);
    let expected: BTreeMap<String, String> = [
        (&open, "remediated"),
        (&partial, "remediated"),
        (&exempt, "skipped"),
    ]
    .into_iter()
    .map(|(b, o)| (b.clone(), o.to_owned()))
    .collect();
    assert_eq!(outcomes(&first), expected, "{:#?}", first.records);
    assert_summary(
        &first,
        "210000000001",
        4,
        1,
        json!({"remediated": 2, "skipped": 1}),
    );
    for b in [&open, &partial, &closed] {
        assert_eq!(emu.flags(b).await, Some([true; 4]), "{b}");
    }
    assert_eq!(emu.flags(&exempt).await, None);

    let again = sweep(&emu, f, &[]);
    assert_summary(&again, "210000000001", 4, 3, json!({"skipped": 1}));
}

#[tokio::test]
async fn the_group_sweep_revokes_world_open_ssh_in_every_group_of_the_region_and_only_that() {
    let emu = Emulator::from_env().in_account("210000000002").await;
    let vpc = emu.create_vpc().await;
    let open = emu.create_group(&vpc, &unique("open")).await;
    let private = emu.create_group(&vpc, &unique("private")).await;
    let exempt = emu.create_group(&vpc, &unique("exempt")).await;
    let https = GroupRule::cidr("tcp", 443, 443, "0.0.0.0/0");
    emu.authorize(
        &open,
        &[
            GroupRule::cidr("tcp", 22, 22, "0.0.0.0/0"),
            GroupRule::cidr("tcp", 0, 65535, "::/0"),
            https.clone(),
        ],
    )
    .await;
    emu.authorize(&private, &[GroupRule::cidr("tcp", 22, 22, "10.0.0.0/8")])
        .await;
    emu.authorize(&exempt, &[GroupRule::cidr("tcp", 22, 22, "0.0.0.0/0")])
        .await;
    emu.tag_group(&exempt, EXEMPT, "true").await;
    let private_before = emu.rules(&private).await;
    let exempt_before = emu.rules(&exempt).await;

    let first = sweep(&emu, Function::named("sg-revoke-open-ssh"), &[]);
    let got = outcomes(&first);
    assert_eq!(
        got.get(&open).map(String::as_str),
        Some("remediated"),
        "{:#?}",
        first.records
    );
    assert_eq!(
        got.get(&exempt).map(String::as_str),
        Some("skipped"),
        "{:#?}",
        first.records
    );
    assert_eq!(got.len(), 2, "only the open groups have records: {got:?}");
    let s = first.sweep.as_ref().unwrap();
    assert_eq!(s["outcomes"], json!({"remediated": 1, "skipped": 1}), "{s}");
    assert!(s["examined"].as_u64().unwrap() >= 3, "{s}");
    let ingress: Vec<GroupRule> = emu
        .rules(&open)
        .await
        .into_iter()
        .filter(|r| !r.egress)
        .collect();
    assert_eq!(ingress, [https]);
    assert_eq!(emu.rules(&private).await, private_before);
    assert_eq!(emu.rules(&exempt).await, exempt_before);

    let again = sweep(&emu, Function::named("sg-revoke-open-ssh"), &[]);
    assert_eq!(outcomes(&again).values().collect::<Vec<_>>(), ["skipped"]);
}

#[tokio::test]
async fn the_role_sweep_detaches_admin_from_service_roles_and_leaves_protected_and_exempt_ones() {
    let emu = Emulator::from_env().in_account("210000000003").await;
    let lambda = service_trust(&["lambda.amazonaws.com"]);
    let service = emu
        .create_role(
            &unique("service"),
            "/service-role/",
            &lambda,
            &[READ_ONLY, ADMIN],
        )
        .await;
    let exempt = emu
        .create_role(&unique("exempt"), "/", &lambda, &[ADMIN])
        .await;
    emu.tag_role(&exempt.name, EXEMPT, "true").await;
    let cdk = emu
        .create_role(
            "cdk-hnb659fds-cfn-exec-role-210000000003-us-east-1",
            "/",
            &service_trust(&["cloudformation.amazonaws.com"]),
            &[ADMIN],
        )
        .await;
    let reader = emu
        .create_role(&unique("reader"), "/", &lambda, &[READ_ONLY])
        .await;

    let first = sweep(&emu, Function::named("iam-detach-admin-policy"), &[]);
    let expected: BTreeMap<String, String> = [
        (&service.name, "remediated"),
        (&exempt.name, "skipped"),
        (&cdk.name, "skipped"),
    ]
    .into_iter()
    .map(|(r, o)| (r.clone(), o.to_owned()))
    .collect();
    assert_eq!(outcomes(&first), expected, "{:#?}", first.records);
    assert_summary(
        &first,
        "210000000003",
        4,
        1,
        json!({"remediated": 1, "skipped": 2}),
    );
    assert_eq!(
        emu.attached(&service.name)
            .await
            .into_iter()
            .collect::<Vec<_>>(),
        [READ_ONLY]
    );
    for kept in [&exempt.name, &cdk.name] {
        assert!(emu.attached(kept).await.contains(ADMIN), "{kept}");
    }
    assert_eq!(
        emu.attached(&reader.name)
            .await
            .into_iter()
            .collect::<Vec<_>>(),
        [READ_ONLY]
    );
    for r in &first.records {
        assert!(r["region"].is_null(), "IAM is global: {r}");
    }
}

#[tokio::test]
async fn the_account_sweep_turns_the_account_setting_on_once() {
    let emu = Emulator::from_env().in_account("210000000004").await;
    let f = Function::named("s3-account-public-access-block");
    let first = sweep(&emu, f, &[("DRY_RUN", "false")]);
    assert_eq!(first.outcomes(), ["remediated"], "{:#?}", first.records);
    assert_summary(&first, "210000000004", 1, 0, json!({"remediated": 1}));
    assert_eq!(emu.account_flags().await, Some([true; 4]));
    let again = sweep(&emu, f, &[("DRY_RUN", "false")]);
    assert!(again.records.is_empty(), "{:#?}", again.records);
    assert_summary(&again, "210000000004", 1, 1, json!({}));
}
