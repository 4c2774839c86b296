//! An organisation's sweep against the emulator: a hub's scheduled event
//! queues one message per place (account and region) on an SQS queue of the
//! emulator, and the queue's messages are delivered back to the same binary
//! as Lambda's event source mapping would ([`SweepQueue::drain`]): each
//! place is swept in its own account and region through the member role;
//! an account outside `TARGET_ACCOUNTS` is never reached; a place throttled
//! past the SDK's retries is handed back and fixed on its next delivery; a
//! member whose role refuses the hub fails on every delivery and ends in the
//! dead-letter queue, the other places fixed; without an account list, the
//! organisation's active accounts are swept. A gate in front of the
//! emulator ([`StsGate`]) refuses that member's role and throttles EC2 in
//! one region.

use std::collections::BTreeSet;
use std::time::Duration;

use remediation_testing::emulator::{unique, GroupRule};
use remediation_testing::queue::{Delivered, SweepQueue};
use remediation_testing::sts_gate::StsGate;
use remediation_testing::{Deployment, Emulator, Function};
use serde_json::Value;

const HUB: &str = "420000000000";
const MEMBERS: [&str; 2] = ["420000000001", "420000000002"];
const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];
/// Listed in the second test's TARGET_ACCOUNTS, but its role refuses the hub.
const REFUSING: &str = "420000000004";
/// Never listed.
const UNLISTED: &str = "420000000005";
const ROLE: &str = "remediation-member";
const GROUPS: &str = "sg-revoke-open-ssh";

fn world_ssh() -> GroupRule {
    GroupRule::cidr("tcp", 22, 22, "0.0.0.0/0")
}

/// A group opening SSH to the world in `emu`'s account and region.
async fn open_group(emu: &Emulator) -> String {
    let vpc = emu.create_vpc().await;
    let group = emu.create_group(&vpc, &unique("org-ssh")).await;
    emu.authorize(&group, &[world_ssh()]).await;
    group
}

/// `(account, region)` of a place's message.
fn place_of(body: &Value) -> (String, String) {
    (
        body["account"].as_str().unwrap().to_owned(),
        body["region"].as_str().unwrap().to_owned(),
    )
}

/// Every record and summary of `delivered` names the place of its message.
fn each_delivery_stays_in_its_place(delivered: &[Delivered]) {
    for d in delivered {
        let (account, region) = place_of(&d.body);
        for r in &d.invocation.records {
            // A global service's records name no region.
            assert_eq!(r["account"], account.as_str(), "outside its place: {r}");
            assert!(
                r["region"].is_null() || r["region"] == region.as_str(),
                "outside its place: {r}"
            );
            assert_eq!(r["trigger"]["detail_type"], "Scheduled Event", "{r}");
        }
        let summary = d.invocation.sweep.as_ref().expect("a summary per place");
        assert_eq!(summary["account"], account.as_str(), "{summary}");
    }
}

#[tokio::test]
async fn a_hubs_sweep_queues_each_place_and_each_delivery_fixes_its_own_place() {
    let root = Emulator::from_env();
    let hub = root.in_account(HUB).await;
    // GIVEN an open group in every place of the hub and two members, in two
    // regions, and one in an account that is not listed
    let mut open = Vec::new();
    for account in [HUB, MEMBERS[0], MEMBERS[1]] {
        for region in REGIONS {
            let emu = root.in_account(account).await.in_region(region);
            let group = open_group(&emu).await;
            open.push((emu, group));
        }
    }
    let unlisted = root.in_account(UNLISTED).await;
    let unlisted_group = open_group(&unlisted).await;
    // AND AWS throttling EC2 in eu-west-1 for longer than the SDK retries (three attempts)
    let gate = StsGate::throttling(root.url(), &[], "eu-west-1", "ec2", 3);
    let settings = |queue: &SweepQueue| {
        vec![
            ("MEMBER_ROLE_NAME", ROLE.to_owned()),
            ("TARGET_ACCOUNTS", MEMBERS.join(",")),
            ("TARGET_REGIONS", "eu-west-1".to_owned()),
            ("SWEEP_QUEUE_URL", queue.url.clone()),
            ("AWS_ENDPOINT_URL_STS", gate.url().to_owned()),
            ("AWS_ENDPOINT_URL_EC2", gate.url().to_owned()),
            ("DRY_RUN", "false".to_owned()),
        ]
    };

    // WHEN each function's schedule fires in the hub
    let mut queued = Vec::new();
    for function in remediation_catalog::ALL {
        let queue = SweepQueue::create(&hub, 3, 1).await;
        let env = settings(&queue);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let named = Function::named(function.name);
        let mut deployment = Deployment::start(&hub, named, &env);
        let scheduled = deployment.invoke(&named.sample("scheduled-sweep.json", &[]));
        // THEN it sweeps nothing itself and queues one message per place: six
        // for a regional resource, three (an account each) for a global one
        assert!(
            scheduled.succeeded(),
            "{}: {:?}",
            function.name,
            scheduled.answer
        );
        assert!(scheduled.records.is_empty(), "{:#?}", scheduled.records);
        let places: BTreeSet<(String, String)> =
            queue.peek(&hub).await.iter().map(place_of).collect();
        let expected = if function.name == GROUPS || function.name == "s3-block-public-access" {
            6
        } else {
            3
        };
        assert_eq!(places.len(), expected, "{}: {places:?}", function.name);
        assert_eq!(
            scheduled.sweep.as_ref().unwrap()["queued"],
            expected,
            "{}",
            function.name
        );
        assert!(places.iter().all(|(a, _)| a != UNLISTED));
        queued.push((named, queue, deployment));
    }

    // WHEN the queues deliver the places back, one message per invocation
    for (function, queue, deployment) in &mut queued {
        let delivered = queue
            .drain(&hub, deployment, Duration::from_secs(240))
            .await;
        each_delivery_stays_in_its_place(&delivered);
        // THEN nothing is left in either queue
        assert!(
            queue.dead_letters(&hub).await.is_empty(),
            "{}",
            function.name()
        );
        if function.name() != GROUPS {
            assert!(
                delivered.iter().all(|d| !d.handed_back),
                "{}: {delivered:#?}",
                function.name()
            );
            continue;
        }
        // AND the throttled place failed once, was handed back, and was fixed on its next delivery
        let throttled: Vec<&Delivered> = delivered.iter().filter(|d| d.handed_back).collect();
        assert_eq!(throttled.len(), 1, "{delivered:#?}");
        let again = throttled[0];
        assert_eq!(place_of(&again.body).1, "eu-west-1");
        let retried = delivered
            .iter()
            .find(|d| d.body == again.body && !d.handed_back)
            .expect("the throttled place delivered again");
        assert!(retried.receive_count > again.receive_count);
        assert_eq!(gate.throttled(), 3);
        let failed = &again.invocation.records[0];
        assert_eq!(failed["error_code"], "RequestLimitExceeded", "{failed}");
        // AND each group is closed, each by the delivery of its own place, through the member's role
        for (emu, group) in &open {
            assert!(
                !emu.rules(group).await.contains(&world_ssh()),
                "{} {}: still open",
                emu.account(),
                emu.region()
            );
            let fixed = delivered
                .iter()
                .flat_map(|d| &d.invocation.records)
                .find(|r| {
                    r["resource"]
                        .as_str()
                        .unwrap_or_default()
                        .ends_with(group.as_str())
                })
                .unwrap();
            assert_eq!(fixed["outcome"], "remediated");
            let role = (emu.account() != HUB)
                .then(|| format!("arn:aws:iam::{}:role/{ROLE}", emu.account()));
            assert_eq!(fixed["member_role"].as_str(), role.as_deref(), "{fixed}");
        }
        // AND the fixes are counted as the sweep's
        let metrics: Vec<&Value> = delivered
            .iter()
            .flat_map(|d| &d.invocation.metrics)
            .collect();
        let fixes = metrics.iter().filter(|m| m["Outcome"] == "remediated");
        assert_eq!(fixes.count(), open.len(), "{metrics:#?}");
        assert!(
            metrics.iter().all(|m| m["Trigger"] == "sweep"),
            "{metrics:#?}"
        );
        // AND the unlisted account was never reached
        assert!(unlisted.rules(&unlisted_group).await.contains(&world_ssh()));
    }
    let asked = gate.assume_role_calls();
    assert!(!asked.iter().any(|r| r.contains(UNLISTED)), "{asked:?}");
}

#[tokio::test]
async fn a_member_that_refuses_the_hub_fails_on_every_delivery_and_ends_in_the_dead_letter_queue() {
    let root = Emulator::from_env();
    let hub = root.in_account("420000000010").await;
    // GIVEN a hub listing one member, whose role refuses it
    let refusing = root.in_account(REFUSING).await;
    let refusing_group = open_group(&refusing).await;
    let hub_group = open_group(&hub).await;
    let gate = StsGate::start(root.url(), &[REFUSING]);
    let queue = SweepQueue::create(&hub, 3, 1).await;
    let function = Function::named(GROUPS);
    let mut deployment = Deployment::start(
        &hub,
        function,
        &[
            ("MEMBER_ROLE_NAME", ROLE),
            ("TARGET_ACCOUNTS", REFUSING),
            ("SWEEP_QUEUE_URL", &queue.url),
            ("AWS_ENDPOINT_URL_STS", gate.url()),
            ("DRY_RUN", "false"),
        ],
    );
    // WHEN its schedule fires and the queue delivers until it is empty
    let scheduled = deployment.invoke(&function.sample("scheduled-sweep.json", &[]));
    assert_eq!(scheduled.sweep.as_ref().unwrap()["queued"], 2);
    let delivered = queue
        .drain(&hub, &mut deployment, Duration::from_secs(120))
        .await;
    // THEN the member's place failed on each of the queue's three deliveries, naming the role
    let refused: Vec<&Delivered> = delivered
        .iter()
        .filter(|d| d.body["account"] == REFUSING)
        .collect();
    assert_eq!(refused.len(), 3, "{delivered:#?}");
    for d in &refused {
        assert!(d.handed_back);
        let r = &d.invocation.records[0];
        assert_eq!(r["outcome"], "failed", "{r}");
        assert_eq!(r["error_code"], "AccessDenied", "{r}");
        assert_eq!(
            r["member_role"],
            format!("arn:aws:iam::{REFUSING}:role/{ROLE}")
        );
        let summary = d.invocation.sweep.as_ref().unwrap();
        assert_eq!(summary["finished"], false, "{summary}");
    }
    // AND its message waits in the dead-letter queue, while the hub's own place was fixed
    let dead = queue.dead_letters(&hub).await;
    assert_eq!(dead.len(), 1, "{dead:#?}");
    assert_eq!(dead[0]["account"], REFUSING);
    assert!(!hub.rules(&hub_group).await.contains(&world_ssh()));
    assert!(refusing.rules(&refusing_group).await.contains(&world_ssh()));
}

#[tokio::test]
async fn without_a_list_the_sweep_covers_the_organisations_active_accounts() {
    use aws_sdk_organizations::types::OrganizationFeatureSet;
    let root = Emulator::from_env();
    let hub = root.in_account("430000000000").await;
    // GIVEN an organisation managed from the hub with two active accounts and a closed one
    hub.organizations
        .create_organization()
        .feature_set(OrganizationFeatureSet::All)
        .send()
        .await
        .unwrap();
    let mut accounts = Vec::new();
    for i in 0..3 {
        let created = hub
            .organizations
            .create_account()
            .email(format!("member-{i}@example.com"))
            .account_name(format!("member-{i}"))
            .send()
            .await
            .unwrap();
        let status = created.create_account_status().unwrap();
        accounts.push(status.account_id().unwrap().to_owned());
    }
    let closed = accounts.pop().unwrap();
    hub.organizations
        .close_account()
        .account_id(&closed)
        .send()
        .await
        .unwrap();
    // WHEN the hub, asked to sweep the organisation, with one other region, fires its schedule
    let queue = SweepQueue::create(&hub, 3, 1).await;
    let function = Function::named(GROUPS);
    let mut deployment = Deployment::start(
        &hub,
        function,
        &[
            ("MEMBER_ROLE_NAME", ROLE),
            ("SWEEP_ORGANIZATION_ACCOUNTS", "true"),
            ("TARGET_REGIONS", "eu-west-1"),
            ("SWEEP_QUEUE_URL", &queue.url),
        ],
    );
    let scheduled = deployment.invoke(&function.sample("scheduled-sweep.json", &[]));
    assert!(scheduled.succeeded(), "{:?}", scheduled.answer);
    // THEN the places are the hub and the active accounts, in both regions; the closed one is not
    let places: BTreeSet<(String, String)> = queue.peek(&hub).await.iter().map(place_of).collect();
    let mut expected = BTreeSet::new();
    for account in accounts.iter().map(String::as_str).chain(["430000000000"]) {
        for region in REGIONS {
            expected.insert((account.to_owned(), region.to_owned()));
        }
    }
    assert_eq!(places, expected);
    assert!(!places.iter().any(|(a, _)| *a == closed));
}
