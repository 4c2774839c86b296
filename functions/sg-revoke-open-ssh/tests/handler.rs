//! The security-group function end to end over an in-memory group: every
//! sample event, exactly the world-open SSH rules revoked, dry run, exemption,
//! idempotency, rules that vanish mid-way, partial and failed revokes.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Mutex;

use remediation_runtime::Classify;
use remediation_shared::{AwsError, Config};
use remediation_testing::handler::{self, Calls, Handled};
use serde_json::{json, Value};
use sg_revoke_open_ssh::aws::{Revoked, SecurityGroupRules};
use sg_revoke_open_ssh::plan::{Rule, Source};
use sg_revoke_open_ssh::RevokeOpenAdmin;

/// A group in memory: id, tags, rules.
type Group = (String, Vec<(String, String)>, Vec<Rule>);

/// Groups in memory, by id.
struct FakeEc2 {
    groups: Mutex<Vec<Group>>,
    /// Rules removed by someone else just before our revoke call.
    vanish_before_revoke: Vec<String>,
    /// Revoke answers listing only these ids (simulating a partial revoke).
    revoke_lists_only: Option<Vec<String>>,
    revoke_error: Option<AwsError>,
    calls: Calls,
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

/// The group of the demo: world-open SSH on IPv4 and IPv6 next to rules that must stay.
fn demo_rules() -> Vec<Rule> {
    vec![
        rule("sgr-open4", "tcp", 22, 22, cidr("0.0.0.0/0")),
        rule("sgr-open6", "tcp", 22, 22, cidr("::/0")),
        rule("sgr-range", "tcp", 20, 25, cidr("0.0.0.0/0")),
        rule("sgr-all", "-1", -1, -1, cidr("::/0")),
        rule("sgr-private", "tcp", 22, 22, cidr("10.0.0.0/8")),
        rule("sgr-https", "tcp", 443, 443, cidr("0.0.0.0/0")),
        rule("sgr-udp", "udp", 22, 22, cidr("0.0.0.0/0")),
        rule(
            "sgr-ref",
            "tcp",
            22,
            22,
            Source::Group("sg-11111111".into()),
        ),
        rule(
            "sgr-pl",
            "tcp",
            22,
            22,
            Source::PrefixList("pl-12345678".into()),
        ),
        Rule {
            is_egress: true,
            ..rule("sgr-egress", "-1", -1, -1, cidr("0.0.0.0/0"))
        },
    ]
}
const KEPT: &[&str] = &[
    "sgr-private",
    "sgr-https",
    "sgr-udp",
    "sgr-ref",
    "sgr-pl",
    "sgr-egress",
];

impl FakeEc2 {
    fn with(groups: &[&str], rules: Vec<Rule>) -> Self {
        FakeEc2 {
            groups: Mutex::new(
                groups
                    .iter()
                    .map(|g| ((*g).to_owned(), vec![], rules.clone()))
                    .collect(),
            ),
            vanish_before_revoke: vec![],
            revoke_lists_only: None,
            revoke_error: None,
            calls: Calls::default(),
        }
    }
    fn rule_ids(&self, group: &str) -> Vec<String> {
        let groups = self.groups.lock().unwrap();
        let (_, _, rules) = groups.iter().find(|(g, _, _)| g == group).unwrap();
        rules.iter().map(|r| r.rule_id.clone()).collect()
    }
    fn writes(&self) -> usize {
        self.calls.count("revoke")
    }
}

impl SecurityGroupRules for &FakeEc2 {
    async fn group_tags(&self, group_id: &str) -> Result<Vec<(String, String)>, AwsError> {
        self.calls.record(format!("describe-group {group_id}"));
        let groups = self.groups.lock().unwrap();
        groups
            .iter()
            .find(|(g, _, _)| g == group_id)
            .map(|(_, tags, _)| tags.clone())
            .ok_or_else(|| {
                AwsError::classify(
                    "DescribeSecurityGroups",
                    "InvalidGroup.NotFound",
                    "gone",
                    Some(400),
                )
                .into_not_found()
            })
    }
    async fn rules(&self, group_id: &str) -> Result<Vec<Rule>, AwsError> {
        self.calls.record(format!("describe-rules {group_id}"));
        let groups = self.groups.lock().unwrap();
        Ok(groups
            .iter()
            .find(|(g, _, _)| g == group_id)
            .map(|(_, _, r)| r.clone())
            .unwrap_or_default())
    }
    async fn groups_tags(
        &self,
        group_ids: &[String],
    ) -> Result<Vec<(String, sg_revoke_open_ssh::aws::Tags)>, AwsError> {
        self.calls
            .record(format!("describe-groups {}", group_ids.join(",")));
        let groups = self.groups.lock().unwrap();
        Ok(groups
            .iter()
            .filter(|(g, _, _)| group_ids.contains(g))
            .map(|(g, tags, _)| (g.clone(), tags.clone()))
            .collect())
    }
    async fn groups_rules(&self, group_ids: &[String]) -> Result<Vec<(String, Rule)>, AwsError> {
        self.calls
            .record(format!("describe-rules {}", group_ids.join(",")));
        let groups = self.groups.lock().unwrap();
        Ok(groups
            .iter()
            .filter(|(g, _, _)| group_ids.contains(g))
            .flat_map(|(g, _, rules)| rules.iter().map(move |r| (g.clone(), r.clone())))
            .collect())
    }
    async fn region_rules(&self) -> Result<Vec<(String, Rule)>, AwsError> {
        self.calls.record("describe-rules region".to_owned());
        let groups = self.groups.lock().unwrap();
        Ok(groups
            .iter()
            .flat_map(|(g, _, rules)| rules.iter().map(move |r| (g.clone(), r.clone())))
            .collect())
    }
    async fn revoke(&self, group_id: &str, rule_ids: &[String]) -> Result<Revoked, AwsError> {
        self.calls
            .record(format!("revoke {group_id} {}", rule_ids.join(",")));
        if let Some(e) = &self.revoke_error {
            return Err(e.clone());
        }
        let mut groups = self.groups.lock().unwrap();
        let (_, _, rules) = groups.iter_mut().find(|(g, _, _)| g == group_id).unwrap();
        if !self.vanish_before_revoke.is_empty() && self.calls.count("revoke") == 1 {
            rules.retain(|r| !self.vanish_before_revoke.contains(&r.rule_id));
        }
        // EC2 semantics: an unknown id fails the whole call and revokes nothing.
        if rule_ids
            .iter()
            .any(|id| !rules.iter().any(|r| &r.rule_id == id))
        {
            return Err(AwsError::classify(
                "RevokeSecurityGroupIngress",
                "InvalidSecurityGroupRuleId.NotFound",
                "gone",
                Some(400),
            )
            .into_not_found());
        }
        let revoked: Vec<String> = match &self.revoke_lists_only {
            Some(only) => rule_ids
                .iter()
                .filter(|id| only.contains(id))
                .cloned()
                .collect(),
            None => rule_ids.to_vec(),
        };
        rules.retain(|r| !revoked.contains(&r.rule_id));
        Ok(Revoked {
            rule_ids: Some(revoked),
        })
    }
}

/// Runs the sample `file` through the handler over `ec2`.
async fn run(ec2: &FakeEc2, config: &Config, file: &str) -> Handled {
    let event = remediation_testing::samples::load("sg-revoke-open-ssh", file);
    handler::run(&RevokeOpenAdmin::new(ec2), config, event).await
}

const G1: &str = "sg-0123456789abcdef0";
const G2: &str = "sg-0fedcba9876543210";
/// The Config sample most cases run.
const RESTRICTED_SSH: &str = "config-restricted-ssh-noncompliant.json";

#[tokio::test]
async fn every_trigger_sample_revokes_exactly_the_world_open_ssh_rules() {
    // The sample's second finding is EC2.54's: IPv6 only, so the IPv4 rules stay.
    let ipv6_only: Vec<&str> = ["sgr-open4", "sgr-range"]
        .into_iter()
        .chain(KEPT.iter().copied())
        .collect();
    let rdp_kept: Vec<&str> = ["sgr-open4", "sgr-open6", "sgr-range"]
        .into_iter()
        .chain(KEPT.iter().copied())
        .collect();
    for (file, groups) in [
        (RESTRICTED_SSH, vec![(G1, KEPT.to_vec())]),
        (
            "config-vpc-sg-port-restriction-check.json",
            vec![(G1, KEPT.to_vec())],
        ),
        (
            "guardduty-port-probe-ssh.json",
            vec![(G1, KEPT.to_vec()), (G2, KEPT.to_vec())],
        ),
        (
            "guardduty-ssh-brute-force-target.json",
            vec![(G1, KEPT.to_vec())],
        ),
        // RDP's brute force closes RDP: only the all-traffic rule opens it.
        (
            "guardduty-rdp-brute-force-target.json",
            vec![(G1, rdp_kept.clone())],
        ),
        (
            "securityhub-ec2-13-failed.json",
            vec![(G1, KEPT.to_vec()), (G2, ipv6_only.clone())],
        ),
        (
            "cloudtrail-authorize-ingress.json",
            vec![(G1, KEPT.to_vec())],
        ),
        ("cloudtrail-modify-rules.json", vec![(G1, KEPT.to_vec())]),
    ] {
        let ec2 = FakeEc2::with(&[G1, G2], demo_rules());
        let Handled {
            result, records, ..
        } = run(&ec2, &Config::default(), file).await;
        result.unwrap_or_else(|e| panic!("{file}: {e}"));
        for (g, kept) in &groups {
            assert_eq!(ec2.rule_ids(g), *kept, "{file}: {g}");
        }
        let remediated: Vec<&Value> = records
            .iter()
            .filter(|r| r["outcome"] == "remediated")
            .collect();
        assert_eq!(remediated.len(), groups.len(), "{file}: {records:?}");
        assert_eq!(
            ec2.writes(),
            groups.len(),
            "{file}: one revoke call per group"
        );
    }
}

#[tokio::test]
async fn the_record_lists_each_revoked_rule_with_id_protocol_ports_and_cidr() {
    let ec2 = FakeEc2::with(&[G1], demo_rules());
    let handled = run(&ec2, &Config::default(), RESTRICTED_SSH).await;
    let r = handled.record();
    assert_eq!(
        r["resource"],
        format!("arn:aws:ec2:us-east-1:123456789012:security-group/{G1}")
    );
    assert_eq!(
        r["changes"],
        json!([
            {"type": "revoke_ingress_rule", "rule_id": "sgr-open4", "protocol": "tcp", "from_port": 22, "to_port": 22, "cidr": "0.0.0.0/0", "also_closes": []},
            {"type": "revoke_ingress_rule", "rule_id": "sgr-open6", "protocol": "tcp", "from_port": 22, "to_port": 22, "cidr": "::/0", "also_closes": []},
            {"type": "revoke_ingress_rule", "rule_id": "sgr-range", "protocol": "tcp", "from_port": 20, "to_port": 25, "cidr": "0.0.0.0/0", "also_closes": ["tcp 20-21", "tcp 23-25"]},
            {"type": "revoke_ingress_rule", "rule_id": "sgr-all", "protocol": "-1", "from_port": -1, "to_port": -1, "cidr": "::/0", "also_closes": ["all traffic"]}
        ])
    );
    assert_eq!(open_rules(&r["before"]).len(), 4);
    assert_eq!(
        r["after"],
        json!({"type": "security_group_ingress", "world_open_ssh_rules": []})
    );
    // One revoke of exactly those, then the rules read again to verify the control.
    let calls = ec2.calls.all();
    assert_eq!(
        calls[calls.len() - 2..],
        [
            format!("revoke {G1} sgr-open4,sgr-open6,sgr-range,sgr-all"),
            format!("describe-rules {G1}")
        ]
    );
    assert_eq!(
        r["control"],
        json!({"check": "restricted-ssh", "holds": true, "failing": []})
    );
}

/// The world-open SSH rules a record's `before` or `after` lists.
fn open_rules(state: &Value) -> &Vec<Value> {
    state["world_open_ssh_rules"].as_array().unwrap()
}

#[tokio::test]
async fn negative_samples_touch_nothing() {
    for (file, malformed) in [
        ("config-restricted-ssh-compliant.json", false),
        ("config-other-rule.json", false),
        ("config-other-resource-type.json", false),
        ("guardduty-port-probe-other-port.json", false),
        ("guardduty-ssh-brute-force-source.json", false),
        ("securityhub-archived.json", false),
        ("cloudtrail-call-failed.json", false),
        ("malformed-wrong-type.json", true),
    ] {
        let ec2 = FakeEc2::with(&[G1, G2], demo_rules());
        let handled = run(&ec2, &Config::default(), file).await;
        assert!(ec2.calls.is_empty(), "{file}: no AWS call");
        handled.assert_not_acted_on(file, malformed);
    }
}

#[tokio::test]
async fn the_same_event_twice_is_already_compliant_the_second_time() {
    let ec2 = FakeEc2::with(&[G1], demo_rules());
    let file = "cloudtrail-authorize-ingress.json";
    let config = Config::default();
    let run_once = || run(&ec2, &config, file);
    handler::check_twice(run_once, || ec2.writes()).await;
}

#[tokio::test]
async fn dry_run_writes_nothing_and_lists_what_it_would_revoke() {
    let ec2 = FakeEc2::with(&[G1], demo_rules());
    let config = Config {
        mode: remediation_shared::Mode::DryRun,
        ..Config::default()
    };
    let handled = run(&ec2, &config, RESTRICTED_SSH).await;
    assert_eq!(ec2.writes(), 0);
    assert_eq!(ec2.rule_ids(G1).len(), demo_rules().len());
    assert_eq!(handled.record()["outcome"], "dry_run");
    assert_eq!(handled.record()["changes"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn an_exempt_group_is_never_changed() {
    let ec2 = FakeEc2::with(&[G1], demo_rules());
    ec2.groups.lock().unwrap()[0]
        .1
        .push(("auto-remediation:exempt".into(), "true".into()));
    let handled = run(&ec2, &Config::default(), RESTRICTED_SSH).await;
    assert_eq!(ec2.writes(), 0);
    assert_eq!(handled.record()["outcome"], "skipped");
}

#[tokio::test]
async fn a_group_deleted_before_the_event_is_skipped() {
    let ec2 = FakeEc2::with(&[], vec![]);
    let handled = run(&ec2, &Config::default(), RESTRICTED_SSH).await;
    handled.assert_skipped("no longer exists");
}

#[tokio::test]
async fn a_rule_that_vanishes_before_the_revoke_is_success_and_the_rest_is_revoked() {
    let mut ec2 = FakeEc2::with(&[G1], demo_rules());
    ec2.vanish_before_revoke = vec!["sgr-open6".into()];
    let handled = run(&ec2, &Config::default(), RESTRICTED_SSH).await;
    handled.assert_outcome("remediated");
    assert_eq!(ec2.rule_ids(G1), KEPT);
    let r = handled.record();
    let reason = r["reason"].as_str().unwrap();
    assert!(reason.contains("already gone: sgr-open6"), "{r}");
    assert_eq!(r["changes"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn when_every_rule_vanished_it_is_already_compliant() {
    let mut ec2 = FakeEc2::with(
        &[G1],
        vec![rule("sgr-open4", "tcp", 22, 22, cidr("0.0.0.0/0"))],
    );
    ec2.vanish_before_revoke = vec!["sgr-open4".into()];
    let handled = run(&ec2, &Config::default(), RESTRICTED_SSH).await;
    handled.assert_outcome("already_compliant");
}

#[tokio::test]
async fn a_partial_revoke_is_reported_as_exactly_that() {
    let mut ec2 = FakeEc2::with(&[G1], demo_rules());
    ec2.revoke_lists_only = Some(vec!["sgr-open4".into(), "sgr-range".into()]);
    let handled = run(&ec2, &Config::default(), RESTRICTED_SSH).await;
    handled.assert_failed("PartialRevoke");
    let r = handled.record();
    let reason = r["reason"].as_str().unwrap();
    assert!(reason.contains("revoked 2 of 4"), "{r}");
    let still_open: Vec<&str> = open_rules(&r["after"])
        .iter()
        .map(|x| x["rule_id"].as_str().unwrap())
        .collect();
    assert_eq!(still_open, ["sgr-open6", "sgr-all"]);
    assert_eq!(r["changes"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_throttled_revoke_fails_and_reports_nothing_revoked() {
    let mut ec2 = FakeEc2::with(&[G1], demo_rules());
    ec2.revoke_error = Some(AwsError::classify(
        "RevokeSecurityGroupIngress",
        "RequestLimitExceeded",
        "slow down",
        Some(503),
    ));
    let handled = run(&ec2, &Config::default(), RESTRICTED_SSH).await;
    handled.assert_failed("RequestLimitExceeded");
    let r = handled.record();
    assert_eq!(r["changes"], json!([]));
    assert_eq!(open_rules(&r["after"]).len(), 4);
    let diagnostic = remediation_runtime::diagnostic(handled.result.unwrap_err());
    assert_eq!(diagnostic.error_type, "Aws.Throttled");
}

#[tokio::test]
async fn a_scheduled_sweep_reads_the_region_once_and_revokes_only_in_the_open_group() {
    // G1 is open to the world on SSH; G2 keeps only rules that must stay.
    let ec2 = FakeEc2::with(&[G1], demo_rules());
    ec2.groups.lock().unwrap().push((
        G2.to_owned(),
        vec![],
        demo_rules()
            .into_iter()
            .filter(|r| KEPT.contains(&r.rule_id.as_str()))
            .collect(),
    ));
    let handled = run(&ec2, &Config::default(), "scheduled-sweep.json").await;
    handled.assert_outcome("remediated");
    assert_eq!(
        handled.record()["resource"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next(),
        Some(G1)
    );
    assert_eq!(ec2.calls.count("describe-rules region"), 1);
    assert_eq!(
        ec2.calls.count(&format!("describe-group {G2}")),
        0,
        "a compliant group is not read again"
    );
    // The suspect is re-read in the batch before acting, not group by group:
    // its tags and rules once each, then only the revoke; the check is
    // verified on that read less what EC2 answered it revoked.
    assert_eq!(ec2.calls.count(&format!("describe-groups {G1}")), 1);
    assert_eq!(ec2.calls.count(&format!("describe-group {G1}")), 0);
    assert_eq!(ec2.calls.count(&format!("describe-rules {G1}")), 1);
    assert_eq!(ec2.calls.count("revoke"), 1);
    let record = handled.record();
    assert_eq!(record["control"]["holds"], true, "{record}");
    assert!(
        record["reason"]
            .as_str()
            .unwrap()
            .ends_with(sg_revoke_open_ssh::plan::VERIFIED_ON_BATCH),
        "{record}"
    );
    let mut kept = ec2.rule_ids(G1);
    kept.sort();
    let mut expected: Vec<String> = KEPT.iter().map(|r| (*r).to_owned()).collect();
    expected.sort();
    assert_eq!(kept, expected);
    assert_eq!(ec2.rule_ids(G2).len(), KEPT.len());
}
