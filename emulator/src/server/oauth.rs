//! The OAuth routes credentials need (`/token`, tokeninfo) and the metadata server's
//! (`GCE_METADATA_HOST=127.0.0.1:PORT`).

use axum::body::Body;
use axum::http::{Response, header};
use chrono::Utc;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::wire::{self, ApiError};
use super::{Req, Routed, Shared, lock, ok};
use crate::auth;

/// OAuth 2.0 errors as Google's token endpoint sends them.
pub(crate) fn oauth_error(code: u16, error: &str, description: &str) -> Result<Routed, ApiError> {
    Ok(Routed::Json(code, json!({"error": error, "error_description": description})))
}

/// `POST /token`: the refresh_token grant (gcloud's `authorized_user` files) and the JWT-bearer
/// grant (service-account keys of clients that do not self-sign).
pub(crate) fn token_endpoint(shared: &Shared, req: &Req) -> Result<Routed, ApiError> {
    let form = req.form();
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let wall = Utc::now();
    let mut store = lock(&shared.store);
    let principal = match get("grant_type").as_deref() {
        Some("refresh_token") => {
            let rt = get("refresh_token").unwrap_or_default();
            match store.data.refresh_tokens.iter().find(|t| t.token == rt) {
                Some(t) => t.principal.clone(),
                None => return oauth_error(400, "invalid_grant", "Token has been expired or revoked."),
            }
        }
        Some("urn:ietf:params:oauth:grant-type:jwt-bearer") => {
            let assertion = get("assertion").unwrap_or_default();
            match auth::verify_jwt(&store, &assertion, wall) {
                Ok(email) => format!("serviceAccount:{email}"),
                Err(_) => return oauth_error(400, "invalid_grant", "Invalid JWT Signature."),
            }
        }
        Some(other) => {
            return oauth_error(400, "unsupported_grant_type", &format!("Invalid grant_type: {other}"));
        }
        None => return oauth_error(400, "unsupported_grant_type", "Invalid grant_type: "),
    };
    let token = store.issue_token(&principal, wall, 3599);
    shared.persist(&store)?;
    ok(json!({
        "access_token": token.token,
        "expires_in": 3599,
        "scope": get("scope").unwrap_or_else(|| "https://www.googleapis.com/auth/cloud-platform".into()),
        "token_type": "Bearer",
    }))
}

/// `GET /oauth2/v3/tokeninfo?access_token=T` (also `/tokeninfo`, v1, and POST with a form): what
/// Google says about a token; jit reads `email` to know who the caller is.
pub(crate) fn tokeninfo(shared: &Shared, req: &Req) -> Result<Routed, ApiError> {
    let form = req.form();
    let token =
        form.iter().find(|(k, _)| k == "access_token").map(|(_, v)| v.clone()).or_else(|| req.bearer());
    let wall = Utc::now();
    let store = lock(&shared.store);
    let Some(token) = token else {
        return oauth_error(
            400,
            "invalid_request",
            "Either access_token, id_token, or token_handle required",
        );
    };
    let (principal, expires) = match store.token_principal(&token, wall) {
        Some(t) => (t.principal.clone(), t.expire_time),
        None => match (auth::verify_jwt(&store, &token, wall), &store.data.metadata_principal) {
            (Ok(email), _) => (format!("serviceAccount:{email}"), None),
            // Under --no-auth every call is allowed, so a token the emulator does not know stands
            // for the identity a client without credentials of its own gets on Google Cloud: the
            // metadata server's (the seed's `metadataPrincipal`). Without that, a client that asks
            // who it is (jit's default --member) could not work against a --no-auth emulator at
            // all. Not Google's behaviour (Google has no such mode): docs/emulator.md says so.
            (Err(_), Some(p)) if shared.no_auth => (p.clone(), None),
            (Err(_), _) => return oauth_error(400, "invalid_token", "Invalid Value"),
        },
    };
    let exp = expires.unwrap_or(wall + chrono::Duration::seconds(3599));
    let email = auth::email_of(&principal).to_string();
    // A stable 21-digit subject id, like Google's.
    let sub = format!(
        "1{:020}",
        u64::from_be_bytes(Sha256::digest(email.as_bytes())[..8].try_into().expect("8 bytes"))
    );
    ok(json!({
        "azp": "32555940559.apps.googleusercontent.com",
        "aud": "32555940559.apps.googleusercontent.com",
        "sub": sub,
        "scope": "https://www.googleapis.com/auth/cloud-platform https://www.googleapis.com/auth/userinfo.email openid",
        "exp": exp.timestamp().to_string(),
        "expires_in": (exp - wall).num_seconds().max(0).to_string(),
        "email": email,
        "email_verified": "true",
        "access_type": "offline",
    }))
}

pub(crate) fn metadata_text(text: &str) -> Response<Body> {
    Response::builder()
        .status(200)
        .header(header::CONTENT_TYPE, "application/text")
        .header("Metadata-Flavor", "Google")
        .body(Body::from(text.to_string()))
        .expect("a valid response")
}

/// The metadata server's routes that credential libraries call, for `GCE_METADATA_HOST`.
pub(crate) fn metadata(shared: &Shared, req: &Req, rest: &[&str]) -> Result<Routed, ApiError> {
    let flavor = req.headers.get("metadata-flavor").and_then(|v| v.to_str().ok()) == Some("Google");
    if !flavor {
        let r = Response::builder()
            .status(403)
            .header(header::CONTENT_TYPE, "text/html; charset=UTF-8")
            .body(Body::from("Missing required header: Metadata-Flavor\n"))
            .expect("a valid response");
        return Ok(Routed::Raw(r));
    }
    let mut store = lock(&shared.store);
    let Some(principal) = store.data.metadata_principal.clone() else {
        return Ok(Routed::Raw(wire::html_404(&req.path)));
    };
    let email = auth::email_of(&principal).to_string();
    match rest {
        ["instance", "service-accounts", "default" | "", "token"] => {
            let token = store.issue_token(&principal, Utc::now(), 3599);
            shared.persist(&store)?;
            Ok(Routed::Raw(json_text(
                json!({"access_token": token.token, "expires_in": 3599, "token_type": "Bearer"}),
            )))
        }
        ["instance", "service-accounts", "default", "email"] => Ok(Routed::Raw(metadata_text(&email))),
        ["instance", "service-accounts", "default", ""] | ["instance", "service-accounts", "default"] => {
            Ok(Routed::Raw(json_text(json!({
                "aliases": ["default"], "email": email, "scopes": ["https://www.googleapis.com/auth/cloud-platform"]
            }))))
        }
        ["universe", "universe-domain"] | ["universe", "universe_domain"] => {
            Ok(Routed::Raw(metadata_text("googleapis.com")))
        }
        ["project", "project-id"] => {
            let project = email
                .split_once('@')
                .and_then(|(_, d)| d.strip_suffix(".iam.gserviceaccount.com"))
                .unwrap_or("jit-demo-prod");
            Ok(Routed::Raw(metadata_text(project)))
        }
        _ => Ok(Routed::Raw(wire::html_404(&req.path))),
    }
}

pub(crate) fn json_text(v: Value) -> Response<Body> {
    let mut r = wire::json_response(200, &v);
    r.headers_mut().insert("Metadata-Flavor", axum::http::HeaderValue::from_static("Google"));
    r
}
