//! Credentials (design §5), in order: `--access-token-file`, `GOOGLE_APPLICATION_CREDENTIALS`,
//! gcloud's application-default credentials file, the metadata server; impersonation on top.
//! Everything but the token file and the emulator-pointed impersonation goes through
//! `google-cloud-auth`'s own builders.
//!
//! Nothing here ever formats a token, a refresh token or a key: tokens live in `HeaderValue`s
//! marked sensitive, and every `Debug` names files and e-mails only (design §4.7).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use google_cloud_auth::credentials::{
    CacheableResource, Credentials, CredentialsProvider, EntityTag, anonymous, external_account,
    impersonated, mds, service_account, user_account,
};
use google_cloud_auth::errors::CredentialsError;
use http::{Extensions, HeaderMap, HeaderValue};
use serde_json::Value;

use super::errors::{AUTH_HINT, NO_CREDENTIALS, plain_loopback_host, redact};
pub(crate) use super::transport::{http_client, install_crypto, plain_http_client};
use crate::error::Error;

const CLOUD_PLATFORM: &str = "https://www.googleapis.com/auth/cloud-platform";
const UNIVERSE: &str = "googleapis.com";
/// gcloud's `api_endpoint_overrides/iamcredentials` property, as an environment variable.
pub(crate) const IAMCREDENTIALS_OVERRIDE_VAR: &str = "CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS";

/// How jit can tell who the caller is (for the default `--member`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Identity {
    /// Known from the credentials themselves: `serviceAccount:EMAIL`.
    Known(String),
    /// Ask Google's tokeninfo about the access token (user credentials, a token file).
    TokenInfo,
    /// Ask the metadata server for the default service account's e-mail.
    Metadata,
    /// No way to tell (anonymous, workload identity federation without impersonation).
    Unknown,
}

/// Credentials ready for the API calls, and what jit knows about them.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    pub creds: Credentials,
    pub identity: Identity,
    /// Where they came from, for `--verbose` (a path or a kind, never a secret).
    pub source: String,
}

/// The inputs of [`resolve`].
#[derive(Debug, Clone, Default)]
pub(crate) struct AuthOptions {
    pub access_token_file: Option<PathBuf>,
    pub access_token: Option<AccessToken>,
    pub impersonate: Option<String>,
    pub anonymous: bool,
    /// Where to send `generateAccessToken` for impersonation: `None` lets the SDK use Google's
    /// IAM Credentials API.
    pub iam_endpoint: Option<String>,
    /// The environment (`config::Env`): GOOGLE_APPLICATION_CREDENTIALS, CLOUDSDK_CONFIG, HOME.
    pub vars: crate::config::env::Vars,
    /// The API endpoint when it is not Google's (`--endpoint`, or Cloud Resource Manager's
    /// override variable).
    pub endpoint: Option<String>,
}

/// Picks the credentials in design §5's order.
pub(crate) fn resolve(opts: &AuthOptions) -> crate::Result<Resolved> {
    install_crypto();
    if opts.anonymous {
        return Ok(Resolved {
            creds: anonymous::Builder::new().build(),
            identity: Identity::Unknown,
            source: format!("{NO_CREDENTIALS} (auth/disable_credentials)"),
        });
    }
    let base = base_credentials(opts)?;
    match &opts.impersonate {
        None => Ok(base),
        Some(chain) => impersonate(base, chain, opts.iam_endpoint.as_deref()),
    }
}

fn base_credentials(opts: &AuthOptions) -> crate::Result<Resolved> {
    if let Some(token) = &opts.access_token {
        return Ok(Resolved {
            creds: Credentials::from(GivenToken { token: token.clone() }),
            identity: Identity::TokenInfo,
            source: "an access token handed over in-process (the emulator's)".to_string(),
        });
    }
    if let Some(path) = &opts.access_token_file {
        return Ok(Resolved {
            creds: Credentials::from(TokenFile { path: path.clone() }),
            identity: Identity::TokenInfo,
            source: format!("the access token in `{}`", path.display()),
        });
    }
    if let Some(path) = opts.vars.os("GOOGLE_APPLICATION_CREDENTIALS") {
        let path = PathBuf::from(path);
        let json = read_json(&path, "GOOGLE_APPLICATION_CREDENTIALS names")?;
        return from_json(json, &path);
    }
    if let Some(path) = adc_file(&opts.vars)
        && path.is_file()
    {
        let json = read_json(&path, "gcloud's application-default credentials file")?;
        return from_json(json, &path);
    }
    // An emulator on this machine (a plain-http loopback endpoint) with no metadata server named:
    // there is none to ask (metadata.google.internal answers only on Google Cloud, after a DNS
    // wait), so no credentials are sent, which `jit emulator --no-auth` takes (issue 19 item 4);
    // an emulator that checks credentials answers 401, whose hint says how to pass them.
    if opts.vars.os("GCE_METADATA_HOST").is_none()
        && let Some(host) = opts.endpoint.as_deref().and_then(plain_loopback_host)
    {
        return Ok(Resolved {
            creds: anonymous::Builder::new().build(),
            identity: Identity::Unknown,
            source: format!(
                "{NO_CREDENTIALS} (none is set, and `http://{host}` is an emulator on this machine, with no \
                 metadata server to ask)"
            ),
        });
    }
    // Cloud Run, GCE, GKE: the metadata server (`GCE_METADATA_HOST` honoured by the SDK). The
    // universe is fixed so that building a client does not query the metadata server.
    let creds = mds::Builder::default()
        .with_universe_domain(UNIVERSE)
        .with_retry_policy(google_cloud_gax::retry_policy::RetryPolicyExt::with_attempt_limit(
            google_cloud_gax::retry_policy::Aip194Strict,
            3,
        ))
        .build()
        .map_err(|e| build_error("the metadata server", &e))?;
    let source = "the metadata server (there is no --access-token-file, GOOGLE_APPLICATION_CREDENTIALS or \
                  gcloud application-default credentials file)";
    Ok(Resolved { creds, identity: Identity::Metadata, source: source.to_string() })
}

/// gcloud's application-default credentials file: `$CLOUDSDK_CONFIG` when set (as gcloud itself
/// does), else `~/.config/gcloud` (AIP-4113).
pub(crate) fn adc_file(vars: &crate::config::env::Vars) -> Option<PathBuf> {
    if let Some(dir) = vars.os("CLOUDSDK_CONFIG") {
        return Some(PathBuf::from(dir).join("application_default_credentials.json"));
    }
    let home = vars.os("HOME")?;
    Some(PathBuf::from(home).join(".config/gcloud/application_default_credentials.json"))
}

/// The most jit reads of an access-token file. Google's access tokens are at most 2048 bytes
/// (<https://developers.google.com/identity/protocols/oauth2#size>); 64 KiB leaves room for
/// tokens of other issuers (a federated token, a downscoped one) and still refuses `/dev/zero` or
/// a file that is not a token before it fills the memory.
pub(crate) const TOKEN_FILE_MAX_BYTES: u64 = 64 * 1024;

/// The most jit reads of a credentials JSON file (`GOOGLE_APPLICATION_CREDENTIALS`, gcloud's
/// application-default file, an external account's subject-token file). A service account key is
/// about 2.4 KB (a 2048-bit RSA key in PEM and a few fields), an `authorized_user` or
/// `external_account` file under 2 KB; 1 MiB is hundreds of times that.
pub(crate) const CREDENTIALS_FILE_MAX_BYTES: u64 = 1024 * 1024;

/// What a capped read of a file found.
#[derive(Debug)]
pub(crate) enum Capped {
    Text(String),
    /// Longer than the cap: only the cap and one byte were read.
    TooLarge,
    NotText,
}

/// Reads at most `cap` bytes of `path` (and one more, to tell a longer file): `/dev/zero`, a pipe
/// that never ends or a mistaken multi-gigabyte file cost 64 KiB of memory, not all of it.
pub(crate) fn read_capped(path: &Path, cap: u64) -> std::io::Result<Capped> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?.take(cap + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Ok(Capped::TooLarge);
    }
    Ok(String::from_utf8(bytes).map_or(Capped::NotText, Capped::Text))
}

/// `64 KiB`, `1 MiB`.
pub(crate) fn size(bytes: u64) -> String {
    if bytes.is_multiple_of(1024 * 1024) {
        format!("{} MiB", bytes / (1024 * 1024))
    } else {
        format!("{} KiB", bytes / 1024)
    }
}

fn read_json(path: &Path, what: &str) -> crate::Result<Value> {
    let fail = |why: String| Error::Auth {
        message: format!("{what} `{}`, which {why}", path.display()),
        hint: Some(AUTH_HINT.to_string()),
    };
    let text = match read_capped(path, CREDENTIALS_FILE_MAX_BYTES) {
        Ok(Capped::Text(text)) => text,
        Ok(Capped::TooLarge) => {
            return Err(fail(format!(
                "is larger than {}: not a credentials file (a key file is a few KB)",
                size(CREDENTIALS_FILE_MAX_BYTES)
            )));
        }
        Ok(Capped::NotText) => return Err(fail("is not UTF-8 text: not a credentials file".to_string())),
        Err(e) => return Err(fail(format!("cannot be read: {e}"))),
    };
    // serde_json's error names a line and column, never the text around it.
    serde_json::from_str(&text).map_err(|e| Error::Auth {
        message: format!("`{}` is not a JSON credentials file: {e}", path.display()),
        hint: Some(AUTH_HINT.to_string()),
    })
}

pub(crate) fn from_json(json: Value, path: &Path) -> crate::Result<Resolved> {
    install_crypto();
    let kind = json.get("type").and_then(Value::as_str).unwrap_or_default().to_string();
    let source = format!("{kind} credentials from `{}`", path.display());
    let what = format!("`{}`", path.display());
    let (creds, identity) = match kind.as_str() {
        // The SDK signs a JWT with the key itself (no token endpoint).
        "service_account" => {
            let email =
                json.get("client_email").and_then(Value::as_str).map(|e| format!("serviceAccount:{e}"));
            let creds = service_account::Builder::new(json).build().map_err(|e| build_error(&what, &e))?;
            (creds, email.map_or(Identity::Unknown, Identity::Known))
        }
        // Refreshed at the file's `token_uri` (the emulator's `/token` in tests).
        "authorized_user" => (
            user_account::Builder::new(json).build().map_err(|e| build_error(&what, &e))?,
            Identity::TokenInfo,
        ),
        "external_account" => {
            check_subject_token_file(&json, &what)?;
            let email = json
                .get("service_account_impersonation_url")
                .and_then(Value::as_str)
                .and_then(email_of_impersonation_url)
                .map(|e| format!("serviceAccount:{e}"));
            let creds = external_account::Builder::new(json).build().map_err(|e| build_error(&what, &e))?;
            (creds, email.map_or(Identity::Unknown, Identity::Known))
        }
        "impersonated_service_account" => {
            let email = json
                .get("service_account_impersonation_url")
                .and_then(Value::as_str)
                .and_then(email_of_impersonation_url)
                .map(|e| format!("serviceAccount:{e}"));
            let creds = impersonated::Builder::new(json).build().map_err(|e| build_error(&what, &e))?;
            (creds, email.map_or(Identity::Unknown, Identity::Known))
        }
        other => {
            return Err(Error::Auth {
                message: format!("{what} holds credentials of type `{other}`, which jit cannot use"),
                hint: Some(
                    "use a service account key, an authorized_user file (`gcloud auth application-default login`) \
                     or an external_account file"
                        .to_string(),
                ),
            });
        }
    };
    Ok(Resolved { creds, identity, source })
}

/// An external account reads its subject token from `credential_source.file` on every refresh,
/// inside google-cloud-auth (`file_sourced.rs`, whole-file `read_to_string`): jit cannot cap that
/// read, so it refuses a file that is not a regular file of at most
/// [`CREDENTIALS_FILE_MAX_BYTES`] (a subject token, an OIDC JWT or a SAML assertion, is a few KB)
/// before handing the credentials over.
fn check_subject_token_file(json: &Value, what: &str) -> crate::Result<()> {
    let Some(file) = json["credential_source"]["file"].as_str() else { return Ok(()) };
    let fail = |why: String| Error::Auth {
        message: format!("{what} reads its subject token from `{file}`, which {why}"),
        hint: Some("point `credential_source.file` at the token file your platform writes".to_string()),
    };
    match std::fs::metadata(file) {
        Ok(m) if !m.is_file() => Err(fail("is not a regular file".to_string())),
        Ok(m) if m.len() > CREDENTIALS_FILE_MAX_BYTES => {
            Err(fail(format!("is larger than {}: not a token", size(CREDENTIALS_FILE_MAX_BYTES))))
        }
        Ok(_) => Ok(()),
        // Not there yet: the platform may write it later; the SDK says so when it reads it.
        Err(_) => Ok(()),
    }
}

fn build_error(what: &str, e: &(dyn std::error::Error + 'static)) -> Error {
    Error::Auth {
        message: format!("cannot use the credentials from {what}: {}", redact(&super::errors::root_cause(e))),
        hint: Some(AUTH_HINT.to_string()),
    }
}

/// `https://…/v1/projects/-/serviceAccounts/EMAIL:generateAccessToken` → `EMAIL`.
fn email_of_impersonation_url(url: &str) -> Option<String> {
    let rest = url.rsplit_once("/serviceAccounts/")?.1;
    let email = rest.split_once(':').map_or(rest, |(e, _)| e);
    (!email.is_empty()).then(|| email.to_string())
}

/// Impersonation of the last account of `chain` (`a@…,b@…,target@…`, gcloud's delegation
/// syntax): the accounts before it are the `delegates` of `generateAccessToken`, each of which
/// must be able to mint tokens for the next, the caller for the first
/// (<https://cloud.google.com/iam/docs/reference/credentials/rest/v1/projects.serviceAccounts/generateAccessToken>).
fn impersonate(base: Resolved, chain: &str, iam_endpoint: Option<&str>) -> crate::Result<Resolved> {
    let accounts: Vec<&str> = chain.split(',').map(str::trim).filter(|e| !e.is_empty()).collect();
    let Some((email, delegates)) = accounts.split_last() else {
        return Err(Error::usage("--impersonate-service-account names no service account"));
    };
    let email = *email;
    let delegates: Vec<String> =
        delegates.iter().map(|d| format!("projects/-/serviceAccounts/{d}")).collect();
    let source = if delegates.is_empty() {
        format!("{} impersonating `{email}`", base.source)
    } else {
        format!("{} impersonating `{email}` through the chain `{}`", base.source, accounts.join(","))
    };
    let identity = Identity::Known(format!("serviceAccount:{email}"));
    let creds = match iam_endpoint {
        // The SDK's builder: Google's IAM Credentials API.
        None => impersonated::Builder::from_source_credentials(base.creds)
            .with_target_principal(email)
            .with_delegates(delegates)
            .with_scopes([CLOUD_PLATFORM])
            .build()
            .map_err(|e| build_error(&format!("impersonating `{email}`"), &e))?,
        // The SDK keeps its IAM endpoint override test-only (`iam_endpoint_override` in
        // impersonated.rs is set only under cfg(test)), so for an emulator jit calls
        // `generateAccessToken` itself, exactly as the SDK does.
        Some(endpoint) => Credentials::from(Impersonate {
            source: base.creds,
            url: format!(
                "{}/v1/projects/-/serviceAccounts/{email}:generateAccessToken",
                endpoint.trim_end_matches('/')
            ),
            email: email.to_string(),
            chain: (!delegates.is_empty()).then(|| accounts.join(",")),
            delegates,
            // A plain-http IAM endpoint (the emulator) needs no TLS roots.
            http: if endpoint.starts_with("http://") { plain_http_client()? } else { http_client()? },
            cache: tokio::sync::Mutex::new(None),
        }),
    };
    Ok(Resolved { creds, identity, source })
}

/// The bearer token in `headers`, for tokeninfo.
pub(crate) async fn access_token(creds: &Credentials) -> Result<Option<String>, CredentialsError> {
    let headers = super::transport::auth_headers(creds).await?;
    Ok(headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string))
}

fn bearer(token: &str) -> Result<HeaderMap, CredentialsError> {
    let mut value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
        CredentialsError::from_msg(false, "the access token holds characters a header cannot carry")
    })?;
    value.set_sensitive(true);
    let mut headers = HeaderMap::new();
    headers.insert(http::header::AUTHORIZATION, value);
    Ok(headers)
}

/// An access token handed over in-process (`jit --emulator` mints one from the emulator it runs):
/// never written to a file, never formatted (`Debug` shows nothing of it).
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(String);

impl AccessToken {
    pub fn new(token: impl Into<String>) -> AccessToken {
        AccessToken(token.into())
    }
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccessToken(…)")
    }
}

/// Credentials of an [`AccessToken`].
#[derive(Debug)]
struct GivenToken {
    token: AccessToken,
}

impl CredentialsProvider for GivenToken {
    async fn headers(
        &self,
        _extensions: Extensions,
    ) -> Result<CacheableResource<HeaderMap>, CredentialsError> {
        Ok(CacheableResource::New { entity_tag: EntityTag::new(), data: bearer(&self.token.0)? })
    }

    async fn universe_domain(&self) -> Option<String> {
        Some(UNIVERSE.to_string())
    }
}

/// `--access-token-file`: the file is read on every call, so a token refreshed by another process
/// (as with gcloud's `CLOUDSDK_AUTH_ACCESS_TOKEN_FILE`) is picked up.
#[derive(Debug)]
pub(crate) struct TokenFile {
    pub path: PathBuf,
}

impl CredentialsProvider for TokenFile {
    async fn headers(
        &self,
        _extensions: Extensions,
    ) -> Result<CacheableResource<HeaderMap>, CredentialsError> {
        // A small local file: read in place rather than on tokio's blocking pool, which would start
        // a thread for it.
        let fail = |why: String| {
            CredentialsError::from_msg(
                false,
                format!("the access token file `{}` {why}", self.path.display()),
            )
        };
        let text = match read_capped(&self.path, TOKEN_FILE_MAX_BYTES) {
            Ok(Capped::Text(text)) => text,
            Ok(Capped::TooLarge) => {
                return Err(fail(format!(
                    "is larger than {}: not an access token (Google's are at most 2048 bytes)",
                    size(TOKEN_FILE_MAX_BYTES)
                )));
            }
            Ok(Capped::NotText) => return Err(fail("is not text: not an access token".to_string())),
            Err(e) => return Err(fail(format!("cannot be read: {e}"))),
        };
        let token = text.trim();
        if token.is_empty() || token.contains(char::is_whitespace) {
            return Err(CredentialsError::from_msg(
                false,
                format!("the access token file `{}` does not hold one token", self.path.display()),
            ));
        }
        Ok(CacheableResource::New { entity_tag: EntityTag::new(), data: bearer(token)? })
    }

    async fn universe_domain(&self) -> Option<String> {
        Some(UNIVERSE.to_string())
    }
}

/// Impersonation through an IAM Credentials endpoint other than Google's (the emulator):
/// `POST …/serviceAccounts/EMAIL:generateAccessToken` with the source credentials, the token
/// cached until a minute before it expires.
/// <https://cloud.google.com/iam/docs/reference/credentials/rest/v1/projects.serviceAccounts/generateAccessToken>
struct Impersonate {
    source: Credentials,
    url: String,
    email: String,
    /// `projects/-/serviceAccounts/EMAIL` of each account between the caller and `email`.
    delegates: Vec<String>,
    /// The chain as the user wrote it, for messages, when there are delegates.
    chain: Option<String>,
    http: reqwest::Client,
    cache: tokio::sync::Mutex<Option<(String, Instant)>>,
}

impl std::fmt::Debug for Impersonate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Impersonate")
            .field("email", &self.email)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl CredentialsProvider for Impersonate {
    async fn headers(
        &self,
        _extensions: Extensions,
    ) -> Result<CacheableResource<HeaderMap>, CredentialsError> {
        let mut cache = self.cache.lock().await;
        if let Some((token, until)) = cache.as_ref()
            && *until > Instant::now()
        {
            return Ok(CacheableResource::New { entity_tag: EntityTag::new(), data: bearer(token)? });
        }
        let source = match self.source.headers(Extensions::new()).await? {
            CacheableResource::New { data, .. } => data,
            CacheableResource::NotModified => HeaderMap::new(),
        };
        let fail = |m: String| {
            let through =
                self.chain.as_ref().map(|c| format!(" through the chain `{c}`")).unwrap_or_default();
            CredentialsError::from_msg(false, format!("cannot impersonate `{}`{through}: {m}", self.email))
        };
        let mut body = serde_json::json!({"scope": [CLOUD_PLATFORM], "lifetime": "3600s"});
        if !self.delegates.is_empty() {
            body["delegates"] = serde_json::json!(self.delegates);
        }
        let response = self
            .http
            .post(&self.url)
            .headers(source)
            .json(&body)
            .send()
            .await
            .map_err(|e| fail(redact(&super::errors::chain(&e.without_url()))))?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or_default();
        if !status.is_success() {
            let message = body["error"]["message"].as_str().unwrap_or("no message");
            return Err(fail(format!("HTTP {}: {}", status.as_u16(), redact(message))));
        }
        let Some(token) = body["accessToken"].as_str().filter(|t| !t.is_empty()) else {
            return Err(fail("the answer has no accessToken".to_string()));
        };
        let lifetime = body["expireTime"]
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .and_then(|t| (t.with_timezone(&chrono::Utc) - chrono::Utc::now()).to_std().ok())
            .unwrap_or(Duration::from_secs(3600));
        let until = Instant::now() + lifetime.saturating_sub(Duration::from_secs(60));
        let headers = bearer(token)?;
        *cache = Some((token.to_string(), until));
        Ok(CacheableResource::New { entity_tag: EntityTag::new(), data: headers })
    }

    async fn universe_domain(&self) -> Option<String> {
        Some(UNIVERSE.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impersonation_urls_name_the_account() {
        assert_eq!(
            email_of_impersonation_url(
                "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/ci@p.iam.gserviceaccount.com:generateAccessToken"
            )
            .as_deref(),
            Some("ci@p.iam.gserviceaccount.com")
        );
        assert_eq!(email_of_impersonation_url("https://example.com/token"), None);
    }

    /// Issue 8 #7: `--access-token-file /dev/zero` grew to 7.9 GB, a credentials file on
    /// `/dev/zero` to 20.7 GB. Reads are capped.
    #[tokio::test]
    async fn endless_and_huge_credential_files_are_refused_after_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let huge = dir.path().join("huge");
        std::fs::write(&huge, "x".repeat(TOKEN_FILE_MAX_BYTES as usize + 1)).unwrap();
        for path in [Path::new("/dev/zero"), huge.as_path()] {
            let creds = Credentials::from(TokenFile { path: path.to_path_buf() });
            let e = creds.headers(Extensions::new()).await.unwrap_err();
            assert_eq!(
                e.to_string(),
                format!(
                    "the access token file `{}` is larger than 64 KiB: not an access token (Google's are at \
                     most 2048 bytes) and future attempts will not succeed",
                    path.display()
                )
            );
        }
        let e = read_json(Path::new("/dev/zero"), "GOOGLE_APPLICATION_CREDENTIALS names").unwrap_err();
        assert_eq!(
            e.to_string(),
            "GOOGLE_APPLICATION_CREDENTIALS names `/dev/zero`, which is larger than 1 MiB: not a credentials \
             file (a key file is a few KB)"
        );
        assert_eq!(e.exit_code(), 1);
        let binary = dir.path().join("binary.json");
        std::fs::write(&binary, [0xff, 0xfe, 0x00]).unwrap();
        let e = read_json(&binary, "GOOGLE_APPLICATION_CREDENTIALS names").unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "GOOGLE_APPLICATION_CREDENTIALS names `{}`, which is not UTF-8 text: not a credentials file",
                binary.display()
            )
        );
        // A file just under the cap is read whole (and then is not JSON).
        let big = dir.path().join("big.json");
        std::fs::write(&big, " ".repeat(CREDENTIALS_FILE_MAX_BYTES as usize - 1) + "x").unwrap();
        let e = read_json(&big, "GOOGLE_APPLICATION_CREDENTIALS names").unwrap_err();
        assert!(e.to_string().contains("is not a JSON credentials file"), "{e}");
    }

    /// The SDK reads an external account's subject-token file itself, whole, on every refresh:
    /// jit refuses one it could not read safely before handing the credentials over.
    #[tokio::test]
    async fn an_external_accounts_subject_token_file_must_be_a_small_regular_file() {
        let json = |file: &str| {
            serde_json::json!({
                "type": "external_account",
                "audience": "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/q",
                "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
                "token_url": "https://sts.googleapis.com/v1/token",
                "credential_source": {"file": file}
            })
        };
        let e = from_json(json("/dev/zero"), Path::new("/tmp/wif.json")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "`/tmp/wif.json` reads its subject token from `/dev/zero`, which is not a regular file"
        );
        let dir = tempfile::tempdir().unwrap();
        let token = dir.path().join("token.jwt");
        std::fs::write(&token, "eyJhbGciOiJSUzI1NiJ9.e30.c2ln").unwrap();
        let resolved = from_json(json(token.to_str().unwrap()), Path::new("/tmp/wif.json")).unwrap();
        assert_eq!(resolved.identity, Identity::Unknown);
    }

    #[tokio::test]
    async fn token_files_give_a_sensitive_bearer_header() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "ya29.file-token\n").unwrap();
        let creds = Credentials::from(TokenFile { path: path.clone() });
        assert_eq!(access_token(&creds).await.unwrap().as_deref(), Some("ya29.file-token"));
        let CacheableResource::New { data, .. } = creds.headers(Extensions::new()).await.unwrap() else {
            panic!("no headers")
        };
        assert!(data[http::header::AUTHORIZATION].is_sensitive());
        assert!(!format!("{creds:?}").contains("ya29"));
        std::fs::write(&path, "").unwrap();
        let e = creds.headers(Extensions::new()).await.unwrap_err();
        assert!(e.to_string().contains("does not hold one token"), "{e}");
    }
}
