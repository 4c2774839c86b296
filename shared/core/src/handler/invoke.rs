//! One invocation of a finding's event: [`handle`] and [`handle_with`]
//! normalise it, act on each target here or through hub mode's [`Reach`],
//! and write one record per item with its side channels; a scheduled event
//! or a queue's places go to the sweep.
//!
//! It must not know how a resource is read or changed (each function's
//! [`Remediator`]) or how a record is built ([`super::record`]).

use std::future::Future;
use std::pin::Pin;
use std::time::{Instant, SystemTime};

use super::fanout::{queue_places, sweep_places, Queued};
use super::record::audit_record;
use super::record::console_url;
use super::record::deliver;
use super::record::for_record;
use super::record::tell;
use super::record::trigger_of_raw;
use super::record::write_record;
use super::record::Tally;
use super::scheduled::schedule_trigger;
use super::scheduled::sweep_all;
use super::scheduled::Sweep;
use super::target::run_within;
use super::target::too_close_to;
use super::Remediator;
use super::Summary;
use super::TargetOf;
use crate::audit::{clip, AuditRecord, AuditSink, Outcome, Trigger, MAX_REASON_CHARS};
use crate::config::{Asker, Config};
use crate::deadline;
use crate::error::{FindingError, HandlerError};
use crate::event::Payload;
use crate::fanout::{self, FanOut, NoFanOut};
use crate::finding::{self, Item};
use crate::home::ArnOnly;
use crate::home::Home;
use crate::home::Locate;
use crate::hub::{NoHub, Place, Reach, Reached};
use crate::notify::{Notify, Silent};
use crate::report::Report;
use crate::scope::Scope;
use crate::sweep::{self};
use crate::workflow::{self, LeaveFindings, UpdateFindings};

/// One invocation as the driver sees it: the event, and what the Lambda
/// runtime says of the call (the SDK runtime fills it from Lambda's context).
#[derive(Debug, Clone, Default)]
pub struct Invocation<P> {
    /// The event.
    pub payload: P,
    /// Lambda's request id, carried by every record of the invocation.
    pub request_id: String,
    /// The ARN the function was invoked by (its account and region); empty
    /// when a local emulator sends none.
    pub invoked_function_arn: String,
    /// Lambda's deadline header, in milliseconds ([`deadline::from_header`]).
    pub deadline_ms: u64,
}

/// Handles one invocation: writes one audit record per item to `sink` and
/// returns the summary, or an error when the event is malformed or any
/// resource failed. The function's account and region come from its invoked
/// ARN only.
pub async fn handle<R: Remediator, S: AuditSink + ?Sized, P: Into<Payload>>(
    remediator: &R,
    config: &Config,
    sink: &S,
    event: Invocation<P>,
) -> Result<Summary, HandlerError> {
    let around = Around {
        locate: &ArnOnly,
        notify: &Silent,
        findings: &LeaveFindings,
        reach: &NoHub,
        fanout: &NoFanOut,
    };
    handle_with(remediator, config, sink, event, around).await
}

/// What the driver works with besides the function: where it runs when the
/// invoked ARN does not say, who is told, the Security Hub findings it
/// updates, how it reaches other accounts and regions (hub mode), and the
/// queue of an organisation's sweep.
#[derive(Debug)]
pub struct Around<'a, L, N, U, H, F> {
    /// Where the function runs, asked when its invoked ARN does not say.
    pub locate: &'a L,
    /// Who is told of what needs a person.
    pub notify: &'a N,
    /// The findings updated after each target.
    pub findings: &'a U,
    /// Other accounts and regions ([`NoHub`]: none).
    pub reach: &'a H,
    /// The places of an organisation's sweep and their queue ([`NoFanOut`]:
    /// a scheduled event sweeps the function's own place).
    pub fanout: &'a F,
}

/// [`handle`], asking `locate` where the function runs when its invoked ARN
/// does not say (if neither can tell, no target is acted on), updating the
/// Security Hub finding each target came from through `findings` ([`workflow::update_for`]) and telling a person
/// through `notify` of each record that calls for one
/// ([`crate::notify::worth_telling`]). Either side channel failing is recorded in
/// the record (`finding_update`, `notification`) and never fails the
/// invocation.
pub async fn handle_with<R, S, P, L, N, U, H, F>(
    remediator: &R,
    config: &Config,
    sink: &S,
    event: Invocation<P>,
    around: Around<'_, L, N, U, H, F>,
) -> Result<Summary, HandlerError>
where
    R: Remediator,
    S: AuditSink + ?Sized,
    P: Into<Payload>,
    L: Locate,
    N: Notify,
    U: UpdateFindings,
    H: Reach<R>,
    F: FanOut,
{
    let Around {
        locate,
        notify,
        findings,
        reach,
        fanout,
    } = around;
    let function = <R::Scope as Scope>::FUNCTION;
    let home = match Home::from_function_arn(&event.invoked_function_arn) {
        Ok(home) => Ok(home),
        Err(why) => {
            // Boxed, as a target's work is below: an SDK call nests deeply.
            let located: Pin<Box<dyn Future<Output = Result<Home, String>> + Send + '_>> =
                Box::pin(locate.locate());
            located.await.map_err(|also| format!("{why}; {also}"))
        }
    };
    let request_id = event.request_id.clone();
    // Lambda's deadline for this invocation, handed down to every AWS call.
    let deadline = deadline::from_header(event.deadline_ms, SystemTime::now());
    let (raw_trigger, normalized) = match event.payload.into() {
        Payload::Json(value) if sweep::is_schedule(&value) => {
            let at = Sweep {
                config,
                sink,
                notify,
                deadline,
                request_id: &request_id,
                trigger: schedule_trigger(&value),
                member_role: None,
            };
            if fanout.enabled() {
                return queue_places::<R, _, _, _>(home, fanout, &value, at).await;
            }
            return sweep_all(remediator, home, at).await;
        }
        Payload::Json(value) => match fanout::queued_messages(&value) {
            Some(messages) => {
                let at = Queued {
                    config,
                    sink,
                    notify,
                    deadline,
                    request_id: &request_id,
                };
                return sweep_places(remediator, reach, home, messages, at).await;
            }
            None => (
                trigger_of_raw(&value),
                finding::normalize::<R::Scope>(value),
            ),
        },
        Payload::NotJson(message) => (Trigger::default(), Err(FindingError::NotJson(message))),
    };
    let record = |trigger: Trigger,
                  account: Option<String>,
                  region: Option<String>,
                  resource: Option<String>,
                  report: &Report| {
        audit_record::<R>(
            &request_id,
            config,
            trigger,
            account,
            region,
            resource,
            report,
        )
    };
    let write = |audit: &AuditRecord, observed_at: Option<SystemTime>| {
        write_record(sink, audit, observed_at)
    };

    let finding = match normalized {
        Ok(f) => f,
        Err(err) => {
            let report = Report::failure(
                "Finding.Malformed",
                "Finding.Malformed",
                clip(&format!("malformed event: {err}"), MAX_REASON_CHARS),
            );
            tracing::error!(error = %err, "malformed event");
            write(&record(raw_trigger, None, None, None, &report), None);
            return Err(HandlerError::Malformed(err));
        }
    };

    let mut tally = Tally::new(function, &finding.trigger.event_id, config);
    let total = finding.items.len();
    for item in &finding.items {
        // The member role assumed (or asked for) for this item, in hub mode.
        let mut member_role = None;
        let (trigger, account, region, resource, report, observed_at, console, hub_finding) =
            match item {
                Item::Skip(skip) => (
                    finding.trigger.for_finding(skip.finding_id.clone()),
                    finding.account.clone(),
                    finding.region.clone(),
                    skip.resource.clone(),
                    Report::new(Outcome::Skipped, skip.reason.clone()),
                    None,
                    None,
                    None,
                ),
                Item::Target(target) => {
                    let (report, role) = match &home {
                        Err(why) => (
                            Report::failure(
                                "InvokedArnUnreadable",
                                "Remediation.InvokedArnUnreadable",
                                format!("not attempted: the function cannot tell its own account and region: {why}"),
                            ),
                            None,
                        ),
                        Ok(home) => {
                            let here = Here {
                                config,
                                asker: asker_of(&finding.trigger),
                                deadline,
                                request_id: &request_id,
                                home,
                            };
                            act(remediator, reach, here, target).await
                        }
                    };
                    member_role = role;
                    (
                        finding.trigger.for_finding(target.finding_id.clone()),
                        target.account.clone(),
                        target.region.clone(),
                        Some(report.resource.clone().unwrap_or_else(|| target.arn())),
                        report,
                        target.observed_at,
                        notify.enabled().then(|| console_url(target)).flatten(),
                        target.hub_finding.clone(),
                    )
                }
            };
        let (resource, report) = for_record(resource, report);
        let mut audit = record(trigger, account, region, resource.clone(), &report);
        audit.member_role = member_role;
        let update = hub_finding
            .filter(|_| findings.enabled())
            .and_then(|f| Some((workflow::update_for(&audit, report.withheld)?, f)));
        if let Some((update, finding)) = update {
            let call = findings.update(&finding, &update, function);
            audit.finding_update =
                Some(deliver(deadline, "update the Security Hub finding", call).await);
        }
        tell::<R, N>(
            notify,
            config,
            deadline,
            &mut audit,
            &report,
            console.as_deref(),
        )
        .await;
        write(&audit, observed_at);
        tally.add(resource, report);
    }

    tally.result(total)
}

/// Who asked, as the mode sees it: a person when the trigger says one did
/// (a Security Hub custom action), else an automatic trigger.
fn asker_of(trigger: &Trigger) -> Asker {
    if trigger.source.starts_with(finding::PERSON_SOURCE_PREFIX) {
        Asker::Person
    } else {
        Asker::Automatic
    }
}

/// What acting on one target needs to know of the invocation.
#[derive(Clone, Copy)]
pub(super) struct Here<'a> {
    pub(super) config: &'a Config,
    pub(super) asker: Asker,
    pub(super) deadline: Option<Instant>,
    pub(super) request_id: &'a str,
    pub(super) home: &'a Home,
}

/// Acts on one finding's target: here with `remediator`; in another account
/// or region through `reach` (hub mode), or skipped without a hub. Returns
/// the report and the member role assumed or asked for.
pub(super) async fn act<R: Remediator, H: Reach<R>>(
    remediator: &R,
    reach: &H,
    here: Here<'_>,
    target: &TargetOf<R>,
) -> (Report, Option<String>) {
    if let Some(left) = too_close_to(here.deadline) {
        return (Report::deadline_near(left, deadline::RECORD_RESERVE), None);
    }
    let Some(away) = here.home.away(target) else {
        return (run_within(remediator, target, here).await, None);
    };
    let place = Place {
        function: <R::Scope as Scope>::FUNCTION,
        request_id: here.request_id,
        home: here.home,
        partition: &target.partition,
        account: &away.account,
        region: &away.region,
    };
    let reached: Pin<Box<dyn Future<Output = Reached<R>> + Send + '_>> =
        Box::pin(deadline::scoped(here.deadline, reach.reach(&place)));
    match reached.await {
        Reached::NoHub => (Report::new(Outcome::Skipped, away.reason), None),
        Reached::Refused(why) => (Report::new(Outcome::Skipped, why), None),
        Reached::Failed { role_arn, error } => (
            Report::failure(
                &error.code,
                "Remediation.AssumeRoleFailed",
                format!(
                    "not attempted: could not act in account {} through {role_arn}: {error}",
                    away.account
                ),
            ),
            Some(role_arn),
        ),
        Reached::Member {
            remediator,
            role_arn,
        } => (run_within(&*remediator, target, here).await, role_arn),
    }
}

impl<L, N, U, H, F> Clone for Around<'_, L, N, U, H, F> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<L, N, U, H, F> Copy for Around<'_, L, N, U, H, F> {}
