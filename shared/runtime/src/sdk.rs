//! The AWS SDK configuration every function starts from, built once at init:
//! the HTTPS client ([`crate::https`]), the timeouts of every AWS call and the
//! SDK's standard retries.
//!
//! It must not build a service client: the functions' adapters and this
//! crate's side-channel adapters do, on first use.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::BehaviorVersion;
/// The shared configuration every client of a function is built from.
pub use aws_config::SdkConfig;

use crate::https::https_client;

/// How long one attempt of an AWS call may take before it is retried.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(4);
/// How long an AWS call may take in all, retries included. A call that hangs
/// must end in a `failed` record well before Lambda stops the function (the
/// template's timeout is 300 s): with no timeout, the SDK waits on a silent
/// connection until Lambda kills the process, and no record is written.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(10);
/// How long opening a connection may take (the SDK's default).
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(3100);

/// Loads the SDK configuration from the environment (region, credentials,
/// endpoint overrides), with [`https_client`] as the HTTP client and the
/// timeouts above.
pub async fn load() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(https_client())
        .timeout_config(timeouts())
        .retry_config(retries())
        .load()
        .await
}

/// The SDK's standard retry of throttling and transient errors, with
/// exponential backoff and jitter: a sweep over thousands of resources that
/// AWS throttles slows down rather than fails, its concurrency bounded
/// (`remediation_shared::sweep::CONCURRENCY`). Not the adaptive mode: its client-side
/// rate limiter, after two throttling errors among a handful of requests,
/// held the next one back 40 s (`a_throttled_sweep_list_is_retried_...` in the bucket
/// function's adapter tests), longer than a finding may take. Three
/// attempts, unless `AWS_MAX_ATTEMPTS` says otherwise (a configuration given
/// in code would hide the variable).
pub fn retries() -> RetryConfig {
    let attempts = std::env::var("AWS_MAX_ATTEMPTS")
        .ok()
        .and_then(|v| v.trim().parse::<u32>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(3);
    RetryConfig::standard().with_max_attempts(attempts)
}

/// The timeouts every AWS call runs under.
pub fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build()
}
