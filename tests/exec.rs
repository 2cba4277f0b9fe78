//! `jit exec` through Privileged Access Manager, and interrupted (issue 21 item 5), through the
//! real binary: bob's exec requests a grant, alice approves it from another jit, bob's exec waits
//! until it is effective, runs the command and ends the grant when it exits; SIGINT ends the
//! access, a self-grant's and a PAM grant's alike. The tests wait for lines on jit's stdout and
//! stderr, never for time.

#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use serde_json::{Value, json};

use crate::harness;

const SCOPE: &str = "projects/jit-demo-prod";

/// The demo seed, where bob may also end grants on jit-demo-prod (`grants.revoke`, which PAM
/// asks of whoever revokes, the requester too).
fn seed_bob_may_revoke() -> Value {
    let mut seed: Value = serde_json::from_str(jit_emulator::DEMO_SEED).unwrap();
    seed["customRoles"].as_array_mut().unwrap().push(json!({
        "name": "projects/jit-demo-prod/roles/grantEnder", "title": "Grant ender", "stage": "GA",
        "includedPermissions": ["privilegedaccessmanager.grants.revoke"]}));
    seed["policies"][SCOPE]["bindings"].as_array_mut().unwrap().push(
        json!({"role": "projects/jit-demo-prod/roles/grantEnder", "members": ["user:bob@example.com"]}),
    );
    seed
}

/// `jit exec` started in the background with `token`, its stdin not a terminal.
struct Running {
    child: Child,
    stdout: Receiver<String>,
    stderr: Receiver<String>,
    err_seen: Vec<String>,
}

fn lines(r: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

impl Running {
    fn start(emu: &harness::Emulator, token: &str, args: &[&str]) -> Running {
        let file = emu.token_file(token);
        let mut child = Command::new(env!("CARGO_BIN_EXE_jit"))
            .args(["--endpoint", &emu.url, "--access-token-file", file.to_str().unwrap()])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = lines(child.stdout.take().unwrap());
        let stderr = lines(child.stderr.take().unwrap());
        Running { child, stdout, stderr, err_seen: Vec::new() }
    }

    /// The next stdout line (a bound, not a pause: the line is the event).
    #[track_caller]
    fn out_line(&mut self) -> String {
        self.stdout
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("no line on stdout; stderr: {:?}", self.err_seen))
    }

    /// Stderr lines until one contains `text`; that line.
    #[track_caller]
    fn err_until(&mut self, text: &str) -> String {
        loop {
            match self.stderr.recv_timeout(Duration::from_secs(60)) {
                Ok(line) => {
                    self.err_seen.push(line.clone());
                    if line.contains(text) {
                        return line;
                    }
                }
                Err(_) => panic!("no line with `{text}` on stderr: {:?}", self.err_seen),
            }
        }
    }

    fn signal(&self, sig: libc::c_int) {
        // SAFETY: a signal to the child we started and have not reaped.
        unsafe {
            libc::kill(self.child.id() as i32, sig);
        }
    }

    /// Waits for jit to exit: its code and the rest of its stderr.
    fn finish(mut self) -> (Option<i32>, String) {
        let status = self.child.wait().unwrap();
        while let Ok(line) = self.stderr.recv_timeout(Duration::from_secs(10)) {
            self.err_seen.push(line);
        }
        (status.code(), self.err_seen.join("\n"))
    }
}

fn pam_bindings(emu: &harness::Emulator, member: &str) -> usize {
    emu.stored(SCOPE)
        .bindings
        .iter()
        .filter(|b| b.condition.as_ref().is_some_and(|c| c.title.as_deref() == Some("Created by: PAM")))
        .filter(|b| b.members.iter().any(|m| m == member))
        .count()
}

fn grant_state(emu: &harness::Emulator, id: &str) -> String {
    let state = emu.state();
    let g = state["pam"]["grants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["grant"]["name"].as_str().unwrap().ends_with(&format!("/grants/{id}")))
        .unwrap_or_else(|| panic!("grant {id} in {state}"));
    g["grant"]["state"].as_str().unwrap().to_string()
}

/// The grant ID in "Requested grant `ID` of entitlement `E`."
fn requested_id(line: &str) -> String {
    line.split('`').nth(1).expect("a grant ID").to_string()
}

#[test]
fn exec_through_pam_waits_for_another_users_approval_runs_the_command_and_ends_the_grant() {
    let emu = harness::emulator().seed(seed_bob_may_revoke()).start();
    let mut exec = Running::start(
        &emu,
        "bob-token",
        &[
            "exec",
            "prod-debug",
            SCOPE,
            "--via",
            "pam",
            "--for",
            "1h",
            "--reason",
            "INC-42",
            "--",
            "sh",
            "-c",
            "echo running; exit 3",
        ],
    );
    let id = requested_id(&exec.err_until("Requested grant"));
    // The command has not run: the grant awaits alice.
    exec.err_until("waiting for user:alice@example.com to approve");
    assert!(exec.stdout.try_recv().is_err());
    assert_eq!(pam_bindings(&emu, "user:bob@example.com"), 0);
    // alice approves from her own jit; bob's exec goes on once the access is effective.
    emu.jit(&["approve", &id, SCOPE, "--reason", "go", "--format", "json"]).run().ok();
    exec.err_until("Effective: roles/logging.viewer, roles/cloudsql.client");
    assert_eq!(exec.out_line(), "running");
    let (code, stderr) = exec.finish();
    assert_eq!(code, Some(3), "the command's status: {stderr}");
    assert!(stderr.contains(&format!("Ended grant `{id}`.")), "{stderr}");
    assert_eq!(grant_state(&emu, &id), "REVOKED");
    assert_eq!(pam_bindings(&emu, "user:bob@example.com"), 0, "PAM removed the bindings");
}

#[test]
fn exec_through_pam_without_the_right_to_revoke_says_pam_ends_it_on_time() {
    let emu = harness::emulator().start();
    let mut exec = Running::start(
        &emu,
        "bob-token",
        &["exec", "prod-debug", SCOPE, "--for", "1h", "--reason", "INC-42", "--", "true"],
    );
    let id = requested_id(&exec.err_until("Requested grant"));
    emu.jit(&["approve", &id, SCOPE, "--format", "json"]).run().ok();
    let (code, stderr) = exec.finish();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("warning: could not end grant")
            && stderr.contains("PAM ends it at the end of its duration"),
        "{stderr}"
    );
    assert_eq!(grant_state(&emu, &id), "ACTIVE");
}

#[test]
fn exec_ends_the_access_when_the_command_exits_and_passes_its_status() {
    let emu = harness::emulator().start();
    let run = emu
        .jit(&[
            "exec",
            "roles/logging.viewer",
            SCOPE,
            "--via",
            "grant",
            "--for",
            "1h",
            "--reason",
            "debug",
            "--",
            "sh",
            "-c",
            "echo running; exit 7",
        ])
        .run()
        .code(7);
    assert_eq!(run.stdout, "running\n");
    assert!(run.stderr.contains("Ended the access on `projects/jit-demo-prod`."), "{}", run.stderr);
    assert!(!alice_holds_logs(&emu), "the self-grant is gone");
}

/// Whether alice holds roles/logging.viewer on jit-demo-prod (the self-grants below).
fn alice_holds_logs(emu: &harness::Emulator) -> bool {
    emu.stored(SCOPE)
        .bindings
        .iter()
        .any(|b| b.role == "roles/logging.viewer" && b.members.iter().any(|m| m == "user:alice@example.com"))
}

/// SIGTERM (or SIGINT, with no terminal in between) reaches jit: it passes the signal on, waits
/// for the command, and ends the self-grant.
fn a_signal_ends_a_self_grant(sig: libc::c_int) {
    let emu = harness::emulator().start();
    let mut exec = Running::start(
        &emu,
        "alice-token",
        &[
            "exec",
            "roles/logging.viewer",
            SCOPE,
            "--via",
            "grant",
            "--",
            "sh",
            "-c",
            "echo started; exec sleep 600",
        ],
    );
    assert_eq!(exec.out_line(), "started");
    assert!(alice_holds_logs(&emu));
    exec.signal(sig);
    let (code, stderr) = exec.finish();
    assert_eq!(code, Some(128 + sig), "{stderr}");
    assert!(stderr.contains("Ended the access on `projects/jit-demo-prod`."), "{stderr}");
    assert!(!alice_holds_logs(&emu), "the self-grant is gone");
}

#[test]
fn sigterm_ends_a_self_grant() {
    a_signal_ends_a_self_grant(libc::SIGTERM);
}

#[test]
fn sigint_ends_a_self_grant() {
    a_signal_ends_a_self_grant(libc::SIGINT);
}

#[test]
fn sigint_ends_a_pam_grant() {
    let emu = harness::emulator().seed(seed_bob_may_revoke()).start();
    // An entitlement with no approval step, that bob may request.
    let cfg = emu.file(
        "jit.toml",
        r#"
[entitlements.logs]
scope = "projects/jit-demo-prod"
roles = ["roles/logging.viewer"]
requesters = ["user:bob@example.com"]
max_duration = "2h"
"#,
    );
    emu.jit(&["--config", cfg.to_str().unwrap(), "entitlements", "apply", "--format", "json"]).run().ok();
    let mut exec = Running::start(
        &emu,
        "bob-token",
        &["exec", "logs", SCOPE, "--for", "30m", "--", "sh", "-c", "echo started; exec sleep 600"],
    );
    let id = requested_id(&exec.err_until("Requested grant"));
    assert_eq!(exec.out_line(), "started");
    assert_eq!(pam_bindings(&emu, "user:bob@example.com"), 1);
    exec.signal(libc::SIGINT);
    let (code, stderr) = exec.finish();
    assert_eq!(code, Some(128 + libc::SIGINT), "{stderr}");
    assert!(stderr.contains(&format!("Ended grant `{id}`.")), "{stderr}");
    assert_eq!(grant_state(&emu, &id), "REVOKED");
    assert_eq!(pam_bindings(&emu, "user:bob@example.com"), 0);
}

#[test]
fn sigint_while_waiting_for_the_approval_ends_the_request() {
    let emu = harness::emulator().seed(seed_bob_may_revoke()).start();
    let mut exec = Running::start(
        &emu,
        "bob-token",
        &["exec", "prod-debug", SCOPE, "--for", "1h", "--reason", "INC-42", "--", "sh", "-c", "echo ran"],
    );
    let id = requested_id(&exec.err_until("Requested grant"));
    exec.err_until("waiting for user:alice@example.com to approve");
    exec.signal(libc::SIGINT);
    let (code, stderr) = exec.finish();
    assert_eq!(code, Some(128 + libc::SIGINT), "{stderr}");
    assert!(stderr.contains(&format!("Ended grant `{id}`.")), "{stderr}");
    // PAM revoked the request: alice has nothing left to approve, and it can never activate.
    assert_eq!(grant_state(&emu, &id), "REVOKED");
    let left = emu.jit(&["requests", "--to-approve", SCOPE, "--format", "json"]).run().ok().json();
    assert!(left.as_array().unwrap().is_empty(), "{left}");
}
