//! Google's Rust SDK (google-cloud-resourcemanager-v3, the client jit uses) against the emulator:
//! the same calls as gcloud's, on the v3 surface with `$alt=json;enum-encoding=int`, with a static
//! token, a service-account key file (self-signed JWT), an authorized-user refresh token and the
//! metadata server.

use google_cloud_auth::credentials::{
    CacheableResource, Credentials, CredentialsProvider, EntityTag, anonymous, mds, service_account,
    user_account,
};
use google_cloud_auth::errors::CredentialsError;
use google_cloud_gax::error::rpc::Code;
use google_cloud_iam_v1::model::{Binding, GetPolicyOptions, Policy};
use google_cloud_resourcemanager_v3::client::{Folders, Organizations, Projects};
use google_cloud_type::model::Expr;
use http::{Extensions, HeaderMap, HeaderValue};
use serde_json::json;

use crate::harness::{self, Emulator};

#[derive(Debug)]
struct StaticToken(String);

impl CredentialsProvider for StaticToken {
    async fn headers(&self, _: Extensions) -> Result<CacheableResource<HeaderMap>, CredentialsError> {
        let mut h = HeaderMap::new();
        h.insert(http::header::AUTHORIZATION, HeaderValue::from_str(&format!("Bearer {}", self.0)).unwrap());
        Ok(CacheableResource::New { entity_tag: EntityTag::new(), data: h })
    }

    async fn universe_domain(&self) -> Option<String> {
        None
    }
}

fn token(t: &str) -> Credentials {
    Credentials::from(StaticToken(t.to_string()))
}

async fn projects(emu: &Emulator, creds: Credentials) -> Projects {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Projects::builder().with_endpoint(&emu.url).with_credentials(creds).build().await.expect("a client")
}

async fn get_policy(client: &Projects, resource: &str) -> Result<Policy, google_cloud_gax::error::Error> {
    client
        .get_iam_policy()
        .set_resource(resource)
        .set_options(GetPolicyOptions::new().set_requested_policy_version(3))
        .send()
        .await
}

fn code(e: &google_cloud_gax::error::Error) -> Option<Code> {
    e.status().map(|s| s.code)
}

fn grant(role: &str, member: &str, until: &str) -> Binding {
    Binding::new().set_role(role).set_members([member]).set_condition(
        Expr::new()
            .set_expression(format!("request.time < timestamp(\"{until}\")"))
            .set_title(format!("jit until {until}")),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sdk_reads_and_writes_policies_with_etags() {
    let emu = harness::emulator().start();
    let client = projects(&emu, token("alice-token")).await;
    let p = get_policy(&client, "projects/jit-demo-prod").await.unwrap();
    assert_eq!(p.version, 3);
    assert_eq!(p.etag.len(), 8, "the etag decodes to 8 bytes");
    assert!(p.bindings.iter().any(|b| b.condition.is_some()));
    // Audit configs come back as numbers (enum-encoding=int) and the SDK reads them.
    assert_eq!(p.audit_configs.len(), 1);
    // Asked for version 1, the same policy hides its conditions behind `_withcond_` roles.
    let v1 = client
        .get_iam_policy()
        .set_resource("projects/jit-demo-prod")
        .set_options(GetPolicyOptions::new().set_requested_policy_version(1))
        .send()
        .await
        .unwrap();
    assert_eq!(v1.version, 1);
    assert!(v1.bindings.iter().any(|b| b.role.starts_with("roles/bigquery.dataViewer_withcond_")));
    assert!(v1.bindings.iter().all(|b| b.condition.is_none()));

    let mut edited = p.clone();
    edited.bindings.push(grant("roles/storage.admin", "user:bob@example.com", "2030-01-01T00:00:00Z"));
    let written = client
        .set_iam_policy()
        .set_resource("projects/jit-demo-prod")
        .set_policy(edited.clone())
        .send()
        .await
        .unwrap();
    assert_ne!(written.etag, p.etag);
    assert_eq!(written.version, 3);
    let stored = emu.policy("projects/jit-demo-prod");
    assert!(stored["bindings"].as_array().unwrap().iter().any(|b| b["role"] == "roles/storage.admin"));
    // Audit configs survive (the SDK sends no update mask).
    assert!(stored["auditConfigs"].is_array());

    // The same (now stale) etag again: 409 ABORTED.
    let e = client
        .set_iam_policy()
        .set_resource("projects/jit-demo-prod")
        .set_policy(edited)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), Some(Code::Aborted), "{e:?}");
    assert_eq!(e.http_status_code(), Some(409));
    assert!(e.status().unwrap().message.contains("There were concurrent policy changes"));

    // The request went to the v3 surface with int enums.
    let log = emu.requests();
    let get = log.iter().find(|r| r["path"] == "/v3/projects/jit-demo-prod:getIamPolicy").unwrap();
    assert!(get["query"].as_str().unwrap().contains("enum-encoding"), "{get}");

    // Folders and organizations on v3.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let folders = Folders::builder()
        .with_endpoint(&emu.url)
        .with_credentials(token("alice-token"))
        .build()
        .await
        .unwrap();
    let fp = folders
        .get_iam_policy()
        .set_resource("folders/234567890123")
        .set_options(GetPolicyOptions::new().set_requested_policy_version(3))
        .send()
        .await
        .unwrap();
    let mut fp2 = fp.clone();
    fp2.version = 3;
    fp2.bindings.push(grant("roles/storage.objectViewer", "user:bob@example.com", "2030-01-01T00:00:00Z"));
    folders.set_iam_policy().set_resource("folders/234567890123").set_policy(fp2).send().await.unwrap();
    let orgs = Organizations::builder()
        .with_endpoint(&emu.url)
        .with_credentials(token("alice-token"))
        .build()
        .await
        .unwrap();
    let op = orgs.get_iam_policy().set_resource("organizations/123456789012").send().await.unwrap();
    assert_eq!(op.version, 1);
    orgs.set_iam_policy().set_resource("organizations/123456789012").set_policy(op).send().await.unwrap();
    let org = orgs.get_organization().set_name("organizations/123456789012").send().await.unwrap();
    assert_eq!(org.display_name, "example.com");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sdk_sees_googles_validation_and_permission_errors() {
    let emu = harness::emulator().start();
    let alice = projects(&emu, token("alice-token")).await;
    let mut p = get_policy(&alice, "projects/jit-demo-dev").await.unwrap();
    p.version = 3;
    p.bindings.push(grant("roles/owner", "user:bob@example.com", "2030-01-01T00:00:00Z"));
    let e =
        alice.set_iam_policy().set_resource("projects/jit-demo-dev").set_policy(p).send().await.unwrap_err();
    assert_eq!(code(&e), Some(Code::InvalidArgument), "{e:?}");

    let bob = projects(&emu, token("bob-token")).await;
    let e = get_policy(&bob, "projects/jit-demo-prod").await.unwrap_err();
    assert_eq!(code(&e), Some(Code::PermissionDenied));
    assert!(e.status().unwrap().message.ends_with("(or it may not exist)."), "{e:?}");
    let e = get_policy(&alice, "projects/no-such-project").await.unwrap_err();
    assert_eq!(code(&e), Some(Code::PermissionDenied));

    let nobody = projects(&emu, anonymous::Builder::new().build()).await;
    let e = get_policy(&nobody, "projects/jit-demo-prod").await.unwrap_err();
    assert_eq!(code(&e), Some(Code::Unauthenticated), "{e:?}");
    let wrong = projects(&emu, token("not-a-token")).await;
    let e = get_policy(&wrong, "projects/jit-demo-prod").await.unwrap_err();
    assert_eq!(code(&e), Some(Code::Unauthenticated), "{e:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_time_bound_grant_gives_access_until_the_clock_passes_it() {
    let emu = harness::emulator().start();
    emu.set_clock("2026-11-25T12:00:00Z");
    let alice = projects(&emu, token("alice-token")).await;
    let bob = projects(&emu, token("bob-token")).await;
    assert_eq!(
        code(&get_policy(&bob, "projects/jit-demo-prod").await.unwrap_err()),
        Some(Code::PermissionDenied)
    );

    let mut p = get_policy(&alice, "projects/jit-demo-prod").await.unwrap();
    p.bindings.push(grant(
        "roles/resourcemanager.projectIamAdmin",
        "user:bob@example.com",
        "2026-11-25T14:00:00Z",
    ));
    alice.set_iam_policy().set_resource("projects/jit-demo-prod").set_policy(p).send().await.unwrap();

    // Before the expiry Bob reads and writes the policy…
    let bp = get_policy(&bob, "projects/jit-demo-prod").await.unwrap();
    let held = bob
        .test_iam_permissions()
        .set_resource("projects/jit-demo-prod")
        .set_permissions(["resourcemanager.projects.setIamPolicy", "storage.buckets.list"])
        .send()
        .await
        .unwrap();
    assert_eq!(held.permissions, ["resourcemanager.projects.setIamPolicy"]);
    bob.set_iam_policy().set_resource("projects/jit-demo-prod").set_policy(bp).send().await.unwrap();
    // …and not after it.
    emu.advance(2 * 3600);
    assert_eq!(
        code(&get_policy(&bob, "projects/jit-demo-prod").await.unwrap_err()),
        Some(Code::PermissionDenied)
    );
    let held = bob
        .test_iam_permissions()
        .set_resource("projects/jit-demo-prod")
        .set_permissions(["resourcemanager.projects.setIamPolicy"])
        .send()
        .await
        .unwrap();
    assert!(held.permissions.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sdk_gets_lists_and_searches_projects_and_folders() {
    let emu = harness::emulator().start();
    let client = projects(&emu, token("alice-token")).await;
    let p = client.get_project().set_name("projects/jit-demo-prod").send().await.unwrap();
    assert_eq!(p.project_id, "jit-demo-prod");
    assert_eq!(p.name, "projects/100000000001");
    assert_eq!(p.parent, "folders/234567890123");
    assert_eq!(p.state, google_cloud_resourcemanager_v3::model::project::State::Active);
    let by_number = client.get_project().set_name("projects/100000000001").send().await.unwrap();
    assert_eq!(by_number.project_id, "jit-demo-prod");

    let listed = client.list_projects().set_parent("folders/234567890123").send().await.unwrap();
    assert_eq!(listed.projects.iter().map(|p| p.project_id.as_str()).collect::<Vec<_>>(), ["jit-demo-prod"]);
    let listed = client.list_projects().set_parent("organizations/123456789012").send().await.unwrap();
    assert_eq!(listed.projects.iter().map(|p| p.project_id.as_str()).collect::<Vec<_>>(), ["jit-demo-dev"]);

    let found = client.search_projects().set_query("id:jit-demo-* state:ACTIVE").send().await.unwrap();
    assert_eq!(found.projects.len(), 2);
    let found = client.search_projects().set_query("parent:folders/234567890123").send().await.unwrap();
    assert_eq!(found.projects.len(), 1);
    // Terms of different fields match any of them, as the reference says (its example
    // `labels.color:red labels.size:big`: red or big).
    let found = client.search_projects().set_query("labels.env:prod id:jit-demo-dev").send().await.unwrap();
    assert_eq!(found.projects.len(), 2);

    let _ = rustls::crypto::ring::default_provider().install_default();
    let folders = Folders::builder()
        .with_endpoint(&emu.url)
        .with_credentials(token("alice-token"))
        .build()
        .await
        .unwrap();
    let listed = folders.list_folders().set_parent("organizations/123456789012").send().await.unwrap();
    assert_eq!(listed.folders.len(), 1);
    assert_eq!(listed.folders[0].display_name, "Production");
    let f = folders.get_folder().set_name("folders/234567890123").send().await.unwrap();
    assert_eq!(f.parent, "organizations/123456789012");

    // Bob sees no project and may not list the folder's.
    let bob = projects(&emu, token("bob-token")).await;
    assert!(bob.search_projects().send().await.unwrap().projects.is_empty());
    let e = bob.list_projects().set_parent("folders/234567890123").send().await.unwrap_err();
    assert_eq!(code(&e), Some(Code::PermissionDenied));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_account_key_file_signs_jwts_the_emulator_verifies() {
    let emu = harness::emulator().start();
    let email = "jit-cleanup@jit-demo-prod.iam.gserviceaccount.com";
    let key: serde_json::Value =
        serde_json::from_slice(&std::fs::read(emu.service_account_key(email)).unwrap()).unwrap();
    assert_eq!(key["token_uri"], format!("{}/token", emu.url));
    let _ = rustls::crypto::ring::default_provider().install_default();
    let creds = service_account::Builder::new(key.clone()).build().unwrap();
    let client = projects(&emu, creds).await;
    // jit-cleanup holds roles/iam.securityAdmin on the organization, so on everything below it.
    let p = get_policy(&client, "projects/jit-demo-dev").await.unwrap();
    client.set_iam_policy().set_resource("projects/jit-demo-dev").set_policy(p).send().await.unwrap();
    let log = emu.requests();
    let last = log.last().unwrap();
    assert_eq!(last["principal"], format!("serviceAccount:{email}"));
    // No token endpoint was involved: the SDK sent its own JWT.
    assert!(log.iter().all(|r| r["path"] != "/token"));

    // A key the emulator does not know: 401.
    let mut other = key.clone();
    other["private_key_id"] = json!("0000000000000000000000000000000000000000");
    let client = projects(&emu, service_account::Builder::new(other).build().unwrap()).await;
    let e = get_policy(&client, "projects/jit-demo-dev").await.unwrap_err();
    assert_eq!(code(&e), Some(Code::Unauthenticated));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_tokens_and_the_metadata_server_give_access_tokens() {
    let emu = harness::emulator().start();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let authorized_user = json!({
        "type": "authorized_user",
        "client_id": "764086051850-6qr4p6gpi6hn506pt8ejuq83di341hur.apps.googleusercontent.com",
        "client_secret": "d-FL95Q19q7MQmFpd7hHD0Ty",
        "refresh_token": "alice-refresh-token",
        "token_uri": format!("{}/token", emu.url),
    });
    let creds = user_account::Builder::new(authorized_user).build().unwrap();
    let client = projects(&emu, creds).await;
    get_policy(&client, "projects/jit-demo-prod").await.unwrap();
    assert!(emu.requests().iter().any(|r| r["path"] == "/token" && r["status"] == 200));
    assert_eq!(emu.requests().last().unwrap()["principal"], "user:alice@example.com");

    let creds = mds::Builder::default().with_endpoint(&emu.url).build().unwrap();
    let client = projects(&emu, creds).await;
    get_policy(&client, "projects/jit-demo-prod").await.unwrap();
    assert_eq!(
        emu.requests().last().unwrap()["principal"],
        "serviceAccount:jit-cleanup@jit-demo-prod.iam.gserviceaccount.com"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jit_emulator_write_key_writes_a_key_file_the_sdk_uses() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join("key.json");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_jit"))
        .args(["emulator", "--port", "0", "--write-key"])
        .arg(&key_path)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    let url = first.trim().strip_prefix("jit emulator listening on ").unwrap().to_string();
    let key: serde_json::Value = serde_json::from_slice(&std::fs::read(&key_path).unwrap()).unwrap();
    assert_eq!(key["type"], "service_account");
    assert_eq!(key["client_email"], "jit-cleanup@jit-demo-prod.iam.gserviceaccount.com");
    assert_eq!(key["token_uri"], format!("{url}/token"));
    assert!(key["private_key"].as_str().unwrap().starts_with("-----BEGIN PRIVATE KEY-----"));
    let _ = rustls::crypto::ring::default_provider().install_default();
    let creds = service_account::Builder::new(key).build().unwrap();
    let orgs = Organizations::builder().with_endpoint(&url).with_credentials(creds).build().await.unwrap();
    let p = orgs.get_iam_policy().set_resource("organizations/123456789012").send().await;
    let _ = child.kill();
    let _ = child.wait();
    assert!(p.unwrap().bindings.iter().any(|b| b.role == "roles/iam.securityAdmin"));
}
