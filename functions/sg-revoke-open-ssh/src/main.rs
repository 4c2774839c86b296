//! Lambda entry point of `sg-revoke-open-ssh`: wiring only.
//!
//! Initialises tracing (Lambda's log format and level settings apply), reads
//! the configuration, builds the EC2 client once (the STS, SNS and Security
//! Hub clients are built on first use), and runs the handler.

use sg_revoke_open_ssh::aws::Ec2Adapter;
use sg_revoke_open_ssh::RevokeOpenSsh;

remediation_shared::lambda_main!(remediation_shared::Config::from_env, |sdk| {
    Ok(RevokeOpenSsh(Ec2Adapter::from_sdk(sdk)))
});
