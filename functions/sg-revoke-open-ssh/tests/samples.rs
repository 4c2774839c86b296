//! Every sample event read by this function's scope: its own samples exactly
//! as the table says, and the acted-on manifest checked against what the
//! scope reads from every sample of every function.

use std::collections::BTreeMap;

use remediation_testing::samples::check_scope;
use sg_revoke_open_ssh::scope::GroupScope;

const G1: &str = "target arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123456789abcdef0";
const G2: &str = "target arn:aws:ec2:us-east-1:123456789012:security-group/sg-0fedcba9876543210";

#[test]
fn every_sample_reads_as_the_table_says_and_the_manifest_agrees() {
    let expected: BTreeMap<&str, Vec<&str>> = BTreeMap::from([
        ("config-restricted-ssh-noncompliant.json", vec![G1]),
        ("config-vpc-sg-port-restriction-check.json", vec![G1]),
        ("config-control-tower-restricted-ssh.json", vec![G1]),
        ("config-restricted-ssh-compliant.json", vec!["skip"]),
        ("config-other-rule.json", vec!["skip"]),
        ("config-other-resource-type.json", vec!["skip"]),
        ("guardduty-port-probe-ssh.json", vec![G1, G2]),
        ("guardduty-port-probe-other-port.json", vec!["skip"]),
        ("guardduty-ssh-brute-force-target.json", vec![G1]),
        ("guardduty-ssh-brute-force-source.json", vec!["skip"]),
        ("guardduty-sample-finding.json", vec!["skip"]),
        // The second finding's instance is not a group.
        ("securityhub-ec2-13-failed.json", vec![G1, G2, "skip"]),
        ("securityhub-ec2-19-failed.json", vec![G1]),
        ("securityhub-ec2-2-default-group.json", vec!["skip"]),
        ("securityhub-cis-1-2-rule-4-1.json", vec![G1]),
        ("securityhub-pci-ec2-5-per-standard.json", vec![G1]),
        ("securityhub-archived.json", vec!["skip"]),
        ("cloudtrail-authorize-ingress.json", vec![G1]),
        ("cloudtrail-modify-rules.json", vec![G1]),
        ("cloudtrail-call-failed.json", vec!["skip"]),
        (
            "malformed-wrong-type.json",
            vec!["malformed detail.findings"],
        ),
    ]);
    check_scope::<GroupScope>(&expected);
}
