//! Every sample event read by this function's scope: its own samples exactly
//! as the table says, and the acted-on manifest checked against what the
//! scope reads from every sample of every function.

use remediation_testing::samples::check_scope;
use sg_revoke_open_ssh::scope::GroupScope;

/// Each sample of `events/sg-revoke-open-ssh/` and how the scope reads it
/// (see `check_scope`). The groups are `sg-0123456789abcdef0` and, where a
/// finding names two, `sg-0fedcba9876543210`.
const READINGS: &str = "
    scheduled-sweep.json                     skip
    config-restricted-ssh-noncompliant.json    target arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123456789abcdef0
    config-vpc-sg-port-restriction-check.json  target arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123456789abcdef0
    config-control-tower-restricted-ssh.json   target arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123456789abcdef0
    config-restricted-ssh-compliant.json       skip
    config-other-rule.json                     skip
    config-other-resource-type.json            skip
    guardduty-port-probe-ssh.json              target arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123456789abcdef0
                                               target arn:aws:ec2:us-east-1:123456789012:security-group/sg-0fedcba9876543210
    guardduty-port-probe-ssh-beta-type.json    target arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123456789abcdef0
                                               target arn:aws:ec2:us-east-1:123456789012:security-group/sg-0fedcba9876543210
    guardduty-port-probe-other-port.json       skip
    guardduty-ssh-brute-force-target.json      target arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123456789abcdef0
    guardduty-ssh-brute-force-source.json      skip
    guardduty-sample-finding.json              skip
    # The second finding's instance is not a group.
    securityhub-ec2-13-failed.json             target arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123456789abcdef0
                                               target arn:aws:ec2:us-east-1:123456789012:security-group/sg-0fedcba9876543210
                                               skip
    securityhub-ec2-19-failed.json             target arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123456789abcdef0
    securityhub-ec2-2-default-group.json       skip
    securityhub-custom-action-revoke-world-ssh.json  target arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123456789abcdef0
    securityhub-cis-1-2-rule-4-1.json          target arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123456789abcdef0
    securityhub-pci-ec2-5-per-standard.json    target arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123456789abcdef0
    securityhub-cis-3-0-5-2-per-standard.json  target arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123456789abcdef0
    securityhub-cis-3-0-5-3-per-standard.json  target arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123456789abcdef0
    securityhub-cis-5-0-5-4-per-standard.json  target arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123456789abcdef0
    securityhub-archived.json                  skip
    cloudtrail-authorize-ingress.json          target arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123456789abcdef0
    cloudtrail-modify-rules.json               target arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123456789abcdef0
    cloudtrail-call-failed.json                skip
    malformed-wrong-type.json                  malformed detail.findings
";

#[test]
fn every_sample_reads_as_the_table_says_and_the_manifest_agrees() {
    check_scope::<GroupScope>(READINGS);
}
