//! `remediation-undo` command line: wiring only.
//!
//! Reads the options and the records (files, or standard input), asks STS
//! whose credentials are in use, and reaches each record's account: the
//! credentials' own, or with `--member-role` the hub's member role there.
//! The undo's audit records go to standard output, one JSON line each; what
//! it did, in words, to standard error. Exit code 0 when every record was
//! restored, would be, already was, or had nothing to undo; 1 when any line
//! was bad, refused or failed; 2 for a usage error.

use std::io::Write;

use remediation_runtime::members::assume_role;
use remediation_runtime::sdk::{self, SdkConfig};
use remediation_shared::hub::session_name;
use remediation_shared::resource::Partition;
use remediation_undo::{undo_line, AccountAccess, Caller, Ended, Options};

const USAGE: &str = "\
usage: remediation-undo [--apply] [--force] [--no-exempt] [--exempt-tag-key KEY]
                        [--member-role NAME] [FILE ...]

Puts each resource back as its audit record (one JSON line each: as printed,
a Lambda JSON log line, or a CloudWatch Logs Insights row; or the JSON array
the Logs Insights console downloads) says it was before the remediation, then
tags it exempt. Without --apply it only says what it
would restore. Records come from the FILEs, or standard input.

  --apply             make the changes (default: say what would change)
  --force             restore even where the resource changed since the remediation
  --no-exempt         do not tag the resource exempt afterwards
  --exempt-tag-key K  the exemption tag (default auto-remediation:exempt)
  --member-role NAME  act in a record's account through this role (hub mode)";

struct Args {
    options: Options,
    member_role: Option<String>,
    files: Vec<String>,
}

fn parse(args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut a = Args {
        options: Options {
            apply: false,
            force: false,
            exempt: true,
            exempt_tag_key: remediation_shared::config::DEFAULT_EXEMPT_TAG_KEY.into(),
        },
        member_role: None,
        files: Vec::new(),
    };
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--apply" => a.options.apply = true,
            "--force" => a.options.force = true,
            "--no-exempt" => a.options.exempt = false,
            "--exempt-tag-key" => {
                a.options.exempt_tag_key = args.next().ok_or("--exempt-tag-key needs a key")?
            }
            "--member-role" => {
                a.member_role = Some(args.next().ok_or("--member-role needs a role name")?)
            }
            "-h" | "--help" => return Err(String::new()),
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            file => a.files.push(file.to_owned()),
        }
    }
    Ok(a)
}

/// The credentials' own account and region, and member roles elsewhere.
struct Accounts {
    sdk: SdkConfig,
    caller: Caller,
    member_role: Option<String>,
}

impl AccountAccess for Accounts {
    async fn config(&self, account: &str, region: Option<&str>) -> Result<SdkConfig, String> {
        let home = &self.caller;
        if account == home.account {
            return match region.filter(|r| *r != home.region) {
                Some(r) => Err(format!(
                    "the record is in region {r}, the credentials in use point to region {}: run with AWS_REGION={r}",
                    home.region
                )),
                None => Ok(self.sdk.clone()),
            };
        }
        let Some(role) = &self.member_role else {
            return Err(format!(
                "the record is in account {account}, the credentials in use are of account {}: \
                 use credentials of {account}, or --member-role NAME to act through its member role",
                home.account
            ));
        };
        let region = region.unwrap_or(&home.region).to_owned();
        let partition = Partition::of_region(&region);
        let role_arn = format!("arn:{}:iam::{account}:role/{role}", partition.as_str());
        let sts = aws_sdk_sts::Client::new(&self.sdk);
        let session = session_name("remediation-undo", &home.run_id);
        let credentials = assume_role(&sts, &role_arn, &session)
            .await
            .map_err(|e| format!("could not assume {role_arn}: {e}"))?;
        Ok(self
            .sdk
            .to_builder()
            .region(aws_sdk_sts::config::Region::new(region))
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(credentials),
            )
            .build())
    }
}

fn lines(files: &[String]) -> Result<Vec<String>, String> {
    if files.is_empty() || files == ["-"] {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin().lock(), &mut text)
            .map_err(|e| format!("standard input: {e}"))?;
        return Ok(remediation_undo::input::split(&text));
    }
    let mut all = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(f).map_err(|e| format!("{f}: {e}"))?;
        all.extend(remediation_undo::input::split(&text));
    }
    Ok(all)
}

async fn run(args: Args) -> Result<bool, String> {
    let lines = lines(&args.files)?;
    let sdk = sdk::load().await;
    let region = sdk
        .region()
        .map(|r| r.to_string())
        .ok_or("no region is configured (AWS_REGION)")?;
    let identity = aws_sdk_sts::Client::new(&sdk)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| {
            let e = <remediation_shared::AwsError as remediation_runtime::Classify>::from_sdk(
                "GetCallerIdentity",
                &e,
            );
            format!("whose credentials are these? {e}")
        })?;
    let run_id = format!(
        "undo-{}-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default(),
        std::process::id()
    );
    let caller = Caller {
        account: identity.account().unwrap_or_default().to_owned(),
        region,
        arn: identity.arn().unwrap_or_default().to_owned(),
        run_id,
    };
    let accounts = Accounts {
        sdk,
        caller: caller.clone(),
        member_role: args.member_role,
    };
    let mut fine = true;
    let stdout = std::io::stdout();
    for (n, line) in lines.iter().enumerate() {
        let mut emit = |r: &remediation_shared::audit::AuditRecord| {
            if let Ok(text) = serde_json::to_string(r) {
                let _ = writeln!(stdout.lock(), "{text}");
            }
        };
        let mut say = |text: String| eprintln!("line {}: {text}", n + 1);
        let ended = undo_line(line, &args.options, &caller, &accounts, &mut emit, &mut say).await;
        if ended == Some(Ended::Problem) {
            fine = false;
        }
    }
    Ok(fine)
}

fn main() -> std::process::ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(problem) => {
            if !problem.is_empty() {
                eprintln!("remediation-undo: {problem}");
            }
            eprintln!("{USAGE}");
            return std::process::ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("remediation-undo: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    match runtime.block_on(run(args)) {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::from(1),
        Err(problem) => {
            eprintln!("remediation-undo: {problem}");
            std::process::ExitCode::from(1)
        }
    }
}
