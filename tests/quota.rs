//! Google's rate quotas (issue 22) and paged reads that end (issue 17 item 4): the emulator's
//! quotas and their 429s, a cleanup that runs into them and still finishes with everything done
//! and no failure, and a listing against a server that never stops sending page tokens.

use std::io::{BufRead, BufReader, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::TimeDelta;
use serde_json::{Value, json};

use crate::harness;

const ORG: &str = "123456789012";

/// An organization of `n` projects; those whose index is in `expired` hold a jit binding that
/// ended in 2020 (and every project a live one that ends in 2030), alice may search it.
fn org_seed(n: usize, expired: &[usize]) -> Value {
    let mut projects = vec![];
    let mut policies = serde_json::Map::new();
    let live =
        json!({"expression": "request.time < timestamp(\"2030-01-01T00:00:00Z\")", "title": "jit live"});
    let old = json!({"expression": "request.time < timestamp(\"2020-01-01T00:00:00Z\")", "title": "jit old"});
    for i in 0..n {
        let id = format!("p-{i:04}-quota");
        projects.push(json!({"projectId": id, "projectNumber": format!("{}", 600_000_000_000u64 + i as u64), "parent": format!("organizations/{ORG}")}));
        let mut bindings = vec![
            json!({"role": "roles/logging.viewer", "members": ["user:bob@example.com"], "condition": live}),
        ];
        if expired.contains(&i) {
            bindings.push(
                json!({"role": "roles/storage.admin", "members": ["user:carol@example.com"], "condition": old}),
            );
        }
        policies.insert(
            format!("projects/{id}"),
            json!({"bindings": bindings, "version": 3, "etag": "BwYAAAAAAAE="}),
        );
    }
    policies.insert(
        format!("organizations/{ORG}"),
        json!({"bindings": [
            {"role": "roles/resourcemanager.organizationAdmin", "members": ["user:alice@example.com"]},
            {"role": "roles/cloudasset.viewer", "members": ["user:alice@example.com"]},
        ]}),
    );
    json!({
        "organizations": [{"name": format!("organizations/{ORG}"), "displayName": "example.com"}],
        "projects": projects,
        "policies": policies,
        "tokens": [{"token": "alice-token", "principal": "user:alice@example.com"}],
    })
}

#[test]
fn over_quota_the_emulator_answers_429_as_google_does_and_the_window_refills_with_its_clock() {
    let emu = harness::emulator().seed(org_seed(2, &[])).clock("2026-12-07T12:00:00Z", true).start();
    let set = |quotas: Value| emu.request("POST", "/_emulator/quotas", None, Some(quotas));
    // Off by default.
    let a = emu.request("GET", "/_emulator/quotas", None, None);
    assert_eq!(a.json()["writesPerMinute"], 0);
    let bad = set(json!({"writesPerMinute": 2_000_000}));
    assert_eq!(bad.status, 400, "{}", bad.text);
    assert!(bad.text.contains("`writesPerMinute` must be at most 1000000"), "{}", bad.text);
    let bad = set(json!({"writesPerHour": 1}));
    assert_eq!(bad.status, 400, "an unknown quota is refused: {}", bad.text);
    assert_eq!(set(json!({"writesPerMinute": 2, "searchesPerMinute": 1})).status, 200);

    let policy = emu.policy("projects/p-0000-quota");
    let write = |path: &str| {
        let mut p = emu.policy("projects/p-0000-quota");
        p["version"] = json!(3);
        emu.request("POST", path, Some("alice-token"), Some(json!({"policy": p})))
    };
    assert_eq!(write("/v3/projects/p-0000-quota:setIamPolicy").status, 200);
    assert_eq!(write("/v1/projects/p-0000-quota:setIamPolicy").status, 200);
    let written = emu.policy("projects/p-0000-quota")["etag"].clone();
    assert_ne!(written, policy["etag"]);
    let over = write("/v3/projects/p-0000-quota:setIamPolicy");
    assert_eq!(over.status, 429, "{}", over.text);
    let e = &over.json()["error"];
    assert_eq!(e["status"], "RESOURCE_EXHAUSTED");
    assert_eq!(
        e["message"],
        "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute' of service \
         'cloudresourcemanager.googleapis.com' for consumer 'project_number:0'."
    );
    assert_eq!(e["details"][0]["@type"], "type.googleapis.com/google.rpc.ErrorInfo");
    assert_eq!(e["details"][0]["reason"], "RATE_LIMIT_EXCEEDED");
    assert_eq!(
        e["details"][0]["metadata"]["quota_metric"],
        "cloudresourcemanager.googleapis.com/write_requests"
    );
    assert_eq!(e["details"][0]["metadata"]["quota_limit"], "WriteRequestsPerMinutePerProject");
    assert_eq!(e["details"][0]["metadata"]["quota_limit_value"], "2");
    assert_eq!(e["details"][1]["@type"], "type.googleapis.com/google.rpc.Help");
    assert!(e.get("errors").is_none(), "v3 has no errors[]");
    assert_eq!(over.header("retry-after"), None, "Google's quota answer carries no Retry-After");
    // The v1 surface adds its errors[] item; the refused write changed nothing.
    let v1 = write("/v1/projects/p-0000-quota:setIamPolicy");
    assert_eq!(v1.json()["error"]["errors"][0]["reason"], "rateLimitExceeded");
    assert_eq!(emu.policy("projects/p-0000-quota")["etag"], written, "a refused write changes nothing");

    // The emulator's clock a minute on, the window has room again: no test waits for it.
    emu.advance(60);
    assert_eq!(write("/v3/projects/p-0000-quota:setIamPolicy").status, 200);

    // Searches: one a minute.
    let search = || {
        emu.request(
            "GET",
            &format!("/v1/organizations/{ORG}:searchAllIamPolicies"),
            Some("alice-token"),
            None,
        )
    };
    assert_eq!(search().status, 200);
    let over = search();
    assert_eq!(over.status, 429);
    assert_eq!(
        over.json()["error"]["details"][0]["metadata"]["quota_metric"],
        "cloudasset.googleapis.com/search_all_iam_policies_requests"
    );
    let counts = emu.request("GET", "/_emulator/quotas", None, None).json();
    assert_eq!(
        (counts["refused"]["writes"].clone(), counts["refused"]["searches"].clone()),
        (json!(2), json!(1))
    );

    // DELETE turns them off.
    assert_eq!(emu.request("DELETE", "/_emulator/quotas", None, None).status, 200);
    assert_eq!(search().status, 200);
}

#[test]
fn a_bucket_takes_one_policy_write_a_second_and_says_so_in_storages_shape() {
    let emu = harness::emulator().clock("2026-12-07T12:00:00Z", true).start();
    emu.handle().set_quotas(jit_emulator::server::quota::Quotas {
        bucket_updates_per_second: 1,
        ..Default::default()
    });
    let bucket = "jit-demo-prod-data";
    let put = || {
        let mut p = emu
            .request(
                "GET",
                &format!("/storage/v1/b/{bucket}/iam?optionsRequestedPolicyVersion=3"),
                Some("alice-token"),
                None,
            )
            .json();
        p["version"] = json!(3);
        emu.request("PUT", &format!("/storage/v1/b/{bucket}/iam"), Some("alice-token"), Some(p))
    };
    assert_eq!(put().status, 200);
    let over = put();
    assert_eq!(over.status, 429, "{}", over.text);
    let e = &over.json()["error"];
    assert_eq!(e["errors"][0]["domain"], "usageLimits");
    assert_eq!(e["errors"][0]["reason"], "rateLimitExceeded");
    assert!(e.get("status").is_none() && e.get("details").is_none(), "Storage's own shape: {e}");
    emu.advance(1);
    assert_eq!(put().status, 200);
}

/// Runs `run` while a helper moves the emulator's clock a minute on each time the emulator
/// refuses a call over quota: the quota's window refills at once instead of after a minute of
/// waiting, and the run is made to go through it.
fn refilling<T>(emu: &harness::Emulator, run: impl FnOnce() -> T) -> T {
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        let handle = emu.handle();
        s.spawn(|| {
            let mut seen = 0;
            while !done.load(Ordering::SeqCst) {
                let refused = handle.quotas_refused();
                if refused > seen {
                    seen = refused;
                    handle.set_clock(handle.now() + TimeDelta::seconds(61), false).unwrap();
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        });
        let out = run();
        done.store(true, Ordering::SeqCst);
        out
    })
}

#[test]
fn a_cleanup_that_hits_the_quota_finishes_with_everything_done_and_no_failure() {
    // 620 projects (two search pages), 14 with an expired grant; the emulator allows 10 writes and
    // 1 search a minute. jit's default pace bursts past that, so it runs into 429s.
    let expired: Vec<usize> = (0..14).map(|i| i * 41).collect();
    let emu = harness::emulator().seed(org_seed(620, &expired)).start();
    emu.handle().set_quotas(jit_emulator::server::quota::Quotas {
        writes_per_minute: 10,
        searches_per_minute: 1,
        ..Default::default()
    });
    // One try per call: only because a 429 costs time, not a try, can this run finish.
    let run = refilling(&emu, || {
        emu.jit(&[
            "--retry-attempts",
            "1",
            "--verbose",
            "cleanup",
            "--organization",
            ORG,
            "--recursive",
            "--format",
            "json",
        ])
        .run()
    });
    assert_eq!(run.code, 0, "stdout: {}\nstderr: {}", run.stdout, run.stderr);
    assert!(!run.stderr.lines().any(|l| l.starts_with("error:")), "{}", run.stderr);
    assert!(run.stderr.contains("writes paced to 600 a minute per service"), "{}", run.stderr);
    let removed = run.json()["removed"].as_array().unwrap().len();
    assert_eq!(removed, 14, "every expired grant removed, once");
    for i in 0..620 {
        let p = emu.stored(&format!("projects/p-{i:04}-quota"));
        assert_eq!(p.bindings.len(), 1, "p-{i:04}: only the live grant stays");
        assert_eq!(p.bindings[0].role, "roles/logging.viewer");
    }
    assert!(emu.handle().quotas_refused() >= 1, "the run did hit the quota");
    let log = emu.requests();
    let writes_ok = log
        .iter()
        .filter(|r| r["path"].as_str().unwrap().ends_with(":setIamPolicy") && r["status"] == 200)
        .count();
    assert_eq!(writes_ok, 14, "nothing written twice");
    assert!(log.iter().any(|r| r["status"] == 429), "some calls were answered 429");
}

/// A server that answers every page with a new page token, forever: one search result (a project
/// with a live grant), no folders, no projects; and a policy for any getIamPolicy.
fn endless_server() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut n = 0u64;
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            n += 1;
            let token = format!("page-{n}");
            let path = request_line.split_whitespace().nth(1).unwrap_or_default();
            let answer = if path.contains(":searchAllIamPolicies") {
                json!({"results": [{
                    "resource": "//cloudresourcemanager.googleapis.com/projects/600000000001",
                    "assetType": "cloudresourcemanager.googleapis.com/Project",
                    "project": "projects/600000000001",
                    "policy": {"bindings": [{"role": "roles/logging.viewer", "members": ["user:bob@example.com"],
                        "condition": {"title": "jit", "expression": "request.time < timestamp(\"2030-01-01T00:00:00Z\")"}}]},
                }], "nextPageToken": token})
            } else if path.contains(":getIamPolicy") {
                json!({"version": 1, "etag": "BwX1", "bindings": []})
            } else if path.starts_with("/v3/folders") {
                json!({"folders": [], "nextPageToken": token})
            } else if path.starts_with("/v3/projects") {
                json!({"projects": [], "nextPageToken": token})
            } else {
                json!({})
            };
            let text = answer.to_string();
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                text.len()
            );
        }
    });
    url
}

#[test]
fn a_server_that_never_stops_sending_page_tokens_is_stopped_and_the_scope_named_exit_4() {
    let url = endless_server();
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "a-token").unwrap();
    for via in ["asset", "walk"] {
        let run = crate::support::jit(&[
            "--endpoint",
            &url,
            "--access-token-file",
            token.to_str().unwrap(),
            "--list-timeout",
            "1s",
            "--searches-per-minute",
            "0",
            "list",
            "--organization",
            ORG,
            "--recursive",
            "--via",
            via,
            "--format",
            "json",
        ])
        .run();
        assert_eq!(run.code, 4, "--via {via}: stdout: {}\nstderr: {}", run.stdout, run.stderr);
        let line = run.error_line();
        assert!(line.contains(&format!("organizations/{ORG}")), "--via {via}: {line}");
        assert!(line.contains("a listing may take 1s at most (--list-timeout)"), "--via {via}: {line}");
        if via == "asset" {
            assert_eq!(run.json().as_array().unwrap().len(), 1, "what was read is shown: {}", run.stdout);
        }
    }
    let bad = crate::support::jit(&["--list-timeout", "0s", "list", "--project", "p-123456"]).run();
    assert_eq!((bad.code, bad.error_line()), (2, "error: the duration `0s` is zero"));
}

#[test]
#[cfg(unix)]
fn a_cleanup_killed_part_way_says_how_far_it_got_and_a_second_run_does_only_what_is_left() {
    // 20 projects, all with an expired grant; one resource at a time, 20 ms a call, so that the
    // run is still going when it is stopped.
    let expired: Vec<usize> = (0..20).collect();
    let emu = harness::emulator().seed(org_seed(20, &expired)).faults(json!({"latencyMs": 20})).start();
    let token = emu.file("alice.token", "alice-token");
    let args = [
        "--endpoint",
        emu.url.as_str(),
        "--access-token-file",
        token.to_str().unwrap(),
        "cleanup",
        "--organization",
        ORG,
        "--recursive",
        "--concurrency",
        "1",
        "--format",
        "json",
    ];
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_jit"))
        .args(args)
        .env("TZ", "UTC")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let written = |emu: &harness::Emulator| {
        emu.requests()
            .iter()
            .filter(|r| r["path"].as_str().unwrap().ends_with(":setIamPolicy") && r["status"] == 200)
            .count()
    };
    // Stopped once a few policies are written (an event, not a time).
    while written(&emu) < 3 {
        assert!(child.try_wait().unwrap().is_none(), "the run ended before it could be stopped");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    // SAFETY: kill(2) on the child's own pid.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(out.status.signal(), Some(libc::SIGTERM), "it ends as the signal would: {stderr}");
    let line =
        stderr.lines().find(|l| l.starts_with("jit: stopped after")).unwrap_or_else(|| panic!("{stderr}"));
    let done: usize = line["jit: stopped after ".len()..].split(' ').next().unwrap().parse().unwrap();
    assert!(line.contains(" of 20 resources"), "{line}");
    let first = written(&emu);
    assert!(done >= 3 && done <= first && first < 20, "done {done}, written {first}: {line}");

    // Run again: only what is left, nothing twice. (A write in flight when the first run died
    // may still land: the second run's fresh read then finds nothing to do there.)
    let run = emu.jit(&["cleanup", "--organization", ORG, "--recursive", "--format", "json"]).run().ok();
    let second = run.json()["removed"].as_array().unwrap().len();
    assert!(
        second + first <= 20 && second + first + 1 >= 20,
        "first {first}, second {second}: {}",
        run.stdout
    );
    assert_eq!(written(&emu), 20, "each expired grant removed once, across the two runs");
    for i in 0..20 {
        assert_eq!(emu.stored(&format!("projects/p-{i:04}-quota")).bindings.len(), 1);
    }
}
