//! The IAM and Config adapter against aws-smithy-mocks: trust policy decoding,
//! role-id resolution through Config with the ListRoles fallback, paging, and
//! the codes it normalises.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_config::operation::list_discovered_resources::{
    ListDiscoveredResourcesError, ListDiscoveredResourcesOutput,
};
use aws_sdk_config::types::{ResourceIdentifier, ResourceType};
use aws_sdk_iam::operation::detach_role_policy::{DetachRolePolicyError, DetachRolePolicyOutput};
use aws_sdk_iam::operation::get_account_authorization_details::GetAccountAuthorizationDetailsOutput;
use aws_sdk_iam::operation::get_role::{GetRoleError, GetRoleOutput};
use aws_sdk_iam::operation::list_attached_role_policies::ListAttachedRolePoliciesOutput;
use aws_sdk_iam::operation::list_roles::ListRolesOutput;
use aws_sdk_iam::types::RoleDetail;
use aws_sdk_iam::types::{AttachedPolicy, Role, Tag};
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use aws_smithy_types::DateTime;
use iam_detach_admin_policy::aws::{decode_policy, Detached, IamAdapter, RolePolicies};
use remediation_shared::AwsErrorKind;
use remediation_testing::faults::coded;

fn adapter(iam_rules: &[&Rule], config_rules: &[&Rule]) -> IamAdapter {
    let iam = remediation_testing::retrying_client!(aws_sdk_iam, iam_rules);
    let config = remediation_testing::retrying_client!(aws_sdk_config, config_rules);
    IamAdapter::new(iam, config)
}

fn role(name: &str, id: &str) -> Role {
    Role::builder()
        .path("/service-role/")
        .role_name(name)
        .role_id(id)
        .arn(format!(
            "arn:aws:iam::123456789012:role/service-role/{name}"
        ))
        .create_date(DateTime::from_secs(0))
        .build()
        .unwrap()
}

#[test]
fn url_encoded_trust_policies_are_decoded_and_plain_json_is_kept() {
    let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
    assert_eq!(
        decode_policy(encoded),
        r#"{"Version":"2012-10-17","Statement":[]}"#
    );
    let plain = r#"{"Statement":[{"Condition":{"StringLike":{"x":"100%"}}}]}"#;
    assert_eq!(decode_policy(plain), plain);
}

#[tokio::test]
async fn get_role_reads_path_tags_and_the_decoded_trust_policy() {
    let rule = mock!(aws_sdk_iam::Client::get_role)
        .match_requests(|r| r.role_name() == Some("app"))
        .then_output(|| {
            let mut r = role("app", "AROAEXAMPLEROLEID0001");
            r.assume_role_policy_document = Some("%7B%22Statement%22%3A%5B%5D%7D".into());
            r.tags = Some(vec![Tag::builder()
                .key("auto-remediation:exempt")
                .value("true")
                .build()
                .unwrap()]);
            GetRoleOutput::builder().role(r).build()
        });
    let info = adapter(&[&rule], &[]).role("app").await.unwrap();
    assert_eq!(info.path, "/service-role/");
    assert_eq!(info.trust_policy, r#"{"Statement":[]}"#);
    assert_eq!(
        info.tags,
        vec![("auto-remediation:exempt".to_owned(), "true".to_owned())]
    );
}

#[tokio::test]
async fn a_missing_role_is_not_found() {
    let rule = mock!(aws_sdk_iam::Client::get_role)
        .then_error(|| GetRoleError::generic(coded("NoSuchEntity")));
    assert_eq!(
        adapter(&[&rule], &[]).role("app").await.unwrap_err().kind,
        AwsErrorKind::NotFound
    );
}

#[tokio::test]
async fn role_ids_resolve_through_config() {
    let rule = mock!(aws_sdk_config::Client::list_discovered_resources)
        .match_requests(|r| {
            r.resource_type() == Some(&ResourceType::Role)
                && r.resource_ids() == ["AROAEXAMPLEROLEID0001"]
        })
        .then_output(|| {
            ListDiscoveredResourcesOutput::builder()
                .resource_identifiers(
                    ResourceIdentifier::builder()
                        .resource_id("AROAEXAMPLEROLEID0001")
                        .resource_name("app")
                        .build(),
                )
                .build()
        });
    assert_eq!(
        adapter(&[], &[&rule])
            .role_name_for_id("AROAEXAMPLEROLEID0001")
            .await
            .unwrap(),
        Some("app".into())
    );
}

#[tokio::test]
async fn role_ids_fall_back_to_listing_roles_across_pages() {
    let config = mock!(aws_sdk_config::Client::list_discovered_resources).then_error(|| {
        ListDiscoveredResourcesError::generic(coded("NoAvailableConfigurationRecorderException"))
    });
    let page1 = mock!(aws_sdk_iam::Client::list_roles)
        .match_requests(|r| r.marker().is_none())
        .then_output(|| {
            ListRolesOutput::builder()
                .roles(role("other", "AROAOTHERROLEID00001"))
                .is_truncated(true)
                .marker("m2")
                .build()
                .unwrap()
        });
    let page2 = mock!(aws_sdk_iam::Client::list_roles)
        .match_requests(|r| r.marker() == Some("m2"))
        .then_output(|| {
            ListRolesOutput::builder()
                .roles(role("app", "AROAEXAMPLEROLEID0001"))
                .build()
                .unwrap()
        });
    let a = adapter(&[&page1, &page2], &[&config]);
    assert_eq!(
        a.role_name_for_id("AROAEXAMPLEROLEID0001").await.unwrap(),
        Some("app".into())
    );
}

#[tokio::test]
async fn attached_policies_are_read_across_pages() {
    let page1 = mock!(aws_sdk_iam::Client::list_attached_role_policies)
        .match_requests(|r| r.marker().is_none())
        .then_output(|| {
            ListAttachedRolePoliciesOutput::builder()
                .attached_policies(
                    AttachedPolicy::builder()
                        .policy_arn("arn:aws:iam::aws:policy/ReadOnlyAccess")
                        .build(),
                )
                .is_truncated(true)
                .marker("m2")
                .build()
        });
    let page2 = mock!(aws_sdk_iam::Client::list_attached_role_policies)
        .match_requests(|r| r.marker() == Some("m2"))
        .then_output(|| {
            ListAttachedRolePoliciesOutput::builder()
                .attached_policies(
                    AttachedPolicy::builder()
                        .policy_arn("arn:aws:iam::aws:policy/AdministratorAccess")
                        .build(),
                )
                .build()
        });
    let arns = adapter(&[&page1, &page2], &[])
        .attached_policies("app")
        .await
        .unwrap();
    assert_eq!(
        arns,
        [
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "arn:aws:iam::aws:policy/AdministratorAccess"
        ]
    );
}

#[tokio::test]
async fn detaching_a_policy_that_is_not_attached_is_already_done() {
    let rule = mock!(aws_sdk_iam::Client::detach_role_policy)
        .then_error(|| DetachRolePolicyError::generic(coded("NoSuchEntity")));
    assert_eq!(
        adapter(&[&rule], &[])
            .detach("app", "arn:aws:iam::aws:policy/AdministratorAccess")
            .await
            .unwrap(),
        Detached::WasNotAttached
    );
}

#[tokio::test]
async fn detach_sends_exactly_the_role_and_policy_and_retries_throttling() {
    let rule = mock!(aws_sdk_iam::Client::detach_role_policy)
        .match_requests(|r| {
            r.role_name() == Some("app")
                && r.policy_arn() == Some("arn:aws:iam::aws:policy/AdministratorAccess")
        })
        .sequence()
        .error(|| DetachRolePolicyError::generic(coded("Throttling")))
        .output(|| DetachRolePolicyOutput::builder().build())
        .build();
    let a = adapter(&[&rule], &[]);
    assert_eq!(
        a.detach("app", "arn:aws:iam::aws:policy/AdministratorAccess")
            .await
            .unwrap(),
        Detached::Detached
    );
    assert_eq!(rule.num_calls(), 2);
}

#[tokio::test]
async fn unmodifiable_entity_and_access_denied_are_errors() {
    for (code, kind) in [
        ("UnmodifiableEntity", AwsErrorKind::Other),
        ("AccessDenied", AwsErrorKind::AccessDenied),
    ] {
        let rule = mock!(aws_sdk_iam::Client::detach_role_policy)
            .then_error(move || DetachRolePolicyError::generic(coded(code)));
        let err = adapter(&[&rule], &[])
            .detach("app", "arn:aws:iam::aws:policy/AdministratorAccess")
            .await
            .unwrap_err();
        assert_eq!((err.code.as_str(), err.kind), (code, kind));
    }
}

use remediation_testing::operations;

#[tokio::test]
async fn the_operations_called_are_exactly_the_declared_permissions() {
    let (iam_ops, config_ops) = (
        operations::Operations::default(),
        operations::Operations::default(),
    );
    // Config does not know the id, so the adapter also lists the roles.
    let discovered = mock!(aws_sdk_config::Client::list_discovered_resources)
        .then_output(|| ListDiscoveredResourcesOutput::builder().build());
    let list = mock!(aws_sdk_iam::Client::list_roles).then_output(|| {
        ListRolesOutput::builder()
            .roles(role("app", "AROAEXAMPLEROLEID0001"))
            .build()
            .unwrap()
    });
    let get = mock!(aws_sdk_iam::Client::get_role).then_output(|| {
        let mut r = role("app", "AROAEXAMPLEROLEID0001");
        r.assume_role_policy_document = Some("{}".into());
        GetRoleOutput::builder().role(r).build()
    });
    let attached = mock!(aws_sdk_iam::Client::list_attached_role_policies)
        .then_output(|| ListAttachedRolePoliciesOutput::builder().build());
    let detach = mock!(aws_sdk_iam::Client::detach_role_policy)
        .then_output(|| DetachRolePolicyOutput::builder().build());
    let details = mock!(aws_sdk_iam::Client::get_account_authorization_details).then_output(|| {
        let admin = AttachedPolicy::builder()
            .policy_arn("arn:aws:iam::aws:policy/AdministratorAccess")
            .build();
        GetAccountAuthorizationDetailsOutput::builder()
            .role_detail_list(
                RoleDetail::builder()
                    .role_name("app")
                    .attached_managed_policies(admin)
                    .build(),
            )
            .build()
    });
    let iam = mock_client!(
        aws_sdk_iam,
        RuleMode::MatchAny,
        &[&list, &get, &attached, &detach, &details],
        |c| c.interceptor(iam_ops.clone())
    );
    let config = mock_client!(aws_sdk_config, RuleMode::MatchAny, &[&discovered], |c| c
        .interceptor(config_ops.clone()));
    let adapter = IamAdapter::new(iam, config);
    assert_eq!(
        adapter
            .role_name_for_id("AROAEXAMPLEROLEID0001")
            .await
            .unwrap()
            .as_deref(),
        Some("app")
    );
    adapter.role("app").await.unwrap();
    adapter.attached_policies("app").await.unwrap();
    assert_eq!(
        adapter.roles_with_policies().await.unwrap(),
        [(
            "app".to_owned(),
            vec!["arn:aws:iam::aws:policy/AdministratorAccess".to_owned()]
        )]
    );
    adapter
        .detach("app", "arn:aws:iam::aws:policy/AdministratorAccess")
        .await
        .unwrap();

    let called = iam_ops.actions("iam").into_iter();
    let called = called.chain(config_ops.actions("config"));
    operations::assert_declared(called, iam_detach_admin_policy::aws::PERMISSIONS);
}
