//! Where the function runs, asked of STS when Lambda's invoked ARN does not
//! say (a local emulator sends none): the one call the framework makes for
//! itself.
//!
//! It must not decide what a missing home means for a target: the driver does.

use remediation_shared::{Home, Locate};

use crate::sdk::SdkConfig;

/// Where the function runs, from the credentials it runs with: the account of
/// STS `GetCallerIdentity` (which needs no permission) and the configured
/// region. Lambda's invoked ARN says the same; this serves local emulators,
/// which send none. The client is built, and the call made, on first use, and
/// the answer kept.
#[derive(Debug)]
pub struct CallerIdentity {
    sdk: SdkConfig,
    home: tokio::sync::OnceCell<Home>,
}

impl CallerIdentity {
    /// A source over the function's SDK configuration.
    pub fn new(sdk: &SdkConfig) -> Self {
        CallerIdentity {
            sdk: sdk.clone(),
            home: tokio::sync::OnceCell::new(),
        }
    }
}

impl Locate for CallerIdentity {
    async fn locate(&self) -> Result<Home, String> {
        let home = self
            .home
            .get_or_try_init(|| async {
                let region = self
                    .sdk
                    .region()
                    .map(|r| r.to_string())
                    .ok_or("no region is configured")?;
                let sts = aws_sdk_sts::Client::new(&self.sdk);
                let call = sts.get_caller_identity().send();
                let identity = crate::deadline::call("GetCallerIdentity", call)
                    .await
                    .map_err(|e| format!("the credentials' account is unknown: {e}"))?;
                let account = identity
                    .account()
                    .ok_or("GetCallerIdentity named no account")?
                    .to_owned();
                Ok::<Home, String>(Home { account, region })
            })
            .await?;
        Ok(home.clone())
    }
}
