//! SDK errors classified into the core's [`AwsError`]: the one place that
//! reads an `SdkError`, with the SDK's own lists of throttling and transient
//! codes (the ones its retry classifiers retry on).
//!
//! It must not decide what an error means for one operation ("not found" on
//! a delete is success): each function's adapter does that.

use aws_runtime::retries::classifiers::{THROTTLING_ERRORS, TRANSIENT_ERRORS};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use remediation_shared::error::MAX_MESSAGE_CHARS;
use remediation_shared::text::clip;
use remediation_shared::{AwsError, AwsErrorKind};

/// Error codes that mean the caller's credentials, not the call, are at fault
/// (the SDK has no list of these: it never retries them).
const ACCESS_DENIED_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedAccess",
    "AuthFailure",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
    "SignatureDoesNotMatch",
];

/// [`AwsError`] built from what AWS answered: `AwsError::classify` and
/// `AwsError::from_sdk` where this trait is in scope.
pub trait Classify: Sized {
    /// Builds an error from its parts; the kind is derived from the code and
    /// status, with the SDK's own lists of throttling and transient codes.
    fn classify(operation: &'static str, code: &str, message: &str, status: Option<u16>) -> Self;

    /// Normalises an SDK error: service code and message when the service
    /// answered, a transport code otherwise.
    fn from_sdk<E>(operation: &'static str, err: &SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static;
}

impl Classify for AwsError {
    fn classify(operation: &'static str, code: &str, message: &str, status: Option<u16>) -> Self {
        let kind = if THROTTLING_ERRORS.contains(&code) || status == Some(429) {
            AwsErrorKind::Throttled
        } else if ACCESS_DENIED_CODES.contains(&code) || status == Some(403) {
            AwsErrorKind::AccessDenied
        } else if TRANSIENT_ERRORS.contains(&code) || status.is_some_and(|s| s >= 500) {
            AwsErrorKind::Transient
        } else {
            AwsErrorKind::Other
        };
        AwsError::of(operation, kind, code, message)
    }

    fn from_sdk<E>(operation: &'static str, err: &SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let status = err.raw_response().map(|r| r.status().as_u16());
        match err {
            SdkError::TimeoutError(_) => AwsError::of(
                operation,
                AwsErrorKind::Transient,
                "TimeoutError",
                "the request timed out",
            ),
            SdkError::DispatchFailure(f) => AwsError::of(
                operation,
                AwsErrorKind::Transient,
                "DispatchFailure",
                &clip(&format!("{f:?}"), MAX_MESSAGE_CHARS),
            ),
            SdkError::ConstructionFailure(_) => AwsError::of(
                operation,
                AwsErrorKind::Other,
                "ConstructionFailure",
                "the request could not be built",
            ),
            _ => {
                let code = err
                    .code()
                    .map(str::to_owned)
                    .unwrap_or_else(|| match status {
                        Some(s) => format!("Http{s}"),
                        None => "Unknown".to_owned(),
                    });
                let message = err.message().unwrap_or("no message").to_owned();
                AwsError::classify(operation, &code, &message, status)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_codes_and_429_are_throttled() {
        for (code, status) in [
            ("Throttling", Some(400)),
            ("RequestLimitExceeded", Some(503)),
            ("EC2ThrottledException", Some(400)),
            ("Whatever", Some(429)),
        ] {
            assert_eq!(
                AwsError::classify("Op", code, "m", status).kind,
                AwsErrorKind::Throttled,
                "{code}"
            );
        }
    }

    #[test]
    fn access_denied_codes_and_403_are_access_denied() {
        for (code, status) in [
            ("AccessDenied", Some(403)),
            ("UnauthorizedOperation", Some(400)),
            ("X", Some(403)),
        ] {
            assert_eq!(
                AwsError::classify("Op", code, "m", status).kind,
                AwsErrorKind::AccessDenied,
                "{code}"
            );
        }
    }

    #[test]
    fn server_errors_are_transient_and_client_errors_are_other() {
        assert_eq!(
            AwsError::classify("Op", "InternalError", "m", Some(500)).kind,
            AwsErrorKind::Transient
        );
        assert_eq!(
            AwsError::classify("Op", "ServiceUnavailable", "m", Some(503)).kind,
            AwsErrorKind::Transient
        );
        assert_eq!(
            AwsError::classify("Op", "InvalidParameterValue", "m", Some(400)).kind,
            AwsErrorKind::Other
        );
    }
}
