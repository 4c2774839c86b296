//! The S3 decision: given a bucket's Block Public Access settings and whether
//! it is exempt, what to do.
//!
//! Pure and synchronous: no AWS calls, no SDK types, no environment.

use remediation_shared::PublicAccessFlags;

/// What to do with one bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// All four settings are already on.
    AlreadyCompliant,
    /// Leave the bucket alone, for this reason.
    Skip(String),
    /// Dry run: would turn these settings on.
    WouldEnable(Vec<&'static str>),
    /// Turn all four settings on; these were off.
    Enable(Vec<&'static str>),
}

/// Decides from the live settings (`None`: no configuration, which S3 treats as all off).
pub fn plan(current: Option<PublicAccessFlags>, exempt: bool, dry_run: bool) -> Plan {
    let missing = current.unwrap_or_default().missing();
    if missing.is_empty() {
        Plan::AlreadyCompliant
    } else if exempt {
        Plan::Skip("bucket carries the exemption tag".into())
    } else if dry_run {
        Plan::WouldEnable(missing)
    } else {
        Plan::Enable(missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFF: PublicAccessFlags = PublicAccessFlags {
        block_public_acls: false,
        ignore_public_acls: false,
        block_public_policy: false,
        restrict_public_buckets: false,
    };
    const ALL_FOUR: [&str; 4] = [
        "BlockPublicAcls",
        "IgnorePublicAcls",
        "BlockPublicPolicy",
        "RestrictPublicBuckets",
    ];

    #[test]
    fn decisions() {
        let partial = PublicAccessFlags {
            block_public_acls: true,
            block_public_policy: true,
            ..OFF
        };
        let only_restrict_off = PublicAccessFlags {
            restrict_public_buckets: false,
            ..PublicAccessFlags::ALL
        };
        let cases: &[(&str, Option<PublicAccessFlags>, bool, bool, Plan)] = &[
            (
                "all_four_on_is_already_compliant",
                Some(PublicAccessFlags::ALL),
                false,
                false,
                Plan::AlreadyCompliant,
            ),
            (
                "all_four_on_and_exempt_is_still_compliant",
                Some(PublicAccessFlags::ALL),
                true,
                false,
                Plan::AlreadyCompliant,
            ),
            (
                "missing_configuration_counts_as_all_off",
                None,
                false,
                false,
                Plan::Enable(ALL_FOUR.to_vec()),
            ),
            (
                "all_off_enables_all_four",
                Some(OFF),
                false,
                false,
                Plan::Enable(ALL_FOUR.to_vec()),
            ),
            (
                "partial_settings_enable_only_the_missing_ones",
                Some(partial),
                false,
                false,
                Plan::Enable(vec!["IgnorePublicAcls", "RestrictPublicBuckets"]),
            ),
            (
                "one_setting_off_is_not_compliant",
                Some(only_restrict_off),
                false,
                false,
                Plan::Enable(vec!["RestrictPublicBuckets"]),
            ),
            (
                "exempt_bucket_is_skipped",
                Some(OFF),
                true,
                false,
                Plan::Skip("bucket carries the exemption tag".into()),
            ),
            (
                "exempt_wins_over_dry_run",
                None,
                true,
                true,
                Plan::Skip("bucket carries the exemption tag".into()),
            ),
            (
                "dry_run_says_what_it_would_enable",
                Some(partial),
                false,
                true,
                Plan::WouldEnable(vec!["IgnorePublicAcls", "RestrictPublicBuckets"]),
            ),
            (
                "dry_run_on_compliant_bucket_is_compliant",
                Some(PublicAccessFlags::ALL),
                false,
                true,
                Plan::AlreadyCompliant,
            ),
        ];
        for (name, current, exempt, dry_run, expected) in cases {
            assert_eq!(&plan(*current, *exempt, *dry_run), expected, "{name}");
        }
    }
}
