//! Every sample event read by this function's scope: its own samples exactly
//! as the table says, and the acted-on manifest checked against what the
//! scope reads from every sample of every function.

use iam_detach_admin_policy::scope::RoleScope;
use remediation_testing::samples::check_scope;

/// Each sample of `events/iam-detach-admin-policy/` and how the scope reads
/// it (see `check_scope`).
const READINGS: &str = "
    scheduled-sweep.json                     skip
    # Config names roles by their unique id, resolved before use.
    config-blacklisted-role-id.json          target AROAEXAMPLEROLEID0001
    config-blacklisted-compliant.json        skip
    config-blacklisted-user.json             skip
    securityhub-iam-role-failed.json         target arn:aws:iam::123456789012:role/example-lambda-role
    securityhub-custom-action-detach-admin.json  target arn:aws:iam::123456789012:role/example-lambda-role
    cloudtrail-attach-admin.json             target arn:aws:iam::123456789012:role/example-lambda-role
    # Read as any role: the plan then keeps its policy (protected).
    cloudtrail-attach-admin-cdk-role.json    target arn:aws:iam::123456789012:role/cdk-hnb659fds-cfn-exec-role-123456789012-us-east-1
    # `responseElements` written as \"None\", a field this function never reads.
    cloudtrail-attach-admin-pasted.json      target arn:aws:iam::123456789012:role/example-lambda-role
    cloudtrail-attach-other-policy.json      skip
    cloudtrail-attach-customer-policy-sanitised.json  skip
    cloudtrail-call-failed.json              skip
    guardduty-unrelated.json                 skip
    malformed-not-envelope.json              malformed detail-type
";

#[test]
fn every_sample_reads_as_the_table_says_and_the_manifest_agrees() {
    check_scope::<RoleScope>(READINGS);
}
