//! Google's errors as typed [`crate::Error`]s: the HTTP status decides the variant, the message
//! says what went wrong and, where it helps, what to do.
//!
//! Google's error body is `{"error": {"code": 403, "message": "…", "status": "PERMISSION_DENIED",
//! "details": […]}}` (<https://cloud.google.com/apis/design/errors#http_mapping>): the HTTP status
//! and `error.message` are what jit needs; `error.status` names the answer when the message is
//! empty. A body that is not that JSON (an HTML page from a wrong endpoint, a proxy's page) is
//! named as such.

use std::time::Duration;

use google_cloud_auth::errors::CredentialsError;
use serde::Deserialize;

use crate::error::Error;
use crate::iam::Kind;

/// Which call failed: names the permission a 403 is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Call {
    GetIamPolicy,
    SetIamPolicy,
    ListFolders,
    ListProjects,
    /// Resource Manager v3 `projects.get` of a project named by number, for its ID.
    GetProject,
    /// Resource Manager v3 `projects.search`: every project the caller may see, for their IDs.
    SearchProjects,
    /// IAM v1 `roles.get`, on a predefined or a custom role.
    GetRole,
    /// Cloud Asset Inventory's `searchAllIamPolicies`, on a project, folder or organization.
    SearchAllIamPolicies,
    /// Cloud Logging v2 `entries.list`, on a project, folder or organization (`jit history`).
    ListLogEntries,
    /// Cloud Storage `buckets.get`, for the project a bucket's audit entries are logged in.
    GetBucket,
    /// IAM v1 `roles.queryGrantableRoles`, on a resource.
    QueryGrantableRoles,
    /// A call to Privileged Access Manager (src/gcp/pam/): its method and the permission it
    /// needs, from PAM's access-control page
    /// (<https://cloud.google.com/iam/docs/pam-permissions-and-setup>).
    Pam {
        verb: &'static str,
        permission: &'static str,
    },
}

impl Call {
    /// The IAM permission the call needs on a resource of `kind`, from its row in
    /// src/kinds/ (<https://cloud.google.com/resource-manager/reference/rest/v3/projects/getIamPolicy>
    /// and each service's reference list them).
    pub(crate) fn permission(self, kind: Kind) -> String {
        match self {
            Call::GetIamPolicy => super::kinds::row(kind).get_permission.to_string(),
            Call::SetIamPolicy => super::kinds::row(kind).set_permission.to_string(),
            Call::ListFolders => "resourcemanager.folders.list".to_string(),
            Call::ListProjects => "resourcemanager.projects.list".to_string(),
            // "returns projects for which the user has the `resourcemanager.projects.get`
            // permission" (v3 `projects.search`); `projects.get` needs the same.
            Call::GetProject | Call::SearchProjects => "resourcemanager.projects.get".to_string(),
            // A predefined role needs no permission; a custom role needs `iam.roles.get` on its
            // project or organization (https://cloud.google.com/iam/docs/reference/rest/v1/roles/get).
            Call::GetRole => "iam.roles.get".to_string(),
            // "The caller must be granted the `cloudasset.assets.searchAllIamPolicies` permission
            // on the desired scope" (cloudasset v1 discovery document).
            Call::SearchAllIamPolicies => "cloudasset.assets.searchAllIamPolicies".to_string(),
            // Admin Activity audit logs need this one; Data Access logs would need
            // `logging.privateLogEntries.list` (https://cloud.google.com/logging/docs/access-control).
            Call::ListLogEntries => "logging.logEntries.list".to_string(),
            Call::GetBucket => "storage.buckets.get".to_string(),
            // The reference names no permission; what the answer tells (which roles the
            // resource's policy can hold) is what its getIamPolicy tells, so a 403 names that
            // (assumed).
            Call::QueryGrantableRoles => super::kinds::row(kind).get_permission.to_string(),
            Call::Pam { permission, .. } => permission.to_string(),
        }
    }

    pub(crate) fn verb(self) -> &'static str {
        match self {
            Call::GetIamPolicy => "getIamPolicy",
            Call::SetIamPolicy => "setIamPolicy",
            Call::ListFolders => "folders.list",
            Call::ListProjects => "projects.list",
            Call::GetProject => "projects.get",
            Call::SearchProjects => "projects.search",
            Call::GetRole => "roles.get",
            Call::SearchAllIamPolicies => "searchAllIamPolicies",
            Call::ListLogEntries => "entries.list",
            Call::GetBucket => "buckets.get",
            Call::QueryGrantableRoles => "roles.queryGrantableRoles",
            Call::Pam { verb, .. } => verb,
        }
    }
}

/// What the mapping needs to know besides the error itself.
pub(crate) struct Context<'a> {
    /// `projects/ID`, `folders/N` or `organizations/N`.
    pub resource: &'a str,
    /// The kind of `resource`, whose permission a 403 names.
    pub kind: Kind,
    pub call: Call,
    /// The API endpoint, named when the answer was not Google's (an HTML page, a cut body).
    pub endpoint: &'a str,
    /// Where the credentials come from, named when they fail.
    pub credentials: &'a str,
}

/// Credentials that could not give a token (a refresh refused, a file gone, impersonation
/// denied): an [`Error::Auth`] naming where they come from.
pub(crate) fn credentials(e: &CredentialsError, cx: &Context<'_>) -> Error {
    let cause = root_cause(e);
    let hint = if cause.contains("cannot impersonate") || cause.contains("getAccessToken") {
        IMPERSONATION_HINT.to_string()
    } else {
        auth_hint(cx.endpoint, cx.credentials)
    };
    Error::Auth {
        message: redact(&format!("could not get credentials from {}: {cause}", cx.credentials)),
        hint: Some(redact(&hint)),
    }
}

/// A request that got no answer. A connection that cannot be made (refused, an untrusted
/// certificate) is not retried; one dropped after it was made is, as transient as a 503.
/// reqwest's errors name the URL, which may carry userinfo: they are stripped of it.
pub(crate) fn transport(e: reqwest::Error, cx: &Context<'_>) -> Error {
    let resource = cx.resource.to_string();
    let e = e.without_url();
    if e.is_connect() {
        return Error::Api {
            resource,
            status: None,
            message: format!("cannot connect to `{}`: {}", cx.endpoint, redact(&root_cause(&e))),
        };
    }
    if e.is_timeout() {
        return Error::Network {
            resource,
            message: format!("`{}` did not answer {} in time", cx.endpoint, cx.call.verb()),
        };
    }
    Error::Network {
        resource,
        message: format!("{} to `{}` failed: {}", cx.call.verb(), cx.endpoint, redact(&root_cause(&e))),
    }
}

/// A 2xx answer that is not what the call returns.
pub(crate) fn not_an_answer(e: &serde_json::Error, cx: &Context<'_>, what: &str) -> Error {
    Error::Api {
        resource: cx.resource.to_string(),
        status: None,
        message: format!(
            "the answer from `{}` to {} is not {what} (cut short or not JSON): {}",
            cx.endpoint,
            cx.call.verb(),
            redact(&e.to_string())
        ),
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    error: GoogleError,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GoogleError {
    message: String,
    status: String,
}

/// A non-2xx answer, by HTTP status first.
pub(crate) fn from_answer(status: u16, headers: &http::HeaderMap, body: &[u8], cx: &Context<'_>) -> Error {
    let retry_after = headers.get(http::header::RETRY_AFTER).and_then(parse_retry_after);
    let Ok(ErrorBody { error }) = serde_json::from_slice::<ErrorBody>(body) else {
        return not_google_json(headers, status, retry_after, cx);
    };
    let message = if error.message.is_empty() { error.status } else { error.message };
    let message = redact(&message);
    // Storage refuses a condition on a bucket without uniform bucket-level access with an answer
    // that says so (https://cloud.google.com/storage/docs/access-control/using-iam-permissions#conditions).
    // The status is a 412 in Google's own python-storage system test (`test_get_set_iam_policy`
    // expects `PreconditionFailed` matching "enable uniform bucket-level access") and a 400 in other
    // reports: both are named as a policy jit should not have sent, with what to do, never taken for
    // an etag conflict and retried.
    if matches!(status, 400 | 412)
        && super::kinds::row(cx.kind).conditions == super::kinds::Conditions::UniformBucketAccessOnly
        && cx.call == Call::SetIamPolicy
        && message.to_ascii_lowercase().contains("uniform bucket-level access")
    {
        // The hint names the bucket (`projects/_/buckets/NAME`), so that it can be run as it is.
        let bucket = cx.resource.rsplit('/').next().unwrap_or(cx.resource);
        return Error::Policy {
            message: format!("Google refused the policy of `{}`: {message}", cx.resource),
            hint: Some(format!(
                "conditions on a bucket need uniform bucket-level access: \
                 `gcloud storage buckets update gs://{bucket} --uniform-bucket-level-access`, or grant on the project"
            )),
        };
    }
    by_status(status, message, retry_after, cx)
}

pub(crate) const AUTH_HINT: &str = "run `gcloud auth application-default login`, or pass \
    `--access-token-file`, or point GOOGLE_APPLICATION_CREDENTIALS at a key file";

/// [`AUTH_HINT`], and when jit fell through to the metadata server while talking to a plain-http
/// loopback endpoint (a `jit emulator`, never Google), the two ways that emulator takes: one of
/// its tokens, or its own metadata server, as its banner prints (issue 12 item 3).
pub(crate) fn auth_hint(url: &str, credentials: &str) -> String {
    match plain_loopback_host(url) {
        Some(host) if credentials.contains("metadata server") || credentials.starts_with(NO_CREDENTIALS) => {
            format!(
                "for the emulator at http://{host}, pass --access-token-file with one of its tokens, or set \
             GCE_METADATA_HOST={host} to take its metadata server's; against Google, {AUTH_HINT}"
            )
        }
        _ => AUTH_HINT.to_string(),
    }
}

/// How the source of no credentials at all starts (src/gcp/auth.rs).
pub(crate) const NO_CREDENTIALS: &str = "no credentials";

/// `HOST:PORT` of a plain-http URL on a loopback address (`127.x`, `localhost`, `[::1]`): an
/// emulator, never Google.
pub(crate) fn plain_loopback_host(url: &str) -> Option<&str> {
    let host = url.trim().strip_prefix("http://").map(|rest| rest.split('/').next().unwrap_or(rest))?;
    let name = host.rsplit_once(':').map_or(host, |(n, _)| n);
    (name == "localhost" || name == "[::1]" || name.starts_with("127.")).then_some(host)
}

const IMPERSONATION_HINT: &str = "impersonating needs `iam.serviceAccounts.getAccessToken` on the service \
    account (roles/iam.serviceAccountTokenCreator); ask for it, or drop --impersonate-service-account";

fn by_status(status: u16, message: String, retry_after: Option<Duration>, cx: &Context<'_>) -> Error {
    let resource = cx.resource.to_string();
    let message = if message.is_empty() { format!("HTTP {status}") } else { message };
    match status {
        401 => Error::Auth {
            message: format!(
                "Google refused the credentials for {} on `{resource}`: {message}",
                cx.call.verb()
            ),
            hint: Some(auth_hint(cx.endpoint, cx.credentials)),
        },
        403 => Error::PermissionDenied { permission: Some(cx.call.permission(cx.kind)), resource, message },
        409 | 412 => Error::Conflict { resource, message },
        // Google's 404 for the resource itself (Secret Manager, IAM, KMS, Run and Storage answer
        // it; Resource Manager answers 403): it does not exist, which no permission would change,
        // so the message says so with its name and Google's words (issue 18 item 1).
        404 if matches!(
            cx.call,
            Call::GetIamPolicy | Call::SetIamPolicy | Call::GetBucket | Call::QueryGrantableRoles
        ) =>
        {
            let noun = super::kinds::row(cx.kind).noun;
            Error::Api { resource, status: Some(404), message: format!("no such {noun}: {message}") }
        }
        429 | 500..=599 => Error::Unavailable { resource, status, message, retry_after },
        _ => Error::Api { resource, status: Some(status), message },
    }
}

/// An error answer that is not Google's JSON: an HTML 404 from a wrong endpoint, a proxy's page, a
/// body cut short.
fn not_google_json(
    headers: &http::HeaderMap,
    status: u16,
    retry_after: Option<Duration>,
    cx: &Context<'_>,
) -> Error {
    let resource = cx.resource.to_string();
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("no content type")
        .to_string();
    let what =
        if content_type.contains("html") { "an HTML page" } else { "a body that is not Google's JSON" };
    let message = format!(
        "`{}` answered {} with {what} ({content_type}); is the endpoint right?",
        cx.endpoint,
        cx.call.verb()
    );
    match status {
        429 | 500..=599 => Error::Unavailable { resource, status, message, retry_after },
        403 => Error::PermissionDenied { permission: Some(cx.call.permission(cx.kind)), resource, message },
        _ => Error::Api { resource, status: Some(status), message },
    }
}

/// `Retry-After`: delay-seconds or an HTTP date (RFC 9110 §10.2.3).
pub(crate) fn parse_retry_after(v: &http::HeaderValue) -> Option<Duration> {
    let s = v.to_str().ok()?.trim();
    if let Ok(secs) = s.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(s).ok()?;
    let delta = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

/// The error and its sources, one line.
pub(crate) fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(src) = cur {
        let part = src.to_string();
        if !s.contains(&part) {
            s.push_str(": ");
            s.push_str(&part);
        }
        cur = src.source();
    }
    s.replace('\n', " ")
}

/// The innermost error of the chain, without google-cloud-auth's "but future attempts may succeed": what
/// actually went wrong (a missing file, a refused connection, an HTTP status).
pub(crate) fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut last = e;
    while let Some(src) = last.source() {
        last = src;
    }
    let text = last.to_string();
    let text = text
        .trim_end_matches("but future attempts may succeed")
        .trim_end_matches("and future attempts will not succeed")
        .trim_end();
    text.replace('\n', " ")
}

/// Removes anything that looks like a credential from a message we did not write (a server's
/// message, a library's error): design §4.7 holds even when a server echoes a token back.
pub(crate) fn redact(s: &str) -> String {
    let mut out = s.to_string();
    for key in ["access_token=", "refresh_token=", "id_token=", "assertion="] {
        let mut from = 0;
        while let Some(i) = out[from..].find(key) {
            let start = from + i + key.len();
            let end = out[start..].find(['&', ' ', '"', '\'', ')', ',']).map_or(out.len(), |j| start + j);
            out.replace_range(start..end, "[redacted]");
            from = start + "[redacted]".len();
        }
    }
    let lower = out.to_ascii_lowercase();
    if let Some(i) = lower.find("bearer ") {
        let start = i + "bearer ".len();
        let end = out[start..].find([' ', '"', '\'', ',']).map_or(out.len(), |j| start + j);
        out.replace_range(start..end, "[redacted]");
    }
    // Google's access tokens start with `ya29.`, its refresh tokens with `1//`.
    for prefix in ["ya29.", "1//"] {
        let mut from = 0;
        while let Some(i) = out[from..].find(prefix) {
            let start = from + i;
            let end = out[start..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || "._-/".contains(c)))
                .map_or(out.len(), |j| start + j);
            out.replace_range(start..end, "[redacted]");
            from = start + "[redacted]".len();
        }
    }
    let out = redact_userinfo(&out);
    if out.contains("PRIVATE KEY") {
        return "[message withheld: it contained key material]".to_string();
    }
    out
}

/// Every URL in `s` with its userinfo (`user:password@`) replaced by `[redacted]@`: an endpoint
/// such as `http://user:pass@proxy/` is shown wherever it is named, in `--verbose` lines and
/// errors, and its password must not be.
pub fn redact_userinfo(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("://") {
        let authority_start = i + 3;
        out.push_str(&rest[..authority_start]);
        rest = &rest[authority_start..];
        // RFC 3986 §3.2: the authority ends at the first `/`, `?` or `#`; userinfo is what comes
        // before its last `@`. Whitespace and quotes end it too, for a URL inside a sentence.
        let end = rest.find(['/', '?', '#', ' ', '`', '"', '\'', '\n']).unwrap_or(rest.len());
        if let Some(at) = rest[..end].rfind('@') {
            out.push_str("[redacted]");
            rest = &rest[at..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_auth_hint_names_a_local_emulator_only() {
        let meta = "the metadata server (there is no --access-token-file, …)";
        assert!(auth_hint("http://127.0.0.1:8085", meta).starts_with(
            "for the emulator at http://127.0.0.1:8085, pass --access-token-file with one of its tokens, or set \
             GCE_METADATA_HOST=127.0.0.1:8085 to take its metadata server's; against Google, run"
        ));
        assert!(
            auth_hint("http://localhost:1/oauth2/v3/tokeninfo", meta)
                .contains("GCE_METADATA_HOST=localhost:1 ")
        );
        for (url, credentials) in [
            ("https://cloudresourcemanager.googleapis.com", meta),
            ("http://10.0.0.9:8085", meta),
            ("http://user:pw@127.0.0.1:8085", meta),
            ("http://127.0.0.1:8085", "the access token in `t`"),
        ] {
            assert_eq!(auth_hint(url, credentials), AUTH_HINT, "{url} {credentials}");
        }
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        assert_eq!(parse_retry_after(&http::HeaderValue::from_static("7")), Some(Duration::from_secs(7)));
        let past = http::HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT");
        assert_eq!(parse_retry_after(&past), Some(Duration::ZERO));
        assert_eq!(parse_retry_after(&http::HeaderValue::from_static("soon")), None);
    }

    #[test]
    fn redaction() {
        assert_eq!(
            redact("GET https://x/tokeninfo?access_token=ya29.secret&x=1 failed"),
            "GET https://x/tokeninfo?access_token=[redacted]&x=1 failed"
        );
        assert_eq!(redact("header Bearer ya29.secret, oops"), "header Bearer [redacted], oops");
        assert!(!redact("-----BEGIN PRIVATE KEY-----abc").contains("abc"));
        assert_eq!(redact("token ya29.a0-b_c.d expired"), "token [redacted] expired");
        assert_eq!(redact("refresh 1//0g-abc"), "refresh [redacted]");
    }

    #[test]
    fn userinfo_in_urls_is_redacted() {
        let cases = [
            ("http://user:pa55@127.0.0.1:8085/", "http://[redacted]@127.0.0.1:8085/"),
            ("https://tok@h/v3/x?a=b@c", "https://[redacted]@h/v3/x?a=b@c"),
            ("`http://a:b@h:1` did not answer", "`http://[redacted]@h:1` did not answer"),
            ("http://h:1/p@q and ftp://u@x", "http://h:1/p@q and ftp://[redacted]@x"),
            ("http://a@b@h/", "http://[redacted]@h/"),
            ("no url here: a@b", "no url here: a@b"),
            ("http://h", "http://h"),
            ("://@", "://[redacted]@"),
        ];
        for (input, want) in cases {
            assert_eq!(redact_userinfo(input), want, "{input}");
        }
        assert_eq!(redact("cannot reach http://u:secret@h/x"), "cannot reach http://[redacted]@h/x");
    }

    #[test]
    fn permissions_per_call() {
        assert_eq!(Call::SetIamPolicy.permission(Kind::Project), "resourcemanager.projects.setIamPolicy");
        assert_eq!(Call::GetIamPolicy.permission(Kind::Folder), "resourcemanager.folders.getIamPolicy");
        assert_eq!(Call::ListProjects.permission(Kind::Folder), "resourcemanager.projects.list");
        assert_eq!(Call::SetIamPolicy.permission(Kind::Bucket), "storage.buckets.setIamPolicy");
        assert_eq!(Call::GetIamPolicy.permission(Kind::Secret), "secretmanager.secrets.getIamPolicy");
        assert_eq!(Call::SetIamPolicy.permission(Kind::RunService), "run.services.setIamPolicy");
    }

    #[test]
    fn a_404_names_what_does_not_exist_and_no_permission() {
        let cx = Context {
            resource: "projects/p/secrets/s",
            kind: Kind::Secret,
            call: Call::GetIamPolicy,
            endpoint: "http://127.0.0.1:1",
            credentials: "a token",
        };
        let body = br#"{"error": {"code": 404, "message": "Secret [projects/1/secrets/s] not found.", "status": "NOT_FOUND"}}"#;
        let e = from_answer(404, &http::HeaderMap::new(), body, &cx);
        assert_eq!(
            e.to_string(),
            "`projects/p/secrets/s`: HTTP 404: no such secret: Secret [projects/1/secrets/s] not found."
        );
        assert_eq!(e.hint(), None);
        assert_eq!(e.exit_code(), 1);
    }
}
