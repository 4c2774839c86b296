//! The real `s3-block-public-access` binary behind a Lambda Runtime API on loopback, fed
//! every sample in `events/s3-block-public-access/`: each gets an answer and an audit
//! record, the process never dies, and with AWS unreachable nothing claims a fix.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use remediation_testing::runtime_api;

#[test]
fn the_binary_handles_every_sample_without_a_panic() {
    runtime_api::check_binary(
        std::path::Path::new(env!("CARGO_BIN_EXE_s3-block-public-access")),
        "s3-block-public-access",
    );
}

/// An AWS endpoint that accepts connections and never answers: the binary's
/// own timeouts (`remediation_shared::sdk`) must end the call, and the
/// invocation must end in a `failed` record with the timeout's code, long
/// before Lambda would stop the function (and no record would be written).
#[test]
fn a_silent_aws_endpoint_ends_in_a_failed_record_not_a_lambda_timeout() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", silent.local_addr().unwrap());
    let held = std::thread::spawn(move || {
        // Hold every connection open, answer nothing.
        let mut open = Vec::new();
        for conn in silent.incoming().take(8) {
            open.push(conn);
        }
    });
    let mut api = runtime_api::RuntimeApi::start(
        std::path::Path::new(env!("CARGO_BIN_EXE_s3-block-public-access")),
        "s3-block-public-access",
        &[
            ("AWS_ENDPOINT_URL", &endpoint),
            ("AWS_ACCESS_KEY_ID", "local-test-placeholder"),
            ("AWS_SECRET_ACCESS_KEY", "local-test-placeholder"),
            ("DRY_RUN", "false"),
        ],
    );
    let event = remediation_testing::Function::named("s3-block-public-access")
        .sample("config-bucket-noncompliant.json", &[]);
    let started = std::time::Instant::now();
    let answer = api.invoke("req-silent", &event, std::time::Duration::from_secs(30));
    let took = started.elapsed();
    let records = api.settled_records("req-silent");

    let limit = remediation_runtime::sdk::OPERATION_TIMEOUT;
    assert!(
        matches!(&answer, Some(runtime_api::Answer::Error(b)) if b.contains("TimeoutError")),
        "{answer:?}\n{}",
        api.stderr()
    );
    assert_eq!(records.len(), 1, "{records:#?}");
    assert_eq!(records[0]["outcome"], "failed");
    assert_eq!(records[0]["error_code"], "TimeoutError");
    assert!(
        took >= limit && took < limit + std::time::Duration::from_secs(5),
        "answered after {took:?}; the operation timeout is {limit:?}"
    );
    drop(api);
    drop(held);
}

#[test]
fn a_bad_remediation_mode_stops_the_binary_at_start_naming_it() {
    let binary = std::path::Path::new(env!("CARGO_BIN_EXE_s3-block-public-access"));
    let event = std::fs::read_to_string(
        remediation_testing::samples::events_dir()
            .join("s3-block-public-access/config-bucket-noncompliant.json"),
    )
    .unwrap();
    // A bad mode stops it even beside a good DRY_RUN; a bad DRY_RUN beside a good mode too.
    let cases: [(&[(&str, &str)], &str); 3] = [
        (&[("REMEDIATION_MODE", "apply")], "REMEDIATION_MODE"),
        (
            &[("REMEDIATION_MODE", "proposed"), ("DRY_RUN", "true")],
            "REMEDIATION_MODE",
        ),
        (
            &[("REMEDIATION_MODE", "propose"), ("DRY_RUN", "maybe")],
            "DRY_RUN",
        ),
    ];
    for (settings, named) in cases {
        let mut api = runtime_api::RuntimeApi::start(binary, "s3-block-public-access", settings);
        // No event is handled: the function stops before its first poll.
        let answer = api.invoke("req-bad", &event, std::time::Duration::from_secs(5));
        let said = api.stderr_once_exited(std::time::Duration::from_secs(20));
        let why = format!("{:?} {said}", api.init_error());
        assert!(why.contains(named), "{settings:?}: {why}");
        assert!(answer.is_none(), "{settings:?}: {answer:?}");
        assert!(api.records("req-bad").is_empty(), "{settings:?}");
    }
}
