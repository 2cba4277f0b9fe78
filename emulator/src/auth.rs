//! Identity: which principal a bearer token stands for, service-account keys, and the self-signed
//! JWTs Google's Rust SDK sends in place of an access token (AIP-4111,
//! <https://google.aip.dev/auth/4111>).
//!
//! What the SDK signs (google-cloud-auth 1.18, `credentials/service_account.rs`): header
//! `{"alg":"RS256","typ":"JWT","kid":<private_key_id>}`, claims `iss` = `sub` = `client_email`,
//! `scope` (default `https://www.googleapis.com/auth/cloud-platform`) or `aud`, `iat` = now − 10 s,
//! `exp` = iat + 1 h (+ skew); signed RS256 with the key file's PKCS#8 key. Its clock is the wall
//! clock, so JWTs and access tokens expire on the wall clock, never on the emulator's (movable)
//! clock that conditions are evaluated at.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use rsa::pkcs1::EncodeRsaPublicKey;
use rsa::pkcs8::{DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use serde_json::{Value, json};

use crate::state::{ServiceAccountKey, Store};

/// Seconds a JWT's `iat` may be in the future (clock skew), as Google tolerates a few minutes.
const SKEW_SECONDS: i64 = 300;

/// Why a token was refused (never shown to API callers, who get Google's generic 401).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

/// Resolves a bearer token: a known access token, or a self-signed JWT of a known key.
pub fn principal_of(store: &Store, token: &str, wall: DateTime<Utc>) -> Result<String, Refused> {
    if let Some(t) = store.token_principal(token, wall) {
        return Ok(t.principal.clone());
    }
    if token.split('.').count() == 3 {
        return verify_jwt(store, token, wall).map(|email| format!("serviceAccount:{email}"));
    }
    Err(Refused("unknown or expired access token".into()))
}

/// Verifies an RS256 JWT signed by a registered service-account key; returns the account's email.
/// Checks: `alg`, a known `kid`, the signature, `iss` (and `sub` when present) equal to the key's
/// account, `exp` not passed and `iat` not in the future (wall clock, with skew).
pub fn verify_jwt(store: &Store, jwt: &str, wall: DateTime<Utc>) -> Result<String, Refused> {
    let refused = |m: &str| Refused(m.to_string());
    let mut parts = jwt.split('.');
    let (Some(h), Some(c), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(refused("not a JWT"));
    };
    let header: Value = decode_segment(h).ok_or_else(|| refused("bad JWT header"))?;
    let claims: Value = decode_segment(c).ok_or_else(|| refused("bad JWT claims"))?;
    if header["alg"] != "RS256" {
        return Err(refused("JWT alg is not RS256"));
    }
    let kid = header["kid"].as_str().ok_or_else(|| refused("JWT has no kid"))?;
    let (sa, key) = store.service_account_key(kid).ok_or_else(|| refused("unknown key id"))?;
    let signature = URL_SAFE_NO_PAD.decode(s).map_err(|_| refused("bad JWT signature encoding"))?;
    let public =
        rsa::RsaPublicKey::from_public_key_pem(&key.public_key_pem).map_err(|_| refused("bad stored key"))?;
    let der = public.to_pkcs1_der().map_err(|_| refused("bad stored key"))?;
    let verifier =
        ring::signature::UnparsedPublicKey::new(&ring::signature::RSA_PKCS1_2048_8192_SHA256, der.as_bytes());
    verifier
        .verify(format!("{h}.{c}").as_bytes(), &signature)
        .map_err(|_| refused("invalid JWT signature"))?;
    if claims["iss"].as_str() != Some(sa.email.as_str()) {
        return Err(refused("JWT iss is not the key's service account"));
    }
    if let Some(sub) = claims["sub"].as_str()
        && sub != sa.email
    {
        return Err(refused("JWT sub is not the key's service account"));
    }
    let now = wall.timestamp();
    let exp = claims["exp"].as_i64().ok_or_else(|| refused("JWT has no exp"))?;
    let iat = claims["iat"].as_i64().ok_or_else(|| refused("JWT has no iat"))?;
    if exp <= now {
        return Err(refused("JWT expired"));
    }
    if iat > now + SKEW_SECONDS || exp <= iat {
        return Err(refused("JWT iat is in the future or after exp"));
    }
    if claims.get("aud").is_none() && claims.get("scope").is_none() {
        return Err(refused("JWT has neither aud nor scope"));
    }
    Ok(sa.email.clone())
}

fn decode_segment(s: &str) -> Option<Value> {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok()?).ok()
}

/// rand 0.9's generator behind the rand_core 0.6 traits that `rsa` 0.9 takes.
struct Rng;

impl rsa::rand_core::RngCore for Rng {
    fn next_u32(&mut self) -> u32 {
        rand::random()
    }

    fn next_u64(&mut self) -> u64 {
        rand::random()
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        rand::fill(dest);
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rsa::rand_core::Error> {
        rand::fill(dest);
        Ok(())
    }
}

impl rsa::rand_core::CryptoRng for Rng {}

/// A new service-account key: the JSON key file (as `gcloud iam service-accounts keys create`
/// writes it, with `token_uri` pointing at the emulator) and the public half the emulator keeps.
pub fn new_key(email: &str, token_uri: &str) -> crate::Result<(Value, ServiceAccountKey)> {
    let private = rsa::RsaPrivateKey::new(&mut Rng, 2048)
        .map_err(|e| crate::Error::io(format!("RSA key generation failed: {e}")))?;
    let pem = private
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| crate::Error::io(format!("cannot encode the key: {e}")))?;
    let public_pem = private
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| crate::Error::io(format!("cannot encode the key: {e}")))?;
    let key_id = hex::encode(rand::random::<[u8; 20]>());
    let project_id = email
        .split_once('@')
        .and_then(|(_, d)| d.strip_suffix(".iam.gserviceaccount.com"))
        .unwrap_or("jit-demo-prod");
    let client_id: u128 = rand::random::<u64>() as u128 * 1000 + 100_000_000_000_000_000_000;
    let file = json!({
        "type": "service_account",
        "project_id": project_id,
        "private_key_id": key_id,
        "private_key": pem.as_str(),
        "client_email": email,
        "client_id": client_id.to_string(),
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": format!("https://www.googleapis.com/robot/v1/metadata/x509/{}", email.replace('@', "%40")),
        "universe_domain": "googleapis.com"
    });
    Ok((file, ServiceAccountKey { key_id, public_key_pem: public_pem }))
}

/// The email of a principal (`user:a@b` → `a@b`).
pub fn email_of(principal: &str) -> &str {
    principal.split_once(':').map(|(_, e)| e).unwrap_or(principal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{Data, demo_seed};
    use rsa::pkcs1v15::SigningKey;
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::signature::{SignatureEncoding, Signer};

    fn sign(pem: &str, header: &Value, claims: &Value) -> String {
        let key = rsa::RsaPrivateKey::from_pkcs8_pem(pem).unwrap();
        let signer = SigningKey::<sha2::Sha256>::new(key);
        let h = URL_SAFE_NO_PAD.encode(header.to_string());
        let c = URL_SAFE_NO_PAD.encode(claims.to_string());
        let sig = signer.sign(format!("{h}.{c}").as_bytes());
        format!("{h}.{c}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
    }

    #[test]
    fn self_signed_jwts_verify_against_the_registered_key() {
        let email = "jit-cleanup@jit-demo-prod.iam.gserviceaccount.com";
        let (file, key) = new_key(email, "http://127.0.0.1:1/token").unwrap();
        let mut store = Store::new(demo_seed());
        store.add_service_account_key(email, key.clone());
        let pem = file["private_key"].as_str().unwrap();
        let now = Utc::now();
        let header = json!({"alg": "RS256", "typ": "JWT", "kid": key.key_id});
        let claims = json!({"iss": email, "sub": email, "scope": "https://www.googleapis.com/auth/cloud-platform",
                            "iat": now.timestamp() - 10, "exp": now.timestamp() + 3600});
        let jwt = sign(pem, &header, &claims);
        assert_eq!(principal_of(&store, &jwt, now).unwrap(), format!("serviceAccount:{email}"));
        // Expired on the wall clock.
        assert!(verify_jwt(&store, &jwt, now + chrono::Duration::hours(2)).is_err());
        // Another issuer.
        let mut forged = claims.clone();
        forged["iss"] = json!("evil@example.iam.gserviceaccount.com");
        assert!(verify_jwt(&store, &sign(pem, &header, &forged), now).is_err());
        // Tampered claims.
        let parts: Vec<&str> = jwt.split('.').collect();
        let tampered = format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(forged.to_string()), parts[2]);
        assert!(verify_jwt(&store, &tampered, now).is_err());
        // Unknown key.
        let empty = Store::new(Data::default());
        assert!(verify_jwt(&empty, &jwt, now).is_err());
    }
}
