//! Hub mode against the emulator: one deployment of the security-group
//! function in a hub account fixes the resources its aggregated Security Hub
//! findings name in three member accounts, each in its own region, through
//! each member's role, and nothing else: the hub's identical groups stay
//! open, an account outside `TARGET_ACCOUNTS` is skipped without an
//! `AssumeRole`, a member whose role cannot be assumed fails cleanly while
//! the others succeed, and each member's role is assumed once however many
//! findings name it. The emulator lets any role be assumed, so a gate in
//! front of its STS ([`StsGate`]) refuses one member's role and counts the
//! calls.

use remediation_testing::emulator::{unique, GroupRule};
use remediation_testing::sts_gate::StsGate;
use remediation_testing::{Deployment, Emulator, Function};
use serde_json::Value;

const HUB: &str = "410000000000";
const MEMBERS: [(&str, &str); 3] = [
    ("410000000001", "us-east-1"),
    ("410000000002", "eu-west-1"),
    ("410000000003", "us-west-2"),
];
/// Listed in TARGET_ACCOUNTS, but its role refuses the hub.
const REFUSING: &str = "410000000004";
/// Not listed in TARGET_ACCOUNTS.
const UNLISTED: &str = "410000000005";
const ROLE: &str = "remediation-member";

fn world_ssh() -> GroupRule {
    GroupRule::cidr("tcp", 22, 22, "0.0.0.0/0")
}

/// A group named `name` opening SSH to the world, in `emu`'s account and region.
async fn open_group(emu: &Emulator, name: &str) -> String {
    let vpc = emu.create_vpc().await;
    let group = emu.create_group(&vpc, name).await;
    emu.authorize(&group, &[world_ssh()]).await;
    group
}

/// The Security Hub event aggregation delivers in the hub's region: one
/// EC2.19 finding per `(account, region, group)`, made from the sample.
fn aggregated(targets: &[(&str, &str, &str)]) -> String {
    let sample: Value = serde_json::from_str(
        &Function::named("sg-revoke-open-ssh").sample("securityhub-ec2-19-failed.json", &[]),
    )
    .unwrap();
    let template = sample["detail"]["findings"][0].to_string();
    let findings: Vec<Value> = targets
        .iter()
        .enumerate()
        .map(|(i, (account, region, group))| {
            let text = template
                .replace("123456789012", account)
                .replace("us-east-1", region)
                .replace("sg-0123456789abcdef0", group)
                .replace(
                    "ba03fc70-ed7e-403c-80df-a80b28a054b5",
                    &format!("hub-test-{i}"),
                );
            serde_json::from_str(&text).unwrap()
        })
        .collect();
    let mut event = sample;
    event["account"] = HUB.into();
    event["detail"]["findings"] = findings.into();
    event.to_string()
}

/// `r` says the resource was fixed in `account` and `region` through its member role.
fn remediated_through_member(r: &Value, account: &str, region: &str) {
    assert_eq!(r["outcome"], "remediated", "{r}");
    assert_eq!(
        (r["account"].as_str(), r["region"].as_str()),
        (Some(account), Some(region))
    );
    assert_eq!(
        r["member_role"],
        format!("arn:aws:iam::{account}:role/{ROLE}")
    );
}

#[tokio::test]
async fn one_hub_fixes_each_member_in_its_region_through_its_role_and_nothing_else() {
    let root = Emulator::from_env();
    let hub = root.in_account(HUB).await;
    // GIVEN the same open group in three members (each in its own region),
    // in a member that refuses the hub, in an unlisted member, and in the
    // hub itself in each of those regions
    let name = unique("hub-ssh");
    let mut members = Vec::new();
    for (account, region) in MEMBERS {
        let emu = root.in_account(account).await.in_region(region);
        let group = open_group(&emu, &name).await;
        members.push((emu, group));
    }
    let refusing = root.in_account(REFUSING).await;
    let refusing_group = open_group(&refusing, &name).await;
    let unlisted = root.in_account(UNLISTED).await;
    let unlisted_group = open_group(&unlisted, &name).await;
    let mut hub_groups = Vec::new();
    for (_, region) in MEMBERS {
        let emu = hub.in_region(region);
        let group = open_group(&emu, &name).await;
        hub_groups.push((emu, group));
    }
    let gate = StsGate::start(root.url(), &[REFUSING]);
    let listed = [MEMBERS[0].0, MEMBERS[1].0, MEMBERS[2].0, REFUSING].join(",");
    let mut deployment = Deployment::start(
        &hub,
        Function::named("sg-revoke-open-ssh"),
        &[
            ("MEMBER_ROLE_NAME", ROLE),
            ("TARGET_ACCOUNTS", &listed),
            ("AWS_ENDPOINT_URL_STS", gate.url()),
        ],
    );

    // WHEN the hub receives the aggregated findings
    let mut targets: Vec<(&str, &str, &str)> = members
        .iter()
        .zip(MEMBERS)
        .map(|((_, group), (account, region))| (account, region, group.as_str()))
        .collect();
    targets.push((REFUSING, "us-east-1", &refusing_group));
    targets.push((UNLISTED, "us-east-1", &unlisted_group));
    let first = deployment.invoke(&aggregated(&targets));

    // THEN each member's group is closed, in its own account and region
    for (emu, group) in &members {
        assert!(
            !emu.rules(group).await.contains(&world_ssh()),
            "{} {}: still open",
            emu.account(),
            emu.region()
        );
    }
    // AND the hub's identical groups, the refusing and the unlisted member's are still open
    for (emu, group) in &hub_groups {
        assert!(
            emu.rules(group).await.contains(&world_ssh()),
            "hub {}",
            emu.region()
        );
    }
    assert!(refusing.rules(&refusing_group).await.contains(&world_ssh()));
    assert!(unlisted.rules(&unlisted_group).await.contains(&world_ssh()));

    // AND each record names the account, the region and the role acted through
    let record = |group: &str| {
        first
            .records
            .iter()
            .find(|r| r["resource"].as_str().unwrap_or_default().ends_with(group))
            .unwrap_or_else(|| panic!("no record for {group}: {:#?}", first.records))
            .clone()
    };
    for ((_, group), (account, region)) in members.iter().zip(MEMBERS) {
        remediated_through_member(&record(group), account, region);
    }
    // AND the member that refused is a clean failure with the code and the role
    let refused = record(&refusing_group);
    assert_eq!(refused["outcome"], "failed", "{refused}");
    assert_eq!(refused["error_code"], "AccessDenied");
    assert_eq!(
        refused["member_role"],
        format!("arn:aws:iam::{REFUSING}:role/{ROLE}")
    );
    // AND the unlisted member was skipped, and its role never asked for
    let skipped = record(&unlisted_group);
    assert_eq!(skipped["outcome"], "skipped", "{skipped}");
    assert!(skipped["reason"]
        .as_str()
        .unwrap()
        .contains("TARGET_ACCOUNTS"));
    let asked = gate.assume_role_calls();
    assert!(!asked.iter().any(|r| r.contains(UNLISTED)), "{asked:?}");
    // AND the failure fails the invocation, so that Lambda retries it
    assert!(
        matches!(first.answer, remediation_testing::Answer::Error(_)),
        "{:?}",
        first.answer
    );

    // WHEN more findings about the same members arrive at the same instance
    let mut again = Vec::new();
    for (emu, _) in &members {
        again.push(open_group(emu, &unique("hub-ssh-again")).await);
    }
    let second_targets: Vec<(&str, &str, &str)> = again
        .iter()
        .zip(MEMBERS)
        .map(|(group, (account, region))| (account, region, group.as_str()))
        .collect();
    let second = deployment.invoke(&aggregated(&second_targets));
    // THEN they are fixed with the credentials already held: one AssumeRole per member role
    assert_eq!(second.records.len(), 3);
    assert!(
        second.records.iter().all(|r| r["outcome"] == "remediated"),
        "{:#?}",
        second.records
    );
    let mut asked = gate.assume_role_calls();
    asked.sort();
    let mut expected: Vec<String> = [MEMBERS[0].0, MEMBERS[1].0, MEMBERS[2].0, REFUSING]
        .iter()
        .map(|a| format!("arn:aws:iam::{a}:role/{ROLE}"))
        .collect();
    expected.sort();
    assert_eq!(asked, expected);
}

#[tokio::test]
async fn an_ocsf_finding_of_a_member_is_fixed_through_its_role_in_its_region() {
    let root = Emulator::from_env();
    let hub = root.in_account(HUB).await;
    let (account, region) = MEMBERS[1];
    // GIVEN an open group in a member, and the same one in the hub
    let name = unique("hub-ocsf");
    let member = root.in_account(account).await.in_region(region);
    let group = open_group(&member, &name).await;
    let hub_group = open_group(&hub.in_region(region), &name).await;
    let mut deployment = Deployment::start(
        &hub,
        Function::named("sg-revoke-open-ssh"),
        &[("MEMBER_ROLE_NAME", ROLE), ("TARGET_ACCOUNTS", account)],
    );
    // WHEN the hub receives the member's EC2.13 finding as Security Hub's OCSF event
    let event = Function::named("sg-revoke-open-ssh")
        .sample("securityhub-v2-ocsf-ec2-13-failed.json", &[])
        .replace("123456789012", account)
        .replace("us-east-1", region)
        .replace("sg-0123456789abcdef0", &group);
    let mut event: Value = serde_json::from_str(&event).unwrap();
    event["account"] = HUB.into();
    let inv = deployment.invoke(&event.to_string());
    // THEN the member's group is closed through its role, and the hub's is not touched
    assert!(!member.rules(&group).await.contains(&world_ssh()));
    assert!(hub
        .in_region(region)
        .rules(&hub_group)
        .await
        .contains(&world_ssh()));
    let r = inv.record();
    assert_eq!(r["trigger"]["detail_type"], "Findings Imported V2");
    remediated_through_member(r, account, region);
}
