//! Chat notifications of `[notify]` end to end (issue 21 item 4), through the real binary: the
//! webhook's URL kept in a Secret Manager secret (the emulator's), a local HTTP listener standing
//! in for Google Chat or Slack, the requester's `jit request` posting the ask and the approver's
//! `jit approve` or `jit deny` posting the outcome; a failed webhook is a warning, never a failed
//! request.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};

use crate::harness;

const SCOPE: &str = "projects/jit-demo-prod";
const SECRET: &str = "projects/jit-demo-prod/secrets/jit-webhook";

/// A chat webhook on 127.0.0.1: every POST's path and JSON body arrive on the channel; it answers
/// with the status `status` holds.
struct Hook {
    url: String,
    posts: Receiver<(String, Value)>,
    status: Arc<AtomicU16>,
}

impl Hook {
    fn start() -> Hook {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/v1/spaces/S/messages?key=k", listener.local_addr().unwrap());
        let (tx, posts) = channel();
        let status = Arc::new(AtomicU16::new(200));
        let answer = status.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    continue;
                }
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((k, v)) = line.split_once(':')
                        && k.eq_ignore_ascii_case("content-length")
                    {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                let path = request_line.split(' ').nth(1).unwrap_or_default().to_string();
                let code = answer.load(Ordering::SeqCst);
                let _ = write!(stream, "HTTP/1.1 {code} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                let _ = tx.send((path, serde_json::from_slice(&body).unwrap_or(Value::Null)));
            }
        });
        Hook { url, posts, status }
    }

    /// The next message posted, waited for (jit has exited by then: a bound, not a pause).
    #[track_caller]
    fn next(&self) -> (String, Value) {
        self.posts.recv_timeout(Duration::from_secs(10)).expect("a message was posted to the webhook")
    }

    fn none_left(&self) -> bool {
        self.posts.try_recv().is_err()
    }
}

/// The demo seed with the webhook's URL kept in a secret both bob and alice may read.
fn seed(url: &str) -> Value {
    let mut seed: Value = serde_json::from_str(jit_emulator::DEMO_SEED).unwrap();
    let data = base64::engine::general_purpose::STANDARD.encode(url);
    seed["secrets"] = json!([{"name": SECRET, "versions": [{"version": 1, "data": data}]}]);
    seed["customRoles"][1]["includedPermissions"] = json!(["secretmanager.versions.access"]);
    seed["policies"][SCOPE]["bindings"].as_array_mut().unwrap().push(
        json!({"role": "projects/jit-demo-prod/roles/secretReader", "members": ["user:bob@example.com"]}),
    );
    seed
}

/// bob's `jit request` of prod-debug with the `[notify]` of `cfg`; it must succeed.
fn bob_asks(emu: &harness::Emulator, cfg: &str, duration: &str, reason: &str) -> crate::support::Run {
    let args = [
        "--config",
        cfg,
        "request",
        "prod-debug",
        SCOPE,
        "--for",
        duration,
        "--reason",
        reason,
        "--format",
        "json",
    ];
    emu.jit_as("bob-token", &args).run().ok()
}

fn config(emu: &harness::Emulator, file: &str, notify: &str) -> String {
    emu.file(file, &format!("[notify]\n{notify}\n")).to_str().unwrap().to_string()
}

#[test]
fn the_request_and_the_approval_are_posted_to_the_chat_webhook_kept_in_a_secret() {
    let hook = Hook::start();
    let emu = harness::emulator().seed(seed(&hook.url)).start();
    let cfg = config(&emu, "jit.toml", &format!("webhook_secret = \"{SECRET}\""));

    let asked = bob_asks(&emu, &cfg, "2h", "INC-42");
    let name = asked.json()[0]["grant"].as_str().unwrap().to_string();
    let (path, body) = hook.next();
    assert_eq!(path, "/v1/spaces/S/messages?key=k");
    // Google Chat's format: `{"text": …}` only.
    assert_eq!(
        body,
        json!({"text": format!(
            "bob@example.com asks for roles/logging.viewer, roles/cloudsql.client on projects/jit-demo-prod for 2h: INC-42 (approve with: jit approve {name})"
        )})
    );
    assert!(!asked.stderr.contains("warning"), "{}", asked.stderr);

    let approved =
        emu.jit(&["--config", &cfg, "approve", &name, "--reason", "go", "--format", "json"]).run().ok();
    let (_, body) = hook.next();
    assert_eq!(
        body["text"],
        "alice@example.com approved bob@example.com's request for roles/logging.viewer, roles/cloudsql.client on projects/jit-demo-prod: go"
    );
    assert!(!approved.stderr.contains("warning"), "{}", approved.stderr);
    assert!(hook.none_left());
}

#[test]
fn slacks_format_and_a_denial() {
    let hook = Hook::start();
    let emu = harness::emulator().seed(seed(&hook.url)).start();
    let cfg = config(&emu, "jit.toml", &format!("webhook_secret = \"{SECRET}\"\nformat = \"slack\""));
    let asked = bob_asks(&emu, &cfg, "1h", "INC-7");
    let name = asked.json()[0]["grant"].as_str().unwrap().to_string();
    let (_, body) = hook.next();
    assert_eq!(body["blocks"][0]["type"], "section");
    assert_eq!(body["blocks"][0]["text"]["type"], "mrkdwn");
    assert_eq!(body["blocks"][0]["text"]["text"], body["text"]);
    emu.jit(&["--config", &cfg, "deny", &name, "--reason", "not during the freeze"]).run().ok();
    let (_, body) = hook.next();
    assert!(
        body["text"].as_str().unwrap().starts_with("alice@example.com denied bob@example.com's request for")
            && body["text"].as_str().unwrap().ends_with(": not during the freeze"),
        "{body}"
    );
}

#[test]
fn a_failed_webhook_is_a_warning_never_a_failed_request() {
    let hook = Hook::start();
    let emu = harness::emulator().seed(seed(&hook.url)).start();
    let cfg = config(&emu, "jit.toml", &format!("webhook_secret = \"{SECRET}\""));
    // The chat refuses the message: the grant is made all the same, and jit says so.
    hook.status.store(500, Ordering::SeqCst);
    let asked = bob_asks(&emu, &cfg, "1h", "INC-8");
    assert_eq!(asked.json()[0]["state"], "APPROVAL_AWAITED");
    hook.next();
    assert!(
        asked.stderr.contains("warning: the chat notification failed")
            && asked.stderr.contains("the request itself is unaffected"),
        "{}",
        asked.stderr
    );
    let name = asked.json()[0]["grant"].as_str().unwrap().to_string();

    // A secret that does not exist: the approval goes through, with a warning naming the secret.
    let missing = config(&emu, "missing.toml", "webhook_secret = \"projects/jit-demo-prod/secrets/nope\"");
    let approved = emu.jit(&["--config", &missing, "approve", &name, "--format", "json"]).run().ok();
    assert_ne!(approved.json()[0]["state"], "APPROVAL_AWAITED");
    assert!(
        approved.stderr.contains("warning: the chat notification failed (cannot read the webhook from `projects/jit-demo-prod/secrets/nope`"),
        "{}",
        approved.stderr
    );
    assert!(hook.none_left());
}
