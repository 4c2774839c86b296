//! Fuzz target: raw bytes as an invocation payload, through the shared
//! crate's parsing and the scope of every function in the catalog.
//!
//! A crash is a panic anywhere on that path, or a broken invariant: a
//! payload that is read must yield at least one item (a target or a skip
//! with its reason), and one that is refused must say why. It must not call
//! AWS or the handler's remediators: parsing only.

#![no_main]

use libfuzzer_sys::fuzz_target;
use remediation_catalog::{Function, Read, ALL};
use remediation_shared::event::{self, Payload};
use serde_json::Value;

/// The invariants of one function's reading of `value`.
fn read(function: &Function, value: &Value) {
    match (function.read)(value.clone()) {
        Ok(items) => {
            assert!(!items.is_empty(), "a finding with no item");
            for item in &items {
                match item {
                    Read::Target(arn) => assert!(!arn.is_empty()),
                    Read::Skip(reason) => assert!(!reason.is_empty(), "a skip without a reason"),
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
    for function in ALL {
        read(function, &value);
    }
});
