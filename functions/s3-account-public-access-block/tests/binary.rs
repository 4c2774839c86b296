//! The real `s3-account-public-access-block` binary behind a Lambda Runtime
//! API on loopback, fed every sample in its `events/` folder: each gets an
//! answer and an audit record, the process never dies, and with AWS
//! unreachable nothing claims a fix.

use remediation_testing::runtime_api;

#[test]
fn the_binary_handles_every_sample_without_a_panic() {
    runtime_api::check_binary(
        std::path::Path::new(env!("CARGO_BIN_EXE_s3-account-public-access-block")),
        "s3-account-public-access-block",
    );
}
