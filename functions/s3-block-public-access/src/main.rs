//! Lambda entry point of `s3-block-public-access`: wiring only.
//!
//! Initialises tracing (Lambda's log format and level settings apply), reads
//! the configuration, builds the S3 client once (the STS, SNS and Security
//! Hub clients are built on first use), and runs the handler.

use remediation_runtime::person::FromEnv;
use remediation_shared::Config;
use s3_block_public_access::aws::S3Adapter;
use s3_block_public_access::BlockPublicAccess;

remediation_runtime::lambda_main!(Config::from_env, BlockPublicAccess::<S3Adapter>::from_env);
