//! `member.yaml`: plain CloudFormation for service-managed StackSets, its
//! role granting the union of the functions' permissions in any region.

use super::*;

fn member_template() -> Value {
    stack::read("member.yaml")
}

#[test]
fn the_member_template_is_plain_cloudformation_for_service_managed_stacksets() {
    let t = member_template();
    // Service-managed StackSets reject macros: no transform, and nothing that
    // needs one, no nested stack, no key per account and region.
    assert!(t.get("Transform").is_none(), "member.yaml has a transform");
    for (id, r) in t["Resources"].as_mapping().unwrap() {
        let kind = text(&r["Type"]);
        assert!(
            !kind.starts_with("AWS::Serverless::")
                && kind != "AWS::CloudFormation::Stack"
                && kind != "AWS::KMS::Key",
            "{id:?}: {kind}"
        );
    }
}

#[test]
fn the_member_role_grants_the_union_of_the_functions_permissions_in_any_region() {
    let t = member_template();
    let role = &t["Resources"]["MemberRole"];
    // It trusts only the hub functions' roles, from inside the organisation.
    let trust = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        .as_sequence()
        .unwrap();
    assert_eq!(trust.len(), 1);
    assert_eq!(text(&trust[0]["Principal"]["AWS"]), "Ref:HubRoleArns");
    assert_eq!(
        text(&trust[0]["Condition"]["StringEquals"]["aws:PrincipalOrgID"]),
        "Ref:OrganizationId"
    );
    assert!(role["Properties"].get("ManagedPolicyArns").is_none());

    // One role serves every region, so a grant pinned to the hub's region
    // (a resource in it, `aws:RequestedRegion`) is the same grant in any region.
    let any_region = |resource: &str| resource.replace("${AWS::Region}", "*");
    let expected: BTreeSet<(String, String)> = remediation_catalog::ALL
        .iter()
        .flat_map(|f| f.permissions.iter())
        .map(|p| (p.action.to_owned(), any_region(p.resource)))
        .collect();
    let member = statements(role);
    let mut granted = BTreeSet::new();
    for st in member.iter().filter(|s| s.effect == "Allow") {
        for action in &st.actions {
            for resource in &st.resources {
                granted.insert((action.clone(), resource.clone()));
            }
        }
    }
    assert_eq!(
        granted, expected,
        "granted (left) differs from the union of declared (right)"
    );
    for p in remediation_catalog::ALL
        .iter()
        .flat_map(|f| declared_with_conditions(f.name))
        .filter(|p| p.condition_key != Some("aws:RequestedRegion"))
    {
        let narrowed = member.iter().any(|s| {
            s.effect == "Allow"
                && s.actions.iter().any(|a| a == p.action)
                && s.condition_keys.contains(p.condition_key.unwrap())
        });
        assert!(
            narrowed,
            "{} must be narrowed by {:?}",
            p.action, p.condition_key
        );
    }
    // The Deny statements of the hub's roles hold in the member too.
    let denied = |statements: &[Statement]| -> BTreeSet<(String, String)> {
        statements
            .iter()
            .filter(|s| s.effect == "Deny")
            .flat_map(|s| {
                s.actions
                    .iter()
                    .flat_map(|a| s.resources.iter().map(move |r| (a.clone(), r.clone())))
            })
            .filter(|(a, _)| a != "securityhub:BatchUpdateFindings")
            .collect()
    };
    let hub = template();
    let hub_denied: BTreeSet<_> = functions(&hub)
        .iter()
        .flat_map(|(_, r, _)| denied(&statements(&hub["Resources"][r.as_str()])))
        .collect();
    assert_eq!(denied(&member), hub_denied);
}
