//! The HTTP layer below every Google call: the reqwest clients, the credentials' headers, and
//! bodies read with a cap. It imports nothing else of `gcp`, so `auth`, `client` and the
//! read-modify-write loop all stand on it.

use std::time::Duration;

use google_cloud_auth::credentials::{CacheableResource, Credentials};
use http::{Extensions, HeaderMap};

use crate::error::Error;

/// rustls needs a process-wide crypto provider before any HTTPS client is built: the SDK is built
/// without its default one (aws-lc), and jit uses ring. Idempotent.
pub(crate) fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// An HTTP client trusting the platform's root certificates (rustls-platform-verifier through
/// reqwest's `rustls-no-provider`, which google-cloud-auth enables): they are read when the
/// client is built, so it is built only for an https endpoint. reqwest honours `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY`.
pub(crate) fn http_client() -> crate::Result<reqwest::Client> {
    install_crypto();
    reqwest::Client::builder().timeout(Duration::from_secs(30)).build().map_err(|e| Error::Api {
        resource: String::new(),
        status: None,
        message: format!("cannot start HTTP: {e}"),
    })
}

/// A client for plain-http URLs only: it trusts no certificate, so it never loads the platform's
/// certificate store.
pub(crate) fn plain_http_client() -> crate::Result<reqwest::Client> {
    install_crypto();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .tls_certs_only(std::iter::empty())
        .build()
        .map_err(|e| Error::Api {
            resource: String::new(),
            status: None,
            message: format!("cannot start HTTP: {e}"),
        })
}

/// The headers the credentials add to a request (`authorization`, and `x-goog-user-project` for
/// a quota project), marked sensitive by google-cloud-auth.
pub(crate) async fn auth_headers(
    creds: &Credentials,
) -> Result<HeaderMap, google_cloud_auth::errors::CredentialsError> {
    Ok(match creds.headers(Extensions::new()).await? {
        CacheableResource::New { data, .. } => data,
        // Only answered to a request that carries an entity tag, which jit never sends.
        CacheableResource::NotModified => HeaderMap::new(),
    })
}

/// The body of `response`, at most `cap` bytes of it (a longer one is cut: what jit reads from it
/// is a small JSON object, and a cut one simply does not parse).
pub(crate) async fn read_capped(
    mut response: reqwest::Response,
    cap: usize,
) -> Result<Vec<u8>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = cap.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= cap {
            break;
        }
    }
    Ok(body)
}
