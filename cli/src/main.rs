//! `remediation` command line: wiring only.
//!
//! Reads the subcommand and its options, the records (files, or standard
//! input), asks STS whose credentials are in use, and reaches each account
//! and region: the credentials' own, or with `--member-role` the hub's
//! member role there. Audit records go to standard output, one JSON line
//! each (`plan` prints its table there instead); what it did, in words, to
//! standard error, with progress when that is a terminal. Exit code 0 when
//! everything was done, would be, or had nothing to do; 1 when any line was
//! bad, refused or failed; 2 for a usage error.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};

use remediation_cli::access::{caller, Accounts};
use remediation_cli::apply::{apply_line, ApplyOptions};
use remediation_cli::plan::{self, Place};
use remediation_cli::undo::{undo_line, Ended, Options};
use remediation_cli::Caller;
use remediation_runtime::sdk;
use remediation_shared::audit::AuditRecord;

const USAGE: &str = "\
usage: remediation <command> [OPTIONS]

  plan    list what the functions would change in the account, changing nothing
  apply   apply proposals (from plan, or the functions' proposed records)
  undo    put resources back as their audit records say they were
  permissions  print the IAM policy a person needs for plan, apply and undo

`remediation <command> --help` says more. Credentials and region are the
AWS SDK's usual ones (AWS_PROFILE, AWS_REGION, ...). Exit codes: 0 all done
(or would be); 1 something was refused, failed or could not be read; 2 usage.";

const PLAN_USAGE: &str = "\
usage: remediation plan [--function NAME ...] [--region R ...] [--account ID ...]
                        [--member-role NAME] [--exempt-tag-key KEY] [--output FILE]

Surveys the account (each region given, else the configured one) as each
function's sweep does, and prints a table of every resource that is not
compliant: what would change, or why it would not (exempt, protected).
Nothing is changed. The functions' settings are read from the environment
as the deployed functions read theirs (ADMIN_PORTS, PROTECTED_ROLES,
EXEMPT_ACCOUNTS, EXEMPT_TAG_KEY).

  --function NAME     only this function (repeatable; default every function)
  --region R          survey this region (repeatable; default AWS_REGION)
  --account ID        survey this account (repeatable; default the credentials'),
                      through --member-role when it is another
  --member-role NAME  act in another account through this role (hub mode)
  --exempt-tag-key K  the exemption tag (default EXEMPT_TAG_KEY, else auto-remediation:exempt)
  --output FILE       also write the proposals as JSON lines, for `remediation apply`";

const APPLY_USAGE: &str = "\
usage: remediation apply [--apply] [--force] [--member-role NAME]
                         [--exempt-tag-key KEY] [FILE ... | -]

Applies each proposal (a `proposed` audit record: from `remediation plan
--output`, or a deployed function's log as JSON lines, Lambda log lines, a
raw log stream from `sam logs` or `aws logs tail`, or Logs Insights rows
and exports). Each resource is read again first: the change is made only if
it is still in the state the proposal saw, else refused with what differs.
Lines that are not records, and records that are not proposals, are skipped
and counted. Without --apply it only says what it would do. Records come
from the FILEs, or standard input.

  --apply             make the changes (default: say what would change)
  --force             apply to the live state even where it changed since
  --member-role NAME  act in a record's account through this role (hub mode)
  --exempt-tag-key K  the exemption tag (default EXEMPT_TAG_KEY, else auto-remediation:exempt)";

const UNDO_USAGE: &str = "\
usage: remediation undo [--apply] [--force] [--no-exempt] [--exempt-tag-key KEY]
                        [--member-role NAME] [FILE ... | -]

Puts each resource back as its audit record (one JSON line each: as printed,
a Lambda JSON log line, a raw log stream, or a CloudWatch Logs Insights row;
or the JSON array the Logs Insights console downloads) says it was before
the remediation, then tags it exempt. Lines that are not records are
skipped and counted. Without --apply it only says what it would restore.
Records come from the FILEs, or standard input.

  --apply             make the changes (default: say what would change)
  --force             restore even where the resource changed since the remediation
  --no-exempt         do not tag the resource exempt afterwards
  --exempt-tag-key K  the exemption tag (default auto-remediation:exempt)
  --member-role NAME  act in a record's account through this role (hub mode)";

const PERMISSIONS_USAGE: &str = "\
usage: remediation permissions [--member-role NAME] [--partition P]

Prints the IAM policy (JSON) that lets a person run plan, apply and undo:
each function's declared calls (with their conditions, e.g. detaching
AdministratorAccess alone) and its undo's, in any region. Attach it to the
role people use, in each account they act in. It needs no credentials.

  --member-role NAME  also allow assuming this role in other accounts (a role
                      that trusts people there: member.yaml's role trusts only
                      the functions)
  --partition P       aws (default), aws-cn, aws-us-gov";

/// The subcommand asked for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Command {
    Plan,
    Apply,
    Undo,
    Permissions,
}

/// Everything the command line says.
struct Args {
    command: Command,
    apply: bool,
    force: bool,
    exempt: bool,
    exempt_tag_key: Option<String>,
    member_role: Option<String>,
    functions: Vec<String>,
    regions: Vec<String>,
    accounts: Vec<String>,
    output: Option<String>,
    partition: String,
    files: Vec<String>,
}

/// A usage error: the text to show, and the problem (empty for `--help`).
struct Usage(&'static str, String);

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, Usage> {
    let (command, usage) = match args.next().as_deref() {
        Some("plan") => (Command::Plan, PLAN_USAGE),
        Some("apply") => (Command::Apply, APPLY_USAGE),
        Some("undo") => (Command::Undo, UNDO_USAGE),
        Some("permissions") => (Command::Permissions, PERMISSIONS_USAGE),
        Some("-h" | "--help") => return Err(Usage(USAGE, String::new())),
        Some(other) => return Err(Usage(USAGE, format!("unknown command {other:?}"))),
        None => return Err(Usage(USAGE, "a command is needed".into())),
    };
    let mut a = Args {
        command,
        apply: false,
        force: false,
        exempt: true,
        exempt_tag_key: None,
        member_role: None,
        functions: Vec::new(),
        regions: Vec::new(),
        accounts: Vec::new(),
        output: None,
        partition: "aws".into(),
        files: Vec::new(),
    };
    let bad = |problem: String| Usage(usage, problem);
    let plan = command == Command::Plan;
    let reads_records = matches!(command, Command::Apply | Command::Undo);
    while let Some(arg) = args.next() {
        let mut value = |what: &str| {
            args.next()
                .ok_or_else(|| bad(format!("{arg} needs {what}")))
        };
        match arg.as_str() {
            "-h" | "--help" => return Err(Usage(usage, String::new())),
            "--apply" if reads_records => a.apply = true,
            "--force" if reads_records => a.force = true,
            "--partition" if command == Command::Permissions => a.partition = value("a partition")?,
            "--no-exempt" if command == Command::Undo => a.exempt = false,
            "--exempt-tag-key" if command != Command::Permissions => {
                a.exempt_tag_key = Some(value("a key")?)
            }
            "--member-role" => a.member_role = Some(value("a role name")?),
            "--function" if plan => a.functions.push(value("a function name")?),
            "--region" if plan => a.regions.push(value("a region")?),
            "--account" if plan => a.accounts.push(value("an account id")?),
            "--output" if plan => a.output = Some(value("a file")?),
            flag if flag.starts_with("--") => return Err(bad(format!("unknown option {flag}"))),
            file if reads_records => a.files.push(file.to_owned()),
            other => return Err(bad(format!("no argument {other:?} is expected"))),
        }
    }
    for name in &a.functions {
        if remediation_catalog::named(name).is_none() {
            let known: Vec<&str> = remediation_catalog::ALL.iter().map(|f| f.name).collect();
            return Err(bad(format!(
                "no function {name:?}; the functions are {}",
                known.join(", ")
            )));
        }
    }
    Ok(a)
}

fn lines(files: &[String]) -> Result<Vec<String>, String> {
    if files.is_empty() || files == ["-"] {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin().lock(), &mut text)
            .map_err(|e| format!("standard input: {e}"))?;
        return Ok(remediation_cli::input::split(&text));
    }
    let mut all = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(f).map_err(|e| format!("{f}: {e}"))?;
        all.extend(remediation_cli::input::split(&text));
    }
    Ok(all)
}

/// What the lines of an apply or an undo came to, for the closing line.
#[derive(Default)]
struct Tally {
    outcomes: BTreeMap<&'static str, usize>,
    problems: usize,
    skipped: BTreeMap<&'static str, usize>,
}

impl Tally {
    fn line(&self, command: &str) -> String {
        let mut parts: Vec<String> = self
            .outcomes
            .iter()
            .map(|(o, n)| format!("{n} {o}"))
            .collect();
        if self.problems > 0 {
            parts.push(format!("{} refused, failed or unreadable", self.problems));
        }
        if parts.is_empty() {
            parts.push("no record".into());
        }
        let mut line = format!("{command}: {}", parts.join(", "));
        if !self.skipped.is_empty() {
            let total: usize = self.skipped.values().sum();
            let what: Vec<String> = self
                .skipped
                .iter()
                .map(|(w, n)| format!("{n} {w}"))
                .collect();
            line.push_str(&format!("; {total} line(s) skipped ({})", what.join(", ")));
        }
        line
    }
}

async fn run_lines(args: Args, caller: Caller, accounts: Accounts) -> Result<bool, String> {
    let lines = lines(&args.files)?;
    let exempt_tag_key = args.exempt_tag_key.clone().unwrap_or_else(|| {
        match args.command {
            // Undo's default is the functions' default, as it always was.
            Command::Undo => remediation_shared::config::DEFAULT_EXEMPT_TAG_KEY.into(),
            _ => env_exempt_tag_key(),
        }
    });
    let undo = Options {
        apply: args.apply,
        force: args.force,
        exempt: args.exempt,
        exempt_tag_key: exempt_tag_key.clone(),
    };
    let apply = ApplyOptions {
        apply: args.apply,
        force: args.force,
        exempt_tag_key,
    };
    let mut tally = Tally::default();
    let stdout = std::io::stdout();
    for (n, line) in lines.iter().enumerate() {
        let mut outcomes = Vec::new();
        let mut emit = |r: &AuditRecord| {
            outcomes.push(r.outcome.as_str());
            if let Ok(text) = serde_json::to_string(r) {
                let _ = writeln!(stdout.lock(), "{text}");
            }
        };
        let mut say = |text: String| eprintln!("line {}: {text}", n + 1);
        let ended = match args.command {
            Command::Apply => {
                apply_line(line, &apply, &caller, &accounts, &mut emit, &mut say).await
            }
            _ => undo_line(line, &undo, &caller, &accounts, &mut emit, &mut say).await,
        };
        match ended {
            Some(Ended::Problem) => tally.problems += 1,
            Some(Ended::NotARecord(what)) => *tally.skipped.entry(what).or_default() += 1,
            Some(Ended::Fine) => {
                for o in outcomes {
                    *tally.outcomes.entry(o).or_default() += 1;
                }
            }
            None => {}
        }
    }
    let command = if args.command == Command::Apply {
        "apply"
    } else {
        "undo"
    };
    eprintln!("{}", tally.line(command));
    Ok(tally.problems == 0)
}

fn env_exempt_tag_key() -> String {
    remediation_shared::Config::from_env()
        .map(|c| c.exempt_tag_key)
        .unwrap_or_else(|_| remediation_shared::config::DEFAULT_EXEMPT_TAG_KEY.into())
}

async fn run_plan(args: Args, caller: Caller, accounts: Accounts) -> Result<bool, String> {
    let functions: Vec<&'static remediation_catalog::Function> = if args.functions.is_empty() {
        remediation_catalog::ALL.iter().collect()
    } else {
        args.functions
            .iter()
            .filter_map(|n| remediation_catalog::named(n))
            .collect()
    };
    let regions = if args.regions.is_empty() {
        vec![caller.region.clone()]
    } else {
        args.regions.clone()
    };
    let account_ids = if args.accounts.is_empty() {
        vec![caller.account.clone()]
    } else {
        args.accounts.clone()
    };
    let places = plan::places(&functions, &account_ids, &regions);
    let exempt_tag_key = args
        .exempt_tag_key
        .clone()
        .unwrap_or_else(env_exempt_tag_key);
    let terminal = std::io::stderr().is_terminal();
    let total = places.len();
    let mut progress = |n: usize, p: &Place| {
        if terminal {
            eprint!(
                "\r\x1b[Kplan: {}/{total} {} in {} {}",
                n + 1,
                p.function,
                p.account,
                p.region
            );
        }
    };
    let planned = plan::plan(&places, &exempt_tag_key, &caller, &accounts, &mut progress).await;
    if terminal {
        eprint!("\r\x1b[K");
    }
    for (place, why) in &planned.unreached {
        eprintln!(
            "plan: {} in {} {}: not surveyed: {why}",
            place.function, place.account, place.region
        );
    }
    let _ = write!(
        std::io::stdout().lock(),
        "{}",
        plan::table(&planned.records)
    );
    if let Some(path) = &args.output {
        let mut text = String::new();
        for p in planned.proposals() {
            text.push_str(&p.to_string());
            text.push('\n');
        }
        std::fs::write(path, text).map_err(|e| format!("{path}: {e}"))?;
    }
    let counts: Vec<String> = planned
        .counts()
        .iter()
        .map(|(o, n)| format!("{n} {o}"))
        .collect();
    eprintln!(
        "plan: {total} place(s) surveyed{}{}{}",
        if counts.is_empty() {
            String::new()
        } else {
            format!(": {}", counts.join(", "))
        },
        if planned.unreached.is_empty() {
            String::new()
        } else {
            format!("; {} not reached", planned.unreached.len())
        },
        match &args.output {
            Some(path) => format!("; proposals written to {path}"),
            None => String::new(),
        }
    );
    Ok(!planned.troubled())
}

async fn run(args: Args) -> Result<bool, String> {
    // The SDK stops the process on an empty endpoint: say so in words instead.
    if std::env::var("AWS_ENDPOINT_URL").is_ok_and(|v| v.trim().is_empty()) {
        return Err("AWS_ENDPOINT_URL is set but empty: unset it, or give a URL".into());
    }
    let sdk = sdk::load().await;
    let name = match args.command {
        Command::Plan => "plan",
        Command::Apply => "apply",
        Command::Undo => "undo",
        Command::Permissions => "permissions",
    };
    let caller = caller(&sdk, name).await?;
    let accounts = Accounts {
        sdk,
        caller: caller.clone(),
        member_role: args.member_role.clone(),
        any_region: args.command != Command::Undo,
    };
    match args.command {
        Command::Plan => run_plan(args, caller, accounts).await,
        _ => run_lines(args, caller, accounts).await,
    }
}

fn main() -> std::process::ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(a) if a.command == Command::Permissions => {
            let policy =
                remediation_cli::permissions::policy(&a.partition, a.member_role.as_deref());
            let text = serde_json::to_string_pretty(&policy).unwrap_or_default();
            // A closed pipe (`| head`) is not an error worth a panic.
            let _ = writeln!(std::io::stdout().lock(), "{text}");
            return std::process::ExitCode::SUCCESS;
        }
        Ok(a) => a,
        Err(Usage(text, problem)) => {
            if problem.is_empty() {
                let _ = writeln!(std::io::stdout().lock(), "{text}");
                return std::process::ExitCode::SUCCESS;
            }
            eprintln!("remediation: {problem}");
            eprintln!("{text}");
            return std::process::ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("remediation: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    match runtime.block_on(run(args)) {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::from(1),
        Err(problem) => {
            eprintln!("remediation: {problem}");
            std::process::ExitCode::from(1)
        }
    }
}
