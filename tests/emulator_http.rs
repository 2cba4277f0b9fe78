//! The emulator's HTTP surface directly: error shapes, unknown paths, enum encoding, token routes,
//! faults, the state file and the `jit emulator` binary.

use serde_json::{Value, json};

use crate::harness;

const ALICE: Option<&str> = Some("alice-token");

#[test]
fn unknown_paths_get_googles_html_404_and_missing_tokens_a_401() {
    let emu = harness::emulator().start();
    let a = emu.request("GET", "/v1/nothing/here", ALICE, None);
    assert_eq!(a.status, 404);
    assert!(a.header("content-type").unwrap().starts_with("text/html"));
    assert!(a.text.contains("<title>Error 404 (Not Found)!!1</title>"));
    assert!(a.text.contains("The requested URL <code>/v1/nothing/here</code> was not found on this server."));
    let a = emu.request("GET", "/storage/v1/b", ALICE, None);
    assert_eq!(a.status, 404);
    // A path no API serves is a 404 before any credential check.
    let a = emu.request("GET", "/v1/nothing/here", None, None);
    assert_eq!(a.status, 404);
    let a = emu.request("GET", "/v1/projects/jit-demo-prod:getIamPolicy", None, None);
    assert_eq!(a.status, 404, "getIamPolicy is a POST");

    let a = emu.request("POST", "/v1/projects/jit-demo-prod:getIamPolicy?alt=json", None, Some(json!({})));
    assert_eq!(a.status, 401);
    let e = a.json();
    assert_eq!(e["error"]["status"], "UNAUTHENTICATED");
    assert_eq!(e["error"]["details"][0]["reason"], "CREDENTIALS_MISSING");
    assert!(a.header("www-authenticate").is_some());
    let a = emu.request("POST", "/v3/projects/jit-demo-prod:getIamPolicy", Some("wrong"), Some(json!({})));
    assert_eq!(a.status, 401);
    assert!(a.json()["error"].get("errors").is_none(), "v3 errors carry no errors[]");
}

#[test]
fn errors_have_googles_shape_on_each_surface() {
    let emu = harness::emulator().start();
    let a = emu.request("POST", "/v1/projects/nope-nope:getIamPolicy?alt=json", ALICE, Some(json!({})));
    assert_eq!(a.status, 403);
    let e = a.json();
    assert_eq!(e["error"]["message"], "The caller does not have permission");
    assert_eq!(
        e["error"]["errors"][0],
        json!({"message": "The caller does not have permission", "domain": "global", "reason": "forbidden"})
    );
    let a = emu.request("GET", "/v3/projects/nope-nope", ALICE, None);
    let e = a.json();
    assert_eq!(
        e["error"]["message"],
        "Permission 'resourcemanager.projects.get' denied on resource \
         '//cloudresourcemanager.googleapis.com/projects/nope-nope' (or it may not exist)."
    );
    assert_eq!(e["error"]["details"][0]["@type"], "type.googleapis.com/google.rpc.ErrorInfo");

    // 400 with Google's limit message.
    let mut policy = emu.policy("projects/jit-demo-dev");
    let members: Vec<String> = (0..1500).map(|i| format!("user:u{i}@example.com")).collect();
    policy["bindings"].as_array_mut().unwrap().push(json!({"role": "roles/browser", "members": members}));
    let a = emu.request(
        "POST",
        "/v1/projects/jit-demo-dev:setIamPolicy?alt=json",
        ALICE,
        Some(json!({ "policy": policy })),
    );
    assert_eq!(a.status, 400);
    assert_eq!(
        a.json()["error"]["message"],
        "The number of members in the policy (1,502) is larger than the maximum allowed size 1,500."
    );
    assert_eq!(a.json()["error"]["status"], "INVALID_ARGUMENT");
}

#[test]
fn enum_encoding_int_is_honoured() {
    let emu = harness::emulator().start();
    let a = emu.request("GET", "/v3/projects/jit-demo-prod?%24alt=json%3Benum-encoding%3Dint", ALICE, None);
    assert_eq!(a.json()["state"], 1);
    let a = emu.request("GET", "/v3/projects/jit-demo-prod?alt=json", ALICE, None);
    assert_eq!(a.json()["state"], "ACTIVE");
    let a = emu.request(
        "POST",
        "/v3/projects/jit-demo-prod:getIamPolicy?%24alt=json%3Benum-encoding%3Dint",
        ALICE,
        Some(json!({"options": {"requestedPolicyVersion": 3}})),
    );
    assert_eq!(a.json()["auditConfigs"][0]["auditLogConfigs"][0]["logType"], 1);
}

#[test]
fn bindings_merge_on_write_and_etags_change() {
    let emu = harness::emulator().start();
    let before = emu.policy("projects/jit-demo-dev");
    let mut p = before.clone();
    p["version"] = json!(3);
    let cond = json!({"expression": "request.time < timestamp(\"2030-01-01T00:00:00Z\")", "title": "t"});
    p["bindings"].as_array_mut().unwrap().extend([
        json!({"role": "roles/storage.admin", "members": ["user:bob@example.com"], "condition": cond}),
        json!({"role": "roles/storage.admin", "members": ["user:carol@example.com", "user:bob@example.com"], "condition": cond}),
    ]);
    let a =
        emu.request("POST", "/v3/projects/jit-demo-dev:setIamPolicy", ALICE, Some(json!({ "policy": p })));
    assert_eq!(a.status, 200, "{}", a.text);
    let after = a.json();
    assert_ne!(after["etag"], before["etag"]);
    let storage: Vec<&Value> =
        after["bindings"].as_array().unwrap().iter().filter(|b| b["role"] == "roles/storage.admin").collect();
    assert_eq!(storage.len(), 1);
    assert_eq!(storage[0]["members"], json!(["user:bob@example.com", "user:carol@example.com"]));
}

#[test]
fn tokeninfo_token_and_generate_access_token() {
    let emu = harness::emulator().start();
    let a = emu.request("GET", "/oauth2/v3/tokeninfo?access_token=bob-token", None, None);
    assert_eq!(a.status, 200);
    assert_eq!(a.json()["email"], "bob@example.com");
    assert!(a.json()["expires_in"].is_string());
    let a = emu.request("GET", "/tokeninfo?access_token=nope", None, None);
    assert_eq!(a.status, 400);
    assert_eq!(a.json()["error_description"], "Invalid Value");

    // generateAccessToken: bob may not mint tokens for jit-cleanup…
    let path = "/v1/projects/-/serviceAccounts/jit-cleanup@jit-demo-prod.iam.gserviceaccount.com:generateAccessToken";
    let body = json!({"scope": ["https://www.googleapis.com/auth/cloud-platform"], "lifetime": "600s"});
    assert_eq!(emu.request("POST", path, Some("bob-token"), Some(body.clone())).status, 403);
    // …until he holds roles/iam.serviceAccountTokenCreator on its project.
    let mut p = emu.policy("projects/jit-demo-prod");
    p["bindings"]
        .as_array_mut()
        .unwrap()
        .push(json!({"role": "roles/iam.serviceAccountTokenCreator", "members": ["user:bob@example.com"]}));
    assert_eq!(
        emu.request("POST", "/v1/projects/jit-demo-prod:setIamPolicy", ALICE, Some(json!({ "policy": p })))
            .status,
        200
    );
    let a = emu.request("POST", path, Some("bob-token"), Some(body));
    assert_eq!(a.status, 200, "{}", a.text);
    let minted = a.json()["accessToken"].as_str().unwrap().to_string();
    assert!(a.json()["expireTime"].is_string());
    let info = emu.request("GET", &format!("/oauth2/v3/tokeninfo?access_token={minted}"), None, None).json();
    assert_eq!(info["email"], "jit-cleanup@jit-demo-prod.iam.gserviceaccount.com");

    // The metadata server wants its header.
    let a = emu.request("GET", "/computeMetadata/v1/instance/service-accounts/default/token", None, None);
    assert_eq!(a.status, 403);
}

#[test]
fn faults_inject_conflicts_errors_with_retry_after_and_dropped_connections() {
    let emu = harness::emulator()
        .faults(json!({"conflictNext": 1, "errorNext": 1, "errorStatus": 429, "retryAfterSeconds": 7}))
        .start();
    let a = emu.request("POST", "/v1/projects/jit-demo-prod:getIamPolicy", ALICE, Some(json!({})));
    assert_eq!(a.status, 429);
    assert_eq!(a.header("retry-after"), Some("7"));
    assert_eq!(a.json()["error"]["status"], "RESOURCE_EXHAUSTED");
    let p = emu.policy("projects/jit-demo-prod");
    let a =
        emu.request("POST", "/v1/projects/jit-demo-prod:setIamPolicy", ALICE, Some(json!({ "policy": p })));
    assert_eq!(a.status, 409);
    assert_eq!(
        emu.policy("projects/jit-demo-prod")["etag"],
        p["etag"],
        "an injected conflict writes nothing"
    );
    assert_eq!(
        emu.request("POST", "/v1/projects/jit-demo-prod:setIamPolicy", ALICE, Some(json!({ "policy": p })))
            .status,
        200
    );

    // POST keeps the status and Retry-After set before; PUT replaces every fault.
    emu.faults(json!({"errorNext": 1}));
    let a = emu.request("GET", "/v3/projects/jit-demo-prod", ALICE, None);
    assert_eq!((a.status, a.header("retry-after")), (429, Some("7")));
    let a = emu.request("PUT", "/_emulator/faults", None, Some(json!({"errorNext": 1})));
    assert_eq!(a.status, 200, "{}", a.text);
    let a = emu.request("GET", "/v3/projects/jit-demo-prod", ALICE, None);
    assert_eq!(a.status, 503);
    assert_eq!(a.header("retry-after"), Some("1"));

    emu.faults(json!({"dropNext": 1}));
    let url = format!("{}/v3/projects/jit-demo-prod", emu.url);
    let dropped = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            harness::http_client()
                .get(url)
                .bearer_auth("alice-token")
                .send()
                .await
                .map(|r| r.status().as_u16())
        })
    })
    .join()
    .unwrap();
    assert!(dropped.is_err(), "the connection was answered: {dropped:?}");
    assert_eq!(emu.request("GET", "/v3/projects/jit-demo-prod", ALICE, None).status, 200);
}

#[test]
fn the_binary_persists_its_state_and_reloads_it() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let etag;
    {
        let emu = harness::emulator().binary().state_file(&state).start();
        let mut p = emu.policy("projects/jit-demo-dev");
        p["bindings"]
            .as_array_mut()
            .unwrap()
            .push(json!({"role": "roles/browser", "members": ["user:frank@example.com"]}));
        let a = emu.request(
            "POST",
            "/v1/projects/jit-demo-dev:setIamPolicy?alt=json",
            ALICE,
            Some(json!({ "policy": p })),
        );
        assert_eq!(a.status, 200, "{}", a.text);
        etag = a.json()["etag"].clone();
        let saved: Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
        assert_eq!(saved["policies"]["projects/jit-demo-dev"]["etag"], etag);
    }
    let emu = harness::emulator().binary().state_file(&state).start();
    let p = emu.policy("projects/jit-demo-dev");
    assert_eq!(p["etag"], etag);
    assert!(p["bindings"].as_array().unwrap().iter().any(|b| b["members"][0] == "user:frank@example.com"));
    // Reset goes back to the seed (the demo here).
    emu.reset();
    assert_ne!(emu.policy("projects/jit-demo-dev")["etag"], etag);
}

#[test]
fn the_clock_moves_only_when_told() {
    let emu = harness::emulator().no_auth().clock("2026-11-25T12:00:00Z", true).start();
    assert_eq!(emu.now(), "2026-11-25T12:00:00Z");
    emu.advance(90);
    assert_eq!(emu.now(), "2026-11-25T12:01:30Z");
    // --no-auth: no token needed.
    assert_eq!(emu.request("GET", "/v3/projects/jit-demo-prod", None, None).status, 200);
}

#[test]
fn print_seed_prints_the_demo_seed_which_loads_back() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_jit"))
        .args(["emulator", "--print-seed"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let seed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(seed["organizations"][0]["name"], "organizations/123456789012");
    // The demo's custom roles, in the seed format (issue 13), and served once loaded back.
    assert_eq!(seed["customRoles"][1]["name"], "projects/jit-demo-prod/roles/secretReader");
    let emu = harness::emulator().seed(seed).binary().start();
    assert_eq!(
        emu.request("GET", "/v1/projects/jit-demo-prod/roles/secretReader", ALICE, None).json()["stage"],
        "BETA"
    );
    assert_eq!(
        emu.request("GET", "/v3/folders/234567890123", ALICE, None).json()["displayName"],
        "Production"
    );
    // A seed that does not hang together is refused with the reason.
    let bad =
        json!({"projects": [{"projectId": "orphan-project", "projectNumber": "5", "parent": "folders/9"}]});
    let path = emu.dir().join("bad-seed.json");
    std::fs::write(&path, bad.to_string()).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_jit"))
        .args(["emulator", "--seed"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("the parent `folders/9` of project `orphan-project` is not in the seed")
    );
}

/// Issue 8, defect 3 (the emulator's half): Google stores an e-mail member in the account's own
/// case (terraform-provider-google #4276, #3880, #5107). The demo seed's `Jane.Doe@example.com`
/// keeps hers when a write names her in lower case, tokeninfo answers her own case, and the
/// binding grants her access.
#[test]
fn known_accounts_keep_their_own_case_through_the_api() {
    let emu = harness::emulator().start();
    let mut policy = emu.policy("projects/jit-demo-dev");
    policy["bindings"].as_array_mut().unwrap().push(json!({
        "role": "roles/storage.objectViewer",
        "members": ["user:jane.doe@example.com"]
    }));
    emu.set_policy("projects/jit-demo-dev", policy);
    let stored = emu.policy("projects/jit-demo-dev");
    let binding = stored["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["role"] == "roles/storage.objectViewer")
        .unwrap()
        .clone();
    assert_eq!(binding["members"], json!(["user:Jane.Doe@example.com"]));
    let info = emu.request("GET", "/oauth2/v3/tokeninfo?access_token=jane-token", None, None);
    assert_eq!(info.json()["email"], "Jane.Doe@example.com");
    assert_eq!(
        emu.permissions("jane-token", "projects/jit-demo-dev", &["storage.objects.get"]),
        ["storage.objects.get"]
    );
}

/// Issue 8, defect 6: a clock no CEL timestamp can hold is refused at start, from the flag or from
/// a state file (which used to start and then fail every request), with the reason and exit 2.
#[test]
fn the_binary_refuses_a_clock_it_cannot_serve() {
    let run = crate::support::jit(&["emulator", "--clock", "0000-06-01T00:00:00Z"]).run().code(2);
    assert_eq!(
        run.error_line(),
        "error: clock: `0000-06-01T00:00:00Z` is outside 0001-01-01T00:00:00Z..9999-12-31T23:59:59Z, the times CEL \
         can represent"
    );
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let mut data: Value = serde_json::from_str(jit_emulator::DEMO_SEED).unwrap();
    data["clock"] = json!({"offsetSeconds": -9_000_000_000_000i64});
    std::fs::write(&state, data.to_string()).unwrap();
    let run = crate::support::jit(&["emulator", "--state", state.to_str().unwrap()]).run().code(2);
    assert_eq!(
        run.error_line(),
        format!(
            "error: the state file `{}` cannot be served: the clock (offsetSeconds -9000000000000, frozenAt none) is \
             outside 0001-01-01T00:00:00Z..9999-12-31T23:59:59Z, the times CEL can represent",
            state.display()
        )
    );
}

/// `POST /_emulator/faults` changes the faults it names and keeps the others (issue 12 item 10:
/// it reset them); an unknown field is refused; `PUT` replaces them all; `DELETE` clears them.
#[test]
fn posting_one_fault_keeps_the_others() {
    let emu = harness::emulator().start();
    emu.faults(json!({"latencyMs": 5}));
    emu.faults(json!({"conflictRate": 0.25}));
    let get = || emu.request("GET", "/_emulator/faults", None, None).json();
    assert_eq!(
        get(),
        json!({
            "latencyMs": 5, "conflictRate": 0.25, "conflictNext": 0, "errorRate": 0.0, "errorNext": 0,
            "errorSkip": 0, "errorPath": null, "errorStatus": 0, "retryAfterSeconds": null, "dropRate": 0.0,
            "dropNext": 0
        })
    );
    let a = emu.request("POST", "/_emulator/faults", None, Some(json!({"latency": 5})));
    assert_eq!(a.status, 400);
    assert_eq!(
        a.json()["error"]["message"],
        "faults: unknown field `latency`, expected one of conflictNext, conflictRate, dropNext, dropRate, \
         errorNext, errorPath, errorRate, errorSkip, errorStatus, latencyMs, retryAfterSeconds"
    );
    let a = emu.request("POST", "/_emulator/faults", None, Some(json!({"conflictRate": 2})));
    assert_eq!(a.status, 400, "{}", a.text);
    assert_eq!(get()["conflictRate"], 0.25, "a refused change changes nothing");
    let a = emu.request("PUT", "/_emulator/faults", None, Some(json!({"dropNext": 2})));
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!((get()["latencyMs"].clone(), get()["dropNext"].clone()), (json!(0), json!(2)));
    let a = emu.request("DELETE", "/_emulator/faults", None, None);
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(get()["dropNext"], 0);
}
