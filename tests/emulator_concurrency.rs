//! Many writers at once, each doing Google's read-modify-write with the etag it read: every write
//! either lands or is answered 409 ABORTED, and none is lost.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::harness;

const WRITERS: usize = 12;
const WRITES_EACH: usize = 8;

/// One writer: adds its members one at a time, repeating the whole read-modify-write on 409.
async fn writer(client: reqwest::Client, url: Arc<String>, id: usize) -> (Vec<String>, usize) {
    let mut landed = Vec::new();
    let mut conflicts = 0;
    for n in 0..WRITES_EACH {
        let member = format!("user:w{id}-{n}@example.com");
        let mut attempts = 0;
        loop {
            attempts += 1;
            assert!(attempts < 500, "writer {id} never landed");
            let read: Value = client
                .post(format!("{url}/v3/projects/jit-demo-prod:getIamPolicy"))
                .bearer_auth("alice-token")
                .json(&json!({"options": {"requestedPolicyVersion": 3}}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let mut policy = read.clone();
            let bindings = policy["bindings"].as_array_mut().unwrap();
            match bindings.iter_mut().find(|b| b["role"] == "roles/storage.objectViewer") {
                Some(b) => b["members"].as_array_mut().unwrap().push(json!(member)),
                None => bindings.push(json!({"role": "roles/storage.objectViewer", "members": [member]})),
            }
            let resp = client
                .post(format!("{url}/v3/projects/jit-demo-prod:setIamPolicy"))
                .bearer_auth("alice-token")
                .json(&json!({ "policy": policy }))
                .send()
                .await
                .unwrap();
            match resp.status().as_u16() {
                200 => {
                    landed.push(member);
                    break;
                }
                409 => {
                    let e: Value = resp.json().await.unwrap();
                    assert_eq!(e["error"]["status"], "ABORTED");
                    conflicts += 1;
                }
                other => panic!("a write answered {other}: {}", resp.text().await.unwrap()),
            }
        }
    }
    (landed, conflicts)
}

#[test]
fn concurrent_read_modify_writes_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    // Some injected conflicts on top of the real ones.
    let emu = harness::emulator().state_file(&state).faults(json!({"conflictRate": 0.1})).start();
    let url = Arc::new(emu.url.clone());
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let results = rt.block_on(async {
        let client = harness::http_client();
        let tasks: Vec<_> =
            (0..WRITERS).map(|id| tokio::spawn(writer(client.clone(), url.clone(), id))).collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    });
    let landed: BTreeSet<String> = results.iter().flat_map(|(l, _)| l.iter().cloned()).collect();
    let conflicts: usize = results.iter().map(|(_, c)| c).sum();
    assert_eq!(landed.len(), WRITERS * WRITES_EACH);
    assert!(conflicts > 0, "concurrent writers should have collided at least once");

    let policy = emu.policy("projects/jit-demo-prod");
    let members: BTreeSet<String> = policy["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["role"] == "roles/storage.objectViewer")
        .flat_map(|b| b["members"].as_array().unwrap().iter().map(|m| m.as_str().unwrap().to_string()))
        .collect();
    assert_eq!(members, landed, "every landed write is in the policy, nothing else");
    // Every answered set was a 200 or a 409, and the 200s are exactly the landed writes.
    let sets: Vec<Value> = emu
        .requests()
        .into_iter()
        .filter(|r| r["path"] == "/v3/projects/jit-demo-prod:setIamPolicy")
        .collect();
    assert!(sets.iter().all(|r| r["status"] == 200 || r["status"] == 409));
    assert_eq!(sets.iter().filter(|r| r["status"] == 200).count(), WRITERS * WRITES_EACH);
    // The state file holds the final policy.
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert_eq!(saved["policies"]["projects/jit-demo-prod"]["etag"], policy["etag"]);
    rt.shutdown_background();
}
