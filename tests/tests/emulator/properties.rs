//! Never over-remediate, as properties: generated security groups, roles and
//! buckets, seeded in the emulator, each remediated by the function's binary
//! from a Config event, then read back.
//!
//! Each test states the rule it checks as its own small oracle, written from
//! the function's specification rather than from its code:
//! - security groups: exactly the ingress rules from `0.0.0.0/0` or `::/0`
//!   that let TCP port 22 in (protocol `-1`, or TCP with 22 in its range)
//!   are gone, and every other rule is still there, unchanged;
//! - roles: only a role whose trust policy allows AWS services and nothing
//!   else (Deny statements aside), outside the service-linked and SSO paths,
//!   loses AdministratorAccess, and no other policy is ever detached;
//! - buckets: all four Block Public Access settings are on afterwards, and
//!   the tags and the bucket policy are what they were.
//!
//! Cases per test: `PROPTEST_CASES`, or the default below. A failing case is
//! shrunk and printed; the generated resources keep unique names.

use std::cell::RefCell;
use std::collections::BTreeSet;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use remediation_testing::emulator::{unique, ADMIN_POLICY, READ_ONLY_POLICY};
use remediation_testing::function::sample_ids::{BUCKET, GROUP, ROLE_ID};
use remediation_testing::{Deployment, Emulator, Function, GroupRule, Source};
use serde_json::{json, Value};

/// Generated resources per test when `PROPTEST_CASES` is not set.
const DEFAULT_CASES: u32 = 64;

fn runner() -> TestRunner {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(DEFAULT_CASES);
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        // Each case costs several emulator calls and an invocation: shrink briefly.
        max_shrink_iters: 64,
        ..Config::default()
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

// ----- security groups -----

/// Where a generated rule comes from; groups and prefix lists are created once per test.
#[derive(Debug, Clone)]
enum GenSource {
    Cidr(&'static str),
    Peer,
    PrefixList,
}

/// CIDRs with the world among them, and the near misses a careless check takes for it.
const CIDRS: &[&str] = &[
    "0.0.0.0/0",
    "::/0",
    "0.0.0.0/1",
    "128.0.0.0/1",
    "::/1",
    "8000::/1",
    "0.0.0.0/8",
    "10.0.0.0/8",
    "192.0.2.10/32",
    "2001:db8::/32",
    "::/128",
];

/// One generated rule: (egress, protocol, from, to, source).
type GenRule = (bool, &'static str, i32, i32, GenSource);

fn gen_rule() -> impl Strategy<Value = GenRule> {
    let port = prop_oneof![
        prop::sample::select(vec![0, 1, 20, 21, 22, 23, 80, 443, 1024, 65535]),
        0..=65535i32,
    ];
    let ports = (port.clone(), port).prop_map(|(a, b)| (a.min(b), a.max(b)));
    let proto = prop_oneof![
        3 => Just("tcp"),
        1 => Just("udp"),
        1 => Just("icmp"),
        1 => Just("-1"),
    ];
    let source = prop_oneof![
        6 => prop::sample::select(CIDRS).prop_map(GenSource::Cidr),
        1 => Just(GenSource::Peer),
        1 => Just(GenSource::PrefixList),
    ];
    (prop::bool::weighted(0.15), proto, ports, source).prop_map(
        |(egress, proto, (from, to), source)| match proto {
            "-1" => (egress, proto, -1, -1, source),
            // ICMP ports are a type and a code: echo request, or all.
            "icmp" if from % 2 == 0 => (egress, proto, 8, 0, source),
            "icmp" => (egress, proto, -1, -1, source),
            _ => (egress, proto, from, to, source),
        },
    )
}

/// The specification's test for one rule as read back from EC2.
fn world_open_ssh(rule: &GroupRule) -> bool {
    let world = matches!(&rule.source, Source::Cidr(c) if c == "0.0.0.0/0" || c == "::/0");
    let ssh = match rule.protocol.as_str() {
        "-1" => true,
        "tcp" | "6" => rule.from <= 22 && 22 <= rule.to,
        _ => false,
    };
    !rule.egress && world && ssh
}

#[test]
fn generated_security_groups_lose_exactly_their_world_open_ssh_rules() {
    let rt = runtime();
    let emu = Emulator::from_env();
    let (vpc, peer, prefix_list) = rt.block_on(async {
        let vpc = emu.create_vpc().await;
        let peer = emu.create_group(&vpc, &unique("prop-peer")).await;
        let list = emu
            .create_prefix_list(&unique("prop-list"), "203.0.113.0/24")
            .await;
        (vpc, peer, list)
    });
    let f = Function::named("sg-revoke-open-ssh");
    // One warm instance for every case, as Lambda would keep it.
    let function = RefCell::new(Deployment::start(&emu, f, &[]));
    let strategy = prop::collection::vec(gen_rule(), 0..10);
    let result = runner().run(&strategy, |generated| {
        let rules: Vec<GroupRule> = generated
            .iter()
            .map(|(egress, proto, from, to, source)| GroupRule {
                egress: *egress,
                protocol: (*proto).to_owned(),
                from: *from,
                to: *to,
                source: match source {
                    GenSource::Cidr(c) => Source::Cidr((*c).to_owned()),
                    GenSource::Peer => Source::Group(peer.clone()),
                    GenSource::PrefixList => Source::PrefixList(prefix_list.clone()),
                },
            })
            // Every new group already has this egress rule; EC2 refuses it twice.
            .filter(|r| {
                !(r.egress && r.protocol == "-1" && r.source == Source::Cidr("0.0.0.0/0".into()))
            })
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let (id, before) = rt.block_on(async {
            let id = emu.create_group(&vpc, &unique("prop-sg")).await;
            emu.authorize_merged(&id, &rules).await;
            let before = emu.rules(&id).await;
            (id, before)
        });
        for r in &rules {
            prop_assert!(before.contains(r), "seeding lost {:?}: {:?}", r, before);
        }
        let open: BTreeSet<GroupRule> = before
            .iter()
            .filter(|r| world_open_ssh(r))
            .cloned()
            .collect();
        let expected: BTreeSet<GroupRule> = before.difference(&open).cloned().collect();

        let inv = function
            .borrow_mut()
            .invoke(&f.sample("config-restricted-ssh-noncompliant.json", &[(GROUP, &id)]));
        let after = rt.block_on(emu.rules(&id));

        prop_assert!(inv.succeeded(), "{:?}: {:#?}", inv.answer, inv.records);
        let want = if open.is_empty() {
            "already_compliant"
        } else {
            "remediated"
        };
        prop_assert_eq!(inv.outcomes(), vec![want.to_owned()]);
        prop_assert_eq!(&after, &expected, "rules left, for {:#?}", before);
        let changes = inv.record()["changes"].as_array().map_or(0, Vec::len);
        prop_assert_eq!(changes, open.len(), "{:#?}", inv.record());
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}\nlogs:\n{}", function.borrow().logs());
    }
}

// ----- roles -----

const SERVICES: &[&str] = &[
    "lambda.amazonaws.com",
    "ec2.amazonaws.com",
    "ecs-tasks.amazonaws.com",
];

/// A generated principal: its JSON, and whether it names AWS services only.
fn gen_principal() -> impl Strategy<Value = (Value, bool)> {
    let service = prop_oneof![
        prop::sample::select(SERVICES).prop_map(|s| json!(s)),
        prop::sample::subsequence(SERVICES, 1..=3).prop_map(|v| json!(v)),
    ];
    let aws = prop::sample::select(vec![
        json!("arn:aws:iam::123456789012:root"),
        json!("123456789012"),
        json!("*"),
        json!([
            "arn:aws:iam::123456789012:role/deployer",
            "arn:aws:iam::210987654321:root"
        ]),
    ]);
    let federated = prop::sample::select(vec![
        json!("cognito-identity.amazonaws.com"),
        json!("arn:aws:iam::123456789012:saml-provider/corp"),
        json!("arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"),
    ]);
    prop_oneof![
        4 => service.clone().prop_map(|s| (json!({"Service": s}), true)),
        1 => aws.clone().prop_map(|a| (json!({"AWS": a}), false)),
        1 => federated.prop_map(|f| (json!({"Federated": f}), false)),
        1 => (service, aws).prop_map(|(s, a)| (json!({"Service": s, "AWS": a}), false)),
        1 => Just((json!("*"), false)),
    ]
}

/// A generated trust policy and whether it makes a pure service role.
fn gen_trust() -> impl Strategy<Value = (Value, bool)> {
    let statement = (
        prop::bool::weighted(0.2),
        gen_principal(),
        prop::bool::weighted(0.3),
        prop::bool::ANY,
    )
        .prop_map(|(deny, (principal, services_only), condition, tag_session)| {
            let mut st = json!({
                "Effect": if deny { "Deny" } else { "Allow" },
                "Principal": principal,
                "Action": if tag_session { json!(["sts:AssumeRole", "sts:TagSession"]) } else { json!("sts:AssumeRole") },
            });
            if condition {
                st["Condition"] = json!({"StringEquals": {"aws:SourceAccount": "123456789012"}});
            }
            (st, deny, services_only)
        });
    prop::collection::vec(statement, 1..4).prop_map(|statements| {
        let allows: Vec<bool> = statements
            .iter()
            .filter(|(_, deny, _)| !deny)
            .map(|(_, _, services_only)| *services_only)
            .collect();
        let pure = !allows.is_empty() && allows.iter().all(|s| *s);
        let doc = json!({
            "Version": "2012-10-17",
            "Statement": statements.into_iter().map(|(st, _, _)| st).collect::<Vec<_>>(),
        });
        (doc, pure)
    })
}

#[test]
fn generated_roles_lose_administrator_access_only_when_they_are_pure_service_roles() {
    let rt = runtime();
    let emu = Emulator::from_env();
    let f = Function::named("iam-detach-admin-policy");
    // One warm instance for every case, as Lambda would keep it.
    let function = RefCell::new(Deployment::start(&emu, f, &[]));
    let policies = prop::sample::subsequence(
        vec![
            ADMIN_POLICY,
            READ_ONLY_POLICY,
            "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
            "arn:aws:iam::aws:policy/PowerUserAccess",
        ],
        0..=4,
    );
    let path = prop::sample::select(vec![
        "/",
        "/service-role/",
        "/app/",
        "/aws-service-role/ecs.amazonaws.com/",
        "/aws-reserved/sso.amazonaws.com/",
    ]);
    let result = runner().run(
        &(gen_trust(), policies, path),
        |((trust, pure), policies, path)| {
            let name = unique("prop-role");
            let before: BTreeSet<String> = policies.iter().map(|p| (*p).to_owned()).collect();
            let role = rt.block_on(emu.create_role(&name, path, &trust, &policies));
            let protected_path =
                path.starts_with("/aws-service-role/") || path.starts_with("/aws-reserved/");
            let detach = pure && !protected_path && before.contains(ADMIN_POLICY);
            let expected: BTreeSet<String> = before
                .iter()
                .filter(|p| !(detach && *p == ADMIN_POLICY))
                .cloned()
                .collect();

            // Config names roles by their id: the function resolves it first.
            let inv = function
                .borrow_mut()
                .invoke(&f.sample("config-blacklisted-role-id.json", &[(ROLE_ID, &role.id)]));
            let after = rt.block_on(emu.attached(&name));

            prop_assert!(inv.succeeded(), "{:?}: {:#?}", inv.answer, inv.records);
            prop_assert_eq!(
                &after,
                &expected,
                "policies left on {} ({}) trusting {}",
                name,
                path,
                trust
            );
            let outcome = &inv.outcomes()[0];
            if detach {
                prop_assert_eq!(outcome, "remediated", "{:#?}", inv.records);
            } else {
                prop_assert!(
                    outcome == "skipped" || outcome == "already_compliant",
                    "{:#?}",
                    inv.records
                );
            }
            Ok(())
        },
    );
    if let Err(e) = result {
        panic!("{e}\nlogs:\n{}", function.borrow().logs());
    }
}

// ----- buckets -----

/// A bucket policy that denies requests without TLS.
fn tls_only(bucket: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{
        "Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}
    }]})
}

#[test]
fn generated_buckets_end_with_all_four_settings_on_and_nothing_else_changed() {
    let rt = runtime();
    let emu = Emulator::from_env();
    let f = Function::named("s3-block-public-access");
    // One warm instance for every case, as Lambda would keep it.
    let function = RefCell::new(Deployment::start(&emu, f, &[]));
    let flags = prop::option::weighted(0.8, prop::array::uniform4(prop::bool::ANY));
    let tag = prop::option::of((
        prop::sample::select(vec!["team", "env", "cost-centre"]),
        "[a-z0-9]{1,12}",
    ));
    let result = runner().run(
        &(flags, tag, prop::bool::ANY),
        |(flags, tag, with_policy)| {
            let bucket = unique("prop-bucket");
            let (tags_before, policy_before) = rt.block_on(async {
                emu.create_bucket(&bucket).await;
                if let Some(flags) = flags {
                    emu.put_flags(&bucket, flags).await;
                }
                if let Some((key, value)) = &tag {
                    emu.tag_bucket(&bucket, key, value).await;
                }
                if with_policy {
                    emu.put_bucket_policy(&bucket, &tls_only(&bucket)).await;
                }
                (
                    emu.bucket_tags(&bucket).await,
                    emu.bucket_policy(&bucket).await,
                )
            });

            let inv = function
                .borrow_mut()
                .invoke(&f.sample("config-bucket-noncompliant.json", &[(BUCKET, &bucket)]));
            let (flags_after, tags_after, policy_after) = rt.block_on(async {
                (
                    emu.flags(&bucket).await,
                    emu.bucket_tags(&bucket).await,
                    emu.bucket_policy(&bucket).await,
                )
            });

            prop_assert!(inv.succeeded(), "{:?}: {:#?}", inv.answer, inv.records);
            prop_assert_eq!(flags_after, Some([true; 4]));
            prop_assert_eq!(tags_after, tags_before);
            prop_assert_eq!(policy_after, policy_before);
            let want = if flags == Some([true; 4]) {
                "already_compliant"
            } else {
                "remediated"
            };
            prop_assert_eq!(inv.outcomes(), vec![want.to_owned()]);
            Ok(())
        },
    );
    if let Err(e) = result {
        panic!("{e}\nlogs:\n{}", function.borrow().logs());
    }
}
