//! The generic part of every function's fault matrix
//! (`functions/*/tests/faults.rs`): the rows, from the faults every call gets
//! whatever the function and the "not found" codes each function names; the
//! run of one row and its comparison with the run without a fault; and the
//! checks every row makes (the attempts, the calls, the record).
//!
//! A function says what is its own through [`Matrix`]: its calls, how each
//! ends under its "not found" codes, how to script and run them, and what its
//! records must say. This module knows no function and no SDK client, and it
//! never decides how a row must end: the function's table does.
//!
//! Every call gets every fault of [`STANDARD_FAULTS`], and these end the same
//! way for every function: a transient fault (the retry succeeds) exactly as
//! without a fault, a persistent one (every attempt fails) and access denied
//! (never retried) as one `failed` record with the fault's code and no later
//! call. Only the "not found" codes end differently per call.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use aws_smithy_mocks::{Rule, RuleBuilder};
use remediation_shared::{HandlerError, Remediator, Scope, Summary};
use serde_json::Value;

use crate::faults::{Fault, Service, Variant};
use crate::handler::{enforcing, timeless};

/// How a row of the matrix must end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect<X> {
    /// Exactly as without a fault: the same record, the same calls after.
    Baseline,
    /// Fixed as without a fault, with the same calls after, but a record
    /// that says what the fault changed in what was read, which
    /// [`Matrix::check`] checks.
    Fixed,
    /// `failed` with the fault's own code; no call after the faulted one.
    Failed,
    /// `skipped`, the resource no longer exists; no call after the faulted one.
    Skipped,
    /// An ending of the function's own, which [`Matrix::check`] checks.
    Own(X),
}

/// The faults every call of every function gets: each retryable fault
/// transient and persistent, then access denied.
pub const STANDARD_FAULTS: [Fault; 9] = [
    Fault::Throttling(Variant::Transient),
    Fault::Throttling(Variant::Persistent),
    Fault::InternalError(Variant::Transient),
    Fault::InternalError(Variant::Persistent),
    Fault::ServiceUnavailable(Variant::Transient),
    Fault::ServiceUnavailable(Variant::Persistent),
    Fault::Timeout(Variant::Transient),
    Fault::Timeout(Variant::Persistent),
    Fault::AccessDenied,
];

/// How a fault of [`STANDARD_FAULTS`] ends, on any call: transient as
/// without a fault, persistent and access denied `failed`.
pub fn standard_ending<X>(fault: Fault) -> Expect<X> {
    match fault.variant() {
        Some(Variant::Transient) => Expect::Baseline,
        _ => Expect::Failed,
    }
}

/// What one run of a fault matrix answered: the handler's answer, its
/// records, and the attempts each scripted call received.
#[derive(Debug)]
pub struct Run {
    /// The handler's answer.
    pub result: Result<Summary, HandlerError>,
    /// The records written.
    pub records: Vec<Value>,
    /// Attempts answered per call, in the order of the matrix's calls (then
    /// any calls the function scripts after them).
    pub calls: Vec<usize>,
}

/// A function's fault matrix, implemented by the type of the calls of its
/// main path (an enum, ordered as the function makes them): what is the
/// function's own. The rest is this module's.
pub trait Matrix: Copy + fmt::Debug + PartialEq + PartialOrd + Send + Sync + 'static {
    /// The function's own endings, for [`Expect::Own`].
    type Own: Copy + fmt::Debug + PartialEq + Send + Sync + 'static;
    /// The function's remediator.
    type Remediator: Remediator + Send;
    /// How the function's service sends its codes.
    const SERVICE: Service;
    /// The calls of the main path, in the order the function makes them.
    const CALLS: &'static [Self];
    /// Each "not found" code the adapter normalises (on any call), with how
    /// each call of [`Matrix::CALLS`], in that order, ends under it.
    const NOT_FOUND: &'static [(&'static str, &'static [Expect<Self::Own>])];
    /// The sample every row runs: a file of `events/<function>/`.
    const SAMPLE: &'static str;
    /// Rows the function does not pass yet: call, fault, and the test that
    /// runs the row alone. They are left out of [`check_call`].
    const BUGS: &'static [(Self, Fault, &'static str)] = &[];

    /// The rule for this call: its normal answer, or `fault`'s script (see
    /// [`Matrix::script`]).
    fn rule(self, fault: Option<Fault>) -> Rule;

    /// The rule for one call of this function's service: `ok` when `fault`
    /// is `None`, otherwise the fault's script (see [`crate::faults::script`]).
    fn script<I, O, E>(
        builder: RuleBuilder<I, O, E>,
        fault: Option<Fault>,
        ok: impl Fn() -> O + Send + Sync + 'static,
    ) -> Rule
    where
        I: fmt::Debug + Send + Sync + 'static,
        O: fmt::Debug + Send + Sync + 'static,
        E: fmt::Debug + Send + Sync + std::error::Error + 'static,
    {
        crate::faults::script(builder, fault, &Self::SERVICE, ok)
    }

    /// The rules of calls the function makes only after its main path
    /// answered with `fault` (none by default).
    fn later_rules(fault: Option<Fault>) -> Vec<Rule> {
        let _ = fault;
        Vec::new()
    }

    /// The function's remediator over its real adapter, on an SDK client
    /// answered by `rules` (see [`fault_client!`](crate::fault_client)).
    fn remediator(rules: &[Rule]) -> Self::Remediator;

    /// Checks the run without a fault exactly, after [`baseline`]'s checks
    /// (given its one record): every [`Expect::Baseline`] row must end as it did.
    fn check_baseline(run: &Run, record: &Value);

    /// The function's own checks of a row that does not end as without a
    /// fault, made after this module's (see [`check`]).
    fn check(case: &Case<'_, Self>);
}

/// One row of a matrix: a call, the fault injected on it, and how it must end.
#[derive(Debug, Clone, Copy)]
pub struct Row<C, X> {
    /// The faulted call.
    pub call: C,
    /// The fault.
    pub fault: Fault,
    /// How the run must end.
    pub expect: Expect<X>,
    /// The test that runs this row alone, when the function does not pass it yet.
    pub bug: Option<&'static str>,
}

impl<C: fmt::Debug, X> Row<C, X> {
    /// `Call × Fault`, as failures name the row.
    pub fn name(&self) -> String {
        format!("{:?} × {:?}", self.call, self.fault)
    }
}

/// A row of `M`.
pub type RowOf<M> = Row<M, <M as Matrix>::Own>;

/// Every fault each call of `M` gets: [`STANDARD_FAULTS`], then its "not found" codes.
pub fn faults<M: Matrix>() -> Vec<Fault> {
    STANDARD_FAULTS
        .into_iter()
        .chain(M::NOT_FOUND.iter().map(|(code, _)| Fault::NotFound(code)))
        .collect()
}

/// The whole matrix of `M`: every call with every fault, call by call.
pub fn rows<M: Matrix>() -> Vec<RowOf<M>> {
    let mut rows = Vec::new();
    for (i, &call) in M::CALLS.iter().enumerate() {
        let standard = STANDARD_FAULTS
            .into_iter()
            .map(|fault| (fault, standard_ending(fault)));
        let not_found = M::NOT_FOUND.iter().map(|(code, ends)| {
            let expect = *ends
                .get(i)
                .unwrap_or_else(|| panic!("{code}: no ending for {call:?}"));
            (Fault::NotFound(code), expect)
        });
        for (fault, expect) in standard.chain(not_found) {
            let bug = M::BUGS
                .iter()
                .find(|(c, f, _)| *c == call && *f == fault)
                .map(|(_, _, test)| *test);
            rows.push(Row {
                call,
                fault,
                expect,
                bug,
            });
        }
    }
    rows
}

/// The rules of the main path of `M`, in the order of [`Matrix::CALLS`],
/// with `fault` on its call.
pub fn rules<M: Matrix>(fault: Option<(M, Fault)>) -> Vec<Rule> {
    M::CALLS
        .iter()
        .map(|&call| call.rule(fault.filter(|(c, _)| *c == call).map(|(_, f)| f)))
        .collect()
}

/// Runs the sample of `M` with `fault` injected on one call of its main
/// path: the rules of [`rules`], then [`Matrix::later_rules`].
pub async fn run<M: Matrix>(fault: Option<(M, Fault)>) -> Run {
    let mut rules = rules::<M>(fault);
    rules.extend(M::later_rules(fault.map(|(_, f)| f)));
    run_rules::<M>(rules).await
}

/// Runs the sample of `M` through the handler, enforcing, over its
/// remediator on a client answering with `rules` in order, and counts the
/// attempts each rule answered.
pub async fn run_rules<M: Matrix>(rules: Vec<Rule>) -> Run {
    let remediator = M::remediator(&rules);
    let function = <<M::Remediator as Remediator>::Scope as Scope>::FUNCTION;
    let event = crate::samples::load(function, M::SAMPLE);
    let (result, records) = crate::handler::run(&remediator, &enforcing(), event)
        .await
        .into_parts();
    Run {
        result,
        records,
        calls: rules.iter().map(Rule::num_calls).collect(),
    }
}

/// A client of the SDK crate `$sdk` answered by `$rules` (a slice of
/// [`Rule`]) in order, with the fault matrices' retry and timeout settings,
/// its own retry partition, and an HTTP client that can hang (see
/// [`crate::faults`]).
#[macro_export]
macro_rules! fault_client {
    ($sdk:ident, $rules:expr) => {{
        let partition = $crate::faults::unique_retry_partition();
        let rules: ::std::vec::Vec<&$crate::aws_smithy_mocks::Rule> = $rules.iter().collect();
        $crate::aws_smithy_mocks::mock_client!(
            $sdk,
            $crate::aws_smithy_mocks::RuleMode::Sequential,
            &rules,
            |c| c
                .http_client($crate::faults::HangingHttpClient::default())
                .retry_config($crate::faults::retry_config())
                .timeout_config($crate::faults::timeout_config())
                .retry_partition($sdk::config::retry::RetryPartition::new(partition.clone()))
        )
    }};
}

/// A row that did not end as without a fault, with what its run did: what
/// [`Matrix::check`] is given.
pub struct Case<'a, M: Matrix> {
    /// The row.
    pub row: RowOf<M>,
    /// Its run.
    pub run: Run,
    /// The run without a fault.
    pub baseline: &'a Run,
    /// The index of the faulted call in [`Run::calls`].
    pub at: usize,
    /// The one record the run wrote.
    pub record: Value,
}

impl<M: Matrix> fmt::Display for Case<'_, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.row.name())
    }
}

impl<M: Matrix> Case<'_, M> {
    /// The record of the run without a fault.
    pub fn base(&self) -> &Value {
        &self.baseline.records[0]
    }

    /// The attempts of the calls after the faulted one.
    pub fn later(&self) -> &[usize] {
        &self.run.calls[self.at + 1..]
    }

    /// Checks that no call followed the faulted one.
    pub fn assert_no_call_after(&self) {
        assert!(
            self.later().iter().all(|&n| n == 0),
            "{self}: no call after the faulted one: {:?}",
            self.run.calls
        );
    }

    /// Checks that the run ended `already_compliant`, successfully, without
    /// an error code, for a reason that contains `reason`: a write answered
    /// "not found" for a change someone else had already made.
    pub fn assert_already_compliant(&self, reason: &str) {
        let r = &self.record;
        let result = &self.run.result;
        assert!(result.is_ok(), "{self}: {:?}", result.as_ref().err());
        assert_eq!(r["outcome"], "already_compliant", "{self}: {r}");
        assert_eq!(r["error_code"], Value::Null, "{self}: {r}");
        assert!(
            r["reason"].as_str().unwrap().contains(reason),
            "{self}: {r}"
        );
    }

    /// `field` of the baseline's record when the faulted call comes after
    /// `read` (so what `read` answered is known), else null.
    pub fn known_after(&self, read: M, field: &str) -> Value {
        if self.row.call > read {
            self.base()[field].clone()
        } else {
            Value::Null
        }
    }
}

/// The run of `M` without a fault: a successful invocation, each call of
/// the main path once, and one `remediated` record without an error code;
/// then [`Matrix::check_baseline`].
pub async fn baseline<M: Matrix>() -> Run {
    let run = run::<M>(None).await;
    assert!(
        run.result.is_ok(),
        "baseline: {:?}",
        run.result.as_ref().err()
    );
    let main_path = &run.calls[..M::CALLS.len()];
    assert!(
        main_path.iter().all(|&n| n == 1),
        "baseline: each call once: {:?}",
        run.calls
    );
    assert_eq!(run.records.len(), 1, "baseline: {:?}", run.records);
    let r = &run.records[0];
    assert_eq!(r["outcome"], "remediated", "baseline: {r}");
    assert_eq!(r["error_code"], Value::Null, "baseline: {r}");
    M::check_baseline(&run, r);
    run
}

/// Runs one row and checks it ends as it says: [`check_row`], then for
/// [`Expect::Failed`] and [`Expect::Skipped`] no later call and
/// [`check_failed`] or [`check_gone`], then [`Matrix::check`].
pub async fn check<M: Matrix>(row: RowOf<M>, baseline: &Run) {
    let run = run::<M>(Some((row.call, row.fault))).await;
    let at = M::CALLS
        .iter()
        .position(|c| *c == row.call)
        .unwrap_or_else(|| panic!("{}: not a call of the matrix", row.name()));
    let name = row.name();
    let ending = match row.expect {
        Expect::Baseline => Ending::Baseline,
        Expect::Fixed => Ending::Fixed,
        _ => Ending::Other,
    };
    let Some(record) = check_row(&name, &run, baseline, at, row.fault, ending) else {
        return;
    };
    let case = Case::<M> {
        row,
        run,
        baseline,
        at,
        record,
    };
    match row.expect {
        Expect::Failed => {
            case.assert_no_call_after();
            let code = row.fault.code(&M::SERVICE);
            check_failed(&name, &case.run, &case.record, row.fault, code);
        }
        Expect::Skipped => {
            case.assert_no_call_after();
            check_gone(&name, &case.run, &case.record);
        }
        Expect::Baseline | Expect::Fixed | Expect::Own(_) => {}
    }
    M::check(&case);
}

/// What [`check_row`] holds a row's record to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The baseline's record and calls.
    Baseline,
    /// Remediated, with the baseline's calls after the faulted one.
    Fixed,
    /// Anything but remediated.
    Other,
}

/// Checks every row of `call`, except the known bugs, each in its own task
/// (see [`every_case_passes`]), against one run without a fault.
pub async fn check_call<M: Matrix>(call: M) {
    let baseline = Arc::new(baseline::<M>().await);
    let cases = rows::<M>()
        .into_iter()
        .filter(|r| r.call == call && r.bug.is_none())
        .map(|row| {
            let baseline = baseline.clone();
            (row.name(), async move { check::<M>(row, &baseline).await })
        })
        .collect();
    every_case_passes(cases).await;
}

/// Checks the one row of `call` × `fault` (a known bug, run alone).
pub async fn check_one<M: Matrix>(call: M, fault: Fault) {
    let baseline = baseline::<M>().await;
    let row = rows::<M>()
        .into_iter()
        .find(|r| r.call == call && r.fault == fault)
        .unwrap_or_else(|| panic!("{call:?} × {fault:?}: no such row"));
    check::<M>(row, &baseline).await;
}

/// The tests of a fault matrix: `$baseline`, the run without a fault
/// ([`baseline`]); one test per call, named after `=>`, of every row of that
/// call ([`check_call`]); and `the_matrix_covers_every_call_and_fault`
/// ([`check_coverage`]). The caller depends on tokio, with its macros.
#[macro_export]
macro_rules! matrix_tests {
    ($matrix:ty, $baseline:ident, $($call:expr => $test:ident),+ $(,)?) => {
        #[tokio::test]
        async fn $baseline() {
            $crate::matrix::baseline::<$matrix>().await;
        }

        $(
            #[tokio::test]
            async fn $test() {
                $crate::matrix::check_call::<$matrix>($call).await;
            }
        )+

        #[test]
        fn the_matrix_covers_every_call_and_fault() {
            $crate::matrix::check_coverage::<$matrix>();
        }
    };
}

/// Checks that the matrix of `M` has exactly one row for every call and
/// every fault: each "not found" code once, with an ending for each call,
/// and each known bug naming a row.
pub fn check_coverage<M: Matrix>() {
    for (i, (code, ends)) in M::NOT_FOUND.iter().enumerate() {
        assert_eq!(
            ends.len(),
            M::CALLS.len(),
            "{code}: one ending per call of {:?}",
            M::CALLS
        );
        assert!(
            M::NOT_FOUND[..i].iter().all(|(other, _)| other != code),
            "{code}: listed twice"
        );
    }
    let rows = rows::<M>();
    let faults = faults::<M>();
    assert_eq!(rows.len(), M::CALLS.len() * faults.len(), "rows: {rows:?}");
    for &call in M::CALLS {
        for &fault in &faults {
            let n = rows
                .iter()
                .filter(|r| r.call == call && r.fault == fault)
                .count();
            assert_eq!(n, 1, "{call:?} × {fault:?}: rows in the matrix");
        }
    }
    for (call, fault, test) in M::BUGS {
        assert!(
            rows.iter()
                .any(|r| r.call == *call && r.fault == *fault && r.bug == Some(test)),
            "{test}: names no row of the matrix"
        );
    }
}

/// Runs each named case in its own task, so that one failing case does not
/// hide the others, then fails naming every case that failed (each case's own
/// panic message is printed above).
pub async fn every_case_passes<F>(cases: Vec<(String, F)>)
where
    F: Future<Output = ()> + Send + 'static,
{
    let tasks: Vec<_> = cases
        .into_iter()
        .map(|(name, case)| (name, tokio::spawn(case)))
        .collect();
    let mut failed = Vec::new();
    for (name, task) in tasks {
        if task.await.is_err() {
            failed.push(name);
        }
    }
    assert!(failed.is_empty(), "failed cases: {failed:#?}");
}

/// The checks every row of a matrix makes, whatever the function: the
/// faulted call (at index `at`) got the fault's attempts, the calls before it
/// ran as without a fault, and one record was written. A row that must end
/// as without a fault ([`Ending::Baseline`]) must also answer the same record
/// and make the same calls after; it returns `None`. A row that is fixed
/// all the same ([`Ending::Fixed`]) must remediate with the same calls after,
/// and returns its record. Any other row must not have remediated, and
/// returns its record for the function's own checks.
pub fn check_row(
    case: &str,
    run: &Run,
    baseline: &Run,
    at: usize,
    fault: Fault,
    ending: Ending,
) -> Option<Value> {
    let records = &run.records;
    assert_eq!(
        run.calls[at],
        fault.attempts(),
        "{case}: attempts on the faulted call; records: {records:?}"
    );
    assert_eq!(
        run.calls[..at],
        baseline.calls[..at],
        "{case}: calls before the faulted one"
    );
    assert_eq!(records.len(), 1, "{case}: one record: {records:?}");
    let r = &records[0];
    if ending != Ending::Other {
        assert!(
            run.result.is_ok(),
            "{case}: {:?}",
            run.result.as_ref().err()
        );
        assert_eq!(r["outcome"], "remediated", "{case}: {r}");
        assert_eq!(
            run.calls[at + 1..],
            baseline.calls[at + 1..],
            "{case}: calls after the faulted one, as without a fault"
        );
    }
    match ending {
        Ending::Baseline => {
            assert_eq!(
                timeless(r),
                timeless(&baseline.records[0]),
                "{case}: the record of the run without a fault"
            );
            None
        }
        Ending::Fixed => Some(r.clone()),
        Ending::Other => {
            assert_ne!(r["outcome"], "remediated", "{case}: {r}");
            Some(r.clone())
        }
    }
}

/// A row that must end `failed` with the fault's own `code`: the record says
/// so, and the invocation fails with the fault's stable error type.
pub fn check_failed(case: &str, run: &Run, record: &Value, fault: Fault, code: &str) {
    assert_eq!(record["outcome"], "failed", "{case}: {record}");
    assert_eq!(record["error_code"], code, "{case}: {record}");
    match &run.result {
        Err(HandlerError::Remediation {
            failed: 1,
            total: 1,
            error_type,
            first_code,
            ..
        }) => assert_eq!(
            (*error_type, first_code.as_str()),
            (fault.error_type(), code),
            "{case}: the invocation's error"
        ),
        other => panic!("{case}: expected one failed resource, got {other:?}"),
    }
}

/// A row whose resource no longer exists: `skipped` with that reason, and a
/// successful invocation (retrying cannot help).
pub fn check_gone(case: &str, run: &Run, record: &Value) {
    assert!(
        run.result.is_ok(),
        "{case}: {:?}",
        run.result.as_ref().err()
    );
    assert_eq!(record["outcome"], "skipped", "{case}: {record}");
    assert_eq!(record["error_code"], Value::Null, "{case}: {record}");
    assert!(
        record["reason"]
            .as_str()
            .unwrap()
            .contains("no longer exists"),
        "{case}: {record}"
    );
}
