//! Lambda entry point of `s3-account-public-access-block`: wiring only.
//!
//! Initialises tracing (Lambda's log format and level settings apply), reads
//! the configuration (dry run unless `DRY_RUN` is false; the accounts listed
//! in `EXEMPT_ACCOUNTS`), builds the S3 Control and S3 clients once (the
//! STS, SNS and Security Hub clients are built on first use), and runs the
//! handler.

use remediation_runtime::person::FromEnv;
use remediation_shared::Config;
use s3_account_public_access_block::aws::S3ControlAdapter;
use s3_account_public_access_block::AccountPublicAccessBlock;

// `EXEMPT_ACCOUNTS` is read, and a bad value said in words, at start, where
// Lambda's init log shows it.
remediation_runtime::lambda_main!(
    Config::from_env_dry_by_default,
    AccountPublicAccessBlock::<S3ControlAdapter>::from_env
);
