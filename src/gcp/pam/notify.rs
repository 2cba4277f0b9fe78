//! The chat webhook of `[notify]` (issue 21 item 4): Secret Manager's `versions:access` for the
//! URL kept in a secret, and the post to it (no credentials sent).

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::error::Error;
use crate::gcp::Gcp;
use crate::gcp::errors::{Call, Context};
use crate::iam::Kind;

impl Gcp {
    /// Secret Manager's `versions:access` of `name` (`projects/P/secrets/S`, its `latest`
    /// version, or a version named in full): the payload as text (the chat webhook of
    /// `[notify]`).
    pub async fn access_secret(&self, name: &str) -> crate::Result<String> {
        let version =
            if name.contains("/versions/") { name.to_string() } else { format!("{name}/versions/latest") };
        let cx = Context {
            resource: name,
            kind: Kind::Secret,
            call: Call::Pam { verb: "versions.access", permission: "secretmanager.versions.access" },
            endpoint: self.inner.clients.shown(Kind::Secret),
            credentials: &self.inner.clients.credentials,
        };
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Payload {
            data: String,
        }
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Answer {
            payload: Payload,
        }
        let path = format!("v1/{version}:access");
        let answer: Answer =
            self.kind_call(&cx, reqwest::Method::GET, path, None, "a secret version").await?;
        let bytes = base64_decode(&answer.payload.data).ok_or_else(|| Error::Api {
            resource: name.to_string(),
            status: None,
            message: "the secret's payload is not base64".to_string(),
        })?;
        String::from_utf8(bytes).map(|s| s.trim().to_string()).map_err(|_| Error::Api {
            resource: name.to_string(),
            status: None,
            message: "the secret's payload is not text".to_string(),
        })
    }

    /// Posts `body` as JSON to `url` (a chat webhook): no credentials are sent.
    pub async fn post_webhook(&self, url: &str, body: &Value) -> crate::Result<()> {
        let shown = crate::gcp::errors::redact_userinfo(url.split('?').next().unwrap_or(url));
        let client = self.inner.clients.http_for(url)?;
        let send = client.post(url).json(body).send();
        let answer = tokio::time::timeout(Duration::from_secs(10), send)
            .await
            .map_err(|_| Error::Network {
                resource: String::new(),
                message: format!("`{shown}` did not answer in 10s"),
            })?
            .map_err(|e| Error::Network {
                resource: String::new(),
                message: format!(
                    "cannot post to `{shown}`: {}",
                    crate::gcp::errors::root_cause(&e.without_url())
                ),
            })?;
        let status = answer.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(Error::Api {
                resource: String::new(),
                status: Some(status),
                message: format!("`{shown}` refused the message"),
            });
        }
        Ok(())
    }
}

/// Standard base64 (with or without padding), as Secret Manager's `payload.data` is.
pub(super) fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        } as u32)
    };
    let bytes: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace() && *b != b'=').collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        if chunk.len() == 1 {
            return None;
        }
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= val(*c)? << (18 - 6 * i);
        }
        out.push((n >> 16) as u8);
        if chunk.len() > 2 {
            out.push((n >> 8) as u8);
        }
        if chunk.len() > 3 {
            out.push(n as u8);
        }
    }
    Some(out)
}
