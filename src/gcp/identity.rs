//! Who the caller is, for the default `--member`: from the credentials, tokeninfo or the
//! metadata server.

use std::time::Duration;

use super::auth::{self, Identity};
use super::calls::Op;
use super::connection::Gcp;
use super::{client, errors, transport};
use crate::error::Error;

/// Google's tokeninfo endpoint, used to learn a user token's e-mail.
/// <https://developers.google.com/identity/protocols/oauth2/web-server#tokeninfo>
pub const TOKENINFO_URL: &str = "https://oauth2.googleapis.com/tokeninfo";

impl Gcp {
    /// The caller's own principal, for the default `--member`: `serviceAccount:EMAIL` for a key
    /// file, impersonation or the metadata server; `user:EMAIL` (or `serviceAccount:`) for a user
    /// token, from tokeninfo (`<endpoint>/oauth2/v3/tokeninfo` when an endpoint override is set).
    /// `None` when jit cannot tell.
    pub async fn caller_principal(&self) -> crate::Result<Option<String>> {
        match &self.inner.identity {
            Identity::Known(p) => Ok(Some(p.clone())),
            Identity::Unknown => Ok(None),
            Identity::Metadata => Ok(self.metadata_email().await.map(|e| crate::iam::member_of_email(&e))),
            Identity::TokenInfo => {
                self.tokeninfo_email().await.map(|e| e.map(|e| crate::iam::member_of_email(&e)))
            }
        }
    }

    fn tokeninfo_url(&self) -> String {
        match &self.inner.endpoint_override {
            Some(e) => client::join(e, "oauth2/v3/tokeninfo"),
            None => TOKENINFO_URL.to_string(),
        }
    }

    /// The e-mail behind the access token, from tokeninfo: `None` when the token carries none (no
    /// `email` scope). A token tokeninfo rejects is an [`Error::Auth`] naming the credentials; a
    /// failing or silent tokeninfo is retried within the budget and then reported as what it is.
    async fn tokeninfo_email(&self) -> crate::Result<Option<String>> {
        let url = self.tokeninfo_url();
        let shown = errors::redact_userinfo(&url);
        let op = Op { resource: "", verb: "tokeninfo", endpoint: &shown };
        self.retrying(op, || self.tokeninfo_once(&url, &shown)).await
    }

    async fn tokeninfo_once(&self, url: &str, shown: &str) -> crate::Result<Option<String>> {
        // Worded as a failure to get credentials for an API call is (errors::credentials).
        let token = auth::access_token(self.inner.clients.creds()).await.map_err(|e| Error::Auth {
            message: errors::redact(&format!(
                "could not get credentials from {}: {}",
                self.inner.clients.credentials,
                errors::root_cause(&e)
            )),
            hint: Some(errors::redact(&errors::auth_hint(shown, &self.inner.clients.credentials))),
        })?;
        let Some(token) = token else { return Ok(None) };
        self.log(&format!("asking `{shown}` whose token this is"));
        // The token travels as the documented query parameter; reqwest's errors would name the
        // URL, so they are stripped of it.
        // As errors::transport does for the API: a connection that cannot be made (refused, an untrusted
        // certificate) is not retried; one dropped after it was made is.
        let network = |e: reqwest::Error| {
            let e = e.without_url();
            if e.is_connect() {
                return Error::Api {
                    resource: String::new(),
                    status: None,
                    message: format!(
                        "cannot connect to `{shown}`: {}",
                        errors::redact(&errors::root_cause(&e))
                    ),
                };
            }
            Error::Network {
                resource: String::new(),
                message: format!(
                    "cannot ask `{shown}` whose token this is: {}",
                    errors::redact(&errors::chain(&e))
                ),
            }
        };
        let response = self
            .inner
            .clients
            .http_for(url)?
            .get(url)
            .query(&[("access_token", token.as_str())])
            .send()
            .await
            .map_err(network)?;
        let status = response.status().as_u16();
        let retry_after =
            response.headers().get(http::header::RETRY_AFTER).and_then(errors::parse_retry_after);
        let body = transport::read_capped(response, TOKENINFO_MAX_BYTES).await.map_err(network)?;
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        // Google's answer to a bad token is `400 {"error": "invalid_token", "error_description":
        // "Invalid Value"}` (https://developers.google.com/identity/protocols/oauth2/web-server#tokeninfo
        // shows the call; the emulator answers as Google does).
        let said = [&body["error"], &body["error_description"]]
            .iter()
            .filter_map(|v| v.as_str())
            .map(errors::redact)
            .collect::<Vec<_>>()
            .join(": ");
        let said = if said.is_empty() { String::new() } else { format!(" ({said})") };
        match status {
            200..=299 => Ok(body["email"].as_str().filter(|e| e.contains('@')).map(str::to_string)),
            400 | 401 => Err(Error::Auth {
                message: format!(
                    "Google does not accept {}: `{shown}` answered HTTP {status}{said}",
                    self.inner.clients.credentials
                ),
                hint: Some(format!("the token is invalid or has expired; {}", errors::AUTH_HINT)),
            }),
            429 | 500..=599 => Err(Error::Unavailable {
                resource: String::new(),
                status,
                message: format!("`{shown}` failed to say whose token this is{said}"),
                retry_after,
            }),
            _ => Err(Error::Api {
                resource: String::new(),
                status: Some(status),
                message: format!("`{shown}` did not say whose token this is{said}"),
            }),
        }
    }

    /// The default service account's e-mail from the metadata server (`GCE_METADATA_HOST`
    /// honoured, as the SDK does).
    async fn metadata_email(&self) -> Option<String> {
        let host = self.inner.metadata_host.clone().unwrap_or_else(|| "metadata.google.internal".to_string());
        self.metadata_email_from(&host).await
    }

    pub(crate) async fn metadata_email_from(&self, host: &str) -> Option<String> {
        let url = format!("http://{host}/computeMetadata/v1/instance/service-accounts/default/email");
        self.log(&format!("asking the metadata server `{url}` for the service account"));
        let response = self
            .inner
            .clients
            .http_for(&url)
            .ok()?
            .get(&url)
            .header("Metadata-Flavor", "Google")
            .timeout(METADATA_TIMEOUT.min(self.inner.budget.max_elapsed))
            .send()
            .await
            .ok()?;
        if !response.status().is_success() {
            return None;
        }
        let email = response.text().await.ok()?.trim().to_string();
        email.contains('@').then_some(email)
    }
}

/// How long the metadata server may take to name the service account (it answers in
/// milliseconds on the VM itself).
const METADATA_TIMEOUT: Duration = Duration::from_secs(5);

/// The most of a tokeninfo answer that is read: Google's is a few hundred bytes.
const TOKENINFO_MAX_BYTES: usize = 64 * 1024;
