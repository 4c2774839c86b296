//! Error types shared by every function: malformed input, normalised AWS
//! failures, and the handler's error with its stable Lambda error types.
//!
//! Owns the classification of SDK errors into kinds (throttled, transient, access
//! denied, other). It must not decide what an error means for one operation
//! ("not found" on a delete is success): each function's adapter does that.

use aws_runtime::retries::classifiers::{THROTTLING_ERRORS, TRANSIENT_ERRORS};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use lambda_runtime::Diagnostic;

use crate::text::clip;

/// The longest value an error quotes from the event, in characters.
pub const MAX_VALUE_CHARS: usize = 200;
/// The longest transport message an error keeps, in characters.
pub const MAX_MESSAGE_CHARS: usize = 300;

/// An incoming event that cannot be turned into a finding.
///
/// Every variant names the field or value at fault, so the error message alone
/// tells an operator what to fix in the event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FindingError {
    /// The event is not a JSON object.
    #[error("event is not a JSON object: found {found}")]
    NotAnObject {
        /// The JSON type found instead.
        found: &'static str,
    },
    /// The payload is not valid JSON at all.
    #[error("event is not valid JSON: {0}")]
    NotJson(String),
    /// A field is missing or has the wrong type.
    #[error("field `{path}`: {message}")]
    Field {
        /// Dotted path of the field, from the envelope's root.
        path: String,
        /// What serde found wrong there.
        message: String,
    },
    /// A field has the right type but a value that cannot be right.
    #[error("field `{path}`: invalid value {value:?}: {expected}")]
    Value {
        /// Dotted path of the field, from the envelope's root.
        path: String,
        /// The value received (clipped to [`MAX_VALUE_CHARS`]).
        value: String,
        /// What a valid value looks like.
        expected: &'static str,
    },
}

impl FindingError {
    /// A [`FindingError::Value`] with the value truncated for safe logging.
    pub fn value(path: impl Into<String>, value: &str, expected: &'static str) -> Self {
        FindingError::Value {
            path: path.into(),
            value: clip(value, MAX_VALUE_CHARS),
            expected,
        }
    }
}

/// What kind of failure an AWS call ended in, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AwsErrorKind {
    /// Throttled even after the SDK's retries.
    Throttled,
    /// A 5xx, a timeout or a connection failure, after the SDK's retries.
    Transient,
    /// The function's role may not make this call.
    AccessDenied,
    /// The resource does not exist (each adapter decides which codes mean this).
    NotFound,
    /// Anything else: a bad request, a conflict, an unmodifiable entity.
    Other,
}

/// A failed AWS call, normalised at the adapter boundary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{operation} failed with {code}: {message}")]
pub struct AwsError {
    /// The API operation, e.g. `PutPublicAccessBlock`.
    pub operation: &'static str,
    /// Retry-relevant classification.
    pub kind: AwsErrorKind,
    /// The service's error code, or a transport-level code (`TimeoutError`, `DispatchFailure`).
    pub code: String,
    /// The service's message, or the transport error.
    pub message: String,
}

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

impl AwsError {
    /// Builds an error from its parts; `kind` is derived from the code and
    /// status, with the SDK's own lists of throttling and transient codes (the
    /// ones its retry classifiers retry on).
    pub fn new(operation: &'static str, code: &str, message: &str, status: Option<u16>) -> Self {
        let kind = if THROTTLING_ERRORS.contains(&code) || status == Some(429) {
            AwsErrorKind::Throttled
        } else if ACCESS_DENIED_CODES.contains(&code) || status == Some(403) {
            AwsErrorKind::AccessDenied
        } else if TRANSIENT_ERRORS.contains(&code) || status.is_some_and(|s| s >= 500) {
            AwsErrorKind::Transient
        } else {
            AwsErrorKind::Other
        };
        AwsError {
            operation,
            kind,
            code: code.to_owned(),
            message: message.to_owned(),
        }
    }

    /// Normalises an SDK error: service code and message when the service
    /// answered, a transport code otherwise.
    pub fn from_sdk<E>(operation: &'static str, err: &SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let status = err.raw_response().map(|r| r.status().as_u16());
        match err {
            SdkError::TimeoutError(_) => AwsError {
                operation,
                kind: AwsErrorKind::Transient,
                code: "TimeoutError".into(),
                message: "the request timed out".into(),
            },
            SdkError::DispatchFailure(f) => AwsError {
                operation,
                kind: AwsErrorKind::Transient,
                code: "DispatchFailure".into(),
                message: clip(&format!("{f:?}"), MAX_MESSAGE_CHARS),
            },
            SdkError::ConstructionFailure(_) => AwsError {
                operation,
                kind: AwsErrorKind::Other,
                code: "ConstructionFailure".into(),
                message: "the request could not be built".into(),
            },
            _ => {
                let code = err
                    .code()
                    .map(str::to_owned)
                    .unwrap_or_else(|| match status {
                        Some(s) => format!("Http{s}"),
                        None => "Unknown".to_owned(),
                    });
                let message = err.message().unwrap_or("no message").to_owned();
                AwsError::new(operation, &code, &message, status)
            }
        }
    }

    /// The same error, reclassified as "not found".
    pub fn into_not_found(mut self) -> Self {
        self.kind = AwsErrorKind::NotFound;
        self
    }

    /// The same error, reclassified as "not found" when its code is one of
    /// `codes` (the codes by which one service says a resource does not exist).
    pub fn not_found_if(self, codes: &[&str]) -> Self {
        if codes.contains(&self.code.as_str()) {
            self.into_not_found()
        } else {
            self
        }
    }

    /// The stable Lambda error type for this error (`Aws.Throttled`, ...).
    pub fn error_type(&self) -> &'static str {
        match self.kind {
            AwsErrorKind::Throttled => "Aws.Throttled",
            AwsErrorKind::Transient => "Aws.Transient",
            AwsErrorKind::AccessDenied => "Aws.AccessDenied",
            AwsErrorKind::NotFound => "Aws.NotFound",
            AwsErrorKind::Other => "Aws.Failed",
        }
    }
}

/// Why an invocation returned an error to Lambda (so that Lambda retries it and,
/// in the end, sends it to the failure destination).
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// The event could not be parsed; nothing was done.
    #[error("malformed event: {0}")]
    Malformed(#[from] FindingError),
    /// At least one resource could not be remediated.
    #[error("{failed} of {total} resources failed; first failure: {first_code}: {first_reason}")]
    Remediation {
        /// How many resources ended `failed`.
        failed: usize,
        /// How many resources the event named.
        total: usize,
        /// The stable error type of the first failure.
        error_type: &'static str,
        /// The error code of the first failure.
        first_code: String,
        /// The reason recorded for the first failure.
        first_reason: String,
    },
}

impl From<HandlerError> for Diagnostic {
    fn from(err: HandlerError) -> Self {
        let error_type = match &err {
            HandlerError::Malformed(_) => "Finding.Malformed",
            HandlerError::Remediation { error_type, .. } => error_type,
        };
        Diagnostic {
            error_type: error_type.to_owned(),
            error_message: err.to_string(),
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
                AwsError::new("Op", code, "m", status).kind,
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
                AwsError::new("Op", code, "m", status).kind,
                AwsErrorKind::AccessDenied,
                "{code}"
            );
        }
    }

    #[test]
    fn server_errors_are_transient_and_client_errors_are_other() {
        assert_eq!(
            AwsError::new("Op", "InternalError", "m", Some(500)).kind,
            AwsErrorKind::Transient
        );
        assert_eq!(
            AwsError::new("Op", "ServiceUnavailable", "m", Some(503)).kind,
            AwsErrorKind::Transient
        );
        assert_eq!(
            AwsError::new("Op", "InvalidParameterValue", "m", Some(400)).kind,
            AwsErrorKind::Other
        );
    }

    #[test]
    fn handler_errors_map_to_stable_lambda_error_types() {
        let malformed: Diagnostic =
            HandlerError::from(FindingError::NotAnObject { found: "array" }).into();
        assert_eq!(malformed.error_type, "Finding.Malformed");
        assert!(malformed.error_message.contains("array"));
        let denied: Diagnostic = HandlerError::Remediation {
            failed: 1,
            total: 2,
            error_type: "Aws.AccessDenied",
            first_code: "AccessDenied".into(),
            first_reason: "no".into(),
        }
        .into();
        assert_eq!(denied.error_type, "Aws.AccessDenied");
        assert!(denied.error_message.contains("1 of 2"));
    }
}
