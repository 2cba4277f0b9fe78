//! Google's wire format: the error JSON every Google API answers with, the HTML 404 of Google's front
//! end, and the `enum-encoding=int` rendering the Rust SDK asks for. Handlers return values; this
//! module turns them into HTTP responses.

use axum::body::Body;
use axum::http::{HeaderValue, Response, StatusCode, header};
use serde_json::{Value, json};

use crate::state::{CONCURRENT_CHANGES, Kind, StoreError};

/// Which API generation a request came through: v1/v2 (the "apiary" surface gcloud uses) add an
/// `errors[]` array to error bodies, v3 does not.
/// Seen in <https://github.com/DataBiosphere/leonardo/pull/737> (v1: `errors[]` with
/// `domain: global`, `reason: aborted`) and in the v3 error bodies of Google's client libraries.
///
/// Cloud Storage's JSON API is a surface of its own: `errors[]` but no `status`, e.g.
/// `{"error": {"code": 400, "message": "Cannot insert legacy ACL for an object when uniform
/// bucket-level access is enabled. …", "errors": [{"message": …, "domain": "global", "reason":
/// "invalid"}]}}` (<https://github.com/Superbalist/flysystem-google-cloud-storage/issues/118>).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    V1,
    V3,
    Storage,
}

/// An API error in Google's shape.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: u16,
    pub status: &'static str,
    pub message: String,
    /// `errors[].reason` of the v1/v2 surface.
    pub reason: &'static str,
    pub details: Vec<Value>,
    /// `Retry-After` seconds.
    pub retry_after: Option<u64>,
    /// Extra `errors[]` fields (`location`, `locationType`).
    pub location: Option<(String, &'static str)>,
    /// Whether the v1/v2 surface adds `errors[]`: Google's front end answers 401s without it, with
    /// an `ErrorInfo` instead (<https://github.com/openforis/sepal/issues/192>).
    pub errors_array: bool,
}

impl ApiError {
    pub fn new(
        code: u16,
        status: &'static str,
        reason: &'static str,
        message: impl Into<String>,
    ) -> ApiError {
        ApiError {
            code,
            status,
            message: message.into(),
            reason,
            details: vec![],
            retry_after: None,
            location: None,
            errors_array: true,
        }
    }

    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "INVALID_ARGUMENT", "badRequest", message)
    }

    /// 409 for a write that lost a race the emulator injected (`conflictNext`, `conflictRate`):
    /// Google's words with no etags, as its older answers read (DataBiosphere/leonardo#737).
    pub fn aborted() -> ApiError {
        ApiError::new(409, "ABORTED", "aborted", CONCURRENT_CHANGES)
    }

    /// 409 for a stale etag, in Google's current words: the request's etag and the current one
    /// follow the sentence, "… with exponential backoff. The request's ETag 'X' did not match the
    /// current policy's ETag 'Y'." (Resource Manager v3's answer in
    /// pulumi/pulumi-google-native#862, 2023).
    pub fn stale_etag(sent: &str, current: &str) -> ApiError {
        ApiError::new(
            409,
            "ABORTED",
            "aborted",
            format!(
                "{CONCURRENT_CHANGES} The request's ETag '{sent}' did not match the current policy's ETag '{current}'."
            ),
        )
    }

    /// 401 with no credentials at all. Google's words and shape (every googleapis.com API), e.g.
    /// <https://github.com/openforis/sepal/issues/192>.
    pub fn missing_credentials() -> ApiError {
        ApiError::unauthenticated(
            "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie \
             or other valid authentication credential. See \
             https://developers.google.com/identity/sign-in/web/devconsole-project.",
            "CREDENTIALS_MISSING",
        )
    }

    /// 401 with a token Google does not accept.
    pub fn invalid_credentials() -> ApiError {
        ApiError::unauthenticated(
            "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other \
             valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
            "ACCESS_TOKEN_TYPE_UNSUPPORTED",
        )
    }

    fn unauthenticated(message: &str, reason: &str) -> ApiError {
        let mut e = ApiError::new(401, "UNAUTHENTICATED", "authError", message);
        e.errors_array = false;
        e.details.push(json!({
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": reason,
            "domain": "googleapis.com",
            "metadata": {"service": "cloudresourcemanager.googleapis.com"}
        }));
        e
    }

    /// A 401 as the service at `host` answers it: its `ErrorInfo` names that service; Storage's
    /// JSON API answers in its own words and shape, "Anonymous caller does not have
    /// storage.buckets.get access to the Google Cloud Storage bucket. …" (reason `required`) with
    /// no token, "Invalid Credentials" (reason `authError`) with a bad one, each with `location:
    /// Authorization`, `locationType: header` (the answers gsutil, gcloud and the client libraries
    /// show for these cases).
    pub(crate) fn for_host(mut self, host: &'static str, method: &str, path: &str) -> ApiError {
        if host == "storage.googleapis.com" {
            let missing = self.details.iter().any(|d| d["reason"] == "CREDENTIALS_MISSING");
            let mut e = if missing {
                let verb = match (method, path.ends_with("/iam"), path.ends_with("/testPermissions")) {
                    (_, _, true) => "get",
                    ("PUT", true, _) => "setIamPolicy",
                    (_, true, _) => "getIamPolicy",
                    _ => "get",
                };
                ApiError::new(
                    401,
                    "UNAUTHENTICATED",
                    "required",
                    format!(
                        "Anonymous caller does not have storage.buckets.{verb} access to the Google Cloud Storage \
                         bucket. Permission 'storage.buckets.{verb}' denied on resource (or it may not exist)."
                    ),
                )
            } else {
                ApiError::new(401, "UNAUTHENTICATED", "authError", "Invalid Credentials")
            };
            e.location = Some(("Authorization".into(), "header"));
            return e;
        }
        for d in &mut self.details {
            if d["@type"] == "type.googleapis.com/google.rpc.ErrorInfo" {
                d["metadata"]["service"] = json!(host);
            }
        }
        self
    }

    pub fn rate_limited(retry_after: u64) -> ApiError {
        let mut e = ApiError::new(
            429,
            "RESOURCE_EXHAUSTED",
            "rateLimitExceeded",
            "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute' of service \
             'cloudresourcemanager.googleapis.com'.",
        );
        e.retry_after = Some(retry_after);
        e
    }

    pub fn unavailable(retry_after: u64) -> ApiError {
        let mut e =
            ApiError::new(503, "UNAVAILABLE", "backendError", "The service is currently unavailable.");
        e.retry_after = Some(retry_after);
        e
    }

    /// 413 for a body over the limit, in Google's words
    /// ("Request payload size exceeds the limit: 10485760 bytes.", see [`super::http::MAX_BODY_BYTES`]).
    pub fn payload_too_large(limit: usize) -> ApiError {
        ApiError::new(
            413,
            "INVALID_ARGUMENT",
            "badRequest",
            format!("Request payload size exceeds the limit: {limit} bytes."),
        )
    }

    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(500, "INTERNAL", "backendError", message)
    }

    /// A store error on a given surface. The 403 message differs: v1/v2 say "The caller does not
    /// have permission" (what gcloud shows after its own "[…] does not have permission to access
    /// projects instance […] (or it may not exist)"), v3 names the permission and the resource,
    /// e.g. `Permission 'resourcemanager.projects.get' denied on resource
    /// '//cloudresourcemanager.googleapis.com/projects/123456789' (or it may not exist).`
    /// (<https://github.com/CrowdStrike/falcon-integration-gateway/pull/98>).
    pub fn from_store(e: StoreError, surface: Surface) -> ApiError {
        match e {
            StoreError::Denied { permission, resource } => {
                let mut err = match surface {
                    Surface::V1 | Surface::Storage => ApiError::new(
                        403,
                        "PERMISSION_DENIED",
                        "forbidden",
                        "The caller does not have permission",
                    ),
                    Surface::V3 => ApiError::new(
                        403,
                        "PERMISSION_DENIED",
                        "forbidden",
                        format!(
                            "Permission '{permission}' denied on resource '//cloudresourcemanager.googleapis.com/{resource}' \
                             (or it may not exist)."
                        ),
                    ),
                };
                if surface == Surface::V3 {
                    err.details.push(json!({
                        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                        "reason": "IAM_PERMISSION_DENIED",
                        "domain": "cloudresourcemanager.googleapis.com",
                        "metadata": {"permission": permission, "resource": resource}
                    }));
                }
                err
            }
            StoreError::Invalid(m) => ApiError::invalid(m),
            StoreError::Aborted { sent, current } => ApiError::stale_etag(&sent, &current),
            StoreError::NotFound(m) => ApiError::new(404, "NOT_FOUND", "notFound", m),
            StoreError::FailedPrecondition(m) => {
                ApiError::new(412, "FAILED_PRECONDITION", "conditionNotMet", m)
            }
        }
    }

    /// A store error from a service below the hierarchy (Secret Manager, IAM, Cloud KMS, Cloud
    /// Run), each 403 in its service's words and shape, as Google's clients show them (the Go
    /// client prints `, REASON` after the message when the body has `errors[]`, and `Details:`
    /// when it has `details`):
    /// - Secret Manager: "Permission 'P' denied for resource 'R' (or it may not exist)." with
    ///   neither `errors[]` nor `details` (terraform-gcp-datadog-integration#2, 2025;
    ///   k8s-config-connector#711).
    /// - IAM service accounts: "Permission P is required to perform this operation on service
    ///   account R." with `errors[{reason: forbidden}]`, no `details` (opstrace#142's body;
    ///   terraform-provider-google#11068, 2022).
    /// - Cloud KMS: "Permission 'P' denied on resource 'R' (or it may not exist)." with
    ///   `errors[{reason: forbidden}]` (terraform-google-kms#51).
    /// - Cloud Run: "Permission 'P' denied on resource 'R' (or resource may not exist)." (gcloud's
    ///   output in google-github-actions/deploy-cloudrun#182); v1 with `errors[{reason:
    ///   forbidden}]` (a v1 body in google/keyword_factory#22), v2 without; both with an
    ///   `ErrorInfo` naming `run.googleapis.com` (assumed, as other services' `ErrorInfo`, e.g.
    ///   Artifact Registry's in 2i2c-org/infrastructure#488).
    ///
    /// `path` is the request's path: it tells Run's v1 from its v2.
    pub fn from_service_store(e: StoreError, kind: Kind, path: &str) -> ApiError {
        let StoreError::Denied { permission, resource } = e else {
            let mut err = ApiError::from_store(e, Surface::V3);
            err.errors_array = false;
            return err;
        };
        let forbidden = |message: String| ApiError::new(403, "PERMISSION_DENIED", "forbidden", message);
        match kind {
            Kind::Secret => {
                let mut err = forbidden(format!(
                    "Permission '{permission}' denied for resource '{resource}' (or it may not exist)."
                ));
                err.errors_array = false;
                err
            }
            Kind::ServiceAccount => forbidden(format!(
                "Permission {permission} is required to perform this operation on service account {resource}."
            )),
            Kind::RunService => {
                let mut err = forbidden(format!(
                    "Permission '{permission}' denied on resource '{resource}' (or resource may not exist)."
                ));
                err.errors_array = !path.starts_with("/v2/");
                err.details.push(json!({
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "IAM_PERMISSION_DENIED",
                    "domain": service_host(kind),
                    "metadata": {"permission": permission, "resource": resource}
                }));
                err
            }
            _ => forbidden(format!(
                "Permission '{permission}' denied on resource '{resource}' (or it may not exist)."
            )),
        }
    }

    /// The 403 of a call whose resource IAM itself checks and does not name: IAM Credentials'
    /// `generateAccessToken`, IAM's custom roles, Logging's `entries.list`. "Permission 'P' denied
    /// on resource (or it may not exist)." with an `ErrorInfo` `IAM_PERMISSION_DENIED` of domain
    /// `iam.googleapis.com` naming only the permission, and no `errors[]`: seen for
    /// `iam.serviceAccounts.getAccessToken` (DataDog/stratus-red-team#299, 2023) and for
    /// `logging.logEntries.create` (kubeflow/pipelines#12591, 2025; `logging.views.access` in
    /// apache/airflow#25812).
    pub fn iam_denied(permission: &str) -> ApiError {
        let mut err = ApiError::new(
            403,
            "PERMISSION_DENIED",
            "forbidden",
            format!("Permission '{permission}' denied on resource (or it may not exist)."),
        );
        err.errors_array = false;
        err.details.push(json!({
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "IAM_PERMISSION_DENIED",
            "domain": "iam.googleapis.com",
            "metadata": {"permission": permission}
        }));
        err
    }

    /// `{"error": {"code", "message", "errors"?, "status", "details"?}}`.
    pub fn body(&self, surface: Surface) -> Value {
        let mut error = serde_json::Map::new();
        error.insert("code".into(), json!(self.code));
        error.insert("message".into(), json!(self.message));
        if surface != Surface::V3 && self.errors_array {
            let mut item = json!({"message": self.message, "domain": "global", "reason": self.reason});
            if let Some((location, kind)) = &self.location {
                item["location"] = json!(location);
                item["locationType"] = json!(kind);
            }
            error.insert("errors".into(), json!([item]));
        }
        if surface != Surface::Storage {
            error.insert("status".into(), json!(self.status));
        }
        if !self.details.is_empty() {
            error.insert("details".into(), Value::Array(self.details.clone()));
        }
        json!({ "error": error })
    }

    pub fn response(&self, surface: Surface) -> Response<Body> {
        let mut r = json_response(self.code, &self.body(surface));
        if let Some(s) = self.retry_after {
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        if self.code == 401 {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"https://accounts.google.com/\""),
            );
        }
        r
    }
}

/// A partial response (`fields=bindings,etag`): only the named top-level fields of an object
/// (<https://cloud.google.com/storage/docs/json_api#partial-response>; every Google API honours
/// the standard `fields` parameter). A field's sub-selection (`a/b`, `a(b,c)`) keeps all of `a`.
pub fn partial(body: Value, fields: &str) -> Value {
    let Value::Object(m) = body else { return body };
    let mut wanted = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in fields.char_indices().chain(std::iter::once((fields.len(), ','))) {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                let f = fields[start..i].trim();
                let top = f.split(['/', '(']).next().unwrap_or_default().trim();
                if !top.is_empty() {
                    wanted.push(top.to_string());
                }
                start = i + 1;
            }
            _ => {}
        }
    }
    Value::Object(m.into_iter().filter(|(k, _)| wanted.contains(k)).collect())
}

/// The host of the API a path belongs to, by the emulator's routes: Storage, Logging, Cloud
/// Asset, IAM Credentials, IAM (roles, service accounts), Secret Manager, Cloud KMS, Cloud Run, and
/// Resource Manager for the rest.
pub fn host_of_path(path: &str) -> &'static str {
    if path.starts_with("/storage/") {
        return "storage.googleapis.com";
    }
    if path.starts_with("/v2/entries") {
        return "logging.googleapis.com";
    }
    if path.ends_with(":searchAllIamPolicies") {
        return "cloudasset.googleapis.com";
    }
    if path.ends_with(":generateAccessToken") {
        return "iamcredentials.googleapis.com";
    }
    let s: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match s.as_slice() {
        [_, "roles", ..] | [_, _, _, "roles", ..] => "iam.googleapis.com",
        [_, "projects", _, "serviceAccounts", ..] => "iam.googleapis.com",
        [_, "projects", _, "secrets", ..] => "secretmanager.googleapis.com",
        [_, "projects", _, "locations", _, "keyRings", ..] => "cloudkms.googleapis.com",
        [_, "projects", _, "locations", _, "services", ..] => "run.googleapis.com",
        _ => "cloudresourcemanager.googleapis.com",
    }
}

/// A request body that is not JSON: 400 in one shape per service. Google's front end (every API
/// but Storage) answers "Invalid JSON payload received. Unexpected token." followed by the line
/// and a caret under the column, with a `google.rpc.BadRequest` (the form client libraries show,
/// e.g. googleapis/google-api-python-client#1157); Storage answers "Parse Error", reason
/// `parseError` (its JSON API's answer to a body it cannot read).
pub fn malformed_json(path: &str, body: &[u8], e: &serde_json::Error) -> ApiError {
    if path.starts_with("/storage/") {
        return ApiError::new(400, "INVALID_ARGUMENT", "parseError", "Parse Error");
    }
    let text = String::from_utf8_lossy(body);
    let line = text.lines().nth(e.line().saturating_sub(1)).unwrap_or_default();
    let column = e.column().saturating_sub(1).min(line.chars().count());
    // At most 60 characters of the line, ending at the error.
    let start = column.saturating_sub(59);
    let shown: String =
        line.chars().skip(start).take(60).map(|c| if c.is_control() { ' ' } else { c }).collect();
    let caret = format!("{}^", " ".repeat(column - start));
    let message = format!("Invalid JSON payload received. Unexpected token.\n{shown}\n{caret}");
    let mut err = ApiError::invalid(message.clone());
    err.details.push(json!({
        "@type": "type.googleapis.com/google.rpc.BadRequest",
        "fieldViolations": [{"description": message}]
    }));
    err
}

/// The API host of a kind's service (`secretmanager.googleapis.com`).
pub fn service_host(kind: Kind) -> &'static str {
    match kind {
        Kind::Organization | Kind::Folder | Kind::Project => "cloudresourcemanager.googleapis.com",
        Kind::Bucket => "storage.googleapis.com",
        Kind::Secret => "secretmanager.googleapis.com",
        Kind::ServiceAccount => "iam.googleapis.com",
        Kind::KeyRing | Kind::CryptoKey => "cloudkms.googleapis.com",
        Kind::RunService => "run.googleapis.com",
    }
}

/// A JSON response as Google's front end sends it (`application/json; charset=UTF-8`, pretty
/// printed with two spaces, as `?prettyPrint` defaults to true).
pub fn json_response(code: u16, body: &Value) -> Response<Body> {
    json_response_of(code, body)
}

/// [`json_response`] of anything that serialises as JSON.
pub fn json_response_of<T: serde::Serialize + ?Sized>(code: u16, body: &T) -> Response<Body> {
    json_response_printed(code, body, true)
}

/// A JSON response, pretty printed or not: Google's APIs take the system parameter
/// `prettyPrint=false` for compact JSON ("Returns response with indentations and line breaks",
/// default true; `parameters.prettyPrint` of every discovery document, e.g.
/// logging/v2/logging-api.json).
pub fn json_response_printed<T: serde::Serialize + ?Sized>(
    code: u16,
    body: &T,
    pretty: bool,
) -> Response<Body> {
    let text = if pretty {
        serde_json::to_string_pretty(body).expect("JSON values serialise")
    } else {
        serde_json::to_string(body).expect("JSON values serialise")
    };
    json_text_response(code, text)
}

/// A JSON answer of `text`, already serialised, with Google's headers.
pub fn json_text_response(code: u16, mut text: String) -> Response<Body> {
    text.push('\n');
    Response::builder()
        .status(StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header(header::CONTENT_TYPE, "application/json; charset=UTF-8")
        .header(header::VARY, "Origin, X-Origin, Referer")
        .body(Body::from(text))
        .expect("a valid response")
}

/// The HTML page Google's front end answers for a path no API serves.
pub fn html_404(path: &str) -> Response<Body> {
    let escaped = path.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let page = format!(
        "<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n  <meta name=viewport content=\"initial-scale=1, \
         minimum-scale=1, width=device-width\">\n  <title>Error 404 (Not Found)!!1</title>\n  <a \
         href=//www.google.com/><span id=logo aria-label=Google></span></a>\n  <p><b>404.</b> <ins>That’s an \
         error.</ins>\n  <p>The requested URL <code>{escaped}</code> was not found on this server.  <ins>That’s all \
         we know.</ins>\n"
    );
    Response::builder()
        .status(StatusCode::NOT_FOUND)
        .header(header::CONTENT_TYPE, "text/html; charset=UTF-8")
        .body(Body::from(page))
        .expect("a valid response")
}

/// True when the query asks for enum values as numbers: the Rust SDK sends
/// `$alt=json;enum-encoding=int` (see google-cloud-resourcemanager-v3's transport.rs).
pub fn wants_int_enums(query: &str) -> bool {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .unwrap_or_default()
        .iter()
        .any(|(k, v)| (k == "$alt" || k == "alt") && v.split(';').any(|p| p.trim() == "enum-encoding=int"))
}

/// `State` of v3 projects, folders and organizations (google.cloud.resourcemanager.v3).
pub fn state_enum(name: &str, int: bool) -> Value {
    if !int {
        return json!(name);
    }
    json!(match name {
        "ACTIVE" => 1,
        "DELETE_REQUESTED" => 2,
        _ => 0,
    })
}

/// `AuditLogConfig.LogType` (google.iam.v1): numbers for `enum-encoding=int`, names otherwise.
pub fn policy_enums(policy: &mut Value, int: bool) {
    if !int {
        return;
    }
    let Some(configs) = policy.get_mut("auditConfigs").and_then(Value::as_array_mut) else { return };
    for c in configs {
        let Some(logs) = c.get_mut("auditLogConfigs").and_then(Value::as_array_mut) else { continue };
        for l in logs {
            if let Some(name) = l.get("logType").and_then(Value::as_str) {
                let n = match name {
                    "ADMIN_READ" => 1,
                    "DATA_WRITE" => 2,
                    "DATA_READ" => 3,
                    _ => 0,
                };
                l["logType"] = json!(n);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflicts_carry_googles_message_and_shape() {
        let v1 = ApiError::aborted().body(Surface::V1);
        assert_eq!(v1["error"]["code"], 409);
        assert_eq!(v1["error"]["status"], "ABORTED");
        assert_eq!(v1["error"]["errors"][0]["reason"], "aborted");
        assert_eq!(v1["error"]["errors"][0]["domain"], "global");
        assert_eq!(v1["error"]["message"], CONCURRENT_CHANGES);
        let v3 = ApiError::aborted().body(Surface::V3);
        assert!(v3["error"].get("errors").is_none());
    }

    #[test]
    fn denied_on_v3_names_the_permission_and_may_not_exist() {
        let e = ApiError::from_store(
            StoreError::Denied {
                permission: "resourcemanager.projects.get".into(),
                resource: "projects/x".into(),
            },
            Surface::V3,
        );
        assert_eq!(
            e.message,
            "Permission 'resourcemanager.projects.get' denied on resource \
             '//cloudresourcemanager.googleapis.com/projects/x' (or it may not exist)."
        );
        assert_eq!(e.body(Surface::V3)["error"]["details"][0]["reason"], "IAM_PERMISSION_DENIED");
    }

    #[test]
    fn a_partial_response_keeps_the_named_top_level_fields() {
        let p = json!({"kind": "storage#policy", "resourceId": "r", "version": 1, "etag": "CAE=", "bindings": []});
        assert_eq!(partial(p.clone(), "bindings,etag"), json!({"etag": "CAE=", "bindings": []}));
        assert_eq!(
            partial(p.clone(), " etag , bindings(role,members)"),
            json!({"etag": "CAE=", "bindings": []})
        );
        assert_eq!(partial(p.clone(), "bindings/role"), json!({"bindings": []}));
        assert_eq!(partial(p, ""), json!({}));
        assert_eq!(partial(json!([1]), "a"), json!([1]));
    }

    #[test]
    fn each_service_words_its_403_in_its_own_shape() {
        let denied = |kind, path| {
            ApiError::from_service_store(
                StoreError::Denied { permission: "p.q.r".into(), resource: "projects/x/y/z".into() },
                kind,
                path,
            )
            .body(Surface::V1)["error"]
                .clone()
        };
        let kms = denied(Kind::CryptoKey, "/v1/projects/x");
        assert_eq!(
            kms["message"],
            "Permission 'p.q.r' denied on resource 'projects/x/y/z' (or it may not exist)."
        );
        assert_eq!(kms["errors"][0]["reason"], "forbidden");
        assert!(kms.get("details").is_none(), "{kms}");
        let secret = denied(Kind::Secret, "/v1/projects/x");
        assert_eq!(
            secret,
            json!({"code": 403, "status": "PERMISSION_DENIED",
                   "message": "Permission 'p.q.r' denied for resource 'projects/x/y/z' (or it may not exist)."})
        );
        let sa = denied(Kind::ServiceAccount, "/v1/projects/x");
        assert_eq!(
            sa["message"],
            "Permission p.q.r is required to perform this operation on service account projects/x/y/z."
        );
        assert_eq!(sa["errors"][0]["reason"], "forbidden");
        let run1 = denied(Kind::RunService, "/v1/projects/x");
        let run2 = denied(Kind::RunService, "/v2/projects/x");
        assert_eq!(
            run1["message"],
            "Permission 'p.q.r' denied on resource 'projects/x/y/z' (or resource may not exist)."
        );
        assert_eq!(run1["errors"][0]["reason"], "forbidden");
        assert!(run2.get("errors").is_none(), "{run2}");
        assert_eq!(run2["details"][0]["domain"], "run.googleapis.com");
        let iam = ApiError::iam_denied("logging.logEntries.list").body(Surface::V1)["error"].clone();
        assert_eq!(
            iam["message"],
            "Permission 'logging.logEntries.list' denied on resource (or it may not exist)."
        );
        assert!(iam.get("errors").is_none(), "{iam}");
        assert_eq!(iam["details"][0]["domain"], "iam.googleapis.com");
        assert_eq!(iam["details"][0]["metadata"], json!({"permission": "logging.logEntries.list"}));
        let pre = ApiError::from_store(StoreError::FailedPrecondition("m".into()), Surface::V1);
        assert_eq!((pre.code, pre.reason), (412, "conditionNotMet"));
        assert_eq!(
            pre.body(Surface::Storage),
            json!({"error": {"code": 412, "message": "m", "errors": [{"message": "m", "domain": "global", "reason": "conditionNotMet"}]}})
        );
    }

    #[test]
    fn a_stale_etag_names_both_etags() {
        let e = ApiError::from_store(
            StoreError::Aborted { sent: "BwX=".into(), current: "BwY=".into() },
            Surface::V3,
        );
        assert_eq!(e.code, 409);
        assert_eq!(
            e.message,
            format!(
                "{CONCURRENT_CHANGES} The request's ETag 'BwX=' did not match the current policy's ETag 'BwY='."
            )
        );
    }

    #[test]
    fn enum_encoding() {
        assert!(wants_int_enums("%24alt=json%3Benum-encoding%3Dint"));
        assert!(wants_int_enums("$alt=json;enum-encoding=int"));
        assert!(!wants_int_enums("alt=json"));
        assert_eq!(state_enum("ACTIVE", true), json!(1));
        let mut p = json!({"auditConfigs": [{"service": "allServices", "auditLogConfigs": [{"logType": "DATA_READ"}]}]});
        policy_enums(&mut p, true);
        assert_eq!(p["auditConfigs"][0]["auditLogConfigs"][0]["logType"], 3);
    }
}
