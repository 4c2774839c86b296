//! Turns on S3 Block Public Access for a whole account when a finding says it
//! is off.
//!
//! The sequence per account: read the live settings; plan (an account listed
//! in `EXEMPT_ACCOUNTS` is left alone); when it would change, read up to
//! [`plan::BUCKETS_TO_READ`] buckets to say which the change makes private;
//! (the driver decides dry run, which is on unless `DRY_RUN` says otherwise;)
//! write all four on; read back; settle. Which events it answers is
//! [`scope`], every decision is [`plan`], the calls are behind
//! [`aws::AccountPublicAccess`]; this file only sequences them.
//!
//! # Layout
//! - `main.rs`: wiring (tracing, config, exempt accounts, clients, runtime).
//! - [`scope`]: the events, rules and finding types it answers.
//! - [`plan`]: the pure decision and settle step, and the audit payloads.
//! - [`aws`]: the port trait and its SDK adapter.

pub mod aws;
pub mod plan;
pub mod scope;

use remediation_s3::flags::PublicAccessFlags;
use remediation_shared::{Config, Examined, OrSettle, Proposal, Remediator, Report, TargetOf};
use remediation_shared::{Home, Survey};

use crate::aws::AccountPublicAccess;
use crate::plan::Work;
use crate::scope::{Account, AccountScope};

/// The remediator over any [`AccountPublicAccess`] port, with the accounts
/// exempt from it.
pub struct AccountPublicAccessBlock<P> {
    port: P,
    exempt_accounts: Vec<String>,
}

impl<P> AccountPublicAccessBlock<P> {
    /// Acts through `port`; no account is exempt.
    pub fn new(port: P) -> Self {
        AccountPublicAccessBlock {
            port,
            exempt_accounts: Vec::new(),
        }
    }

    /// The same remediator, leaving `accounts` alone.
    pub fn exempting(self, accounts: Vec<String>) -> Self {
        AccountPublicAccessBlock {
            exempt_accounts: accounts,
            ..self
        }
    }
}

/// As the Lambda function builds it: over the S3 Control client, leaving
/// the accounts of `EXEMPT_ACCOUNTS` alone.
impl remediation_runtime::person::FromEnv for AccountPublicAccessBlock<aws::S3ControlAdapter> {
    fn from_env(sdk: &remediation_runtime::SdkConfig) -> Result<Self, String> {
        let exempt = plan::exempt_accounts(std::env::var("EXEMPT_ACCOUNTS").ok().as_deref())
            .map_err(|e| e.to_string())?;
        Ok(AccountPublicAccessBlock::new(aws::S3ControlAdapter::from_sdk(sdk)).exempting(exempt))
    }
}

impl<P: AccountPublicAccess> Remediator for AccountPublicAccessBlock<P> {
    type Scope = AccountScope;
    type Work = Work;

    async fn examine(&self, target: &TargetOf<Self>, _config: &Config) -> Examined<Work> {
        let account = target.resource.as_str();
        let exempt = self.exempt_accounts.iter().any(|a| a == account);
        let current = self
            .port
            .account_settings(account)
            .await
            .or_settle("the account's settings")?;
        let plan = plan::plan(current, exempt);
        let mut read = Vec::new();
        let mut total = 0;
        if plan::needs_buckets(&plan) {
            // Best effort: what the buckets say informs the record, and a
            // bucket that cannot be read never holds the fix back.
            if let Ok(names) = self.port.bucket_names().await {
                total = names.len();
                for name in names.into_iter().take(plan::BUCKETS_TO_READ) {
                    let access = self.port.bucket_access(&name).await.ok();
                    read.push((name, access));
                }
            }
        }
        let buckets = plan::exposure(total, &read, current);
        match plan::examined(plan, current, buckets) {
            std::ops::ControlFlow::Break(r) => std::ops::ControlFlow::Break(
                r.verdict_if_fixed(scope::CHECKS.verdict(&target.basis)),
            ),
            change => change,
        }
    }

    /// The function's own account: a suspect unless its settings read all
    /// on (one that cannot be read is examined, and its record says why).
    async fn survey(&self, home: &Home) -> Survey<Account> {
        let account = match Account::parse("the function's account", &home.account) {
            Ok(a) => a,
            Err(e) => {
                return Survey::failed(remediation_shared::AwsError::of(
                    "Survey",
                    remediation_shared::AwsErrorKind::Other,
                    "InvalidAccount",
                    &e.to_string(),
                ))
            }
        };
        let compliant = matches!(self.port.account_settings(&home.account).await, Ok(current) if plan::is_compliant(current));
        Survey::complete(1, if compliant { Vec::new() } else { vec![account] })
    }

    async fn apply(&self, target: &TargetOf<Self>, proposal: Proposal<Work>) -> Report {
        let account = target.resource.as_str();
        let write = self
            .port
            .put_account_settings(account, PublicAccessFlags::ALL)
            .await;
        let read_back = match write {
            Ok(()) => Some(self.port.account_settings(account).await),
            Err(_) => None,
        };
        if let Some(refused) = plan::refused(&proposal, &write) {
            return refused;
        }
        plan::settle_write(&proposal, write, read_back, plan::written(&proposal))
            .verdict_if_fixed(scope::CHECKS.verdict(&target.basis))
    }
}
