//! An SDK interceptor that records the name of every operation a client
//! starts, so that an adapter's tests can compare the operations its code
//! really calls with the IAM permissions it declares (`PERMISSIONS`), and
//! that comparison.
//! It records names and nothing else, and never alters a request.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use remediation_shared::Permission;

/// The operation names seen so far, shared by every clone.
#[derive(Debug, Clone, Default)]
pub struct Operations(Arc<Mutex<BTreeSet<String>>>);

impl Operations {
    /// The names of the operations started so far (`GetRole`, `PutPublicAccessBlock`, ...).
    pub fn names(&self) -> BTreeSet<String> {
        self.0.lock().unwrap().clone()
    }

    /// The operations started so far as the IAM actions of the service
    /// whose action prefix is `prefix` (`ec2:RevokeSecurityGroupIngress`).
    pub fn actions(&self, prefix: &str) -> BTreeSet<String> {
        self.names()
            .into_iter()
            .map(|op| format!("{prefix}:{op}"))
            .collect()
    }
}

/// Checks that the IAM actions `called` are exactly those of `declared`
/// (an adapter's `PERMISSIONS`): none missing, none to spare.
pub fn assert_declared(called: impl IntoIterator<Item = String>, declared: &[Permission]) {
    let called: BTreeSet<String> = called.into_iter().collect();
    let declared: BTreeSet<String> = declared.iter().map(|p| p.action.to_owned()).collect();
    assert_eq!(
        called, declared,
        "operations called against permissions declared"
    );
}

impl Intercept for Operations {
    fn name(&self) -> &'static str {
        "RecordOperations"
    }

    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // The operation's metadata is in the bag from serialization on.
        if let Some(metadata) = cfg.load::<Metadata>() {
            self.0.lock().unwrap().insert(metadata.name().to_owned());
        }
        Ok(())
    }
}
