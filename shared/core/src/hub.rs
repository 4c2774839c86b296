//! Hub mode: one deployment acting in other accounts of the organisation, and
//! in other regions, through a role in each member account.
//!
//! Owns the settings (`MEMBER_ROLE_NAME`, `TARGET_ACCOUNTS`, `TARGET_REGIONS`,
//! `SWEEP_ORGANIZATION_ACCOUNTS`) and the pure rules of reach: which accounts and regions may be acted on,
//! the member role's ARN, the STS session name, when cached credentials are
//! too old to use. Also [`Reach`], the driver's port to whatever builds a
//! function's remediator for another account and region ([`NoHub`] when hub
//! mode is off: other accounts and regions are skipped, as without a hub).
//! It must not call AWS: that is the SDK runtime's `members` (the STS side).

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::error::AwsError;
use crate::resource::{is_account_id, Partition};

/// Cached member credentials are renewed when they have less than this left:
/// more than one invocation's longest run (the template's 300 s timeout) plus
/// the SDK's own refresh margin, so that no call starts on credentials that
/// expire under it.
pub const RENEW_BEFORE: Duration = Duration::from_secs(10 * 60);

/// The longest STS role session name.
pub const MAX_SESSION_NAME: usize = 64;

/// A hub setting that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HubError {
    /// `MEMBER_ROLE_NAME` is not an IAM role name.
    #[error("MEMBER_ROLE_NAME must be an IAM role name (1 to 64 of A-Z a-z 0-9 + = , . @ _ -), got {0:?}")]
    RoleName(String),
    /// An entry of `TARGET_ACCOUNTS` is not a 12-digit account id.
    #[error("TARGET_ACCOUNTS entry {0:?} is not a 12-digit account id")]
    Account(String),
    /// An entry of `TARGET_REGIONS` is not a region name.
    #[error("TARGET_REGIONS entry {0:?} is not a region name (like eu-west-1)")]
    Region(String),
    /// A target list is set without hub mode, where it would mean nothing.
    #[error("{0} is set but MEMBER_ROLE_NAME is not: without a member role the function acts only in its own account and region")]
    ListWithoutHub(&'static str),
    /// `SWEEP_ORGANIZATION_ACCOUNTS` is neither `true` nor `false`.
    #[error("SWEEP_ORGANIZATION_ACCOUNTS must be true or false, got {0:?}")]
    Organization(String),
}

/// The hub settings, when hub mode is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hub {
    /// The role every member account holds for the hub (`MEMBER_ROLE_NAME`).
    pub member_role: String,
    /// The accounts other than the hub's own that may be acted on; all when `None`.
    pub accounts: Option<BTreeSet<String>>,
    /// The regions other than the hub's own that may be acted on; all when `None`.
    pub regions: Option<BTreeSet<String>>,
    /// Whether the sweep reads its accounts from the organisation when
    /// `accounts` is `None` (`SWEEP_ORGANIZATION_ACCOUNTS=true`).
    pub organization: bool,
}

impl Hub {
    /// Reads the hub settings from the process environment: `None` when
    /// `MEMBER_ROLE_NAME` is unset or blank (hub mode off).
    pub fn from_env() -> Result<Option<Self>, HubError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, HubError> {
        let set = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let accounts = set("TARGET_ACCOUNTS")
            .map(|v| list(&v, is_account_id, HubError::Account))
            .transpose()?;
        let regions = set("TARGET_REGIONS")
            .map(|v| list(&v, is_region, HubError::Region))
            .transpose()?;
        let organization = match set("SWEEP_ORGANIZATION_ACCOUNTS").as_deref() {
            None | Some("false") => false,
            Some("true") => true,
            Some(other) => return Err(HubError::Organization(other.to_owned())),
        };
        let Some(member_role) = set("MEMBER_ROLE_NAME") else {
            return match (&accounts, &regions, organization) {
                (Some(_), _, _) => Err(HubError::ListWithoutHub("TARGET_ACCOUNTS")),
                (_, Some(_), _) => Err(HubError::ListWithoutHub("TARGET_REGIONS")),
                (_, _, true) => Err(HubError::ListWithoutHub("SWEEP_ORGANIZATION_ACCOUNTS")),
                _ => Ok(None),
            };
        };
        if !is_role_name(&member_role) {
            return Err(HubError::RoleName(member_role));
        }
        Ok(Some(Hub {
            member_role,
            accounts,
            regions,
            organization,
        }))
    }

    /// Why `account` and `region` are out of this hub's reach, if they are:
    /// outside `TARGET_ACCOUNTS` or `TARGET_REGIONS`. The hub's own account
    /// and region are always in reach, as they are without a hub.
    pub fn refuses(&self, account: &str, region: &str, home: &crate::home::Home) -> Option<String> {
        if let Some(accounts) = self.accounts.as_ref().filter(|_| account != home.account) {
            if !accounts.contains(account) {
                return Some(format!(
                    "account {account} is not in TARGET_ACCOUNTS; no role was assumed"
                ));
            }
        }
        if let Some(regions) = self.regions.as_ref().filter(|_| region != home.region) {
            if !regions.contains(region) {
                return Some(format!(
                    "region {region} is not in TARGET_REGIONS; no role was assumed"
                ));
            }
        }
        None
    }

    /// The member role of `account`.
    pub fn role_arn(&self, partition: &Partition, account: &str) -> String {
        format!(
            "arn:{}:iam::{account}:role/{}",
            partition.as_str(),
            self.member_role
        )
    }
}

/// The STS session name of the function `function` acting for the request
/// `request_id`, so that CloudTrail in the member account shows who acted:
/// `<function>-<request id>`, the function's name shortened first when both
/// do not fit in [`MAX_SESSION_NAME`] characters, and any character STS
/// refuses replaced by `-`.
pub fn session_name(function: &str, request_id: &str) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "+=,.@_-".contains(c) {
                    c
                } else {
                    '-'
                }
            })
            .collect()
    };
    let (function, request_id) = (clean(function), clean(request_id));
    let request_id: String = request_id.chars().take(MAX_SESSION_NAME - 2).collect();
    let room = MAX_SESSION_NAME - 1 - request_id.len();
    let function: String = function.chars().take(room).collect();
    format!("{function}-{request_id}")
}

/// Whether credentials that expire at `expiry` may still be used at `now`.
pub fn still_fresh(expiry: SystemTime, now: SystemTime) -> bool {
    expiry
        .duration_since(now)
        .is_ok_and(|left| left > RENEW_BEFORE)
}

fn list(
    value: &str,
    valid: fn(&str) -> bool,
    error: fn(String) -> HubError,
) -> Result<BTreeSet<String>, HubError> {
    value
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            if valid(v) {
                Ok(v.to_owned())
            } else {
                Err(error(v.to_owned()))
            }
        })
        .collect()
}

pub(crate) fn is_region(v: &str) -> bool {
    let parts: Vec<&str> = v.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

fn is_role_name(v: &str) -> bool {
    (1..=64).contains(&v.len())
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
}

/// How a target in another account or region can be reached.
#[derive(Debug)]
pub enum Reached<R> {
    /// Hub mode is off: the target is skipped, as it always was.
    NoHub,
    /// Outside the hub's target lists: skipped for this reason, no role assumed.
    Refused(String),
    /// The remediator for the target's account and region, and the member
    /// role it acts through (none for the hub's own account in another region).
    Member {
        /// The function's remediator there.
        remediator: Arc<R>,
        /// The role assumed, if any.
        role_arn: Option<String>,
    },
    /// The member role could not be assumed.
    Failed {
        /// The role that was asked for.
        role_arn: String,
        /// STS's answer.
        error: AwsError,
    },
}

/// Where a target outside the function's own account and region is, and who asks.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    /// The function acting.
    pub function: &'a str,
    /// Its request.
    pub request_id: &'a str,
    /// Its own account and region.
    pub home: &'a crate::home::Home,
    /// The target's partition.
    pub partition: &'a Partition,
    /// The target's account.
    pub account: &'a str,
    /// The target's region (the hub's own for a global service).
    pub region: &'a str,
}

/// Builds a function's remediator for another account and region: the
/// driver's port to hub mode.
pub trait Reach<R>: Sync {
    /// The remediator for the target at `place`, or why there is none.
    fn reach(&self, place: &Place<'_>) -> impl Future<Output = Reached<R>> + Send;
}

/// Hub mode off: nothing outside the function's own account and region.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHub;

impl<R> Reach<R> for NoHub {
    async fn reach(&self, _: &Place<'_>) -> Reached<R> {
        Reached::NoHub
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::home::Home;

    fn lookup<'a>(
        pairs: &'a [(&'static str, &'static str)],
    ) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    fn set(items: &[&str]) -> Option<BTreeSet<String>> {
        Some(items.iter().map(|s| (*s).to_owned()).collect())
    }

    #[test]
    fn settings() {
        type Case = (
            &'static str,
            &'static [(&'static str, &'static str)],
            Result<Option<Hub>, HubError>,
        );
        let cases: &[Case] = &[
            ("unset_is_no_hub", &[], Ok(None)),
            ("blank_is_no_hub", &[("MEMBER_ROLE_NAME", "  ")], Ok(None)),
            (
                "a_role_name_turns_it_on",
                &[("MEMBER_ROLE_NAME", "remediation-member")],
                Ok(Some(Hub {
                    member_role: "remediation-member".into(),
                    accounts: None,
                    regions: None,
                    organization: false,
                })),
            ),
            (
                "lists_are_trimmed_and_deduplicated",
                &[
                    ("MEMBER_ROLE_NAME", "m"),
                    (
                        "TARGET_ACCOUNTS",
                        " 111111111111, 222222222222,111111111111,",
                    ),
                    ("TARGET_REGIONS", "eu-west-1, us-gov-west-1"),
                ],
                Ok(Some(Hub {
                    member_role: "m".into(),
                    accounts: set(&["111111111111", "222222222222"]),
                    regions: set(&["eu-west-1", "us-gov-west-1"]),
                    organization: false,
                })),
            ),
            (
                "the_organisation_only_with_a_hub",
                &[("SWEEP_ORGANIZATION_ACCOUNTS", "true")],
                Err(HubError::ListWithoutHub("SWEEP_ORGANIZATION_ACCOUNTS")),
            ),
            (
                "the_organisation_is_true_or_false",
                &[
                    ("MEMBER_ROLE_NAME", "m"),
                    ("SWEEP_ORGANIZATION_ACCOUNTS", "yes"),
                ],
                Err(HubError::Organization("yes".into())),
            ),
            (
                "a_path_is_not_a_role_name",
                &[("MEMBER_ROLE_NAME", "team/member")],
                Err(HubError::RoleName("team/member".into())),
            ),
            (
                "a_short_account_is_named",
                &[
                    ("MEMBER_ROLE_NAME", "m"),
                    ("TARGET_ACCOUNTS", "111111111111,12345"),
                ],
                Err(HubError::Account("12345".into())),
            ),
            (
                "a_region_typo_is_named",
                &[("MEMBER_ROLE_NAME", "m"), ("TARGET_REGIONS", "eu-west")],
                Err(HubError::Region("eu-west".into())),
            ),
            (
                "a_list_without_a_role_is_a_mistake",
                &[("TARGET_ACCOUNTS", "111111111111")],
                Err(HubError::ListWithoutHub("TARGET_ACCOUNTS")),
            ),
        ];
        for (name, env, expected) in cases {
            assert_eq!(&Hub::from_lookup(lookup(env)), expected, "{name}");
        }
    }

    #[test]
    fn reach_of_the_target_lists() {
        let home = Home {
            account: "999999999999".into(),
            region: "us-east-1".into(),
        };
        let hub = Hub {
            member_role: "m".into(),
            accounts: set(&["111111111111"]),
            regions: set(&["eu-west-1"]),
            organization: false,
        };
        let open = Hub {
            member_role: "m".into(),
            accounts: None,
            regions: None,
            organization: false,
        };
        let cases: &[(&str, &Hub, &str, &str, Option<&str>)] = &[
            (
                "a_listed_account_in_a_listed_region",
                &hub,
                "111111111111",
                "eu-west-1",
                None,
            ),
            (
                "a_listed_account_in_the_hub_region",
                &hub,
                "111111111111",
                "us-east-1",
                None,
            ),
            (
                "an_unlisted_account",
                &hub,
                "222222222222",
                "eu-west-1",
                Some("account 222222222222 is not in TARGET_ACCOUNTS"),
            ),
            (
                "an_unlisted_region",
                &hub,
                "111111111111",
                "ap-south-1",
                Some("region ap-south-1 is not in TARGET_REGIONS"),
            ),
            (
                "the_hub_account_is_always_in_reach",
                &hub,
                "999999999999",
                "eu-west-1",
                None,
            ),
            (
                "the_hub_account_in_an_unlisted_region",
                &hub,
                "999999999999",
                "ap-south-1",
                Some("region ap-south-1"),
            ),
            (
                "no_lists_reach_everywhere",
                &open,
                "222222222222",
                "ap-south-1",
                None,
            ),
        ];
        for (name, hub, account, region, expected) in cases {
            let got = hub.refuses(account, region, &home);
            crate::test_support::assert_reason(name, got.as_deref(), *expected);
        }
    }

    #[test]
    fn the_member_role_arn_follows_the_partition() {
        let hub = Hub {
            member_role: "remediation-member".into(),
            accounts: None,
            regions: None,
            organization: false,
        };
        assert_eq!(
            hub.role_arn(&Partition::of_region("eu-west-1"), "111111111111"),
            "arn:aws:iam::111111111111:role/remediation-member"
        );
        assert_eq!(
            hub.role_arn(&Partition::of_region("cn-north-1"), "111111111111"),
            "arn:aws-cn:iam::111111111111:role/remediation-member"
        );
    }

    #[test]
    fn session_names_keep_the_whole_request_id_within_the_limit() {
        let id = "8f5c2a3e-0d5b-4c1e-9a7e-2b1f0c9d8e7a";
        let cases = [
            ("short-function", id, format!("short-function-{id}")),
            (
                "a-function-name-of-thirty-chars",
                id,
                format!("a-function-name-of-thirty-c-{id}"),
            ),
            ("fn", "a b/c", "fn-a-b-c".to_owned()),
        ];
        for (function, request, expected) in cases {
            let got = session_name(function, request);
            assert_eq!(got, expected);
            assert!(got.len() <= MAX_SESSION_NAME, "{got}");
        }
        let long = "x".repeat(100);
        assert_eq!(session_name("f", &long).len(), MAX_SESSION_NAME);
    }

    #[test]
    fn credentials_are_renewed_before_they_expire() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let cases = [
            ("an_hour_left", now + Duration::from_secs(3600), true),
            (
                "just_over_the_margin",
                now + RENEW_BEFORE + Duration::from_secs(1),
                true,
            ),
            (
                "within_the_margin",
                now + RENEW_BEFORE - Duration::from_secs(1),
                false,
            ),
            ("expired", now - Duration::from_secs(1), false),
        ];
        for (name, expiry, fresh) in cases {
            assert_eq!(still_fresh(expiry, now), fresh, "{name}");
        }
    }
}
