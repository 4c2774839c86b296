//! Time stamps in RFC 3339, as the audit records write them and as the
//! findings carry them.
//!
//! A leaf: it imports nothing of the crate. The form is the one AWS's SDKs
//! write (UTC, `Z`, the fraction without trailing zeros, none when zero), so
//! records keep the byte layout they had when the SDK formatted them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};

/// `at` in RFC 3339 UTC, to the millisecond: `2026-12-07T11:18:24.12Z`.
pub fn millis(at: SystemTime) -> String {
    let t: DateTime<Utc> = at.into();
    let mut out = t.format("%Y-%m-%dT%H:%M:%S").to_string();
    let ms = t.timestamp_subsec_millis();
    if ms > 0 {
        out.push('.');
        out.push_str(format!("{ms:03}").trim_end_matches('0'));
    }
    out.push('Z');
    out
}

/// The instant of an RFC 3339 date-time in UTC (`Z`; `T` or `t` between date
/// and time), if `text` is one. An offset other than `Z` is not read, as AWS's
/// SDKs do not read one.
pub fn parse(text: &str) -> Option<SystemTime> {
    if !text.ends_with('Z') || !matches!(text.as_bytes().get(10), Some(b'T' | b't')) {
        return None;
    }
    let t = DateTime::parse_from_rfc3339(text).ok()?;
    let nanos = t.timestamp_nanos_opt()?;
    let from_epoch = Duration::from_nanos(nanos.unsigned_abs());
    if nanos < 0 {
        UNIX_EPOCH.checked_sub(from_epoch)
    } else {
        UNIX_EPOCH.checked_add(from_epoch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_are_written_as_the_sdk_wrote_them() {
        let at = |ms: u64| UNIX_EPOCH + Duration::from_millis(ms);
        for (ms, text) in [
            (1_765_106_304_000, "2025-12-07T11:18:24Z"),
            (1_765_106_304_120, "2025-12-07T11:18:24.12Z"),
            (1_765_106_304_001, "2025-12-07T11:18:24.001Z"),
            (1_765_106_304_999, "2025-12-07T11:18:24.999Z"),
        ] {
            assert_eq!(millis(at(ms)), text, "{ms}");
        }
        let sub = at(1_765_106_304_120) + Duration::from_micros(999);
        assert_eq!(
            millis(sub),
            "2025-12-07T11:18:24.12Z",
            "cut to the millisecond"
        );
    }

    #[test]
    fn only_utc_date_times_are_read() {
        let at = |ms: u64| Some(UNIX_EPOCH + Duration::from_millis(ms));
        assert_eq!(parse("2025-12-07T11:18:24Z"), at(1_765_106_304_000));
        assert_eq!(parse("2025-12-07t11:18:24.12Z"), at(1_765_106_304_120));
        assert_eq!(parse("2025-12-07T11:18:24.000Z"), at(1_765_106_304_000));
        assert_eq!(
            parse("1969-12-31T23:59:59Z"),
            UNIX_EPOCH.checked_sub(Duration::from_secs(1))
        );
        for bad in [
            "2025-12-07T11:18:24+01:00",
            "2025-12-07 11:18:24Z",
            "2025-12-07",
            "yesterday",
            "",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }
}
