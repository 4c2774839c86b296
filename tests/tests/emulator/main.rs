//! End-to-end tests: each function's real binary, as a Lambda bootstrap behind
//! a Runtime API on loopback, against AWS state seeded in the local emulator
//! (moto in server mode, started by `scripts/with-emulator`). Every test seeds
//! its own resources under unique names, runs the `events/` samples rewritten
//! for them, and asserts the exact resulting state and the audit records.
//!
//! - [`s3`]: Block Public Access: every trigger, partial settings, dry run,
//!   exemption, a deleted bucket, negative samples, re-delivery.
//! - [`sg`]: world-open remote administration: the rule table (IPv4, IPv6, ranges, `-1`, udp,
//!   group references, prefix lists, several CIDRs in one permission, egress),
//!   every trigger, dry run, exemption, a deleted group, negative samples.
//! - [`iam`]: AdministratorAccess on service roles: each trust-policy shape,
//!   service-linked and SSO paths, every trigger (Config by role id), dry run,
//!   exemption, a deleted role, negative samples.
//!
//! - [`control_truth`]: a finding resolved only when its whole control holds:
//!   RDP closed for EC2.53, a database port named and never resolved for
//!   EC2.19, SSH alone for EC2.13, a stale finding, a sweep closing RDP.
//! - [`finding_workflow`]: the Security Hub finding resolved, noted or left,
//!   against a recording endpoint, and an update Security Hub refuses.
//! - [`notifications`]: what a person is sent through SNS, and a publish
//!   that fails.
//! - [`local_invoke`]: invoking by hand with the real `cargo lambda watch` and
//!   `invoke`, and under Lambda's default 3 s timeout.
//! - [`duplicates`]: one finding delivered 50 times at once to 50 instances.
//! - [`sweep`]: each function's scheduled sweep, each in an account of its own.
//! - [`hub`]: hub mode: one deployment acting in member accounts and regions
//!   through their roles, refused and unlisted members, credentials reused.
//! - [`org_sweep`]: an organisation's sweep: each place queued, delivered
//!   back and swept there; unlisted, throttled and refusing places.
//! - [`properties`]: never over-remediate, on generated security groups,
//!   roles and buckets, each checked against the specification's rule.
//!
//! Emulator gaps (service-linked roles refusing changes, default-VPC revoke
//! semantics, account-id host prefixes) are covered by each function's
//! aws-smithy-mocks tests in `functions/*/tests/adapter.rs` instead.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod control_truth;
mod duplicates;
mod finding_workflow;
mod hub;
mod iam;
mod local_invoke;
mod notifications;
mod org_sweep;
mod properties;
mod s3;
mod sg;
mod sweep;

use remediation_testing::Invocation;

/// The audit outcome of every record, with the answer: the shape most
/// assertions start from.
fn summary(inv: &Invocation) -> (bool, Vec<String>) {
    (inv.succeeded(), inv.outcomes())
}

/// Checks an invocation that examined one resource and skipped it, saying `because`.
fn assert_skipped(inv: &Invocation, because: &str) {
    assert_eq!(
        summary(inv),
        (true, vec!["skipped".into()]),
        "{:#?}",
        inv.records
    );
    let reason = inv.record()["reason"].as_str().unwrap();
    assert!(
        reason.contains(because),
        "reason {reason:?} does not say {because:?}"
    );
}

/// Checks the answer to a sample that must change nothing: success with only
/// `skipped` records, or, for a malformed sample, a `Finding.Malformed` error
/// with one `failed` record.
fn assert_untouched_answer(file: &str, inv: &Invocation) {
    if file.starts_with("malformed") {
        assert!(
            matches!(&inv.answer, remediation_testing::Answer::Error(b) if b.contains("Finding.Malformed")),
            "{file}: {:?}",
            inv.answer
        );
        assert_eq!(inv.outcomes(), ["failed"], "{file}");
        assert_eq!(inv.records[0]["error_code"], "Finding.Malformed", "{file}");
    } else {
        assert!(inv.succeeded(), "{file}: {:?}", inv.answer);
        assert!(!inv.records.is_empty(), "{file}: no audit record");
        assert!(
            inv.outcomes().iter().all(|o| o == "skipped"),
            "{file}: {:#?}",
            inv.records
        );
    }
}
