//! Each role grants exactly its function's declared permissions, on the
//! declared resources, with the declared conditions; no wildcard action;
//! detach limited to AdministratorAccess, never on service-linked or SSO roles.

use super::*;

#[test]
fn the_template_declares_the_catalogs_functions_each_with_its_own_role() {
    let t = template();
    let fns = functions(&t);
    let binaries: BTreeSet<&str> = fns.iter().map(|(_, _, b)| b.as_str()).collect();
    let catalog: BTreeSet<&str> = remediation_catalog::ALL.iter().map(|f| f.name).collect();
    assert_eq!(binaries, catalog);
    let roles: BTreeSet<&str> = fns.iter().map(|(_, r, _)| r.as_str()).collect();
    assert_eq!(
        roles.len(),
        catalog.len(),
        "a role shared between functions: {fns:?}"
    );
    for (_, role, _) in &fns {
        let r = &t["Resources"][role.as_str()];
        assert_eq!(r["Type"], "AWS::IAM::Role", "{role}");
        assert!(
            r["Properties"].get("ManagedPolicyArns").is_none(),
            "{role}: managed policies grant more than declared"
        );
        let trust = &r["Properties"]["AssumeRolePolicyDocument"]["Statement"];
        assert_eq!(trust.as_sequence().unwrap().len(), 1, "{role}");
        assert_eq!(
            trust[0]["Principal"]["Service"], "lambda.amazonaws.com",
            "{role}"
        );
    }
}

#[test]
fn each_role_grants_exactly_the_declared_permissions_and_no_wildcard_action() {
    let t = template();
    for (function, role, binary) in functions(&t) {
        let statements = statements(&t["Resources"][role.as_str()]);
        let mut granted = BTreeSet::new();
        for st in statements.iter().filter(|s| s.effect == "Allow") {
            for action in &st.actions {
                assert!(!action.contains('*'), "{binary}: wildcard action {action}");
                for resource in &st.resources {
                    granted.insert((action.clone(), resource.clone()));
                }
            }
        }
        for st in statements.iter().filter(|s| s.effect != "Allow") {
            assert_eq!(st.effect, "Deny", "{binary}: {st:?}");
        }
        let declared: BTreeSet<(String, String)> = declared(&binary)
            .iter()
            .map(|p| (p.action.to_owned(), p.resource.to_owned()))
            .collect();
        // Hub mode: a grant pinned to the stack's region is granted in any
        // region too (own-account-any-region), for the hub's own account in
        // the other regions it acts in with this role itself.
        let any_region: BTreeSet<(String, String)> = declared
            .iter()
            .filter(|(_, r)| r.contains("${AWS::Region}"))
            .map(|(a, r)| (a.clone(), r.replace("${AWS::Region}", "*")))
            .collect();
        let expected: BTreeSet<_> = declared
            .union(&operating(&function))
            .chain(&any_region)
            .cloned()
            .collect();
        assert_eq!(
            granted, expected,
            "{binary}: granted (left) differs from declared (right)"
        );

        for p in declared_with_conditions(&binary) {
            let st = statements
                .iter()
                .find(|s| s.effect == "Allow" && s.actions.iter().any(|a| a == p.action))
                .unwrap();
            assert!(
                st.condition_keys.contains(p.condition_key.unwrap()),
                "{binary}: {} must be narrowed by {:?}, statement has {:?}",
                p.action,
                p.condition_key,
                st.condition_keys
            );
        }
    }
}

#[test]
fn a_grant_on_every_resource_is_declared_as_such() {
    // "*" is allowed only where the adapter says the action has no resource-level permissions.
    let t = template();
    for (_, role, binary) in functions(&t) {
        for st in statements(&t["Resources"][role.as_str()]) {
            if st.effect != "Allow" || !st.resources.iter().any(|r| r == "*") {
                continue;
            }
            for action in &st.actions {
                assert!(
                    declared(&binary)
                        .iter()
                        .chain([&remediation_runtime::fanout::LIST_ACCOUNTS])
                        .any(|p| p.action == action && p.resource == "*"),
                    "{binary}: {action} on * is not declared"
                );
            }
        }
    }
}

#[test]
fn detach_is_limited_to_administrator_access_and_denied_on_service_linked_and_sso_roles() {
    let t = template();
    let role = &t["Resources"]["IamDetachAdminPolicyRole"];
    let statements = statements(role);
    let detach: Vec<&Statement> = statements
        .iter()
        .filter(|s| s.actions.iter().any(|a| a == "iam:DetachRolePolicy"))
        .collect();
    let allow = detach.iter().find(|s| s.effect == "Allow").unwrap();
    assert_eq!(
        allow.actions,
        ["iam:DetachRolePolicy"],
        "detach shares its statement"
    );
    // The condition's value is the AdministratorAccess ARN of the stack's partition.
    let policy = role["Properties"]["Policies"]
        .as_sequence()
        .unwrap()
        .iter()
        .flat_map(|p| p["PolicyDocument"]["Statement"].as_sequence().unwrap())
        .find(|s| s["Effect"] == "Allow" && texts(&s["Action"]) == ["iam:DetachRolePolicy"])
        .unwrap();
    assert_eq!(
        text(&policy["Condition"]["ArnEquals"]["iam:PolicyARN"]),
        "arn:${AWS::Partition}:iam::aws:policy/AdministratorAccess"
    );
    let denied: BTreeSet<&str> = detach
        .iter()
        .filter(|s| s.effect == "Deny")
        .flat_map(|s| s.resources.iter().map(String::as_str))
        .collect();
    assert!(denied.contains("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/aws-service-role/*"));
    assert!(denied.contains("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/aws-reserved/*"));
}
