//! `iam-detach-admin-policy` against roles in the emulator: after a run, a
//! pure service role has lost AdministratorAccess and nothing else, and every
//! other role has exactly the policies it had.

use std::collections::BTreeSet;

use remediation_testing::emulator::{
    service_trust, trust_with, unique, SeededRole, ADMIN_POLICY, READ_ONLY_POLICY,
};
use remediation_testing::function::sample_ids::{CDK_ROLE, ROLE, ROLE_ID};
use remediation_testing::{Deployment, Emulator, Function};
use serde_json::{json, Value};

use crate::{assert_skipped, assert_untouched_answer, summary};

const F: Function = Function::named("iam-detach-admin-policy");

/// One sample per trigger, for the tests that need only one; the loops run
/// every sample of `events/acted-on.json`.
const CONFIG: &str = "config-blacklisted-role-id.json";
const SECURITY_HUB: &str = "securityhub-iam-role-failed.json";
const CLOUDTRAIL: &str = "cloudtrail-attach-admin.json";

async fn role(emu: &Emulator, path: &str, trust: &Value) -> SeededRole {
    emu.create_role(
        &unique("role"),
        path,
        trust,
        &[ADMIN_POLICY, READ_ONLY_POLICY],
    )
    .await
}

/// A Lambda service role with AdministratorAccess and ReadOnlyAccess.
async fn lambda_role(emu: &Emulator) -> SeededRole {
    role(
        emu,
        "/service-role/",
        &service_trust(&["lambda.amazonaws.com"]),
    )
    .await
}

/// The policies every seeded role starts with.
fn seeded_policies() -> BTreeSet<String> {
    set(&[ADMIN_POLICY, READ_ONLY_POLICY])
}

/// The sample rewritten for `role`: its name and its id.
fn sample(file: &str, role: &SeededRole) -> String {
    F.sample(file, &[(ROLE, &role.name), (ROLE_ID, &role.id)])
}

/// The samples acted on that name the example role (the CDK sample names its own).
fn acted_on_by_any_role() -> Vec<String> {
    F.acted_on()
        .into_iter()
        .filter(|f| !f.contains("cdk-role"))
        .collect()
}

#[tokio::test]
async fn the_cdk_bootstrap_execution_role_keeps_administrator_access() {
    // GIVEN the role `cdk bootstrap` creates: trusted by CloudFormation, with AdministratorAccess
    let emu = Emulator::from_env();
    let name = format!("cdk-{}-cfn-exec-role-123456789012-us-east-1", unique("q"));
    let cdk = emu
        .create_role(
            &name,
            "/",
            &service_trust(&["cloudformation.amazonaws.com"]),
            &[ADMIN_POLICY],
        )
        .await;
    let mut function = Deployment::start(&emu, F, &[("DRY_RUN", "false")]);
    // WHEN AdministratorAccess is reported attached to it
    let inv = function.invoke(&F.sample(
        "cloudtrail-attach-admin-cdk-role.json",
        &[(CDK_ROLE, &cdk.name)],
    ));
    // THEN it is skipped as protected, and keeps the policy
    assert_skipped(
        &inv,
        "protected: the CDK bootstrap's CloudFormation execution role",
    );
    assert_eq!(emu.attached(&cdk.name).await, set(&[ADMIN_POLICY]));

    // AND a dry run says so too
    let mut dry = Deployment::start(&emu, F, &[("DRY_RUN", "true")]);
    let inv = dry.invoke(&F.sample(
        "cloudtrail-attach-admin-cdk-role.json",
        &[(CDK_ROLE, &cdk.name)],
    ));
    assert_skipped(&inv, "protected");
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test]
async fn every_trigger_detaches_only_administrator_access_and_redelivery_is_already_compliant() {
    let emu = Emulator::from_env();
    let mut function = Deployment::start(&emu, F, &[]);
    for file in acted_on_by_any_role() {
        let seeded = lambda_role(&emu).await;
        let event = sample(&file, &seeded);

        let first = function.invoke(&event);
        assert_eq!(
            summary(&first),
            (true, vec!["remediated".into()]),
            "{file}: {}",
            function.logs()
        );
        assert_eq!(
            emu.attached(&seeded.name).await,
            set(&[READ_ONLY_POLICY]),
            "{file}"
        );
        let r = first.record();
        assert_eq!(r["resource"], seeded.arn.as_str(), "{file}");
        assert_eq!(
            r["changes"],
            json!([{"type": "detach_role_policy", "policy_arn": ADMIN_POLICY}]),
            "{file}"
        );
        assert_eq!(r["before"]["path"], "/service-role/", "{file}");
        assert_eq!(
            r["after"]["attached_policy_arns"],
            json!([READ_ONLY_POLICY]),
            "{file}"
        );

        let again = function.invoke(&event);
        assert_eq!(
            summary(&again),
            (true, vec!["already_compliant".into()]),
            "{file}"
        );
        assert_eq!(
            emu.attached(&seeded.name).await,
            set(&[READ_ONLY_POLICY]),
            "{file}"
        );
    }
}

#[tokio::test]
async fn a_config_event_naming_the_role_by_its_id_reaches_the_right_role() {
    let emu = Emulator::from_env();
    let target = role(&emu, "/", &service_trust(&["ec2.amazonaws.com"])).await;
    let bystander = role(&emu, "/", &service_trust(&["ec2.amazonaws.com"])).await;
    let mut function = Deployment::start(&emu, F, &[]);
    let inv = function.invoke(&sample(CONFIG, &target));
    assert_eq!(
        summary(&inv),
        (true, vec!["remediated".into()]),
        "{}",
        function.logs()
    );
    assert_eq!(inv.record()["resource"], target.arn.as_str());
    assert_eq!(emu.attached(&target.name).await, set(&[READ_ONLY_POLICY]));
    assert_eq!(emu.attached(&bystander.name).await, seeded_policies());
}

#[tokio::test]
async fn pure_service_roles_of_every_trust_shape_lose_administrator_access() {
    let emu = Emulator::from_env();
    let shapes: Vec<(&str, &str, Value)> = vec![
        (
            "service as a string",
            "/service-role/",
            service_trust(&["lambda.amazonaws.com"]),
        ),
        (
            "services as a list",
            "/",
            service_trust(&["lambda.amazonaws.com", "edgelambda.amazonaws.com"]),
        ),
        (
            "a single statement object with a condition",
            "/app/",
            json!({"Version": "2012-10-17", "Statement": {
                "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}}}),
        ),
        (
            "a service with a Deny of an account",
            "/",
            json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"},
                {"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"}]}),
        ),
    ];
    let mut function = Deployment::start(&emu, F, &[]);
    for (shape, path, trust) in shapes {
        let seeded = role(&emu, path, &trust).await;
        let inv = function.invoke(&sample(SECURITY_HUB, &seeded));
        assert_eq!(summary(&inv), (true, vec!["remediated".into()]), "{shape}");
        assert_eq!(
            emu.attached(&seeded.name).await,
            set(&[READ_ONLY_POLICY]),
            "{shape}"
        );
    }
}

#[tokio::test]
async fn roles_that_are_not_pure_service_roles_keep_every_policy() {
    let emu = Emulator::from_env();
    let lambda = service_trust(&["lambda.amazonaws.com"]);
    let cases: Vec<(&str, &str, Value, &str)> = vec![
        (
            "an account principal",
            "/",
            trust_with(json!({"AWS": "arn:aws:iam::123456789012:root"})),
            "AWS principal",
        ),
        (
            "a federated principal",
            "/",
            trust_with(json!({"Federated": "arn:aws:iam::123456789012:saml-provider/corp"})),
            "federated",
        ),
        (
            "a service and a user",
            "/",
            trust_with(
                json!({"Service": "lambda.amazonaws.com", "AWS": ["arn:aws:iam::123456789012:user/alice"]}),
            ),
            "AWS principal",
        ),
        (
            "any principal",
            "/",
            trust_with(json!("*")),
            "any principal",
        ),
        (
            "a service-linked role",
            "/aws-service-role/lambda.amazonaws.com/",
            lambda.clone(),
            "service-linked",
        ),
        (
            "an SSO role",
            "/aws-reserved/sso.amazonaws.com/",
            trust_with(json!({"Federated": "arn:aws:iam::123456789012:saml-provider/AWSSSO"})),
            "SSO",
        ),
        (
            "an SSO path with a service trust",
            "/aws-reserved/sso.amazonaws.com/",
            lambda,
            "SSO",
        ),
    ];
    let mut function = Deployment::start(&emu, F, &[]);
    for (case, path, trust, reason) in cases {
        let seeded = role(&emu, path, &trust).await;
        for file in acted_on_by_any_role() {
            let inv = function.invoke(&sample(&file, &seeded));
            assert_eq!(
                summary(&inv),
                (true, vec!["skipped".into()]),
                "{case}, {file}: {:#?}",
                inv.records
            );
            let why = inv.record()["reason"].as_str().unwrap();
            assert!(
                why.contains(reason),
                "{case}, {file}: reason {why:?} does not say {reason:?}"
            );
            assert_eq!(
                emu.attached(&seeded.name).await,
                seeded_policies(),
                "{case}, {file}"
            );
        }
    }
}

#[tokio::test]
async fn dry_run_detaches_nothing_and_records_what_it_would_detach() {
    let emu = Emulator::from_env();
    let seeded = lambda_role(&emu).await;
    let mut function = Deployment::start(&emu, F, &[("DRY_RUN", "yes")]);
    let inv = function.invoke(&sample(CLOUDTRAIL, &seeded));
    assert_eq!(summary(&inv), (true, vec!["dry_run".into()]));
    assert_eq!(
        inv.record()["changes"],
        json!([{"type": "detach_role_policy", "policy_arn": ADMIN_POLICY}])
    );
    assert_eq!(emu.attached(&seeded.name).await, seeded_policies());
}

#[tokio::test]
async fn an_exempt_role_is_skipped_and_keeps_its_policies() {
    let emu = Emulator::from_env();
    let seeded = lambda_role(&emu).await;
    emu.tag_role(&seeded.name, "auto-remediation:exempt", "true")
        .await;
    let mut function = Deployment::start(&emu, F, &[]);
    let inv = function.invoke(&sample(CONFIG, &seeded));
    assert_skipped(&inv, "exemption tag");
    assert_eq!(emu.attached(&seeded.name).await, seeded_policies());
}

#[tokio::test]
async fn a_role_deleted_before_its_event_arrives_is_skipped_by_name_and_by_id() {
    let emu = Emulator::from_env();
    let seeded = lambda_role(&emu).await;
    emu.delete_role(&seeded.name).await;
    let mut function = Deployment::start(&emu, F, &[]);
    for file in F.acted_on() {
        let inv = function.invoke(&sample(&file, &seeded));
        assert_eq!(
            summary(&inv),
            (true, vec!["skipped".into()]),
            "{file}: {:#?}",
            inv.records
        );
    }
}

#[tokio::test]
async fn negative_samples_about_a_service_role_change_nothing() {
    let emu = Emulator::from_env();
    let seeded = lambda_role(&emu).await;
    let mut function = Deployment::start(&emu, F, &[]);
    for file in F.not_acted_on() {
        let inv = function.invoke(&sample(&file, &seeded));
        assert_untouched_answer(&file, &inv);
        assert_eq!(
            emu.attached(&seeded.name).await,
            seeded_policies(),
            "{file} changed the role"
        );
    }
}
