//! The AWS SDK configuration every function starts from, built once at init.
//!
//! It owns one choice that matters for cold starts: where the TLS trust roots
//! come from. The SDK's default HTTPS client loads the platform's roots when a
//! service client is built, which on Linux means a `stat` and a read of every
//! file in the certificate directory and the parsing of each certificate, in
//! the init phase of every cold start. Measured with `make bench`, that was
//! about two thirds of the time from exec to ready. Here the roots are the
//! Mozilla set compiled into the binary (`webpki-root-certs`, which includes
//! the Amazon roots that sign AWS endpoints), so init touches no file.
//!
//! It also owns the timeouts of every AWS call ([`timeouts`]), and
//! [`CallerIdentity`], the one place the framework itself calls AWS: asked
//! only when a local emulator gives the function no ARN to tell its own
//! account by.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::BehaviorVersion;
/// The shared configuration every client of a function is built from.
pub use aws_config::SdkConfig;
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
use aws_smithy_http_client::{Builder, ConnectorBuilder};
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::base64;

use aws_sdk_sns::types::MessageAttributeValue;

use crate::audit::StdoutSink;
use crate::config::{Config, ConfigError};
use crate::error::AwsError;
use crate::event::Payload;
use crate::handler::{handle_with, Around, Home, Locate, Remediator};
use crate::hub::{Hub, NoHub, Reach};
use crate::members::MemberRoles;
use crate::notify::{Message, Notify};
use crate::workflow::{FindingUpdate, HubFinding, UpdateFindings};

/// How long one attempt of an AWS call may take before it is retried.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(4);
/// How long an AWS call may take in all, retries included. A call that hangs
/// must end in a `failed` record well before Lambda stops the function (the
/// template's timeout is 300 s): with no timeout, the SDK waits on a silent
/// connection until Lambda kills the process, and no record is written.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(10);
/// How long opening a connection may take (the SDK's default).
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(3100);

/// Loads the SDK configuration from the environment (region, credentials,
/// endpoint overrides), with [`https_client`] as the HTTP client and the
/// timeouts above.
pub async fn load() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(https_client())
        .timeout_config(timeouts())
        .retry_config(retries())
        .load()
        .await
}

/// The SDK's standard retry of throttling and transient errors, with
/// exponential backoff and jitter: a sweep over thousands of resources that
/// AWS throttles slows down rather than fails, its concurrency bounded
/// ([`crate::sweep::CONCURRENCY`]). Not the adaptive mode: its client-side
/// rate limiter, after two throttling errors among a handful of requests,
/// held the next one back 40 s (`a_throttled_sweep_list_is_retried_...` in the bucket
/// function's adapter tests), longer than a finding may take. Three
/// attempts, unless `AWS_MAX_ATTEMPTS` says otherwise (a configuration given
/// in code would hide the variable).
pub fn retries() -> RetryConfig {
    let attempts = std::env::var("AWS_MAX_ATTEMPTS")
        .ok()
        .and_then(|v| v.trim().parse::<u32>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(3);
    RetryConfig::standard().with_max_attempts(attempts)
}

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

/// The error a function's `main` ends with.
pub use lambda_runtime::Error;

/// A function's whole `main`, as [`lambda_main!`](crate::lambda_main) writes
/// it: tracing with Lambda's log format and level settings, the
/// configuration `config` reads, the SDK configuration, the remediator
/// `build` makes with it (reading its own settings; an error stops the
/// function at start, in words), then [`run`] on a single-threaded runtime:
/// a Lambda instance handles one event at a time.
pub fn main<R, F>(
    config: impl FnOnce() -> Result<Config, ConfigError>,
    build: F,
) -> Result<(), Error>
where
    R: Remediator + Send,
    F: Fn(&SdkConfig) -> Result<R, String> + Sync,
{
    lambda_runtime::tracing::init_default_subscriber();
    let config = config()?;
    let hub = Hub::from_env()?;
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(async {
            let sdk = load().await;
            let remediator = build(&sdk)?;
            match hub {
                None => run(remediator, config, &sdk, &NoHub).await,
                Some(hub) => {
                    let members = MemberRoles::new(hub, &sdk, build);
                    run(remediator, config, &sdk, &members).await
                }
            }
        })
}

/// Runs `remediator` as a Lambda function until Lambda stops it: each event
/// handled by [`handle_with`], its audit records and metric documents on
/// stdout, its home read from the invoked ARN (else from the credentials),
/// the Security Hub findings it acts on updated, a person told through
/// the topic of `NOTIFICATION_TOPIC_ARN`, and targets in other accounts and
/// regions reached through `reach` (hub mode; [`NoHub`]: skipped). The STS,
/// Security Hub and SNS clients are built on first use, so none of them
/// slows the cold start.
pub async fn run<R: Remediator, H: Reach<R>>(
    remediator: R,
    config: Config,
    sdk: &SdkConfig,
    reach: &H,
) -> Result<(), lambda_runtime::Error> {
    let identity = CallerIdentity::new(sdk);
    let topic = SnsTopic::from_env(sdk);
    let findings = SecurityHubFindings::new(sdk);
    let around = Around {
        locate: &identity,
        notify: &topic,
        findings: &findings,
        reach,
    };
    let (remediator, config) = (&remediator, &config);
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<Payload>| async move {
            handle_with(remediator, config, &StdoutSink, event, around).await
        },
    ))
    .await
}

/// Notifications to the SNS topic that `NOTIFICATION_TOPIC_ARN` names (none
/// when it is unset or empty). The client is built on the first publish, so
/// a function that has nothing to tell starts no faster or slower for it.
#[derive(Debug)]
pub struct SnsTopic {
    sdk: SdkConfig,
    topic: Option<String>,
    client: tokio::sync::OnceCell<aws_sdk_sns::Client>,
}

impl SnsTopic {
    /// The topic of `NOTIFICATION_TOPIC_ARN`, over the function's SDK configuration.
    pub fn from_env(sdk: &SdkConfig) -> Self {
        let topic = std::env::var("NOTIFICATION_TOPIC_ARN")
            .ok()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty());
        SnsTopic {
            sdk: sdk.clone(),
            topic,
            client: tokio::sync::OnceCell::new(),
        }
    }

    /// `topic` through `client` (tests, with a mock client).
    pub fn with_client(topic: &str, client: aws_sdk_sns::Client) -> Self {
        SnsTopic {
            sdk: SdkConfig::builder().build(),
            topic: Some(topic.to_owned()),
            client: tokio::sync::OnceCell::new_with(Some(client)),
        }
    }
}

impl Notify for SnsTopic {
    fn enabled(&self) -> bool {
        self.topic.is_some()
    }

    async fn publish(&self, message: &Message) -> Result<(), AwsError> {
        let Some(topic) = &self.topic else {
            return Ok(());
        };
        let client = self
            .client
            .get_or_init(|| async { aws_sdk_sns::Client::new(&self.sdk) })
            .await;
        let mut request = client
            .publish()
            .topic_arn(topic)
            .subject(&message.subject)
            .message(&message.body);
        for (name, value) in &message.attributes {
            let attribute = MessageAttributeValue::builder()
                .data_type("String")
                .string_value(value)
                .build()
                .map_err(|e| AwsError::new("Publish", "InvalidParameter", &e.to_string(), None))?;
            request = request.message_attributes(*name, attribute);
        }
        crate::deadline::call("Publish", request.send())
            .await
            .map(|_| ())
    }
}

/// Security Hub finding updates (`BatchUpdateFindings`), in the function's
/// own region. The client is built on the first update, so a function whose
/// findings come from elsewhere never builds it.
#[derive(Debug)]
pub struct SecurityHubFindings {
    sdk: SdkConfig,
    client: tokio::sync::OnceCell<aws_sdk_securityhub::Client>,
}

impl SecurityHubFindings {
    /// Updates over the function's SDK configuration.
    pub fn new(sdk: &SdkConfig) -> Self {
        SecurityHubFindings {
            sdk: sdk.clone(),
            client: tokio::sync::OnceCell::new(),
        }
    }

    /// Updates through `client` (tests, with a mock client).
    pub fn with_client(client: aws_sdk_securityhub::Client) -> Self {
        SecurityHubFindings {
            sdk: SdkConfig::builder().build(),
            client: tokio::sync::OnceCell::new_with(Some(client)),
        }
    }
}

impl UpdateFindings for SecurityHubFindings {
    fn enabled(&self) -> bool {
        true
    }

    async fn update(
        &self,
        finding: &HubFinding,
        update: &FindingUpdate,
        updated_by: &str,
    ) -> Result<(), AwsError> {
        use aws_sdk_securityhub::types::{
            AwsSecurityFindingIdentifier, NoteUpdate, WorkflowStatus, WorkflowUpdate,
        };
        let client = self
            .client
            .get_or_init(|| async { aws_sdk_securityhub::Client::new(&self.sdk) })
            .await;
        let identifier = AwsSecurityFindingIdentifier::builder()
            .id(&finding.id)
            .product_arn(&finding.product_arn)
            .build();
        let note = NoteUpdate::builder()
            .text(&update.note)
            .updated_by(updated_by)
            .build();
        let mut request = client
            .batch_update_findings()
            .finding_identifiers(identifier)
            .note(note);
        if let Some(status) = update.status {
            request = request.workflow(
                WorkflowUpdate::builder()
                    .status(WorkflowStatus::from(status))
                    .build(),
            );
        }
        let answer = crate::deadline::call("BatchUpdateFindings", request.send()).await?;
        // A finding Security Hub could not update comes back in the answer,
        // not as an error.
        match answer.unprocessed_findings().first() {
            None => Ok(()),
            Some(u) => Err(AwsError::new(
                "BatchUpdateFindings",
                u.error_code().unwrap_or("UnprocessedFinding"),
                u.error_message()
                    .unwrap_or("Security Hub did not update the finding"),
                None,
            )),
        }
    }
}

/// The timeouts every AWS call runs under.
pub fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build()
}

/// The HTTPS client: rustls on aws-lc (the backend the SDKs already link),
/// trusting the compiled-in Mozilla roots and nothing from the file system,
/// built on the first request rather than at init (see [`OnFirstRequest`]).
pub fn https_client() -> SharedHttpClient {
    SharedHttpClient::new(OnFirstRequest(eager_https_client()))
}

/// An HTTP client that builds its connector (and parses its trust roots) when
/// the first request needs it.
///
/// The SDK's own client builds a throwaway connector when a service client is
/// built, "so that native certs load at client initialization time", and then
/// a second one, for the connector settings in use, on the first request:
/// the roots are parsed twice, once during init. This wrapper drops the first,
/// so init parses nothing and the first request parses the roots once.
#[derive(Debug)]
struct OnFirstRequest(SharedHttpClient);

impl HttpClient for OnFirstRequest {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(Counted(self.0.http_connector(settings, components)))
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        self.0.connector_metadata()
    }
}

/// A connector that counts the requests it sends ([`crate::sweep::requests_made`]).
#[derive(Debug)]
struct Counted(SharedHttpConnector);

impl HttpConnector for Counted {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        crate::sweep::count_request();
        self.0.call(request)
    }
}

fn eager_https_client() -> SharedHttpClient {
    let context = TlsContext::builder()
        .with_trust_store(trust_store())
        .build()
        // Building a context from a trust store cannot fail today; if a later
        // version makes it fail, fall back to the SDK's default roots rather
        // than start without TLS.
        .unwrap_or_default();
    Builder::new().build_with_connector_fn(move |settings, components| {
        let mut connector = ConnectorBuilder::default()
            .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
            .tls_context(context.clone())
            // The standard proxy variables (`HTTPS_PROXY`, `NO_PROXY`, ...), as
            // the SDK's own client reads them: a function in a VPC may reach
            // AWS only through a proxy.
            .proxy_config(ProxyConfig::from_env());
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.build()
    })
}

/// The compiled-in roots, in the only form the SDK accepts: one PEM bundle.
fn trust_store() -> TrustStore {
    TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(pem_bundle().into_bytes())
}

/// Every compiled-in root certificate, PEM-encoded, in order.
fn pem_bundle() -> String {
    let mut pem = String::with_capacity(webpki_root_certs::TLS_SERVER_ROOT_CERTS.len() * 2048);
    for cert in webpki_root_certs::TLS_SERVER_ROOT_CERTS {
        pem.push_str("-----BEGIN CERTIFICATE-----\n");
        pem.push_str(&base64::encode(cert.as_ref()));
        pem.push_str("\n-----END CERTIFICATE-----\n");
    }
    pem
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::CertificateDer;

    #[test]
    fn the_bundle_decodes_to_exactly_the_compiled_in_roots() {
        let decoded = CertificateDer::pem_slice_iter(pem_bundle().as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .expect("the bundle is valid PEM");
        assert_eq!(decoded.as_slice(), webpki_root_certs::TLS_SERVER_ROOT_CERTS);
    }

    #[test]
    fn the_roots_include_amazons_which_sign_aws_endpoints() {
        let amazon = webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .filter(|c| c.as_ref().windows(14).any(|w| w == b"Amazon Root CA"))
            .count();
        assert!(
            amazon >= 4,
            "Amazon Root CA 1 to 4 expected, found {amazon}"
        );
    }
}
