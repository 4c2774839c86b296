//! The real `sg-revoke-open-ssh` binary behind a Lambda Runtime API on loopback, fed
//! every sample in `events/sg-revoke-open-ssh/`: each gets an answer and an audit
//! record, the process never dies, and with AWS unreachable nothing claims a fix.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use remediation_testing::runtime_api;

#[test]
fn the_binary_handles_every_sample_without_a_panic() {
    runtime_api::check_binary(
        std::path::Path::new(env!("CARGO_BIN_EXE_sg-revoke-open-ssh")),
        "sg-revoke-open-ssh",
    );
}

#[test]
fn a_bad_admin_ports_value_stops_the_binary_at_start_naming_it() {
    let binary = std::path::Path::new(env!("CARGO_BIN_EXE_sg-revoke-open-ssh"));
    let event = std::fs::read_to_string(
        remediation_testing::samples::events_dir()
            .join("sg-revoke-open-ssh/config-restricted-ssh-noncompliant.json"),
    )
    .unwrap();
    for bad in ["ssh", "22,", "0", "3389/sctp"] {
        let mut api =
            runtime_api::RuntimeApi::start(binary, "sg-revoke-open-ssh", &[("ADMIN_PORTS", bad)]);
        // No event is handled: the function stops before its first poll.
        let answer = api.invoke("req-bad", &event, std::time::Duration::from_secs(5));
        let said = api.stderr_once_exited(std::time::Duration::from_secs(20));
        let why = format!("{:?} {said}", api.init_error());
        assert!(why.contains("ADMIN_PORTS"), "{bad}: {why}");
        assert!(answer.is_none(), "{bad}: {answer:?}");
        assert!(api.records("req-bad").is_empty(), "{bad}");
    }
}
