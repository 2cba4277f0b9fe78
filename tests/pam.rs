//! Privileged Access Manager's bindings (issue 11 item 6): `list` names them `pam`, and grant,
//! revoke and cleanup never change them (PAM owns them, and flags a grant whose binding anyone
//! else touches as externally modified).

use serde_json::json;

use crate::harness;

#[test]
fn pam_bindings_are_listed_and_left_alone_against_the_emulator() {
    let emu = harness::emulator().start();
    let mut policy = emu.policy("projects/jit-demo-prod");
    let pam = |role: &str, until: &str| {
        json!({"role": role, "members": ["user:bob@example.com"], "condition": {
            "expression": format!("request.time < timestamp(\"{until}\")"), "title": "Created by: PAM"}})
    };
    let bindings = policy["bindings"].as_array_mut().unwrap();
    bindings.push(pam("roles/logging.viewer", "2099-01-01T00:00:00Z"));
    bindings.push(pam("roles/storage.admin", "2020-01-01T00:00:00Z"));
    emu.set_policy("projects/jit-demo-prod", policy);
    let before = emu.policy_text("projects/jit-demo-prod");

    let list = emu
        .jit(&[
            "list",
            "--all",
            "--member",
            "bob@example.com",
            "--project",
            "jit-demo-prod",
            "--format",
            "json",
        ])
        .run()
        .ok();
    let sources: Vec<(String, String)> = list
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["role"].as_str().unwrap().to_string(), r["source"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        sources,
        [
            ("roles/storage.admin".to_string(), "pam".to_string()),
            ("roles/logging.viewer".to_string(), "pam".to_string())
        ]
    );

    let revoke = emu
        .jit(&[
            "revoke",
            "roles/logging.viewer",
            "--member",
            "bob@example.com",
            "--project",
            "jit-demo-prod",
            "--format",
            "table",
        ])
        .run()
        .ok();
    assert_eq!(revoke.stderr.trim(), "Nothing to revoke.");
    emu.jit(&["cleanup", "--project", "jit-demo-prod", "--format", "json"]).run().ok();
    // Cleanup removed the seed's own expired binding (carol's), never PAM's.
    let after = emu.stored("projects/jit-demo-prod");
    let pam_left: Vec<&str> = after
        .bindings
        .iter()
        .filter(|b| b.condition.as_ref().is_some_and(|c| c.title.as_deref() == Some("Created by: PAM")))
        .map(|b| b.role.as_str())
        .collect();
    assert_eq!(pam_left, ["roles/logging.viewer", "roles/storage.admin"]);
    assert_ne!(
        emu.policy_text("projects/jit-demo-prod"),
        before,
        "cleanup did write (carol's expired grant)"
    );
}
