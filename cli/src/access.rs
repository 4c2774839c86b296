//! How `remediation` reaches AWS with the person's credentials: who they
//! are (STS), and the SDK configuration of each account and region a record
//! or a plan names: the credentials' own, another region of their account,
//! or another account through the hub's member role (`--member-role`).
//!
//! It must not decide what to change: plan, apply and undo do, with the
//! functions' rules.

use remediation_runtime::members::assume_role;
use remediation_runtime::sdk::SdkConfig;
use remediation_shared::hub::session_name;
use remediation_shared::resource::Partition;

use crate::{AccountAccess, Caller};

/// Who the credentials are, and where they point.
pub async fn caller(sdk: &SdkConfig, command: &str) -> Result<Caller, String> {
    let region = sdk
        .region()
        .map(|r| r.to_string())
        .ok_or("no region is configured (AWS_REGION)")?;
    let identity = aws_sdk_sts::Client::new(sdk)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| {
            let e = <remediation_shared::AwsError as remediation_runtime::Classify>::from_sdk(
                "GetCallerIdentity",
                &e,
            );
            format!("whose credentials are these? {e}")
        })?;
    let run_id = format!(
        "{command}-{}-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default(),
        std::process::id()
    );
    Ok(Caller {
        account: identity.account().unwrap_or_default().to_owned(),
        region,
        arn: identity.arn().unwrap_or_default().to_owned(),
        run_id,
    })
}

/// The credentials' own account and region, and member roles elsewhere.
pub struct Accounts {
    /// The credentials' configuration.
    pub sdk: SdkConfig,
    /// Who they are.
    pub caller: Caller,
    /// `--member-role`.
    pub member_role: Option<String>,
    /// Whether another region of the credentials' account is reached with
    /// the same credentials (plan, apply), or refused (undo, as it always was).
    pub any_region: bool,
}

impl AccountAccess for Accounts {
    async fn config(&self, account: &str, region: Option<&str>) -> Result<SdkConfig, String> {
        let home = &self.caller;
        let elsewhere = region.filter(|r| *r != home.region);
        if account == home.account {
            return match elsewhere {
                Some(r) if self.any_region => Ok(self
                    .sdk
                    .to_builder()
                    .region(aws_sdk_sts::config::Region::new(r.to_owned()))
                    .build()),
                Some(r) => Err(format!(
                    "the record is in region {r}, the credentials in use point to region {}: run with AWS_REGION={r}",
                    home.region
                )),
                None => Ok(self.sdk.clone()),
            };
        }
        let Some(role) = &self.member_role else {
            return Err(format!(
                "the record is in account {account}, the credentials in use are of account {}: \
                 use credentials of {account}, or --member-role NAME to act through its member role",
                home.account
            ));
        };
        let region = region.unwrap_or(&home.region).to_owned();
        let partition = Partition::of_region(&region);
        let role_arn = format!("arn:{}:iam::{account}:role/{role}", partition.as_str());
        let sts = aws_sdk_sts::Client::new(&self.sdk);
        let session = session_name("remediation", &home.run_id);
        let credentials = assume_role(&sts, &role_arn, &session)
            .await
            .map_err(|e| format!("could not assume {role_arn}: {e}"))?;
        Ok(self
            .sdk
            .to_builder()
            .region(aws_sdk_sts::config::Region::new(region))
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(credentials),
            )
            .build())
    }
}
