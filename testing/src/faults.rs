//! Fault injection for the functions' fault matrices (`functions/*/tests/faults.rs`,
//! driven by [`crate::matrix`]): the faults by name, their wire form in each
//! AWS protocol, response scripts for aws-smithy-mocks rules, and an HTTP
//! client that can hang, so that an attempt really times out.
//! It builds clients and responses and asserts nothing.
//!
//! Why a hanging client: aws-smithy-mocks applies a modeled output or error in
//! `modify_before_attempt_completion`, which the orchestrator runs even after an
//! attempt timed out, so a modeled response would replace the timeout. A timed
//! out attempt is scripted instead as an HTTP response with status
//! [`HANG_STATUS`]; the mock HTTP client hands it to [`HangingHttpClient`],
//! which never completes it, and the attempt timeout fires.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use aws_smithy_mocks::{Rule, RuleBuilder};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::error::ErrorMetadata;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;

/// Error metadata with the code `code` and no message: the error an
/// aws-smithy-mocks rule answers with.
pub fn coded(code: &str) -> ErrorMetadata {
    ErrorMetadata::builder().code(code).build()
}

/// The status of a scripted response that [`HangingHttpClient`] never delivers.
pub const HANG_STATUS: u16 = 599;

/// Attempts the test clients make per call: a persistent fault fails all of them.
pub const MAX_ATTEMPTS: usize = 3;

/// The attempt timeout of the test clients: a hanging attempt ends after this.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(100);

/// Standard retry, [`MAX_ATTEMPTS`] attempts, with a 1 ms initial backoff to keep tests fast.
pub fn retry_config() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(MAX_ATTEMPTS as u32)
        .with_initial_backoff(Duration::from_millis(1))
}

/// Times out each attempt after [`ATTEMPT_TIMEOUT`].
pub fn timeout_config() -> TimeoutConfig {
    TimeoutConfig::builder()
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .build()
}

/// A retry partition name no other client uses. The SDK keeps one retry quota
/// (token bucket) per partition for the whole process, and a persistent fault
/// spends some of it for good: with one partition per client, no case can run
/// another out of retries.
pub fn unique_retry_partition() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!("fault-matrix-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The mock HTTP client of aws-smithy-mocks, except that a response with status
/// [`HANG_STATUS`] never completes.
#[derive(Debug, Clone)]
pub struct HangingHttpClient {
    inner: SharedHttpClient,
}

impl Default for HangingHttpClient {
    /// Wraps `aws_smithy_mocks::create_mock_http_client()`.
    fn default() -> Self {
        HangingHttpClient {
            inner: aws_smithy_mocks::create_mock_http_client(),
        }
    }
}

impl HttpClient for HangingHttpClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(HangingConnector {
            inner: self.inner.http_connector(settings, components),
        })
    }
}

#[derive(Debug)]
struct HangingConnector {
    inner: SharedHttpConnector,
}

impl HttpConnector for HangingConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        // The request carries the scripted response: forward it as it is.
        let response = self.inner.call(request);
        HttpConnectorFuture::new(async move {
            let response = response.await?;
            if response.status().as_u16() == HANG_STATUS {
                std::future::pending::<()>().await;
            }
            Ok(response)
        })
    }
}

/// The error envelope of an AWS protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// S3.
    RestXml,
    /// EC2.
    Ec2Query,
    /// IAM.
    AwsQuery,
}

impl Protocol {
    /// The body of an error response with this code, as the service sends it.
    pub fn error_body(self, code: &str) -> String {
        let message = format!("injected {code}");
        match self {
            Protocol::RestXml => format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}</Message><RequestId>4442587FB7D0A2F9</RequestId><HostId>faults</HostId></Error>"#
            ),
            Protocol::Ec2Query => format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>ea966190-f9aa-478e-9ede-cb5432daacc0</RequestID></Response>"#
            ),
            Protocol::AwsQuery => format!(
                r#"<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>4c6c2a3e-2f7b-4b1e-9c55-0a1b2c3d4e5f</RequestId></ErrorResponse>"#
            ),
        }
    }
}

/// How the codes of one service look on the wire.
#[derive(Debug, Clone, Copy)]
pub struct Service {
    /// The error envelope.
    pub protocol: Protocol,
    /// The service's own throttling code and its status (`SlowDown` 503, ...).
    pub throttling: (&'static str, u16),
    /// The service's access-denied code and its status.
    pub access_denied: (&'static str, u16),
    /// The status the service sends its "not found" codes with.
    pub not_found_status: u16,
}

impl Service {
    /// S3 (REST-XML): `SlowDown` 503, `AccessDenied` 403, "not found" 404.
    pub const S3: Service = Service {
        protocol: Protocol::RestXml,
        throttling: ("SlowDown", 503),
        access_denied: ("AccessDenied", 403),
        not_found_status: 404,
    };

    /// EC2 (EC2 query): `RequestLimitExceeded` 503, `UnauthorizedOperation`
    /// 403, "not found" 400.
    pub const EC2: Service = Service {
        protocol: Protocol::Ec2Query,
        throttling: ("RequestLimitExceeded", 503),
        access_denied: ("UnauthorizedOperation", 403),
        not_found_status: 400,
    };

    /// IAM (AWS query): `Throttling` 400, `AccessDenied` 403, "not found" 404.
    pub const IAM: Service = Service {
        protocol: Protocol::AwsQuery,
        throttling: ("Throttling", 400),
        access_denied: ("AccessDenied", 403),
        not_found_status: 404,
    };
}

/// Whether a retryable fault goes away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// Fails the first attempt; the retry succeeds.
    Transient,
    /// Fails every attempt.
    Persistent,
}

/// One fault of the matrix, injected on one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The service's own throttling code.
    Throttling(Variant),
    /// HTTP 500 with code `InternalError`.
    InternalError(Variant),
    /// HTTP 503 with code `ServiceUnavailable`.
    ServiceUnavailable(Variant),
    /// An attempt that never answers, ended by the attempt timeout.
    Timeout(Variant),
    /// The service's access-denied code: never retried.
    AccessDenied,
    /// A "not found" code (the resource or setting is gone): never retried.
    NotFound(&'static str),
}

impl Fault {
    /// Status and body of one failing attempt.
    fn wire(self, service: &Service) -> (u16, Option<String>) {
        let body = |code: &str| Some(service.protocol.error_body(code));
        match self {
            Fault::Throttling(_) => (service.throttling.1, body(service.throttling.0)),
            Fault::InternalError(_) => (500, body("InternalError")),
            Fault::ServiceUnavailable(_) => (503, body("ServiceUnavailable")),
            Fault::Timeout(_) => (HANG_STATUS, None),
            Fault::AccessDenied => (service.access_denied.1, body(service.access_denied.0)),
            Fault::NotFound(code) => (service.not_found_status, body(code)),
        }
    }

    /// Transient or persistent; `None` for faults that are never retried.
    pub fn variant(self) -> Option<Variant> {
        match self {
            Fault::Throttling(v)
            | Fault::InternalError(v)
            | Fault::ServiceUnavailable(v)
            | Fault::Timeout(v) => Some(v),
            Fault::AccessDenied | Fault::NotFound(_) => None,
        }
    }

    /// How many attempts the SDK makes on the faulted call.
    pub fn attempts(self) -> usize {
        match self.variant() {
            Some(Variant::Transient) => 2,
            Some(Variant::Persistent) => MAX_ATTEMPTS,
            None => 1,
        }
    }

    /// The error code `AwsError::from_sdk` gives the failed call.
    pub fn code(self, service: &Service) -> &'static str {
        match self {
            Fault::Throttling(_) => service.throttling.0,
            Fault::InternalError(_) => "InternalError",
            Fault::ServiceUnavailable(_) => "ServiceUnavailable",
            Fault::Timeout(_) => "TimeoutError",
            Fault::AccessDenied => service.access_denied.0,
            Fault::NotFound(code) => code,
        }
    }

    /// The Lambda error type of an invocation that fails with this fault, when
    /// the adapter passes the error on as it is (a "not found" code that the
    /// adapter does not normalise for the call is an ordinary failure).
    pub fn error_type(self) -> &'static str {
        match self {
            Fault::Throttling(_) => "Aws.Throttled",
            Fault::InternalError(_) | Fault::ServiceUnavailable(_) | Fault::Timeout(_) => {
                "Aws.Transient"
            }
            Fault::AccessDenied => "Aws.AccessDenied",
            Fault::NotFound(_) => "Aws.Failed",
        }
    }
}

/// The rule for one call: `ok` when `fault` is `None`, otherwise the fault's
/// script (then `ok` for a transient fault).
pub fn script<I, O, E>(
    builder: RuleBuilder<I, O, E>,
    fault: Option<Fault>,
    service: &Service,
    ok: impl Fn() -> O + Send + Sync + 'static,
) -> Rule
where
    I: std::fmt::Debug + Send + Sync + 'static,
    O: std::fmt::Debug + Send + Sync + 'static,
    E: std::fmt::Debug + Send + Sync + std::error::Error + 'static,
{
    let Some(fault) = fault else {
        return builder.sequence().output(ok).build();
    };
    let (status, body) = fault.wire(service);
    let failing = builder.sequence().http_status(status, body);
    match fault.variant() {
        Some(Variant::Transient) => failing.output(ok).build(),
        Some(Variant::Persistent) => failing.times(MAX_ATTEMPTS).build(),
        None => failing.build(),
    }
}

/// A client of the SDK crate `$sdk` answered by `$rules` (a slice of
/// `&Rule`) in order, with the standard retry of [`retry_config`]: what an
/// adapter's own tests run on.
#[macro_export]
macro_rules! retrying_client {
    ($sdk:ident, $rules:expr) => {
        $crate::aws_smithy_mocks::mock_client!(
            $sdk,
            $crate::aws_smithy_mocks::RuleMode::Sequential,
            $rules,
            |c| c.retry_config($crate::faults::retry_config())
        )
    };
}
