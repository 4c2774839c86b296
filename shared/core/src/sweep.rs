//! The scheduled sweep: what a function's survey of its account and region
//! returns, the summary record each sweep writes, and how a scheduled event
//! is recognised.
//!
//! Events get lost (a resource misconfigured before the stack existed, an
//! event delivered while the function was throttled, a detector switched
//! off), so each function can also be run on a schedule: EventBridge's
//! `Scheduled Event` makes it survey every resource of its kind with the
//! cheapest complete reads, then examine the suspects one by one exactly as
//! for a finding (re-read, same rules, exemption, protections, dry run). The
//! order of that work, and the records, are the driver's
//! ([`crate::handler`]); each function's survey is its own
//! ([`crate::Remediator::survey`]). This module must not call AWS.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::Value;

pub use crate::audit::SweepRecord;
use crate::error::AwsError;

/// The value of `record_type` of a sweep's summary record.
pub const RECORD_TYPE: &str = "remediation_sweep";

/// How many suspects are examined at once: enough to hide each call's
/// latency, few enough that a sweep over thousands of resources stays well
/// inside AWS's request rates (the SDK's retry, with backoff, slows it further
/// when AWS throttles).
pub const CONCURRENCY: usize = 8;

/// How many suspects a function may re-read at once before examining them
/// (`Remediator::prefetch`): within the 200 values an EC2 filter takes, and
/// few enough that what is read is still fresh when it is acted on.
pub const BATCH: usize = 100;

/// The time kept back at the end of a sweep: no suspect is started later,
/// so that the last ones finish, and the summary is written, before Lambda
/// stops the function.
pub const RESERVE: Duration = Duration::from_secs(3);

/// What a function's survey of its account and region found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Survey<R> {
    /// How many resources of its kind it read.
    pub examined: usize,
    /// Those that the survey's reads show may be wrong (or could not be
    /// read one by one): each is examined as for a finding, re-read first.
    pub suspects: Vec<R>,
    /// The error that stopped the survey, if one did; what was read before
    /// it is still examined.
    pub error: Option<AwsError>,
}

impl<R> Survey<R> {
    /// A complete survey of `examined` resources, of which `suspects` may be wrong.
    pub fn complete(examined: usize, suspects: Vec<R>) -> Self {
        Survey {
            examined,
            suspects,
            error: None,
        }
    }

    /// A survey stopped by `error` before it read anything.
    pub fn failed(error: AwsError) -> Self {
        Survey {
            examined: 0,
            suspects: Vec::new(),
            error: Some(error),
        }
    }
}

/// Whether an event is EventBridge's scheduled event, which starts a sweep.
pub fn is_schedule(event: &Value) -> bool {
    event.get("source").and_then(Value::as_str) == Some("aws.events")
        && event.get("detail-type").and_then(Value::as_str) == Some("Scheduled Event")
}

static REQUESTS: AtomicU64 = AtomicU64::new(0);

/// Counts one HTTP request to AWS (the SDK's HTTP client calls this).
pub fn count_request() {
    REQUESTS.fetch_add(1, Ordering::Relaxed);
}

/// The HTTP requests made to AWS by this process so far, retries included.
pub fn requests_made() -> u64 {
    REQUESTS.load(Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_eventbridges_scheduled_event_starts_a_sweep() {
        let cases = [
            (
                "the_scheduled_event",
                json!({"source": "aws.events", "detail-type": "Scheduled Event"}),
                true,
            ),
            (
                "another_events_event",
                json!({"source": "aws.events", "detail-type": "Other"}),
                false,
            ),
            (
                "a_forged_source",
                json!({"source": "custom.events", "detail-type": "Scheduled Event"}),
                false,
            ),
            ("not_an_object", json!("Scheduled Event"), false),
        ];
        for (name, event, sweeps) in cases {
            assert_eq!(is_schedule(&event), sweeps, "{name}");
        }
    }
}
