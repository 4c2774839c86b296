//! The real `iam-detach-admin-policy` binary behind a Lambda Runtime API on loopback, fed
//! every sample in `events/iam-detach-admin-policy/`: each gets an answer and an audit
//! record, the process never dies, and with AWS unreachable nothing claims a fix.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use remediation_testing::runtime_api;

#[test]
fn the_binary_handles_every_sample_without_a_panic() {
    runtime_api::check_binary(
        std::path::Path::new(env!("CARGO_BIN_EXE_iam-detach-admin-policy")),
        "iam-detach-admin-policy",
    );
}
