//! The EC2 adapter against aws-smithy-mocks: rules read from
//! DescribeSecurityGroupRules (all pages), revocation by rule id only, and the
//! error codes it normalises.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_ec2::operation::describe_security_group_rules::DescribeSecurityGroupRulesOutput;
use aws_sdk_ec2::operation::describe_security_groups::{
    DescribeSecurityGroupsError, DescribeSecurityGroupsOutput,
};
use aws_sdk_ec2::operation::revoke_security_group_ingress::{
    RevokeSecurityGroupIngressError, RevokeSecurityGroupIngressOutput,
};
use aws_sdk_ec2::types::{
    ReferencedSecurityGroup, RevokedSecurityGroupRule, SecurityGroup, SecurityGroupRule, Tag,
};
use aws_sdk_ec2::Client;
use aws_smithy_mocks::{mock, mock_client, Rule as MockRule, RuleMode};
use remediation_shared::AwsErrorKind;
use remediation_testing::faults::coded;
use sg_revoke_open_ssh::aws::{Ec2Adapter, Revoked, SecurityGroupRules};
use sg_revoke_open_ssh::plan::Source;

fn adapter(rules: &[&MockRule]) -> Ec2Adapter {
    Ec2Adapter::new(remediation_testing::retrying_client!(aws_sdk_ec2, rules))
}

#[tokio::test]
async fn rules_are_read_from_every_page_with_their_source() {
    let page1 = mock!(Client::describe_security_group_rules)
        .match_requests(|r| {
            r.filters()[0].name() == Some("group-id")
                && r.filters()[0].values() == ["sg-12345678"]
                && r.next_token().is_none()
        })
        .then_output(|| {
            DescribeSecurityGroupRulesOutput::builder()
                .security_group_rules(
                    SecurityGroupRule::builder()
                        .security_group_rule_id("sgr-1")
                        .ip_protocol("tcp")
                        .from_port(22)
                        .to_port(22)
                        .cidr_ipv6("::/0")
                        .is_egress(false)
                        .build(),
                )
                .next_token("page-2")
                .build()
        });
    let page2 = mock!(Client::describe_security_group_rules)
        .match_requests(|r| r.next_token() == Some("page-2"))
        .then_output(|| {
            DescribeSecurityGroupRulesOutput::builder()
                .security_group_rules(
                    SecurityGroupRule::builder()
                        .security_group_rule_id("sgr-2")
                        .ip_protocol("-1")
                        .from_port(-1)
                        .to_port(-1)
                        .referenced_group_info(
                            ReferencedSecurityGroup::builder()
                                .group_id("sg-87654321")
                                .build(),
                        )
                        .is_egress(false)
                        .build(),
                )
                .build()
        });
    let rules = adapter(&[&page1, &page2])
        .rules("sg-12345678")
        .await
        .unwrap();
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[0].source, Source::Cidr("::/0".into()));
    assert_eq!(rules[1].source, Source::Group("sg-87654321".into()));
    assert_eq!(rules[1].protocol, "-1");
}

#[tokio::test]
async fn group_tags_come_from_describe_security_groups() {
    let rule = mock!(Client::describe_security_groups)
        .match_requests(|r| r.group_ids() == ["sg-12345678"])
        .then_output(|| {
            DescribeSecurityGroupsOutput::builder()
                .security_groups(
                    SecurityGroup::builder()
                        .group_id("sg-12345678")
                        .tags(Tag::builder().key("k").value("v").build())
                        .build(),
                )
                .build()
        });
    assert_eq!(
        adapter(&[&rule]).group_tags("sg-12345678").await.unwrap(),
        vec![("k".to_owned(), "v".to_owned())]
    );
}

#[tokio::test]
async fn a_batch_is_read_in_one_filtered_call_each_for_tags_and_rules() {
    let ids = ["sg-1".to_owned(), "sg-2".to_owned()];
    let in_batch = |filters: &[aws_sdk_ec2::types::Filter]| {
        filters.len() == 1
            && filters[0].name() == Some("group-id")
            && filters[0].values() == ["sg-1", "sg-2"]
    };
    let groups = mock!(Client::describe_security_groups)
        .match_requests(move |r| in_batch(r.filters()) && r.group_ids().is_empty())
        .then_output(|| {
            DescribeSecurityGroupsOutput::builder()
                .security_groups(
                    SecurityGroup::builder()
                        .group_id("sg-1")
                        .tags(Tag::builder().key("k").value("v").build())
                        .build(),
                )
                .build()
        });
    let rules = mock!(Client::describe_security_group_rules)
        .match_requests(move |r| in_batch(r.filters()))
        .then_output(|| {
            DescribeSecurityGroupRulesOutput::builder()
                .security_group_rules(
                    SecurityGroupRule::builder()
                        .group_id("sg-1")
                        .security_group_rule_id("sgr-1")
                        .ip_protocol("tcp")
                        .from_port(22)
                        .to_port(22)
                        .cidr_ipv4("0.0.0.0/0")
                        .build(),
                )
                .build()
        });
    let adapter = adapter(&[&groups, &rules]);
    // sg-2 is gone: it is simply not in the answer.
    assert_eq!(
        adapter.groups_tags(&ids).await.unwrap(),
        vec![("sg-1".to_owned(), vec![("k".to_owned(), "v".to_owned())])]
    );
    let read = adapter.groups_rules(&ids).await.unwrap();
    assert_eq!(read.len(), 1);
    assert_eq!(
        (read[0].0.as_str(), read[0].1.rule_id.as_str()),
        ("sg-1", "sgr-1")
    );
    assert_eq!((groups.num_calls(), rules.num_calls()), (1, 1));
}

#[tokio::test]
async fn a_missing_group_is_not_found() {
    let rule = mock!(Client::describe_security_groups)
        .then_error(|| DescribeSecurityGroupsError::generic(coded("InvalidGroup.NotFound")));
    let err = adapter(&[&rule])
        .group_tags("sg-12345678")
        .await
        .unwrap_err();
    assert_eq!(err.kind, AwsErrorKind::NotFound);
}

#[tokio::test]
async fn revoke_sends_rule_ids_and_no_ip_permissions() {
    let rule = mock!(Client::revoke_security_group_ingress)
        .match_requests(|r| {
            r.group_id() == Some("sg-12345678")
                && r.security_group_rule_ids() == ["sgr-1", "sgr-2"]
                && r.ip_permissions().is_empty()
        })
        .then_output(|| {
            RevokeSecurityGroupIngressOutput::builder()
                .r#return(true)
                .revoked_security_group_rules(
                    RevokedSecurityGroupRule::builder()
                        .security_group_rule_id("sgr-1")
                        .build(),
                )
                .revoked_security_group_rules(
                    RevokedSecurityGroupRule::builder()
                        .security_group_rule_id("sgr-2")
                        .build(),
                )
                .build()
        });
    let revoked = adapter(&[&rule])
        .revoke("sg-12345678", &["sgr-1".into(), "sgr-2".into()])
        .await
        .unwrap();
    assert_eq!(
        revoked,
        Revoked {
            rule_ids: Some(vec!["sgr-1".into(), "sgr-2".into()])
        }
    );
}

#[tokio::test]
async fn a_rule_already_gone_is_not_found() {
    for code in [
        "InvalidSecurityGroupRuleId.NotFound",
        "InvalidPermission.NotFound",
    ] {
        let rule = mock!(Client::revoke_security_group_ingress)
            .then_error(move || RevokeSecurityGroupIngressError::generic(coded(code)));
        let err = adapter(&[&rule])
            .revoke("sg-12345678", &["sgr-1".into()])
            .await
            .unwrap_err();
        assert_eq!(err.kind, AwsErrorKind::NotFound, "{code}");
    }
}

#[tokio::test]
async fn a_false_return_is_an_error_not_a_success() {
    let rule = mock!(Client::revoke_security_group_ingress).then_output(|| {
        RevokeSecurityGroupIngressOutput::builder()
            .r#return(false)
            .build()
    });
    let err = adapter(&[&rule])
        .revoke("sg-12345678", &["sgr-1".into()])
        .await
        .unwrap_err();
    assert_eq!(err.code, "ReturnFalse");
}

#[tokio::test]
async fn request_limit_exceeded_is_retried() {
    let rule = mock!(Client::revoke_security_group_ingress)
        .sequence()
        .error(|| RevokeSecurityGroupIngressError::generic(coded("RequestLimitExceeded")))
        .http_status(500, None)
        .output(|| {
            RevokeSecurityGroupIngressOutput::builder()
                .r#return(true)
                .build()
        })
        .build();
    let revoked = adapter(&[&rule])
        .revoke("sg-12345678", &["sgr-1".into()])
        .await
        .unwrap();
    assert_eq!(revoked.rule_ids, None);
    assert_eq!(rule.num_calls(), 3);
}

#[tokio::test]
async fn unauthorized_operation_is_access_denied() {
    let rule = mock!(Client::revoke_security_group_ingress)
        .then_error(|| RevokeSecurityGroupIngressError::generic(coded("UnauthorizedOperation")));
    let err = adapter(&[&rule])
        .revoke("sg-12345678", &["sgr-1".into()])
        .await
        .unwrap_err();
    assert_eq!(err.kind, AwsErrorKind::AccessDenied);
    assert_eq!(rule.num_calls(), 1);
}

use remediation_testing::operations;

#[tokio::test]
async fn the_operations_called_are_exactly_the_declared_permissions() {
    let ops = operations::Operations::default();
    let groups = mock!(Client::describe_security_groups).then_output(|| {
        DescribeSecurityGroupsOutput::builder()
            .security_groups(SecurityGroup::builder().group_id("sg-12345678").build())
            .build()
    });
    let rules = mock!(Client::describe_security_group_rules)
        .then_output(|| DescribeSecurityGroupRulesOutput::builder().build());
    let revoke = mock!(Client::revoke_security_group_ingress).then_output(|| {
        RevokeSecurityGroupIngressOutput::builder()
            .r#return(true)
            .revoked_security_group_rules(
                RevokedSecurityGroupRule::builder()
                    .security_group_rule_id("sgr-1")
                    .build(),
            )
            .build()
    });
    let client = mock_client!(
        aws_sdk_ec2,
        RuleMode::MatchAny,
        &[&groups, &rules, &revoke],
        |c| c.interceptor(ops.clone())
    );
    let adapter = Ec2Adapter::new(client);
    adapter.group_tags("sg-12345678").await.unwrap();
    adapter.rules("sg-12345678").await.unwrap();
    adapter.groups_tags(&["sg-12345678".into()]).await.unwrap();
    adapter.groups_rules(&["sg-12345678".into()]).await.unwrap();
    adapter
        .revoke("sg-12345678", &["sgr-1".into()])
        .await
        .unwrap();

    operations::assert_declared(ops.actions("ec2"), sg_revoke_open_ssh::aws::PERMISSIONS);
}
