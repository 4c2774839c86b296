//! Lambda entry point of `iam-detach-admin-policy`: wiring only.
//!
//! Initialises tracing (Lambda's log format and level settings apply), reads
//! the configuration (and the protection list, `PROTECTED_ROLES`), builds the
//! IAM and Config clients once (the STS, SNS and Security Hub clients are
//! built on first use), and runs the handler.

use iam_detach_admin_policy::aws::IamAdapter;
use iam_detach_admin_policy::DetachAdminPolicy;
use remediation_runtime::person::FromEnv;
use remediation_shared::Config;

remediation_runtime::lambda_main!(Config::from_env, DetachAdminPolicy::<IamAdapter>::from_env);
