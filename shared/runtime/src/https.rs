//! The HTTPS client of every AWS call, and the count of requests it sends.
//!
//! It owns one choice that matters for cold starts: where the TLS trust roots
//! come from. The SDK's default HTTPS client loads the platform's roots when a
//! service client is built, which on Linux means a `stat` and a read of every
//! file in the certificate directory and the parsing of each certificate, in
//! the init phase of every cold start (the figures are in `docs/benchmark.md`).
//! Here the roots are the Mozilla set compiled into the binary
//! (`webpki-root-certs`, which includes the Amazon roots that sign AWS
//! endpoints), so init touches no file. It must not set timeouts or retries:
//! [`crate::sdk`] does.

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

/// A connector that counts the requests it sends (`remediation_shared::sweep::requests_made`).
#[derive(Debug)]
struct Counted(SharedHttpConnector);

impl HttpConnector for Counted {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        remediation_shared::sweep::count_request();
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
