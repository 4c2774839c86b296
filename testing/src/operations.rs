//! An SDK interceptor that records the name of every operation a client
//! starts, so that an adapter's tests can compare the operations its code
//! really calls with the IAM permissions it declares (`PERMISSIONS`).
//! It records names and nothing else, and never alters a request.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// The operation names seen so far, shared by every clone.
#[derive(Debug, Clone, Default)]
pub struct Operations(Arc<Mutex<BTreeSet<String>>>);

impl Operations {
    /// The names of the operations started so far (`GetRole`, `PutPublicAccessBlock`, ...).
    pub fn names(&self) -> BTreeSet<String> {
        self.0.lock().unwrap().clone()
    }
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
