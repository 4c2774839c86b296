//! Lambda entry point of `sg-revoke-open-ssh`: wiring only.
//!
//! Initialises tracing (Lambda's log format and level settings apply), reads
//! the configuration and `ADMIN_PORTS` (a bad value stops the function at
//! start, in words), builds the EC2 client once (the STS, SNS and Security
//! Hub clients are built on first use), and runs the handler.

use sg_revoke_open_ssh::aws::Ec2Adapter;
use sg_revoke_open_ssh::scope::{AdminPorts, DEFAULT_ADMIN_PORTS};
use sg_revoke_open_ssh::RevokeOpenAdmin;

remediation_runtime::lambda_main!(remediation_shared::Config::from_env, |sdk| {
    let ports = std::env::var("ADMIN_PORTS").unwrap_or_else(|_| DEFAULT_ADMIN_PORTS.to_owned());
    Ok(RevokeOpenAdmin::new(Ec2Adapter::from_sdk(sdk)).closing(AdminPorts::parse(&ports)?))
});
