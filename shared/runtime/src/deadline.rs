//! SDK calls and paginators run under the invocation's deadline: the core's
//! [`within`] with the SDK's error normalised ([`Classify::from_sdk`]).
//!
//! Owns nothing of the deadline's rules (the core's `deadline` module does:
//! how the header is read, the record's reserve, what is left); it must not
//! decide what a timed-out call means for a resource: the function's plan does.

use std::future::Future;
use std::pin::Pin;

use aws_smithy_async::future::pagination_stream::PaginationStream;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use remediation_shared::deadline::within;
use remediation_shared::AwsError;

use crate::error::Classify;

/// Runs one SDK call within the time left, normalising its error.
///
/// The call is moved to the heap at once: an SDK call's future is tens of
/// kilobytes, and held inline it would make every caller's future, and the
/// stack frames that poll it, as large.
pub fn call<'a, T, E>(
    operation: &'static str,
    call: impl Future<Output = Result<T, SdkError<E, HttpResponse>>> + Send + 'a,
) -> Pin<Box<dyn Future<Output = Result<T, AwsError>> + Send + 'a>>
where
    T: Send + 'a,
    E: ProvideErrorMetadata + std::error::Error + Send + 'static,
{
    Box::pin(within(operation, async move {
        call.await.map_err(|e| AwsError::from_sdk(operation, &e))
    }))
}

/// Every item (or page) an SDK paginator yields, within the time left (see
/// [`within`]); the first error ends it, normalised as `operation`'s.
pub async fn all<T, E>(
    operation: &'static str,
    mut items: PaginationStream<Result<T, SdkError<E, HttpResponse>>>,
) -> Result<Vec<T>, AwsError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    within(operation, async move {
        let mut all = Vec::new();
        while let Some(item) = items.next().await {
            all.push(item.map_err(|e| AwsError::from_sdk(operation, &e))?);
        }
        Ok(all)
    })
    .await
}
