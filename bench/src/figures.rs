//! What one system measured for one function, and the statistics the table
//! quotes (medians, percentiles). Plain numbers: no I/O here.

use std::time::Duration;

/// The outcome of a burst.
pub(crate) struct Burst {
    pub(crate) wall_s: f64,
    pub(crate) errors: usize,
    /// Ours: each invocation that did not end `remediated`, with its outcomes and reasons.
    pub(crate) others: Vec<String>,
    pub(crate) verdicts: Vec<String>,
}

/// Figures of one system for one function.
#[derive(Default)]
pub(crate) struct Figures {
    pub(crate) ready_ms: Vec<f64>,
    pub(crate) done_ms: Vec<f64>,
    pub(crate) warm_ms: Vec<f64>,
    pub(crate) peak_rss_kib: u64,
    pub(crate) package_bytes: Option<u64>,
    pub(crate) verdicts: Vec<String>,
    pub(crate) calls: Vec<String>,
}

pub(crate) fn median(v: &[f64]) -> f64 {
    percentile(v, 50.0)
}

pub(crate) fn percentile(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p / 100.0) * (s.len() as f64 - 1.0)).round() as usize;
    s[rank.min(s.len() - 1)]
}

pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
