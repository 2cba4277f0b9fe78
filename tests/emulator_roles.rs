//! The IAM API's role routes of the emulator (issue 13): `roles.get`, `roles.list`,
//! `queryGrantableRoles` and custom roles, served from the whole catalog (data/gcp-roles.json)
//! and the seed's custom roles, driven by gcloud where it is installed and over HTTP.

use std::process::Output;

use serde_json::{Value, json};

use crate::harness::{self, Emulator, gcloud_available};

const ALICE: &str = "alice-token";
const BOB: &str = "bob-token";
const PROD: &str = "//cloudresourcemanager.googleapis.com/projects/jit-demo-prod";

#[track_caller]
fn json_out(o: Output) -> Value {
    let (out, err) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success(), "gcloud failed\nstdout:\n{out}\nstderr:\n{err}");
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

fn names(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap().to_string()).collect()
}

/// The number of predefined roles grantable on a project by the emulator's rule, plus the demo's
/// two custom roles that apply to jit-demo-prod (its own and the organization's).
fn grantable_on_prod() -> usize {
    use jit_emulator::server::iam_roles::grantable;
    use jit_emulator::state::{Kind, catalog::catalog};
    let c = catalog();
    c.roles().iter().filter(|r| grantable(c, r, Kind::Project)).count() + 2
}

#[test]
fn gcloud_describes_predefined_and_custom_roles() {
    if !gcloud_available() {
        return;
    }
    let emu = harness::emulator().start();
    let role = json_out(
        emu.gcloud(ALICE, &["iam", "roles", "describe", "roles/storage.objectViewer", "--format=json"]),
    );
    assert_eq!(role["name"], "roles/storage.objectViewer");
    assert_eq!(role["title"], "Storage Object Viewer");
    assert_eq!(role["stage"], "GA");
    assert_eq!(role["etag"], "AA==");
    let perms = role["includedPermissions"].as_array().unwrap();
    assert!(perms.contains(&json!("storage.objects.get")) && perms.contains(&json!("storage.objects.list")));

    let custom = json_out(emu.gcloud(
        ALICE,
        &["iam", "roles", "describe", "--project", "jit-demo-prod", "secretReader", "--format=json"],
    ));
    assert_eq!(custom["name"], "projects/jit-demo-prod/roles/secretReader");
    assert_eq!(custom["title"], "Secret Reader");
    assert_eq!(custom["stage"], "BETA");
    assert_eq!(
        custom["includedPermissions"],
        json!(["secretmanager.secrets.get", "secretmanager.versions.access", "secretmanager.versions.get"])
    );
    let org = json_out(emu.gcloud(
        ALICE,
        &["iam", "roles", "describe", "--organization", "123456789012", "iamAuditor", "--format=json"],
    ));
    assert_eq!(org["name"], "organizations/123456789012/roles/iamAuditor");

    // A role Google does not define: gcloud relays the 404.
    let o = emu.gcloud(ALICE, &["iam", "roles", "describe", "roles/storage.objectViwer"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.starts_with(
            "ERROR: (gcloud.iam.roles.describe) Roles instance [storage.objectViwer] not found: \
             The role named roles/storage.objectViwer was not found."
        ),
        "{err}"
    );
    // Bob holds nothing on jit-demo-prod: its custom roles are not his to read.
    let o = emu.gcloud(BOB, &["iam", "roles", "describe", "--project", "jit-demo-prod", "secretReader"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(
            "PERMISSION_DENIED: Permission 'iam.roles.get' denied on resource (or it may not exist)."
        ),
        "{err}"
    );
}

#[test]
fn gcloud_lists_roles_and_grantable_roles_across_pages() {
    if !gcloud_available() {
        return;
    }
    let emu = harness::emulator().start();
    // gcloud pages through roles.list 100 a page (apitools' list_pager default batch size).
    let all = json_out(emu.gcloud(BOB, &["iam", "roles", "list", "--format=json"]));
    let all = names(&all);
    assert_eq!(all.len(), 2461);
    assert!(all.windows(2).all(|w| w[0] < w[1]), "sorted by name, no repeats");
    let pages: Vec<Value> = emu.requests().into_iter().filter(|r| r["path"] == "/v1/roles").collect();
    assert_eq!(pages.len(), 25, "2,461 roles at 100 a page");
    // Python's spelling of false, which the emulator reads as Google does.
    assert_eq!(pages[1]["query"], "alt=json&pageSize=100&pageToken=emu-100&showDeleted=False");

    let filtered = json_out(
        emu.gcloud(BOB, &["iam", "roles", "list", "--filter=name:roles/secretmanager.", "--format=json"]),
    );
    assert!(names(&filtered).contains(&"roles/secretmanager.secretAccessor".to_string()));
    assert!(names(&filtered).iter().all(|n| n.starts_with("roles/secretmanager.")));

    let custom =
        json_out(emu.gcloud(ALICE, &["iam", "roles", "list", "--project", "jit-demo-prod", "--format=json"]));
    assert_eq!(names(&custom), ["projects/jit-demo-prod/roles/secretReader"]);

    let grantable = json_out(emu.gcloud(ALICE, &["iam", "list-grantable-roles", PROD, "--format=json"]));
    let grantable = names(&grantable);
    assert_eq!(grantable.len(), grantable_on_prod());
    for n in [
        "roles/owner",
        "roles/secretmanager.secretAccessor",
        "projects/jit-demo-prod/roles/secretReader",
        "organizations/123456789012/roles/iamAuditor",
    ] {
        assert!(grantable.contains(&n.to_string()), "{n}");
    }
    assert!(!grantable.contains(&"roles/resourcemanager.organizationViewer".to_string()));
    let body = emu
        .requests()
        .into_iter()
        .find(|r| r["path"] == "/v1/roles:queryGrantableRoles")
        .expect("gcloud asked")["body"]
        .clone();
    assert_eq!(body, json!({"fullResourceName": PROD, "pageSize": 300}));
}

#[test]
fn gcloud_binding_a_role_google_does_not_define_gets_googles_400() {
    if !gcloud_available() {
        return;
    }
    let emu = harness::emulator().start();
    for (role, message) in [
        ("roles/storage.objectViwer", "Role roles/storage.objectViwer is not supported for this resource."),
        (
            "projects/jit-demo-dev/roles/secretReader",
            "Role (projects/jit-demo-dev/roles/secretReader) does not exist in the resource's hierarchy.",
        ),
    ] {
        let o = emu.gcloud(
            ALICE,
            &[
                "projects",
                "add-iam-policy-binding",
                "jit-demo-prod",
                "--member=user:bob@example.com",
                "--role",
                role,
                "--condition=None",
            ],
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && err.contains(&format!("INVALID_ARGUMENT: {message}")), "{err}");
    }
    // A role that exists but does not apply to the resource (issue 18 item 3), and a service
    // account that does not exist (item 2), as gcloud reports them.
    for (role, member, message) in [
        (
            "roles/storage.objectViewer",
            "user:bob@example.com",
            "Role roles/storage.objectViewer is not supported for this resource.",
        ),
        (
            "roles/secretmanager.secretAccessor",
            "serviceAccount:ghost@jit-demo-prod.iam.gserviceaccount.com",
            "Service account ghost@jit-demo-prod.iam.gserviceaccount.com does not exist.",
        ),
    ] {
        let o = emu.gcloud(
            ALICE,
            &[
                "secrets",
                "add-iam-policy-binding",
                "db-password",
                "--project=jit-demo-prod",
                &format!("--member={member}"),
                "--role",
                role,
                "--condition=None",
            ],
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && err.contains(message), "{err}");
    }
    // The project's own custom role binds, and grants its permissions.
    let role = "projects/jit-demo-prod/roles/secretReader";
    let o = emu.gcloud(
        ALICE,
        &[
            "projects",
            "add-iam-policy-binding",
            "jit-demo-prod",
            "--member=user:bob@example.com",
            "--role",
            role,
            "--condition=None",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        emu.permissions(
            BOB,
            "projects/jit-demo-prod",
            &["secretmanager.versions.access", "secretmanager.secrets.delete"]
        ),
        ["secretmanager.versions.access"]
    );
}

#[test]
fn the_roles_routes_over_http() {
    let emu = harness::emulator().start();
    // Any valid token reads predefined roles; none is a 401.
    assert_eq!(emu.request("GET", "/v1/roles/viewer", None, None).status, 401);
    let a = emu.request("GET", "/v1/roles/secretmanager.secretAccessor", Some(BOB), None);
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(
        a.json()["includedPermissions"],
        json!([
            "resourcemanager.projects.get",
            "resourcemanager.projects.list",
            "secretmanager.versions.access"
        ])
    );

    // BASIC omits includedPermissions, FULL has them; pageSize is capped at 1,000.
    let basic = emu.request("GET", "/v1/roles?pageSize=2", Some(BOB), None).json();
    assert_eq!(basic["roles"].as_array().unwrap().len(), 2);
    assert!(basic["roles"][0].get("includedPermissions").is_none());
    assert_eq!(basic["nextPageToken"], "emu-2");
    let full =
        emu.request("GET", "/v1/roles?view=FULL&pageSize=5000&pageToken=emu-2", Some(BOB), None).json();
    assert_eq!(full["roles"].as_array().unwrap().len(), 1000);
    assert!(full["roles"][0]["includedPermissions"].is_array());
    assert_eq!(full["nextPageToken"], "emu-1002");
    let bad = emu.request("GET", "/v1/roles?view=EVERYTHING", Some(BOB), None);
    assert_eq!(bad.status, 400);
    assert_eq!(
        bad.json()["error"]["message"],
        "Invalid value at 'view' (type.googleapis.com/google.iam.admin.v1.RoleView), \"EVERYTHING\""
    );

    // Grantable roles of a folder and an organization: the organization viewer only on the
    // organization; the organization's custom role on both, the project's on neither.
    let query = |resource: &str| {
        let mut all = Vec::new();
        let mut token = Value::Null;
        loop {
            let body = json!({
                "fullResourceName": format!("//cloudresourcemanager.googleapis.com/{resource}"),
                "pageSize": 5000,
                "pageToken": token,
            });
            let a = emu.request("POST", "/v1/roles:queryGrantableRoles", Some(BOB), Some(body));
            assert_eq!(a.status, 200, "{}", a.text);
            let page = a.json();
            // At most 2,000 a page, whatever is asked.
            assert!(page["roles"].as_array().unwrap().len() <= 2000);
            all.extend(names(&page["roles"]));
            token = page["nextPageToken"].clone();
            if token.is_null() {
                return all;
            }
        }
    };
    let folder = query("folders/234567890123");
    let org = query("organizations/123456789012");
    assert!(org.contains(&"roles/resourcemanager.organizationViewer".to_string()));
    assert!(!folder.contains(&"roles/resourcemanager.organizationViewer".to_string()));
    for list in [&folder, &org] {
        assert!(list.contains(&"organizations/123456789012/roles/iamAuditor".to_string()));
        assert!(!list.contains(&"projects/jit-demo-prod/roles/secretReader".to_string()));
    }
    // FULL by name or by number carries the permissions.
    for view in [json!("FULL"), json!(1)] {
        let body = json!({"fullResourceName": format!("//cloudresourcemanager.googleapis.com/projects/jit-demo-prod"), "view": view, "pageSize": 1});
        let page = emu.request("POST", "/v1/roles:queryGrantableRoles", Some(BOB), Some(body)).json();
        assert!(page["roles"][0]["includedPermissions"].is_array(), "{page}");
    }
    let missing = emu.request("POST", "/v1/roles:queryGrantableRoles", Some(BOB), Some(json!({})));
    assert_eq!(
        (missing.status, missing.json()["error"]["message"].clone()),
        (400, json!("fullResourceName is required."))
    );

    // Custom roles: deleted ones only with showDeleted.
    let path = "/v1/projects/jit-demo-prod/roles";
    assert_eq!(
        names(&emu.request("GET", path, Some(ALICE), None).json()["roles"]),
        ["projects/jit-demo-prod/roles/secretReader"]
    );
    let unknown = emu.request("GET", "/v1/projects/jit-demo-prod/roles/nope", Some(ALICE), None);
    assert_eq!(unknown.status, 404);
    assert_eq!(
        unknown.json()["error"]["message"],
        "The role named projects/jit-demo-prod/roles/nope was not found."
    );
}

#[test]
fn a_seed_custom_role_deleted_is_listed_only_with_show_deleted() {
    let mut seed = serde_json::to_value(jit_emulator::demo_seed()).unwrap();
    seed["customRoles"][1]["deleted"] = json!(true);
    let emu: Emulator = harness::emulator().seed(seed).start();
    let path = "/v1/projects/jit-demo-prod/roles";
    assert_eq!(emu.request("GET", path, Some(ALICE), None).json(), json!({}));
    let shown = emu.request("GET", &format!("{path}?showDeleted=true"), Some(ALICE), None).json();
    assert_eq!(shown["roles"][0]["deleted"], true);
    assert_eq!(shown["roles"][0]["name"], "projects/jit-demo-prod/roles/secretReader");
    if gcloud_available() {
        // gcloud sends `showDeleted=True`, in Python's spelling.
        let args = ["iam", "roles", "list", "--project", "jit-demo-prod", "--format=json"];
        assert_eq!(json_out(emu.gcloud(ALICE, &args)), json!([]));
        let listed = json_out(emu.gcloud(ALICE, &[&args[..], &["--show-deleted"]].concat()));
        assert_eq!(names(&listed), ["projects/jit-demo-prod/roles/secretReader"]);
        assert_eq!(listed[0]["deleted"], true);
    }
}
