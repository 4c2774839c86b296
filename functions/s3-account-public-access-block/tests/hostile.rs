//! Hostile and broken input, generated, through this function's driver:
//! arbitrary JSON, every sample in `events/` with a wrong type in each
//! field, truncated payloads, oversized strings, and ARNs of every partition
//! and of no valid shape (see `remediation_testing::hostile`).

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

remediation_testing::hostile_tests!(
    s3_account_public_access_block::scope::AccountScope,
    serde_json::json!({"Compliance": {"Status": "FAILED", "SecurityControlId": "S3.1"}})
);
