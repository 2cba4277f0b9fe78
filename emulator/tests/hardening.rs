//! The emulator as a server under hostile or careless clients (issue 8, defects 6 and 13): every
//! test starts a real emulator on 127.0.0.1 and speaks raw HTTP/1.1 to it, so that nothing in a
//! client library hides what the server does.

use std::time::Duration;

use jit_emulator::{Error, Limits, Options, start};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// Sends one request on a fresh connection (`Connection: close`) and returns (status, body).
async fn request(
    url: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (u16, String) {
    let addr = url.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).await.expect("connects");
    let body = body.unwrap_or("");
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(body.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    timeout(Duration::from_secs(20), s.read_to_end(&mut out)).await.expect("an answer in time").unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

/// Reads until the server closes the connection; `true` when it did within `within`.
async fn closed_by_server(s: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

fn small_limits() -> Limits {
    Limits {
        max_connections: 4,
        header_read_timeout: Duration::from_millis(300),
        idle_timeout: Duration::from_millis(300),
        body_read_timeout: Duration::from_secs(2),
        max_body_bytes: 4096,
        log_entries: 5,
        log_body_bytes: 200,
        log_total_body_bytes: 100,
    }
}

const GET_POLICY: &str = "/v3/projects/jit-demo-prod:getIamPolicy";

#[tokio::test]
async fn half_open_connections_are_closed_and_do_not_starve_the_api() {
    let emu = start(Options { limits: small_limits(), ..Options::default() }).await.unwrap();
    let addr = emu.url.trim_start_matches("http://").to_string();
    // Four times the connection limit, each sending half a request line and then nothing.
    let mut idle = Vec::new();
    for _ in 0..16 {
        let mut s = TcpStream::connect(&addr).await.unwrap();
        s.write_all(b"POST /v3/projects/jit-demo-prod:getIam").await.unwrap();
        idle.push(s);
    }
    let v3 = r#"{"options":{"requestedPolicyVersion":3}}"#;
    let (status, body) = request(&emu.url, "POST", GET_POLICY, Some("alice-token"), Some(v3)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["version"], 3);
    // Every half-open connection was closed by the server, not left to hold a descriptor.
    for (i, s) in idle.iter_mut().enumerate() {
        assert!(closed_by_server(s, Duration::from_secs(10)).await, "connection {i} is still open");
    }
}

#[tokio::test]
async fn idle_keep_alive_connections_are_closed() {
    let emu = start(Options { limits: small_limits(), ..Options::default() }).await.unwrap();
    let addr = emu.url.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {GET_POLICY} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer alice-token\r\nContent-Length: 2\r\n\r\n{{}}"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let n = timeout(Duration::from_secs(5), s.read(&mut buf)).await.unwrap().unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&buf[..n]));
    // Kept alive after the answer, then closed once idle.
    assert!(closed_by_server(&mut s, Duration::from_secs(5)).await, "the idle connection stays open");
}

#[tokio::test]
async fn bodies_over_the_cap_are_refused_with_413() {
    let emu = start(Options { limits: small_limits(), ..Options::default() }).await.unwrap();
    let big = format!("{{\"policy\": {{\"bindings\": []}}, \"pad\": \"{}\"}}", "x".repeat(5000));
    let (status, body) =
        request(&emu.url, "POST", "/v3/projects/jit-demo-prod:setIamPolicy", Some("alice-token"), Some(&big))
            .await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(json(&body)["error"]["message"], "Request payload size exceeds the limit: 4096 bytes.");
    // Chunked, with no Content-Length to refuse it by: counted as it arrives.
    let addr = emu.url.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).await.unwrap();
    let chunk = "y".repeat(3000);
    let raw = format!(
        "POST {GET_POLICY} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer alice-token\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{chunk}\r\n{:x}\r\n{chunk}\r\n0\r\n\r\n",
        chunk.len(),
        chunk.len()
    );
    s.write_all(raw.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await.unwrap();
    assert!(out.starts_with(b"HTTP/1.1 413"), "{}", String::from_utf8_lossy(&out));
    // The policy is untouched and the API still answers.
    assert_eq!(request(&emu.url, "POST", GET_POLICY, Some("alice-token"), None).await.0, 200);
}

#[tokio::test]
async fn the_request_log_is_bounded_and_keeps_no_strangers_bodies() {
    let emu = start(Options { limits: small_limits(), ..Options::default() }).await.unwrap();
    // Padded with white space: an unknown field would be refused (issue 18 item 4).
    let padded = format!("{{\"options\": {{\"requestedPolicyVersion\": 3}}{}}}", " ".repeat(300));
    for _ in 0..10 {
        assert_eq!(request(&emu.url, "POST", GET_POLICY, Some("alice-token"), Some(&padded)).await.0, 200);
    }
    let small = r#"{"options":{"requestedPolicyVersion":3}}"#;
    assert_eq!(request(&emu.url, "POST", GET_POLICY, Some("alice-token"), Some(small)).await.0, 200);
    assert_eq!(request(&emu.url, "POST", GET_POLICY, Some("no-such-token"), Some(small)).await.0, 401);
    let log = emu.requests();
    assert_eq!(log.len(), 5, "{log:#?}");
    // Too large to keep: its size only.
    assert_eq!(log[2].body, None);
    assert_eq!(log[2].body_bytes, Some(padded.len()));
    // Authenticated and small: kept.
    assert_eq!(log[3].body, Some(json!({"options": {"requestedPolicyVersion": 3}})));
    // A stranger's: not kept.
    assert_eq!((log[4].status, log[4].principal.as_deref(), &log[4].body), (401, None, &None));
    assert_eq!(log[4].body_bytes, Some(small.len()));
    // Past the log's total budget (100 bytes here), older entries lose their bodies first.
    let medium = format!("{{\"options\":{{\"requestedPolicyVersion\":3}}{}}}", " ".repeat(40));
    for _ in 0..2 {
        assert_eq!(request(&emu.url, "POST", GET_POLICY, Some("alice-token"), Some(&medium)).await.0, 200);
    }
    let log = emu.requests();
    let kept: Vec<bool> = log.iter().map(|e| e.body.is_some()).collect();
    assert_eq!(kept, [false, false, false, false, true], "{log:#?}");
    // The small authenticated body evicted for the budget: its size stays.
    assert_eq!((log[1].status, log[1].body_bytes), (200, Some(small.len())));
}

#[tokio::test]
async fn the_clock_cannot_be_moved_outside_what_cel_represents() {
    let emu = start(Options::default()).await.unwrap();
    emu.set_clock("2026-11-25T12:00:00Z".parse().unwrap(), true).unwrap();
    for seconds in
        [json!(i64::MAX), json!(i64::MIN), json!(1_000_000_000_000i64), json!(-1_000_000_000_000i64)]
    {
        let (status, body) = request(
            &emu.url,
            "POST",
            "/_emulator/clock/advance",
            None,
            Some(&json!({ "seconds": seconds }).to_string()),
        )
        .await;
        assert_eq!(status, 400, "{seconds}: {body}");
        assert_eq!(
            json(&body)["error"]["message"],
            "clock: `seconds` must be between -63931204800 and 251606692799: the clock stays within \
             0001-01-01T00:00:00Z..9999-12-31T23:59:59Z, the times CEL can represent",
            "{seconds}"
        );
    }
    let (status, body) =
        request(&emu.url, "POST", "/_emulator/clock", None, Some(r#"{"time": "0000-12-31T00:00:00Z"}"#))
            .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        json(&body)["error"]["message"].as_str().unwrap().contains("outside 0001-01-01T00:00:00Z"),
        "{body}"
    );
    // Nothing moved, and every route still answers.
    assert_eq!(emu.now().to_rfc3339(), "2026-11-25T12:00:00+00:00");
    assert_eq!(request(&emu.url, "POST", GET_POLICY, Some("alice-token"), None).await.0, 200);
    // The edges themselves are fine.
    let (status, body) =
        request(&emu.url, "POST", "/_emulator/clock/advance", None, Some(r#"{"seconds": 251606692799}"#))
            .await;
    assert_eq!((status, json(&body)["time"].clone()), (200, json!("9999-12-31T23:59:59Z")));
    assert_eq!(request(&emu.url, "POST", GET_POLICY, Some("alice-token"), None).await.0, 200);
}

#[tokio::test]
async fn bad_faults_are_refused() {
    let emu = start(Options::default()).await.unwrap();
    let (status, body) =
        request(&emu.url, "POST", "/_emulator/faults", None, Some(r#"{"dropRate": 2}"#)).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(json(&body)["error"]["message"], "faults: `dropRate` must be between 0 and 1, not 2");
}

/// A state file the emulator could not serve is refused at start with the reason.
#[tokio::test]
async fn unservable_state_files_are_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let mut cases = Vec::new();
    let mut broken_clock: Value = serde_json::from_str(jit_emulator::DEMO_SEED).unwrap();
    broken_clock["clock"] = json!({"offsetSeconds": i64::MAX});
    cases.push((broken_clock, "the clock (offsetSeconds 9223372036854775807, frozenAt none) is outside"));
    let mut bad_member: Value = serde_json::from_str(jit_emulator::DEMO_SEED).unwrap();
    bad_member["policies"]["projects/jit-demo-dev"]["bindings"][0]["members"] = json!(["alice@example.com"]);
    cases.push((
        bad_member,
        "the policy of `projects/jit-demo-dev` cannot be served: Policy members must be of the form",
    ));
    let mut bad_condition: Value = serde_json::from_str(jit_emulator::DEMO_SEED).unwrap();
    bad_condition["policies"]["projects/jit-demo-prod"]["bindings"][0]["condition"]["expression"] =
        json!("request.time <");
    cases.push((bad_condition, "Condition expression is invalid"));
    let mut failures = Vec::new();
    for (state, want) in cases {
        std::fs::write(&path, state.to_string()).unwrap();
        match start(Options { state: Some(path.clone()), ..Options::default() }).await {
            Err(Error::Usage { message, hint }) => {
                if !message.starts_with(&format!("the state file `{}` cannot be served: ", path.display()))
                    || !message.contains(want)
                    || hint.is_none()
                {
                    failures.push(format!("{want}: got {message}"));
                }
            }
            Err(e) => failures.push(format!("{want}: got {e:?}")),
            Ok(_) => failures.push(format!("{want}: started")),
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
