//! Every sample event read by this function's scope: its own samples exactly
//! as the table says, and the acted-on manifest checked against what the
//! scope reads from every sample of every function.

use remediation_testing::samples::check_scope;
use s3_account_public_access_block::scope::AccountScope;

/// Each sample of `events/s3-account-public-access-block/` and how the scope
/// reads it (see `check_scope`).
const READINGS: &str = "
    scheduled-sweep.json                                skip
    config-account-noncompliant.json                    target AWS::::Account:123456789012
    config-periodic-account-noncompliant.json           target AWS::::Account:123456789012
    config-account-compliant.json                       skip
    guardduty-account-block-public-access-disabled.json target AWS::::Account:123456789012
    securityhub-s3-1-failed.json                        target AWS::::Account:123456789012
    securityhub-v2-ocsf-s3-1-failed.json                target AWS::::Account:123456789012
    cloudtrail-put-account-public-access-block.json     target AWS::::Account:123456789012
    cloudtrail-delete-account-public-access-block.json  target AWS::::Account:123456789012
";

#[test]
fn every_sample_reads_as_the_table_says_and_the_manifest_agrees() {
    check_scope::<AccountScope>(READINGS);
}
