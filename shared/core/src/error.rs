//! Error types shared by every function: malformed input, normalised AWS
//! failures, and the handler's error with its stable Lambda error types.
//!
//! Owns the kinds an AWS failure is sorted into (throttled, transient, access
//! denied, not found, other) and the stable Lambda error types. It must not
//! classify an SDK error (the SDK runtime does, with the SDK's own lists:
//! `remediation_runtime::error`) nor decide what an error means for one
//! operation ("not found" on a delete is success): each function's adapter
//! does that.

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

impl AwsError {
    /// An error of a known `kind` (the SDK runtime classifies the SDK's
    /// errors; this builds one whose kind is already decided).
    pub fn of(operation: &'static str, kind: AwsErrorKind, code: &str, message: &str) -> Self {
        AwsError {
            operation,
            kind,
            code: code.to_owned(),
            message: message.to_owned(),
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

impl HandlerError {
    /// The stable Lambda error type of this error (`Finding.Malformed`,
    /// `Aws.Throttled`, ...), which the runtime reports as the invocation's
    /// error type.
    pub fn error_type(&self) -> &'static str {
        match self {
            HandlerError::Malformed(_) => "Finding.Malformed",
            HandlerError::Remediation { error_type, .. } => error_type,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handler_errors_map_to_stable_lambda_error_types() {
        let malformed = HandlerError::from(FindingError::NotAnObject { found: "array" });
        assert_eq!(malformed.error_type(), "Finding.Malformed");
        assert!(malformed.to_string().contains("array"));
        let denied = HandlerError::Remediation {
            failed: 1,
            total: 2,
            error_type: "Aws.AccessDenied",
            first_code: "AccessDenied".into(),
            first_reason: "no".into(),
        };
        assert_eq!(denied.error_type(), "Aws.AccessDenied");
        assert!(denied.to_string().contains("1 of 2"));
    }
}
