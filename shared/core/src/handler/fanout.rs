//! The organisation's sweep in the driver: a scheduled event, when a queue is
//! configured, only sends one message per place ([`queue_places`]); each
//! message the queue delivers runs the sweep of its place there, through the
//! member role, with its own records, summary and deadline
//! ([`sweep_places`]), and a place that failed goes back to the queue
//! (`batchItemFailures`) to be delivered again, then to its dead-letter queue.
//!
//! It must not know how places are listed or sent ([`FanOut`]), how a member
//! account is reached ([`Reach`]) or how one place is swept ([`sweep_all`]).

use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

use serde_json::Value;

use super::record::{write_record, Tally};
use super::scheduled::{schedule_trigger, sweep_all, Sweep};
use super::{Remediator, Summary};
use crate::audit::{AuditSink, Outcome};
use crate::deadline;
use crate::error::HandlerError;
use crate::fanout::{BatchItemFailure, FanOut, PlaceMessage, QueuedMessage};
use crate::home::Home;
use crate::hub::{Place, Reach, Reached};
use crate::notify::Notify;
use crate::report::Report;
use crate::resource::Partition;
use crate::scope::Scope;

/// A scheduled event with a queue: the sweep's places ([`FanOut::places`]),
/// one message each to the queue, and one summary record saying how many
/// were queued. A place list that cannot be read, or a message not sent, is
/// a failed record and a failed invocation, so that the schedule's retry
/// queues them again (a place swept twice changes nothing the second time).
pub(super) async fn queue_places<R, S, N, F>(
    home: Result<Home, String>,
    fanout: &F,
    schedule: &Value,
    at: Sweep<'_, S, N>,
) -> Result<Summary, HandlerError>
where
    R: Remediator,
    S: AuditSink + ?Sized,
    F: FanOut,
{
    let function = <R::Scope as Scope>::FUNCTION;
    let started = Instant::now();
    let mut tally = Tally::new(function, &at.trigger.event_id, at.config);
    let queued = match &home {
        Err(why) => Err(Report::failure(
            "InvokedArnUnreadable",
            "Remediation.InvokedArnUnreadable",
            format!("no sweep: the function cannot tell its own account and region: {why}"),
        )),
        Ok(home) => {
            let regional = <R::Scope as Scope>::REGIONAL;
            queue(function, regional, home, fanout, schedule, &at).await
        }
    };
    let (account, region) = match &home {
        Ok(h) => (Some(h.account.clone()), Some(h.region.clone())),
        Err(_) => (None, None),
    };
    let count = match queued {
        Ok(count) => count,
        Err(report) => {
            write_record(
                at.sink,
                &at.record::<R>(account, region, None, &report),
                None,
            );
            tally.add(None, report);
            return tally.result(1);
        }
    };
    at.sink.summary(&crate::sweep::SweepRecord {
        function: function.to_owned(),
        queued: Some(count),
        ..at.summary(account, region, started)
    });
    tally.summary.queued = Some(count);
    Ok(tally.summary)
}

/// The places of the sweep, each sent as one message: how many, or the
/// failure report.
async fn queue<S: ?Sized, N, F: FanOut>(
    function: &str,
    regional: bool,
    home: &Home,
    fanout: &F,
    schedule: &Value,
    at: &Sweep<'_, S, N>,
) -> Result<usize, Report> {
    let listed: Pin<Box<dyn Future<Output = _> + Send + '_>> =
        Box::pin(deadline::scoped(at.deadline, fanout.places(home, regional)));
    let places = listed.await.map_err(|err| {
        Report::failure(
            &err.code,
            "Remediation.SweepFailed",
            format!("no sweep: the places to sweep could not be listed: {err}"),
        )
    })?;
    let bodies: Vec<String> = places
        .iter()
        .map(|place| PlaceMessage::new(function, place, schedule).body())
        .collect();
    let count = bodies.len();
    let sent: Pin<Box<dyn Future<Output = _> + Send + '_>> =
        Box::pin(deadline::scoped(at.deadline, fanout.send(bodies)));
    sent.await.map_err(|err| {
        Report::failure(
            &err.code,
            "Remediation.SweepFailed",
            format!("the {count} places of the sweep were not all queued: {err}"),
        )
    })?;
    Ok(count)
}

/// A queue's event: each message's place swept there ([`sweep_place`]), in
/// turn; the summary names the messages to deliver again
/// (`batchItemFailures`): those whose place failed, or that are not a place
/// of this function's sweep (after the queue's last attempt, they wait in its
/// dead-letter queue for a person).
pub(super) async fn sweep_places<R, S, N, H>(
    remediator: &R,
    reach: &H,
    home: Result<Home, String>,
    messages: Vec<QueuedMessage>,
    at: Queued<'_, S, N>,
) -> Result<Summary, HandlerError>
where
    R: Remediator,
    S: AuditSink + ?Sized,
    N: Notify,
    H: Reach<R>,
{
    let function = <R::Scope as Scope>::FUNCTION;
    let mut tally = Tally::new(function, "", at.config);
    let mut failures = Vec::new();
    for message in messages {
        let read = PlaceMessage::read(&message.body, function);
        let trigger = match &read {
            Ok(place) => schedule_trigger(&place.schedule),
            Err(_) => super::record::trigger_of_raw(&Value::Null),
        };
        if tally.summary.event_id.is_empty() {
            tally.summary.event_id.clone_from(&trigger.event_id);
        }
        let sweep = Sweep {
            config: at.config,
            sink: at.sink,
            notify: at.notify,
            deadline: at.deadline,
            request_id: at.request_id,
            trigger,
            member_role: None,
        };
        let swept = match read {
            Ok(place) => sweep_place(remediator, reach, &home, &place, sweep).await,
            Err(err) => Err(malformed::<R, _, _>(&message, &err.to_string(), &sweep)),
        };
        match swept {
            Ok(summary) => {
                for (outcome, n) in summary.counts {
                    *tally.summary.counts.entry(outcome).or_default() += n;
                }
                tally.summary.results.extend(summary.results);
            }
            Err(report) => {
                tally.add(None, report);
                failures.push(BatchItemFailure {
                    item_identifier: message.message_id,
                });
            }
        }
    }
    let mut summary = tally.summary;
    summary.batch_item_failures = Some(failures);
    Ok(summary)
}

/// What sweeping a queue's places needs to know of the invocation.
pub(super) struct Queued<'a, S: ?Sized, N> {
    pub(super) config: &'a crate::config::Config,
    pub(super) sink: &'a S,
    pub(super) notify: &'a N,
    pub(super) deadline: Option<Instant>,
    pub(super) request_id: &'a str,
}

/// The failure record of a message that is not a place of this function's sweep.
fn malformed<R: Remediator, S: AuditSink + ?Sized, N>(
    message: &QueuedMessage,
    why: &str,
    at: &Sweep<'_, S, N>,
) -> Report {
    let report = Report::failure(
        "Sweep.MessageMalformed",
        "Finding.Malformed",
        format!(
            "queue message {:?} is not a place of this function's sweep: {why}",
            message.message_id
        ),
    );
    write_record(at.sink, &at.record::<R>(None, None, None, &report), None);
    report
}

/// The sweep of one place: here with `remediator`, elsewhere through `reach`
/// (a place outside the hub's lists, or without a hub, is skipped: never
/// swept). Its summary, or the report of why the place failed (its records
/// and summary already written).
async fn sweep_place<R, S, N, H>(
    remediator: &R,
    reach: &H,
    home: &Result<Home, String>,
    message: &PlaceMessage,
    mut at: Sweep<'_, S, N>,
) -> Result<Summary, Report>
where
    R: Remediator,
    S: AuditSink + ?Sized,
    N: Notify,
    H: Reach<R>,
{
    let place = message.place();
    let failed = |e: HandlerError| {
        let code = match &e {
            HandlerError::Remediation { first_code, .. } => first_code.clone(),
            HandlerError::Malformed(_) => e.error_type().to_owned(),
        };
        Report::failure(&code, e.error_type(), e.to_string())
    };
    let here = match home {
        Ok(here) => here,
        Err(_) => {
            return sweep_all(remediator, home.clone(), at)
                .await
                .map_err(failed)
        }
    };
    if &place == here {
        return sweep_all(remediator, Ok(place), at).await.map_err(failed);
    }
    let partition = Partition::of_region(&place.region);
    let spot = Place {
        function: <R::Scope as Scope>::FUNCTION,
        request_id: at.request_id,
        home: here,
        partition: &partition,
        account: &place.account,
        region: &place.region,
    };
    let reached: Pin<Box<dyn Future<Output = Reached<R>> + Send + '_>> =
        Box::pin(deadline::scoped(at.deadline, reach.reach(&spot)));
    let (report, role) = match reached.await {
        Reached::Member {
            remediator,
            role_arn,
        } => {
            at.member_role = role_arn;
            return sweep_all(&*remediator, Ok(place), at).await.map_err(failed);
        }
        Reached::NoHub => (
            Report::new(
                Outcome::Skipped,
                format!(
                    "not swept: account {} region {} is not this function's own, and hub mode is off",
                    place.account, place.region
                ),
            ),
            None,
        ),
        Reached::Refused(why) => (Report::new(Outcome::Skipped, format!("not swept: {why}")), None),
        Reached::Failed { role_arn, error } => (
            Report::failure(
                &error.code,
                "Remediation.AssumeRoleFailed",
                format!(
                    "not swept: could not act in account {} through {role_arn}: {error}",
                    place.account
                ),
            ),
            Some(role_arn),
        ),
    };
    at.member_role = role;
    let (account, region) = (Some(place.account.clone()), Some(place.region.clone()));
    let audit = at.record::<R>(account.clone(), region.clone(), None, &report);
    write_record(at.sink, &audit, None);
    let failed = report.outcome == Outcome::Failed;
    at.sink.summary(&crate::sweep::SweepRecord {
        function: <R::Scope as Scope>::FUNCTION.to_owned(),
        outcomes: [(report.outcome.as_str(), 1)].into(),
        finished: !failed,
        stopped: failed.then(|| report.reason.clone()),
        error_code: report.error_code.clone(),
        ..at.summary(account, region, Instant::now())
    });
    if failed {
        return Err(report);
    }
    let mut tally = Tally::new(
        <R::Scope as Scope>::FUNCTION,
        &at.trigger.event_id,
        at.config,
    );
    tally.add(None, report);
    Ok(tally.summary)
}
