//! The STS side of hub mode (the core's `hub`): assumes a member account's role
//! and builds the function's remediator over its credentials, in the target's
//! region.
//!
//! Owns the one `AssumeRole` call of the framework ([`assume_role`], which
//! `remediation-undo` uses too) and two caches that live
//! as long as the Lambda instance: credentials per member role, renewed only
//! when less than [`RENEW_BEFORE`](hub::RENEW_BEFORE) is left (so one
//! instance serving 1,000 findings from 50 accounts assumes 50 roles), and a
//! remediator per account and region (its SDK clients, whose credentials
//! come from the first cache), at most [`MOST_REMEDIATORS`] of them. The STS
//! client is built on first use: a function that never leaves its account
//! never builds it. It must not
//! decide which accounts are in reach ([`Hub::refuses`]) or what a
//! remediator does.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use aws_config::SdkConfig;
use aws_credential_types::provider::{self, error::CredentialsError, ProvideCredentials};
use aws_credential_types::Credentials;
use aws_sdk_sts::config::Region;

use remediation_shared::hub::{self, Hub, Place, Reach, Reached};
use remediation_shared::AwsError;

use crate::error::Classify;

/// Member credentials, by role ARN, with the STS client that gets them.
#[derive(Debug)]
struct Credential {
    sdk: SdkConfig,
    sts: tokio::sync::OnceCell<aws_sdk_sts::Client>,
    /// Held across the `AssumeRole` call, so that two targets in one account
    /// never assume its role twice.
    assuming: tokio::sync::Mutex<()>,
    /// Held only to read or replace an entry, never across a call.
    cached: Mutex<HashMap<String, Credentials>>,
}

impl Credential {
    /// The credentials of `role_arn`, from the cache while fresh, else from
    /// STS `AssumeRole` with the session name `session`.
    async fn get(&self, role_arn: &str, session: &str) -> Result<Credentials, AwsError> {
        let _one_at_a_time = self.assuming.lock().await;
        let now = SystemTime::now();
        if let Some(c) = self.cached(role_arn) {
            if c.expiry().is_some_and(|e| hub::still_fresh(e, now)) {
                return Ok(c);
            }
        }
        let sts = self
            .sts
            .get_or_init(|| async { aws_sdk_sts::Client::new(&self.sdk) })
            .await;
        let credentials = assume_role(sts, role_arn, session).await?;
        if let Ok(mut cached) = self.cached.lock() {
            cached.insert(role_arn.to_owned(), credentials.clone());
        }
        Ok(credentials)
    }

    fn cached(&self, role_arn: &str) -> Option<Credentials> {
        self.cached.lock().ok()?.get(role_arn).cloned()
    }

    /// The cached credentials of `role_arn`, as the SDK asks for them.
    fn current(&self, role_arn: &str) -> Result<Credentials, CredentialsError> {
        self.cached(role_arn).ok_or_else(|| {
            CredentialsError::not_loaded(format!("no credentials of {role_arn} are cached"))
        })
    }
}

/// Assumes `role_arn` through `sts` with the session name `session`: its
/// credentials, with their expiry, or STS's error.
pub async fn assume_role(
    sts: &aws_sdk_sts::Client,
    role_arn: &str,
    session: &str,
) -> Result<Credentials, AwsError> {
    let call = sts
        .assume_role()
        .role_arn(role_arn)
        .role_session_name(session)
        .send();
    let answer = crate::deadline::call("AssumeRole", call).await?;
    let c = answer.credentials().ok_or_else(|| {
        AwsError::classify(
            "AssumeRole",
            "NoCredentials",
            "STS answered without credentials",
            None,
        )
    })?;
    let expiry = SystemTime::try_from(*c.expiration()).ok();
    Ok(Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_owned()),
        expiry,
        "remediation-member-role",
    ))
}

/// The credentials a member's clients sign with: the cached ones of its role.
#[derive(Debug)]
struct MemberCredentials {
    cache: Arc<Credential>,
    role_arn: String,
}

impl ProvideCredentials for MemberCredentials {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        provider::future::ProvideCredentials::ready(self.cache.current(&self.role_arn))
    }
}

/// The most remediators one instance keeps. An organisation of a thousand
/// accounts in every region has more places than that; when the cache is full
/// and a new place comes, it starts over (a remediator is cheap to rebuild,
/// and the credentials stay cached), so memory stays bounded on an instance
/// that lives for hours.
pub const MOST_REMEDIATORS: usize = 256;

/// Hub mode over the SDK: a function's remediators in member accounts and
/// other regions, built by `build` (the function's own builder, as at init)
/// from the hub's SDK configuration with the member's credentials and region.
pub struct MemberRoles<R, F> {
    hub: Hub,
    sdk: SdkConfig,
    build: F,
    credentials: Arc<Credential>,
    remediators: Mutex<HashMap<(String, String), Arc<R>>>,
}

impl<R, F> MemberRoles<R, F>
where
    F: Fn(&SdkConfig) -> Result<R, String>,
{
    /// Hub mode with `hub`'s settings over the function's configuration `sdk`.
    pub fn new(hub: Hub, sdk: &SdkConfig, build: F) -> Self {
        MemberRoles {
            hub,
            sdk: sdk.clone(),
            build,
            credentials: Arc::new(Credential {
                sdk: sdk.clone(),
                sts: tokio::sync::OnceCell::new(),
                assuming: tokio::sync::Mutex::new(()),
                cached: Mutex::new(HashMap::new()),
            }),
            remediators: Mutex::new(HashMap::new()),
        }
    }

    /// The remediator for `account` and `region`, signing as `role_arn`
    /// (none: the hub's own credentials), built once.
    fn remediator(
        &self,
        account: &str,
        region: &str,
        role_arn: Option<&str>,
    ) -> Result<Arc<R>, String> {
        let key = (account.to_owned(), region.to_owned());
        let mut built = self
            .remediators
            .lock()
            .map_err(|_| "the remediator cache is poisoned")?;
        if let Some(r) = built.get(&key) {
            return Ok(Arc::clone(r));
        }
        let mut config = self.sdk.to_builder();
        config.set_region(Some(Region::new(region.to_owned())));
        if let Some(role_arn) = role_arn {
            config.set_credentials_provider(Some(
                aws_credential_types::provider::SharedCredentialsProvider::new(MemberCredentials {
                    cache: Arc::clone(&self.credentials),
                    role_arn: role_arn.to_owned(),
                }),
            ));
        }
        let remediator = Arc::new((self.build)(&config.build())?);
        if built.len() >= MOST_REMEDIATORS {
            built.clear();
        }
        built.insert(key, Arc::clone(&remediator));
        Ok(remediator)
    }
}

impl<R, F> Reach<R> for MemberRoles<R, F>
where
    R: Send + Sync,
    F: Fn(&SdkConfig) -> Result<R, String> + Sync,
{
    async fn reach(&self, place: &Place<'_>) -> Reached<R> {
        if let Some(why) = self.hub.refuses(place.account, place.region, place.home) {
            return Reached::Refused(why);
        }
        let role_arn = (place.account != place.home.account)
            .then(|| self.hub.role_arn(place.partition, place.account));
        if let Some(role_arn) = &role_arn {
            let session = hub::session_name(place.function, place.request_id);
            if let Err(error) = self.credentials.get(role_arn, &session).await {
                return Reached::Failed {
                    role_arn: role_arn.clone(),
                    error,
                };
            }
        }
        match self.remediator(place.account, place.region, role_arn.as_deref()) {
            Ok(remediator) => Reached::Member {
                remediator,
                role_arn,
            },
            Err(why) => Reached::Failed {
                role_arn: role_arn.unwrap_or_default(),
                error: AwsError::classify("Build", "RemediatorUnavailable", &why, None),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn hub() -> Hub {
        Hub::from_lookup(|name| (name == "MEMBER_ROLE_NAME").then(|| "member-role".to_owned()))
            .unwrap()
            .unwrap()
    }

    #[test]
    fn a_place_is_built_once_and_the_cache_stays_bounded() {
        let builds = AtomicUsize::new(0);
        let sdk = SdkConfig::builder().build();
        let roles = MemberRoles::new(hub(), &sdk, |config: &SdkConfig| {
            builds.fetch_add(1, Ordering::SeqCst);
            Ok(config.region().map(|r| r.to_string()))
        });
        let first = roles.remediator("111122223333", "eu-west-1", None).unwrap();
        let again = roles.remediator("111122223333", "eu-west-1", None).unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        assert_eq!(
            *first,
            Some("eu-west-1".to_owned()),
            "built in the place's region"
        );
        assert_eq!(builds.load(Ordering::SeqCst), 1);

        for n in 0..MOST_REMEDIATORS * 2 {
            let account = format!("{:012}", 100_000_000_000_u64 + n as u64);
            roles.remediator(&account, "us-east-1", None).unwrap();
            let kept = roles.remediators.lock().unwrap().len();
            assert!(kept <= MOST_REMEDIATORS, "{kept} remediators kept");
        }
        assert_eq!(builds.load(Ordering::SeqCst), 1 + MOST_REMEDIATORS * 2);
        let last = format!(
            "{:012}",
            100_000_000_000_u64 + (MOST_REMEDIATORS * 2 - 1) as u64
        );
        roles.remediator(&last, "us-east-1", None).unwrap();
        assert_eq!(
            builds.load(Ordering::SeqCst),
            1 + MOST_REMEDIATORS * 2,
            "the newest place is still cached"
        );
    }
}
