//! The account decision: given the account's Block Public Access settings and
//! whether it is exempt, what to do; which buckets the change would stop
//! being public, from what was read of them; and, after the write and its
//! read back, how it ended. Also the payloads this function writes into
//! audit records.
//!
//! Pure and synchronous: no AWS calls, no SDK types, no environment. The four
//! settings, and how a write of them settles, are the bucket function's
//! (the S3 kit, `remediation_s3::flags`): they are the same at both levels.

pub use remediation_s3::flags::settle_write;
use remediation_s3::flags::{PublicAccessFlags, Settings, Written};
use remediation_shared::{AwsError, Decision, Examined, Proposal, Report};
use serde::Serialize;

/// How many buckets a proposal reads to say which would stop being public:
/// three reads each (policy status, ACL, the bucket's own settings), so at
/// most 150 calls before the account is changed; the record says how many
/// buckets there are and how many were read.
pub const BUCKETS_TO_READ: usize = 50;

/// The account's state in audit records (`before`, `after`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum State {
    /// Its Block Public Access settings (a missing configuration is all false).
    AccountPublicAccessBlock(Settings),
}

/// A change to the account in audit records (`changes`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    /// `PutPublicAccessBlock` on the account with all four settings on.
    EnableAccountPublicAccessBlock {
        /// The settings turned on.
        settings: Vec<&'static str>,
        /// What it does to the account's buckets that are public now.
        buckets: Exposure,
    },
}

/// What one bucket's reads said.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BucketAccess {
    /// The bucket policy grants public access (`GetBucketPolicyStatus`).
    pub policy_public: bool,
    /// The ACL grants access to all users or all authenticated users.
    pub acl_public: bool,
    /// The bucket's own Block Public Access settings.
    pub own: PublicAccessFlags,
}

/// A bucket public now, and what makes it so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicBucket {
    /// Its name.
    pub bucket: String,
    /// `policy`, `acl`, or both.
    pub public_by: Vec<&'static str>,
}

/// The buckets the change stops being public, as far as they were read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Exposure {
    /// How many buckets the account has.
    pub total: usize,
    /// How many were read (at most [`BUCKETS_TO_READ`]).
    pub read: usize,
    /// How many of those could not be read (access denied, deleted meanwhile).
    pub unreadable: usize,
    /// Those public now, which all four settings on at account level make private.
    pub public_now: Vec<PublicBucket>,
}

/// What to do with the account: the change is turning all four settings on,
/// naming those that were off.
pub type Plan = Decision<Vec<&'static str>>;

/// Decides from the live settings (`None`: no configuration, all off) and
/// whether the account is listed as exempt.
pub fn plan(current: Option<PublicAccessFlags>, exempt: bool) -> Plan {
    let off = current.unwrap_or_default().missing();
    if !off.is_empty() && exempt {
        return Plan::Withheld("the account is listed in EXEMPT_ACCOUNTS".into());
    }
    Plan::to_fix(off, false, "account")
}

/// Whether the account's settings are all on, as a sweep's survey reads them.
pub fn is_compliant(current: Option<PublicAccessFlags>) -> bool {
    current.unwrap_or_default() == PublicAccessFlags::ALL
}

/// Whether the buckets must be read: only when the account would change.
pub fn needs_buckets(plan: &Plan) -> bool {
    matches!(plan, Decision::Change(_))
}

/// Which of the buckets read are public now, given the account's current
/// settings: public by policy unless the account or the bucket restricts
/// public buckets; by ACL unless either ignores public ACLs. With all four on
/// at account level, none of them stays public.
pub fn exposure(
    total: usize,
    read: &[(String, Option<BucketAccess>)],
    account: Option<PublicAccessFlags>,
) -> Exposure {
    let account = account.unwrap_or_default();
    let public_now = read
        .iter()
        .filter_map(|(bucket, access)| {
            let a = access.as_ref()?;
            let by_policy = a.policy_public
                && !account.restrict_public_buckets
                && !a.own.restrict_public_buckets;
            let by_acl = a.acl_public && !account.ignore_public_acls && !a.own.ignore_public_acls;
            let public_by: Vec<&'static str> = [("policy", by_policy), ("acl", by_acl)]
                .into_iter()
                .filter_map(|(why, yes)| yes.then_some(why))
                .collect();
            (!public_by.is_empty()).then(|| PublicBucket {
                bucket: bucket.clone(),
                public_by,
            })
        })
        .collect();
    Exposure {
        total,
        read: read.len(),
        unreadable: read.iter().filter(|(_, a)| a.is_none()).count(),
        public_now,
    }
}

/// The settings to turn on, as the apply step needs them.
pub type Work = Vec<&'static str>;

/// The plan as the driver takes it, for an account whose settings were
/// `current`, with what the change does to its buckets.
pub fn examined(
    plan: Plan,
    current: Option<PublicAccessFlags>,
    buckets: Exposure,
) -> Examined<Work> {
    let before = State::AccountPublicAccessBlock(Settings::of(current));
    plan.examined(
        "all four Block Public Access settings are on for the account",
        &before,
        |settings| {
            let public = buckets.public_now.len();
            let change = Change::EnableAccountPublicAccessBlock {
                settings: settings.clone(),
                buckets,
            };
            let summary = format!(
                "turn on {} for the whole account, which makes {public} public bucket(s) private",
                settings.join(", ")
            );
            Proposal::new(&before, &[change], summary, settings)
        },
    )
}

/// The write refused with AccessDenied, said in words: an AWS Organizations
/// S3 policy may govern the setting. Any other result settles as a write of
/// the four settings does ([`written`]).
pub fn refused(proposal: &Proposal<Work>, write: &Result<(), AwsError>) -> Option<Report> {
    let e = write.as_ref().err().filter(|e| e.code == "AccessDenied")?;
    Some(
        Report::failure(
            &e.code,
            "Remediation.AccessDenied",
            "S3 refused to change the account's Block Public Access (AccessDenied): an AWS \
             Organizations S3 policy may govern it, which only the organisation's management \
             account can change; otherwise the function's role lacks \
             s3:PutAccountPublicAccessBlock",
        )
        .before_json(proposal.before.clone()),
    )
}

/// What the write is made to, for [`settle_write`]: the account's settings,
/// with the changes the proposal recorded.
pub fn written(proposal: &Proposal<Work>) -> Written<'_, State, impl Serialize> {
    Written {
        what: "the account's settings",
        state: State::AccountPublicAccessBlock,
        changes: &proposal.changes,
    }
}

/// A setting that lists accounts is not a list of 12-digit account ids.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("EXEMPT_ACCOUNTS must list 12-digit account ids separated by commas; {0:?} is not one")]
pub struct ExemptAccountsError(pub String);

/// The accounts of the `EXEMPT_ACCOUNTS` setting (comma-separated; absent or
/// blank: none).
pub fn exempt_accounts(setting: Option<&str>) -> Result<Vec<String>, ExemptAccountsError> {
    setting
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|a| {
            remediation_shared::resource::is_account_id(a)
                .then(|| a.to_owned())
                .ok_or_else(|| ExemptAccountsError(a.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::ops::ControlFlow;

    use super::*;

    const OFF: PublicAccessFlags = PublicAccessFlags::OFF;

    #[test]
    fn decisions() {
        let acls_only = PublicAccessFlags {
            block_public_acls: true,
            ignore_public_acls: true,
            ..OFF
        };
        let change = |off: &[&'static str]| Plan::Change(off.to_vec());
        #[rustfmt::skip]
        let cases = [
            ("all_four_on_is_compliant_even_for_an_exempt_account", Some(PublicAccessFlags::ALL), true, Plan::AlreadyCompliant),
            ("no_configuration_turns_all_four_on", None, false, change(&["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"])),
            ("only_the_settings_that_are_off_are_named", Some(acls_only), false, change(&["BlockPublicPolicy", "RestrictPublicBuckets"])),
            ("an_exempt_account_is_left_alone_and_says_why", Some(OFF), true, Plan::Withheld("the account is listed in EXEMPT_ACCOUNTS".into())),
        ];
        for (name, current, exempt, expected) in cases {
            assert_eq!(plan(current, exempt), expected, "{name}");
        }
    }

    #[test]
    fn which_buckets_the_change_makes_private() {
        let public_policy = BucketAccess {
            policy_public: true,
            ..BucketAccess::default()
        };
        let public_acl = BucketAccess {
            acl_public: true,
            ..BucketAccess::default()
        };
        let both = BucketAccess {
            policy_public: true,
            acl_public: true,
            ..BucketAccess::default()
        };
        let restricted_itself = BucketAccess {
            own: PublicAccessFlags {
                restrict_public_buckets: true,
                ..OFF
            },
            ..public_policy
        };
        let read = vec![
            ("by-policy".to_owned(), Some(public_policy)),
            ("by-acl".to_owned(), Some(public_acl)),
            ("by-both".to_owned(), Some(both)),
            ("private".to_owned(), Some(BucketAccess::default())),
            ("restricted-itself".to_owned(), Some(restricted_itself)),
            ("unreadable".to_owned(), None),
        ];
        let names = |e: &Exposure| {
            e.public_now
                .iter()
                .map(|b| format!("{} {}", b.bucket, b.public_by.join("+")))
                .collect::<Vec<_>>()
        };
        let cases: &[(&str, Option<PublicAccessFlags>, &[&str])] = &[
            (
                "with_nothing_on_every_public_bucket_is_named_with_its_cause",
                None,
                &["by-policy policy", "by-acl acl", "by-both policy+acl"],
            ),
            (
                "an_account_that_already_ignores_public_acls_has_only_policy_exposure",
                Some(PublicAccessFlags {
                    ignore_public_acls: true,
                    ..OFF
                }),
                &["by-policy policy", "by-both policy"],
            ),
            (
                "an_account_that_already_restricts_public_buckets_has_only_acl_exposure",
                Some(PublicAccessFlags {
                    restrict_public_buckets: true,
                    ..OFF
                }),
                &["by-acl acl", "by-both acl"],
            ),
        ];
        for (name, account, expected) in cases {
            let e = exposure(120, &read, *account);
            assert_eq!(names(&e), *expected, "{name}");
            assert_eq!((e.total, e.read, e.unreadable), (120, 6, 1), "{name}");
        }
    }

    #[test]
    fn the_proposal_names_the_buckets_and_the_dry_run_record_keeps_them() {
        let buckets = exposure(
            1,
            &[(
                "open".to_owned(),
                Some(BucketAccess {
                    acl_public: true,
                    ..BucketAccess::default()
                }),
            )],
            None,
        );
        let ControlFlow::Continue(p) = examined(plan(None, false), None, buckets) else {
            panic!("an account with nothing on is changed");
        };
        assert!(
            p.summary.contains("makes 1 public bucket(s) private"),
            "{}",
            p.summary
        );
        let r = p.dry_run();
        let change = &r.changes[0];
        assert_eq!(change["type"], "enable_account_public_access_block");
        assert_eq!(change["buckets"]["public_now"][0]["bucket"], "open");
        assert_eq!(change["buckets"]["public_now"][0]["public_by"][0], "acl");
    }

    #[test]
    fn an_access_denied_write_says_an_organizations_policy_may_govern_the_setting() {
        let ControlFlow::Continue(p) = examined(plan(None, false), None, Exposure::default())
        else {
            panic!("changed");
        };
        let denied = AwsError::of(
            "PutPublicAccessBlock",
            remediation_shared::AwsErrorKind::AccessDenied,
            "AccessDenied",
            "Access Denied",
        );
        let r = refused(&p, &Err(denied)).expect("an access denied is refused");
        assert_eq!(r.outcome, remediation_shared::Outcome::Failed);
        assert_eq!(r.error_code.as_deref(), Some("AccessDenied"));
        assert!(
            r.reason.contains("AWS Organizations S3 policy"),
            "{}",
            r.reason
        );
        assert_eq!(refused(&p, &Ok(())), None);
        let ok = settle_write(
            &p,
            Ok(()),
            Some(Ok(Some(PublicAccessFlags::ALL))),
            written(&p),
        );
        assert_eq!(ok.outcome, remediation_shared::Outcome::Remediated);
        assert_eq!(
            ok.after.as_ref().unwrap()["type"],
            "account_public_access_block"
        );
        let still_off = settle_write(&p, Ok(()), Some(Ok(None)), written(&p));
        assert_eq!(still_off.error_code.as_deref(), Some("VerificationFailed"));
    }

    #[test]
    fn exempt_accounts_are_twelve_digit_ids() {
        assert_eq!(exempt_accounts(None), Ok(vec![]));
        assert_eq!(exempt_accounts(Some(" ")), Ok(vec![]));
        assert_eq!(
            exempt_accounts(Some("111111111111, 222222222222")),
            Ok(vec!["111111111111".to_owned(), "222222222222".to_owned()])
        );
        assert_eq!(
            exempt_accounts(Some("111111111111,prod")),
            Err(ExemptAccountsError("prod".into()))
        );
    }
}
