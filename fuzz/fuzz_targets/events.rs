//! Fuzz target: raw bytes as an invocation payload, through the shared
//! crate's parsing and each function's scope.
//!
//! A crash is a panic anywhere on that path, or a broken invariant: a
//! payload that is read must yield at least one item (a target or a skip
//! with its reason), and one that is refused must say why. It must not call
//! AWS or the handler's remediators: parsing only.

#![no_main]

use libfuzzer_sys::fuzz_target;
use remediation_shared::event::{self, Payload};
use remediation_shared::finding::{normalize, Item};
use remediation_shared::Scope;
use serde_json::Value;

/// The invariants of one scope's reading of `value`.
fn read<S: Scope>(value: &Value) {
    match normalize::<S>(value.clone()) {
        Ok(finding) => {
            assert!(!finding.items.is_empty(), "a finding with no item");
            for item in &finding.items {
                match item {
                    Item::Target(target) => assert!(!target.arn().is_empty()),
                    Item::Skip(skip) => assert!(!skip.reason.is_empty(), "a skip without a reason"),
                }
            }
        }
        Err(err) => assert!(!err.to_string().is_empty(), "an error without a message"),
    }
}

fuzz_target!(|data: &[u8]| {
    let payload = Payload::from_slice(data);
    // The byte-level parser and the runtime's view of the payload agree on what is JSON.
    if let Ok(envelope) = event::parse_bytes(data) {
        assert!(matches!(payload, Payload::Json(_)), "parsed bytes are not JSON: {envelope:?}");
    }
    let Payload::Json(value) = payload else {
        return;
    };
    read::<s3_block_public_access::scope::BucketScope>(&value);
    read::<sg_revoke_open_ssh::scope::GroupScope>(&value);
    read::<iam_detach_admin_policy::scope::RoleScope>(&value);
});
