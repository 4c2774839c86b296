//! Every sample event read by this function's scope: its own samples exactly
//! as the table says, and the acted-on manifest checked against what the
//! scope reads from every sample of every function.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use remediation_shared::finding::{normalize, Item};
use remediation_shared::Basis;
use remediation_testing::samples::{acted_on, check_scope, load};
use sg_revoke_open_ssh::plan::{self, Rule, Source};
use sg_revoke_open_ssh::scope::{self, AdminPorts, GroupScope, Transport, World};

/// Each sample of `events/sg-revoke-open-ssh/` and how the scope reads it
/// (see `check_scope`). The groups are `sg-0123456789abcdef0` and, where a
/// finding names two, `sg-0fedcba9876543210`.
const READINGS: &str = "
    scheduled-sweep.json                     skip
    config-restricted-ssh-noncompliant.json    target arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123456789abcdef0
    config-vpc-sg-port-restriction-check.json  target arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123456789abcdef0
    config-restricted-common-ports.json        target arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123456789abcdef0
    config-control-tower-restricted-ssh.json   target arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123456789abcdef0
    config-restricted-ssh-compliant.json       skip
    config-other-rule.json                     skip
    config-other-resource-type.json            skip
    guardduty-port-probe-ssh.json              target arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123456789abcdef0
                                               target arn:aws:ec2:us-east-1:123456789012:security-group/sg-0fedcba9876543210
    guardduty-port-probe-ssh-beta-type.json    target arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123456789abcdef0
                                               target arn:aws:ec2:us-east-1:123456789012:security-group/sg-0fedcba9876543210
    guardduty-port-probe-other-port.json       skip
    guardduty-port-probe-rdp.json              target arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123456789abcdef0
                                               target arn:aws:ec2:us-east-1:123456789012:security-group/sg-0fedcba9876543210
    guardduty-rdp-brute-force-target.json      target arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123456789abcdef0
    guardduty-ssh-brute-force-target.json      target arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123456789abcdef0
    guardduty-ssh-brute-force-source.json      skip
    guardduty-sample-finding.json              skip
    securityhub-v2-ocsf-ec2-13-failed.json     target arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123456789abcdef0
    securityhub-v2-ocsf-ec2-53-failed.json     target arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123456789abcdef0
    # The second finding's instance is not a group.
    securityhub-ec2-13-failed.json             target arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123456789abcdef0
                                               target arn:aws:ec2:us-east-1:123456789012:security-group/sg-0fedcba9876543210
                                               skip
    securityhub-ec2-14-failed.json             target arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123456789abcdef0
    securityhub-ec2-53-rdp-only.json           target arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123456789abcdef0
    securityhub-cis-1-2-rule-4-2.json          target arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123456789abcdef0
    securityhub-ec2-19-database-port.json      target arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123456789abcdef0
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

/// A rule opening `port` on `transport` to the world of `world`'s first family.
fn world_open(transport: Transport, port: u16, world: World) -> Rule {
    Rule {
        rule_id: format!("sgr-{port}"),
        is_egress: false,
        protocol: match transport {
            Transport::Tcp => "tcp",
            Transport::Udp => "udp",
        }
        .into(),
        from_port: Some(i32::from(port)),
        to_port: Some(i32::from(port)),
        source: Source::Cidr(
            if world == World::Ipv6 {
                "::/0"
            } else {
                "0.0.0.0/0"
            }
            .into(),
        ),
        description: None,
    }
}

/// Every finding of the manifest: its check is one the function knows, acts
/// only on ports that check covers, and holds only when every port it covers
/// is closed. A group that opens any one covered port to the world, even one
/// this deployment never closes, must not be resolved; a group with nothing
/// open must be. A check the table does not know is never verified.
#[test]
fn every_finding_the_manifest_acts_on_is_resolved_only_when_its_whole_control_holds() {
    let admin = AdminPorts::default();
    let mut checked = 0;
    for sample in acted_on("sg-revoke-open-ssh") {
        let (folder, file) = sample.split_once('/').unwrap();
        let finding = normalize::<GroupScope>(load(folder, file)).unwrap();
        for item in finding.items {
            let Item::Target(target) = item else { continue };
            let check = scope::check(&target.basis, &admin);
            assert!(
                check.known || matches!(target.basis, Basis::Control(_)),
                "{sample}: {:?} has no check",
                target.basis
            );
            if !check.known {
                assert_eq!(plan::verdict(&check, &[]), None, "{sample}");
                continue;
            }
            assert!(
                check.act.is_subset(&check.covers),
                "{sample}: acts beyond its check"
            );
            assert!(!check.act.is_empty(), "{sample}: acts on nothing");
            let closed = plan::verdict(&check, &[]).unwrap();
            assert!(closed.holds, "{sample}: nothing open must hold");
            for port in &check.covers {
                let open = [world_open(port.transport, port.number, check.world)];
                let v = plan::verdict(&check, &open).unwrap();
                assert!(
                    !v.holds,
                    "{sample}: {port} open to the world, yet {} holds",
                    check.name
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} targets checked");
}
