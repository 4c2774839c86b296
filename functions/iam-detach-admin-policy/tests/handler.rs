//! The IAM function end to end over in-memory roles: every sample event,
//! role-id resolution, each trust-policy shape, service-linked and SSO paths,
//! dry run, exemption, idempotency and failures.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Mutex;

use iam_detach_admin_policy::aws::{Detached, RoleInfo, RolePolicies};
use iam_detach_admin_policy::DetachAdminPolicy;
use remediation_runtime::Classify;
use remediation_shared::{AwsError, Config};
use remediation_testing::handler::{self, Calls, Handled};
use serde_json::{json, Value};

const ADMIN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";
const READ_ONLY: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";
const LAMBDA_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
const ACCOUNT_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#;

struct FakeRole {
    id: String,
    name: String,
    info: RoleInfo,
    attached: Vec<String>,
}

#[derive(Default)]
struct FakeIam {
    roles: Mutex<Vec<FakeRole>>,
    detach_error: Option<AwsError>,
    calls: Calls,
}

impl FakeIam {
    fn with_role(name: &str, path: &str, trust: &str, attached: &[&str]) -> Self {
        let iam = FakeIam::default();
        iam.add(name, path, trust, attached);
        iam
    }
    fn add(&self, name: &str, path: &str, trust: &str, attached: &[&str]) {
        self.roles.lock().unwrap().push(FakeRole {
            id: "AROAEXAMPLEROLEID0001".into(),
            name: name.into(),
            info: RoleInfo {
                arn: format!("arn:aws:iam::123456789012:role{path}{name}"),
                path: path.into(),
                trust_policy: trust.into(),
                tags: vec![],
            },
            attached: attached.iter().map(|s| (*s).to_owned()).collect(),
        });
    }
    fn attached(&self, name: &str) -> Vec<String> {
        self.roles
            .lock()
            .unwrap()
            .iter()
            .find(|r| r.name == name)
            .unwrap()
            .attached
            .clone()
    }
    fn detaches(&self) -> usize {
        self.calls.count("detach")
    }
}

fn no_entity(op: &'static str) -> AwsError {
    AwsError::classify(op, "NoSuchEntity", "no such role", Some(404)).into_not_found()
}

impl RolePolicies for &FakeIam {
    async fn role_name_for_id(&self, role_id: &str) -> Result<Option<String>, AwsError> {
        self.calls.record(format!("resolve {role_id}"));
        Ok(self
            .roles
            .lock()
            .unwrap()
            .iter()
            .find(|r| r.id == role_id)
            .map(|r| r.name.clone()))
    }
    async fn role(&self, name: &str) -> Result<RoleInfo, AwsError> {
        self.calls.record(format!("get {name}"));
        self.roles
            .lock()
            .unwrap()
            .iter()
            .find(|r| r.name == name)
            .map(|r| r.info.clone())
            .ok_or_else(|| no_entity("GetRole"))
    }
    async fn attached_policies(&self, name: &str) -> Result<Vec<String>, AwsError> {
        self.calls.record(format!("list {name}"));
        self.roles
            .lock()
            .unwrap()
            .iter()
            .find(|r| r.name == name)
            .map(|r| r.attached.clone())
            .ok_or_else(|| no_entity("ListAttachedRolePolicies"))
    }
    async fn roles_with_policies(&self) -> Result<Vec<(String, Vec<String>)>, AwsError> {
        self.calls.record("authorization-details".to_owned());
        Ok(self
            .roles
            .lock()
            .unwrap()
            .iter()
            .map(|r| (r.name.clone(), r.attached.clone()))
            .collect())
    }
    async fn detach(&self, name: &str, policy_arn: &str) -> Result<Detached, AwsError> {
        self.calls.record(format!("detach {name} {policy_arn}"));
        if let Some(e) = &self.detach_error {
            return Err(e.clone());
        }
        let mut roles = self.roles.lock().unwrap();
        let role = roles.iter_mut().find(|r| r.name == name).unwrap();
        let before = role.attached.len();
        role.attached.retain(|a| a != policy_arn);
        Ok(if role.attached.len() < before {
            Detached::Detached
        } else {
            Detached::WasNotAttached
        })
    }
}

/// Runs the sample `file` through the handler over `iam`.
async fn run(iam: &FakeIam, config: &Config, file: &str) -> Handled {
    let event = remediation_testing::samples::load("iam-detach-admin-policy", file);
    handler::run(&DetachAdminPolicy::new(iam), config, event).await
}

const ROLE: &str = "example-lambda-role";

#[tokio::test]
async fn every_trigger_sample_detaches_admin_from_the_service_role_and_nothing_else() {
    for file in [
        "config-blacklisted-role-id.json",
        "securityhub-iam-role-failed.json",
        "cloudtrail-attach-admin.json",
    ] {
        let iam = FakeIam::with_role(ROLE, "/service-role/", LAMBDA_TRUST, &[READ_ONLY, ADMIN]);
        let handled = run(&iam, &Config::default(), file).await;
        if let Err(e) = &handled.result {
            panic!("{file}: {e}");
        }
        assert_eq!(iam.attached(ROLE), [READ_ONLY], "{file}");
        let r = handled.record();
        assert_eq!(r["outcome"], "remediated", "{file}");
        assert_eq!(
            r["resource"],
            "arn:aws:iam::123456789012:role/service-role/example-lambda-role"
        );
        assert_eq!(r["region"], Value::Null);
        assert_eq!(
            r["changes"],
            json!([{"type": "detach_role_policy", "policy_arn": ADMIN}])
        );
        assert_eq!(
            r["before"],
            json!({"type": "role_policies", "path": "/service-role/", "attached_policy_arns": [READ_ONLY, ADMIN]})
        );
        assert_eq!(r["after"]["attached_policy_arns"], json!([READ_ONLY]));
    }
}

#[tokio::test]
async fn a_config_event_names_the_role_by_id_and_it_is_resolved_first() {
    let iam = FakeIam::with_role(ROLE, "/service-role/", LAMBDA_TRUST, &[ADMIN]);
    let handled = run(&iam, &Config::default(), "config-blacklisted-role-id.json").await;
    handled.result.unwrap();
    let calls = iam.calls.all();
    assert_eq!(calls[0], "resolve AROAEXAMPLEROLEID0001");
    assert_eq!(calls[1], format!("get {ROLE}"));
}

#[tokio::test]
async fn an_unknown_role_id_is_skipped() {
    let iam = FakeIam::default();
    let handled = run(&iam, &Config::default(), "config-blacklisted-role-id.json").await;
    handled.assert_skipped("AROAEXAMPLEROLEID0001");
}

#[tokio::test]
async fn roles_that_are_not_pure_service_roles_keep_their_policies() {
    let cases = [
        ("/", ACCOUNT_TRUST, "AWS principal"),
        (
            "/",
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:saml-provider/Okta"},"Action":"sts:AssumeRoleWithSAML"}]}"#,
            "federated",
        ),
        (
            "/",
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}"#,
            "any principal",
        ),
        (
            "/aws-service-role/elasticbeanstalk.amazonaws.com/",
            LAMBDA_TRUST,
            "service-linked",
        ),
        (
            "/aws-reserved/sso.amazonaws.com/",
            ACCOUNT_TRUST,
            "SSO role",
        ),
    ];
    for (path, trust, why) in cases {
        let iam = FakeIam::with_role(ROLE, path, trust, &[ADMIN]);
        let handled = run(&iam, &Config::default(), "cloudtrail-attach-admin.json").await;
        assert_eq!(iam.detaches(), 0, "{why}");
        assert_eq!(iam.attached(ROLE), [ADMIN], "{why}");
        handled.assert_skipped(why);
    }
}

#[tokio::test]
async fn negative_samples_touch_nothing() {
    for (file, malformed) in [
        ("config-blacklisted-compliant.json", false),
        ("config-blacklisted-user.json", false),
        ("cloudtrail-attach-other-policy.json", false),
        ("cloudtrail-call-failed.json", false),
        ("guardduty-unrelated.json", false),
        ("malformed-not-envelope.json", true),
    ] {
        let iam = FakeIam::with_role(ROLE, "/service-role/", LAMBDA_TRUST, &[ADMIN]);
        let handled = run(&iam, &Config::default(), file).await;
        assert!(iam.calls.is_empty(), "{file}: no AWS call");
        handled.assert_not_acted_on(file, malformed);
    }
}

#[tokio::test]
async fn the_same_event_twice_is_already_compliant_the_second_time() {
    let iam = FakeIam::with_role(ROLE, "/service-role/", LAMBDA_TRUST, &[ADMIN]);
    let config = Config::default();
    let run_once = || run(&iam, &config, "cloudtrail-attach-admin.json");
    handler::check_twice(run_once, || iam.detaches()).await;
}

#[tokio::test]
async fn dry_run_writes_nothing_and_says_what_it_would_detach() {
    let iam = FakeIam::with_role(ROLE, "/service-role/", LAMBDA_TRUST, &[ADMIN]);
    let config = Config {
        mode: remediation_shared::Mode::DryRun,
        ..Config::default()
    };
    let handled = run(&iam, &config, "cloudtrail-attach-admin.json").await;
    assert_eq!(iam.detaches(), 0);
    let r = handled.record();
    assert_eq!(r["outcome"], "dry_run");
    assert_eq!(
        r["changes"],
        json!([{"type": "detach_role_policy", "policy_arn": ADMIN}])
    );
}

#[tokio::test]
async fn an_exempt_role_is_never_changed() {
    let iam = FakeIam::with_role(ROLE, "/service-role/", LAMBDA_TRUST, &[ADMIN]);
    iam.roles.lock().unwrap()[0]
        .info
        .tags
        .push(("auto-remediation:exempt".into(), "true".into()));
    let handled = run(&iam, &Config::default(), "cloudtrail-attach-admin.json").await;
    assert_eq!(iam.detaches(), 0);
    assert_eq!(handled.record()["outcome"], "skipped");
}

#[tokio::test]
async fn a_role_deleted_before_the_event_is_skipped() {
    let iam = FakeIam::default();
    let handled = run(&iam, &Config::default(), "cloudtrail-attach-admin.json").await;
    handled.assert_skipped("no longer exists");
}

#[tokio::test]
async fn an_unmodifiable_role_fails_with_its_code() {
    let mut iam = FakeIam::with_role(ROLE, "/service-role/", LAMBDA_TRUST, &[ADMIN]);
    iam.detach_error = Some(AwsError::classify(
        "DetachRolePolicy",
        "UnmodifiableEntity",
        "cannot",
        Some(400),
    ));
    let handled = run(&iam, &Config::default(), "cloudtrail-attach-admin.json").await;
    handled.assert_failed("UnmodifiableEntity");
    assert_eq!(iam.attached(ROLE), [ADMIN]);
}

#[tokio::test]
async fn a_scheduled_sweep_detaches_admin_from_service_roles_and_records_the_protected_one() {
    let iam = FakeIam::with_role(ROLE, "/service-role/", LAMBDA_TRUST, &[READ_ONLY, ADMIN]);
    iam.add("human-admin", "/", ACCOUNT_TRUST, &[ADMIN]);
    iam.add("reader", "/", LAMBDA_TRUST, &[READ_ONLY]);
    iam.add(
        "cdk-hnb659fds-cfn-exec-role-123456789012-us-east-1",
        "/",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudformation.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        &[ADMIN],
    );
    let handled = run(&iam, &Config::default(), "scheduled-sweep.json").await;
    let mut outcomes: Vec<(String, String)> = handled
        .records
        .iter()
        .map(|r| {
            let role = r["resource"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_owned();
            (role, r["outcome"].as_str().unwrap().to_owned())
        })
        .collect();
    outcomes.sort();
    // The reader holds no AdministratorAccess: no record of its own.
    assert_eq!(
        outcomes,
        [
            (
                "cdk-hnb659fds-cfn-exec-role-123456789012-us-east-1".to_owned(),
                "skipped".to_owned()
            ),
            (ROLE.to_owned(), "remediated".to_owned()),
            ("human-admin".to_owned(), "skipped".to_owned()),
        ]
    );
    assert_eq!(iam.attached(ROLE), [READ_ONLY]);
    assert_eq!(iam.attached("human-admin"), [ADMIN]);
    assert_eq!(iam.calls.count("authorization-details"), 1);
    assert_eq!(iam.detaches(), 1);
}
