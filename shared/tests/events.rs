//! Every file in `events/` is normalised for every function: its own function
//! must read exactly the expected targets and skips (or reject it as malformed),
//! and the other two functions must skip it (or reject it) without panicking.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use remediation_shared::finding::{normalize, Item};
use remediation_shared::{Remediation, Resource, RoleRef};

fn events_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../events")
}

/// Expected reading of each sample by its own function: targets as
/// `bucket:`, `group:`, `role:`, `role-id:` plus the id, `skip` for a skip,
/// or a single `malformed`.
fn expectations() -> BTreeMap<&'static str, (Remediation, Vec<&'static str>)> {
    use Remediation::*;
    let b = "bucket:example-public-bucket";
    let g1 = "group:sg-0123456789abcdef0";
    let g2 = "group:sg-0fedcba9876543210";
    let role = "role:example-lambda-role";
    BTreeMap::from([
        (
            "s3-block-public-access/config-bucket-noncompliant.json",
            (S3BlockPublicAccess, vec![b]),
        ),
        (
            "s3-block-public-access/config-bucket-compliant.json",
            (S3BlockPublicAccess, vec!["skip"]),
        ),
        (
            "s3-block-public-access/config-other-resource-type.json",
            (S3BlockPublicAccess, vec!["skip"]),
        ),
        (
            "s3-block-public-access/guardduty-block-public-access-disabled.json",
            (S3BlockPublicAccess, vec![b]),
        ),
        (
            "s3-block-public-access/guardduty-anonymous-access-granted.json",
            (S3BlockPublicAccess, vec![b]),
        ),
        (
            "s3-block-public-access/guardduty-public-access-granted.json",
            (S3BlockPublicAccess, vec![b]),
        ),
        (
            "s3-block-public-access/securityhub-s3-8-failed.json",
            (S3BlockPublicAccess, vec![b]),
        ),
        (
            "s3-block-public-access/securityhub-s3-8-passed.json",
            (S3BlockPublicAccess, vec!["skip"]),
        ),
        (
            "s3-block-public-access/cloudtrail-delete-public-access-block.json",
            (S3BlockPublicAccess, vec![b]),
        ),
        (
            "s3-block-public-access/cloudtrail-put-public-access-block.json",
            (S3BlockPublicAccess, vec![b]),
        ),
        (
            "s3-block-public-access/cloudtrail-call-failed.json",
            (S3BlockPublicAccess, vec!["skip"]),
        ),
        (
            "s3-block-public-access/other-event-scheduled.json",
            (S3BlockPublicAccess, vec!["skip"]),
        ),
        (
            "s3-block-public-access/malformed-missing-detail.json",
            (S3BlockPublicAccess, vec!["malformed"]),
        ),
        (
            "sg-revoke-open-ssh/config-restricted-ssh-noncompliant.json",
            (SgRevokeOpenSsh, vec![g1]),
        ),
        (
            "sg-revoke-open-ssh/config-vpc-sg-port-restriction-check.json",
            (SgRevokeOpenSsh, vec![g1]),
        ),
        (
            "sg-revoke-open-ssh/config-restricted-ssh-compliant.json",
            (SgRevokeOpenSsh, vec!["skip"]),
        ),
        (
            "sg-revoke-open-ssh/config-other-rule.json",
            (SgRevokeOpenSsh, vec!["skip"]),
        ),
        (
            "sg-revoke-open-ssh/config-other-resource-type.json",
            (SgRevokeOpenSsh, vec!["skip"]),
        ),
        (
            "sg-revoke-open-ssh/guardduty-port-probe-ssh.json",
            (SgRevokeOpenSsh, vec![g1, g2]),
        ),
        (
            "sg-revoke-open-ssh/guardduty-port-probe-other-port.json",
            (SgRevokeOpenSsh, vec!["skip"]),
        ),
        (
            "sg-revoke-open-ssh/guardduty-ssh-brute-force-target.json",
            (SgRevokeOpenSsh, vec![g1]),
        ),
        (
            "sg-revoke-open-ssh/guardduty-ssh-brute-force-source.json",
            (SgRevokeOpenSsh, vec!["skip"]),
        ),
        (
            "sg-revoke-open-ssh/securityhub-ec2-13-failed.json",
            (SgRevokeOpenSsh, vec![g1, g2, "skip"]),
        ),
        (
            "sg-revoke-open-ssh/securityhub-archived.json",
            (SgRevokeOpenSsh, vec!["skip"]),
        ),
        (
            "sg-revoke-open-ssh/cloudtrail-authorize-ingress.json",
            (SgRevokeOpenSsh, vec![g1]),
        ),
        (
            "sg-revoke-open-ssh/cloudtrail-modify-rules.json",
            (SgRevokeOpenSsh, vec![g1]),
        ),
        (
            "sg-revoke-open-ssh/cloudtrail-call-failed.json",
            (SgRevokeOpenSsh, vec!["skip"]),
        ),
        (
            "sg-revoke-open-ssh/malformed-wrong-type.json",
            (SgRevokeOpenSsh, vec!["malformed"]),
        ),
        (
            "iam-detach-admin-policy/config-blacklisted-role-id.json",
            (IamDetachAdminPolicy, vec!["role-id:AROAEXAMPLEROLEID0001"]),
        ),
        (
            "iam-detach-admin-policy/config-blacklisted-compliant.json",
            (IamDetachAdminPolicy, vec!["skip"]),
        ),
        (
            "iam-detach-admin-policy/config-blacklisted-user.json",
            (IamDetachAdminPolicy, vec!["skip"]),
        ),
        (
            "iam-detach-admin-policy/securityhub-iam-role-failed.json",
            (IamDetachAdminPolicy, vec![role]),
        ),
        (
            "iam-detach-admin-policy/cloudtrail-attach-admin.json",
            (IamDetachAdminPolicy, vec![role]),
        ),
        (
            "iam-detach-admin-policy/cloudtrail-attach-other-policy.json",
            (IamDetachAdminPolicy, vec!["skip"]),
        ),
        (
            "iam-detach-admin-policy/cloudtrail-call-failed.json",
            (IamDetachAdminPolicy, vec!["skip"]),
        ),
        (
            "iam-detach-admin-policy/guardduty-unrelated.json",
            (IamDetachAdminPolicy, vec!["skip"]),
        ),
        (
            "iam-detach-admin-policy/malformed-not-envelope.json",
            (IamDetachAdminPolicy, vec!["malformed"]),
        ),
    ])
}

fn describe(remediation: Remediation, value: serde_json::Value) -> Vec<String> {
    match normalize(value, remediation) {
        Err(_) => vec!["malformed".into()],
        Ok(finding) => finding
            .items
            .iter()
            .map(|item| match item {
                Item::Skip(_) => "skip".into(),
                Item::Target(t) => match &t.resource {
                    Resource::Bucket(b) => format!("bucket:{b}"),
                    Resource::SecurityGroup(g) => format!("group:{g}"),
                    Resource::Role(RoleRef::Name(n)) => format!("role:{n}"),
                    Resource::Role(RoleRef::Id(id)) => format!("role-id:{id}"),
                },
            })
            .collect(),
    }
}

fn all_samples() -> Vec<String> {
    let mut files = Vec::new();
    for dir in std::fs::read_dir(events_dir()).expect("events/ exists") {
        let dir = dir.expect("readable").path();
        if !dir.is_dir() {
            continue; // acted-on.json, the manifest
        }
        for f in std::fs::read_dir(&dir).expect("readable") {
            let f = f.expect("readable").path();
            if f.extension().is_some_and(|e| e == "json") {
                let rel = f.strip_prefix(events_dir()).expect("inside events/");
                files.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    files.sort();
    files
}

fn load(rel: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(events_dir().join(rel)).expect("readable sample");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{rel} is not JSON: {e}"))
}

#[test]
fn every_sample_has_an_expectation() {
    let expected = expectations();
    let missing: Vec<_> = all_samples()
        .into_iter()
        .filter(|f| !expected.contains_key(f.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "samples without an expectation: {missing:?}"
    );
    assert_eq!(
        all_samples().len(),
        expected.len(),
        "expectations name files that do not exist"
    );
}

#[test]
fn each_function_reads_its_own_samples_as_expected() {
    for (file, (remediation, expected)) in expectations() {
        assert_eq!(describe(remediation, load(file)), expected, "{file}");
    }
}

/// Samples that are negative cases for their own function but a real trigger
/// of another one, with what that other function reads.
const CROSS_TARGETS: &[(&str, Remediation, &str)] = &[(
    "s3-block-public-access/config-other-resource-type.json",
    Remediation::SgRevokeOpenSsh,
    "group:sg-0123456789abcdef0",
)];

#[test]
fn other_functions_skip_or_reject_every_sample() {
    let all = [
        Remediation::S3BlockPublicAccess,
        Remediation::SgRevokeOpenSsh,
        Remediation::IamDetachAdminPolicy,
    ];
    for (file, (own, expected)) in expectations() {
        for other in all.into_iter().filter(|r| *r != own) {
            let got = describe(other, load(file));
            if let Some((_, _, target)) = CROSS_TARGETS
                .iter()
                .find(|(f, r, _)| *f == file && *r == other)
            {
                assert_eq!(got, [*target], "{file} for {other:?}");
            } else if expected == ["malformed"] {
                assert_eq!(got, ["malformed"], "{file} for {other:?}");
            } else {
                assert!(
                    got.iter().all(|g| g == "skip"),
                    "{file} for {other:?}: {got:?}"
                );
            }
        }
    }
}

#[test]
fn malformed_samples_name_the_field_at_fault() {
    let cases = [
        (
            "s3-block-public-access/malformed-missing-detail.json",
            Remediation::S3BlockPublicAccess,
            "detail",
        ),
        (
            "sg-revoke-open-ssh/malformed-wrong-type.json",
            Remediation::SgRevokeOpenSsh,
            "detail.findings",
        ),
        (
            "iam-detach-admin-policy/malformed-not-envelope.json",
            Remediation::IamDetachAdminPolicy,
            "detail-type",
        ),
    ];
    for (file, remediation, field) in cases {
        let err = normalize(load(file), remediation)
            .expect_err(file)
            .to_string();
        assert!(err.contains(field), "{file}: {err}");
    }
}

#[test]
fn envelope_fields_become_the_trigger() {
    let finding = normalize(
        load("sg-revoke-open-ssh/guardduty-port-probe-ssh.json"),
        Remediation::SgRevokeOpenSsh,
    )
    .unwrap();
    assert_eq!(finding.trigger.source, "aws.guardduty");
    assert_eq!(finding.trigger.detail_type, "GuardDuty Finding");
    assert!(!finding.trigger.event_id.is_empty());
    assert_eq!(
        finding.trigger.name.as_deref(),
        Some("Recon:EC2/PortProbeUnprotectedPort")
    );
    let Item::Target(t) = &finding.items[0] else {
        panic!("a target")
    };
    assert_eq!(t.account.as_deref(), Some("123456789012"));
    assert_eq!(t.region.as_deref(), Some("us-east-1"));
    assert_eq!(
        t.arn(),
        "arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123456789abcdef0"
    );
    assert!(t.finding_id.is_some());
}

/// `events/acted-on.json` lists, per function, the samples it acts on; the
/// end-to-end tests and the template's pattern test rely on it. It must say
/// exactly what the normaliser reads.
#[test]
fn the_acted_on_manifest_lists_exactly_the_samples_with_targets() {
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(events_dir().join("acted-on.json")).expect("readable manifest"),
    )
    .expect("the manifest is JSON");
    for remediation in [
        Remediation::S3BlockPublicAccess,
        Remediation::SgRevokeOpenSsh,
        Remediation::IamDetachAdminPolicy,
    ] {
        let listed: Vec<String> = manifest[remediation.function_name()]
            .as_array()
            .unwrap_or_else(|| panic!("no list for {}", remediation.function_name()))
            .iter()
            .map(|f| f.as_str().expect("a file name").to_owned())
            .collect();
        let with_targets: Vec<String> = all_samples()
            .into_iter()
            .filter(|f| {
                describe(remediation, load(f))
                    .iter()
                    .any(|d| d != "skip" && d != "malformed")
            })
            .collect();
        assert_eq!(listed, with_targets, "{}", remediation.function_name());
    }
}
