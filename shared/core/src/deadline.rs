//! The invocation's deadline, handed down to every AWS call a function makes.
//!
//! Lambda stops a function at its deadline, and a function stopped mid-call
//! writes no audit record. So each call's timeout is the smaller of its own
//! (the SDK's operation timeout, set by the SDK runtime) and the time left before the
//! deadline, less [`RECORD_RESERVE`] to write the record and answer. A short
//! function timeout means fewer retries, not no work. The driver sets the
//! deadline around each target ([`scoped`]); the adapters wrap each call in
//! [`within`] (the SDK runtime's `deadline::call` and `deadline::all` do, for
//! SDK calls and paginators). Outside an invocation (an adapter's own tests) no
//! deadline is known and only the SDK's timeouts apply.
//!
//! It owns how the runtime's deadline header is read, including a local
//! emulator's: `cargo lambda watch` sends a duration (`600000`, ten minutes)
//! where Lambda sends an instant in milliseconds since the epoch. It must not
//! decide what a timed-out call means for a resource: the function's plan does.

use std::future::Future;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::error::{AwsError, AwsErrorKind};

/// The time kept back from every call to write the audit record and answer.
pub const RECORD_RESERVE: Duration = Duration::from_millis(500);

/// Deadline values below this (milliseconds) cannot be instants since the
/// epoch (it is September 2001): they are durations from now, as a local
/// emulator sends them.
const RELATIVE_BELOW_MS: u64 = 1_000_000_000_000;

tokio::task_local! {
    static DEADLINE: Instant;
}

/// The instant of the runtime's deadline header `deadline_ms`: `None` when it
/// is 0 (none known); a duration from `now` when it is too small to be an
/// instant since the epoch; else that instant.
pub fn from_header(deadline_ms: u64, now: SystemTime) -> Option<Instant> {
    let left = if deadline_ms == 0 {
        return None;
    } else if deadline_ms < RELATIVE_BELOW_MS {
        Duration::from_millis(deadline_ms)
    } else {
        (UNIX_EPOCH + Duration::from_millis(deadline_ms))
            .duration_since(now)
            .unwrap_or_default()
    };
    Some(Instant::now() + left)
}

/// Runs `work` with `deadline` as the deadline of every call it makes.
pub async fn scoped<F: Future>(deadline: Option<Instant>, work: F) -> F::Output {
    match deadline {
        Some(d) => DEADLINE.scope(d, work).await,
        None => work.await,
    }
}

/// The time left for calls before the deadline set by [`scoped`], the record's
/// reserve already taken off; `None` when no deadline is known.
pub fn budget() -> Option<Duration> {
    DEADLINE
        .try_with(|d| {
            d.saturating_duration_since(Instant::now())
                .saturating_sub(RECORD_RESERVE)
        })
        .ok()
}

/// Runs one AWS call, given as its result already normalised, within the
/// time left: past it, the call is abandoned with a `TimeoutError`.
pub async fn within<T>(
    operation: &'static str,
    call: impl Future<Output = Result<T, AwsError>>,
) -> Result<T, AwsError> {
    let Some(budget) = budget() else {
        return call.await;
    };
    let out_of_time = |message: &str| AwsError {
        operation,
        kind: AwsErrorKind::Transient,
        code: "TimeoutError".into(),
        message: message.into(),
    };
    if budget.is_zero() {
        return Err(out_of_time(
            "not sent: no time left before the invocation's deadline",
        ));
    }
    match tokio::time::timeout(budget, call).await {
        Ok(result) => result,
        Err(_) => Err(out_of_time(&format!(
            "abandoned after {} ms, at the invocation's deadline less the time kept to record it",
            budget.as_millis()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadline_headers_are_read_as_instants_or_as_a_local_emulators_durations() {
        let now = SystemTime::now();
        let epoch_ms =
            |d: Duration| (now + d).duration_since(UNIX_EPOCH).unwrap().as_millis() as u64;
        let left =
            |h: u64| from_header(h, now).map(|i| i.saturating_duration_since(Instant::now()));
        assert_eq!(left(0), None, "no deadline known");
        let lambda = left(epoch_ms(Duration::from_secs(3))).unwrap();
        assert!(
            lambda > Duration::from_millis(2900) && lambda <= Duration::from_secs(3),
            "{lambda:?}"
        );
        let watch = left(600_000).unwrap();
        assert!(
            watch > Duration::from_secs(599),
            "cargo lambda watch's 600000 is ten minutes: {watch:?}"
        );
        let past = left(epoch_ms(Duration::ZERO) - 5_000).unwrap();
        assert_eq!(
            past,
            Duration::ZERO,
            "a deadline already passed leaves nothing"
        );
    }

    #[tokio::test]
    async fn a_call_is_cut_at_the_deadline_less_the_reserve() {
        let deadline = Instant::now() + RECORD_RESERVE + Duration::from_millis(300);
        let result: Result<(), AwsError> =
            scoped(Some(deadline), within("Op", std::future::pending())).await;
        let err = result.unwrap_err();
        assert_eq!(
            (err.code.as_str(), err.kind),
            ("TimeoutError", AwsErrorKind::Transient)
        );
        let margin = deadline.saturating_duration_since(Instant::now());
        assert!(
            margin > RECORD_RESERVE - Duration::from_millis(100) && margin <= RECORD_RESERVE,
            "the call ended {margin:?} before the deadline"
        );
    }

    #[tokio::test]
    async fn no_call_is_sent_without_time_left_and_any_call_runs_without_a_deadline() {
        let sent = std::sync::atomic::AtomicBool::new(false);
        let result = scoped(
            Some(Instant::now() + Duration::from_millis(100)),
            within("Op", async {
                sent.store(true, std::sync::atomic::Ordering::SeqCst);
                Ok(())
            }),
        )
        .await;
        assert!(result.unwrap_err().message.contains("not sent"));
        assert!(!sent.load(std::sync::atomic::Ordering::SeqCst));
        assert_eq!(within("Op", async { Ok(7) }).await, Ok(7));
    }
}
