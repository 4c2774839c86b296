//! Lambda entry point of `sg-revoke-open-ssh`: wiring only.
//!
//! Initialises tracing (Lambda's log format and level settings apply), reads
//! the configuration and `ADMIN_PORTS` (a bad value stops the function at
//! start, in words), builds the EC2 client once (the STS, SNS and Security
//! Hub clients are built on first use), and runs the handler.

use remediation_runtime::person::FromEnv;
use sg_revoke_open_ssh::aws::Ec2Adapter;
use sg_revoke_open_ssh::RevokeOpenAdmin;

remediation_runtime::lambda_main!(
    remediation_shared::Config::from_env,
    RevokeOpenAdmin::<Ec2Adapter>::from_env
);
