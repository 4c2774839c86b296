//! Every sample event read by this function's scope: its own samples exactly
//! as the table says, and the acted-on manifest checked against what the
//! scope reads from every sample of every function.

use std::collections::BTreeMap;

use iam_detach_admin_policy::scope::RoleScope;
use remediation_testing::samples::check_scope;

const ROLE: &str = "target arn:aws:iam::123456789012:role/example-lambda-role";

#[test]
fn every_sample_reads_as_the_table_says_and_the_manifest_agrees() {
    let expected: BTreeMap<&str, Vec<&str>> = BTreeMap::from([
        // Config names roles by their unique id, resolved before use.
        ("config-blacklisted-role-id.json", vec!["target AROAEXAMPLEROLEID0001"]),
        ("config-blacklisted-compliant.json", vec!["skip"]),
        ("config-blacklisted-user.json", vec!["skip"]),
        ("securityhub-iam-role-failed.json", vec![ROLE]),
        ("cloudtrail-attach-admin.json", vec![ROLE]),
        // Read as any role: the plan then keeps its policy (protected).
        ("cloudtrail-attach-admin-cdk-role.json", vec!["target arn:aws:iam::123456789012:role/cdk-hnb659fds-cfn-exec-role-123456789012-us-east-1"]),
        // `responseElements` written as "None", a field this function never reads.
        ("cloudtrail-attach-admin-pasted.json", vec![ROLE]),
        ("cloudtrail-attach-other-policy.json", vec!["skip"]),
        ("cloudtrail-call-failed.json", vec!["skip"]),
        ("guardduty-unrelated.json", vec!["skip"]),
        ("malformed-not-envelope.json", vec!["malformed detail-type"]),
    ]);
    check_scope::<RoleScope>(&expected);
}
