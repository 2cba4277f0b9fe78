//! `jit history` against the emulator (issue 11 item 5): grants, extensions, revocations and
//! cleanups, each read back from the Admin Activity entries the emulator writes, with the right
//! actor and reason.

use serde_json::{Value, json};

use crate::harness::{self, Emulator};

const PROD: &str = "jit-demo-prod";
/// The cleanup service account of the demo seed (Security Admin on the organization).
const CLEANUP_SA: &str = "jit-cleanup@jit-demo-prod.iam.gserviceaccount.com";

/// `(action, role, member, by, reason)` of each event, oldest first.
fn summary(events: &Value) -> Vec<(String, String, String, String, String)> {
    let s = |v: &Value| v.as_str().unwrap_or("-").to_string();
    events
        .as_array()
        .expect("a list of events")
        .iter()
        .map(|e| (s(&e["action"]), s(&e["role"]), s(&e["member"]), s(&e["by"]), s(&e["reason"])))
        .collect()
}

fn row(
    action: &str,
    role: &str,
    member: &str,
    by: &str,
    reason: &str,
) -> (String, String, String, String, String) {
    (action.into(), role.into(), member.into(), by.into(), reason.into())
}

fn grant(emu: &Emulator, token: &str, role: &str, member: &str, duration: &str, reason: &str) {
    emu.jit_as(
        token,
        &[
            "grant",
            role,
            "--member",
            member,
            "--for",
            duration,
            "--reason",
            reason,
            "--project",
            PROD,
            "--format",
            "json",
        ],
    )
    .run()
    .ok();
}

#[test]
fn grant_extend_revoke_and_cleanup_each_show_with_their_actor() {
    // Carol's INC-9 grant has already ended (seeded: no test waits for a grant to end, issue 20
    // item 6); the cleanup below removes it with the seed's own expired grant.
    let seed = harness::demo_seed_with_expired(&[(
        "projects/jit-demo-prod",
        "roles/pubsub.viewer",
        "user:carol@example.com",
        Some("INC-9"),
    )]);
    let emu = harness::emulator().seed(seed).start();
    grant(&emu, "alice-token", "roles/logging.viewer", "bob@example.com", "2h", "INC-7");
    grant(&emu, "alice-token", "roles/logging.viewer", "bob@example.com", "4h", "INC-8");
    grant(&emu, "alice-token", "roles/storage.admin", "carol@example.com", "2h", "CHG-1");
    emu.jit(&[
        "revoke",
        "roles/storage.admin",
        "--member",
        "carol@example.com",
        "--project",
        PROD,
        "--format",
        "json",
    ])
    .run()
    .ok();
    emu.jit_as("cleanup-token", &["cleanup", "--project", PROD, "--format", "json"]).run().ok();

    let run = emu.jit(&["history", "--project", PROD, "--format", "json"]).run().ok();
    let events = run.json();
    assert_eq!(
        summary(&events),
        vec![
            row("granted", "roles/logging.viewer", "user:bob@example.com", "alice@example.com", "INC-7"),
            row("extended", "roles/logging.viewer", "user:bob@example.com", "alice@example.com", "INC-8"),
            row("granted", "roles/storage.admin", "user:carol@example.com", "alice@example.com", "CHG-1"),
            row("revoked", "roles/storage.admin", "user:carol@example.com", "alice@example.com", "CHG-1"),
            // The seed's own expired grant goes in the same cleanup.
            row("cleaned-up", "roles/bigquery.dataViewer", "user:carol@example.com", CLEANUP_SA, "-"),
            row("cleaned-up", "roles/pubsub.viewer", "user:carol@example.com", CLEANUP_SA, "INC-9"),
        ]
    );
    let e = &events[1];
    assert_eq!(e["resource"], "projects/jit-demo-prod");
    assert_eq!(e["source"], "jit");
    assert_eq!(e["grantedBy"], "user:alice@example.com");
    let (before, after) = (e["previousExpires"].as_str().unwrap(), e["expires"].as_str().unwrap());
    assert!(before < after, "{before} → {after}");
    assert_eq!(events[0]["expires"], e["previousExpires"], "the extension starts from the first grant's end");

    // --member and --role narrow the query Google is sent, and the rows.
    let bob = emu
        .jit(&["history", "--project", PROD, "--member", "bob@example.com", "--format", "json"])
        .run()
        .ok();
    assert_eq!(summary(&bob.json()).len(), 2);
    let admin = emu
        .jit(&["history", "--project", PROD, "--role", "roles/storage.admin", "--format", "json"])
        .run()
        .ok();
    assert_eq!(
        summary(&admin.json()).iter().map(|r| r.0.as_str()).collect::<Vec<_>>(),
        ["granted", "revoked"]
    );
    let sent: Vec<Value> = emu.requests().into_iter().filter(|r| r["path"] == "/v2/entries:list").collect();
    assert_eq!(sent.last().expect("entries:list was called")["query"], "alt=json&prettyPrint=false");
    let last = &sent.last().expect("entries:list was called")["body"];
    assert_eq!(last["resourceNames"], json!(["projects/jit-demo-prod"]));
    assert_eq!(last["orderBy"], "timestamp desc");
    assert_eq!(last["pageSize"], 1000);
    let filter = last["filter"].as_str().unwrap();
    assert!(
        filter.starts_with(
            "(logName:\"/logs/cloudaudit.googleapis.com%2Factivity\" AND \
             protoPayload.serviceName=\"cloudresourcemanager.googleapis.com\" AND protoPayload.methodName:\"SetIamPolicy\" AND timestamp>=\""
        ) && filter.contains(
            "AND resource.type=\"project\" AND protoPayload.serviceData.policyDelta.bindingDeltas.role=\"roles/storage.admin\") \
             OR (protoPayload.serviceName=\"privilegedaccessmanager.googleapis.com\" AND "
        ),
        "{filter}"
    );

    // The table, as a person reads it.
    let table =
        emu.jit(&["history", "--project", PROD, "--format", "table"]).env("COLUMNS", "400").run().ok();
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert!(
        lines[0].starts_with("TIME (UTC)") && lines[0].contains("ACTION") && lines[0].contains("REASON"),
        "{}",
        lines[0]
    );
    assert_eq!(lines.len(), 7, "{}", table.stdout);
    assert!(lines[6].contains("cleaned up") && lines[6].contains(CLEANUP_SA), "{}", lines[6]);
}

#[test]
fn a_bucket_reads_its_projects_log_and_text_from_the_log_is_escaped() {
    let emu = harness::emulator().start();
    emu.jit(&[
        "grant",
        "roles/storage.objectViewer",
        "--member",
        "bob@example.com",
        "--for",
        "1h",
        "--reason",
        "INC-3",
        "--bucket",
        "jit-demo-prod-data",
    ])
    .run()
    .ok();
    // Someone else's binding whose description carries an escape sequence.
    let mut policy = emu.policy("projects/jit-demo-prod");
    policy["bindings"].as_array_mut().unwrap().push(json!({
        "role": "roles/pubsub.viewer",
        "members": ["user:bob@example.com"],
        "condition": {
            "expression": "request.time < timestamp(\"2099-01-01T00:00:00Z\")",
            "title": "JIT access activation",
            "description": "Self-approved, justification: \u{1b}[31mINC-4",
        },
    }));
    emu.set_policy("projects/jit-demo-prod", policy);

    let bucket = emu.jit(&["history", "--bucket", "jit-demo-prod-data", "--format", "json"]).run().ok();
    assert_eq!(
        summary(&bucket.json()),
        vec![row(
            "granted",
            "roles/storage.objectViewer",
            "user:bob@example.com",
            "alice@example.com",
            "INC-3"
        )]
    );
    assert_eq!(bucket.json()[0]["resource"], "projects/_/buckets/jit-demo-prod-data");

    let table =
        emu.jit(&["history", "--project", PROD, "--format", "table"]).env("COLUMNS", "400").run().ok();
    assert!(table.stdout.contains("\\u{1b}[31mINC-4"), "{}", table.stdout);
    assert!(!table.stdout.contains('\u{1b}'));
    let json = emu.jit(&["history", "--project", PROD, "--format", "json"]).run().ok();
    assert_eq!(json.json()[0]["reason"], "\u{1b}[31mINC-4");
    assert_eq!(json.json()[0]["source"], "jit-access");
    assert!(json.stdout.contains("\\u001b[31mINC-4"), "{}", json.stdout);
}

#[test]
fn what_jit_cannot_ask_is_refused_before_anything_is_sent() {
    let emu = harness::emulator().start();
    for (args, error) in [
        (vec!["--since", "401d"], "error: `--since 401d` reaches past what audit logs keep"),
        (vec!["--since", "soon"], "error: `soon` is not a duration"),
        (vec!["--role", "storage.admin"], "error: `storage.admin` is not a valid role"),
        (
            vec!["--service-account", "123456789012345678"],
            "error: jit cannot tell which project's audit log holds `projects/-/serviceAccounts/123456789012345678`",
        ),
    ] {
        let mut full = vec!["history", "--project", PROD];
        full.extend(args.iter().copied());
        if full.contains(&"--service-account") {
            full.drain(1..3);
        }
        let run = emu.jit(&full).run().code(2);
        assert_eq!(run.error_line(), error, "{args:?}");
    }
    assert!(emu.requests().iter().all(|r| r["path"] != "/v2/entries:list"), "nothing was sent");
    // Nothing happened: one line, exit 0.
    let quiet = emu.jit(&["history", "--project", "jit-demo-dev", "--format", "table"]).run().ok();
    assert!(quiet.stdout.starts_with("No changes to time-bound access since "), "{}", quiet.stdout);
    // Bob may not read the project's audit log: Google's 403, named.
    let denied = emu.jit_as("bob-token", &["history", "--project", PROD]).run();
    assert_eq!(denied.code, 3, "{}", denied.stderr);
    assert!(denied.stderr.contains("logging.logEntries.list"), "{}", denied.stderr);
}

#[test]
fn every_kind_has_its_history() {
    let emu = harness::emulator().start();
    let kinds: [(&str, &str, &str, &str); 6] = [
        ("--folder", "234567890123", "roles/logging.viewer", "folders/234567890123"),
        ("--organization", "123456789012", "roles/logging.viewer", "organizations/123456789012"),
        (
            "--secret",
            "projects/jit-demo-prod/secrets/db-password",
            "roles/secretmanager.secretAccessor",
            "projects/jit-demo-prod/secrets/db-password",
        ),
        (
            "--kms-keyring",
            "projects/jit-demo-prod/locations/global/keyRings/app",
            "roles/cloudkms.cryptoKeyDecrypter",
            "projects/jit-demo-prod/locations/global/keyRings/app",
        ),
        (
            "--kms-key",
            "projects/jit-demo-prod/locations/global/keyRings/app/cryptoKeys/db",
            "roles/cloudkms.cryptoKeyDecrypter",
            "projects/jit-demo-prod/locations/global/keyRings/app/cryptoKeys/db",
        ),
        (
            "--run-service",
            "projects/jit-demo-prod/locations/europe-west1/services/api",
            "roles/run.invoker",
            "projects/jit-demo-prod/locations/europe-west1/services/api",
        ),
    ];
    for (flag, value, role, _) in kinds {
        emu.jit(&[
            "grant",
            role,
            "--member",
            "bob@example.com",
            "--for",
            "1h",
            "--reason",
            "INC-5",
            flag,
            value,
        ])
        .run()
        .ok();
    }
    for (flag, value, role, name) in kinds {
        let run = emu.jit(&["history", flag, value, "--format", "json"]).run().ok();
        let events = run.json();
        assert_eq!(
            summary(&events),
            vec![row("granted", role, "user:bob@example.com", "alice@example.com", "INC-5")],
            "{flag} {value}"
        );
        assert_eq!(events[0]["resource"], name, "{flag}");
    }
    // A service account's history is read from its project's log, by the account's address.
    let sa = "deployer@jit-demo-prod.iam.gserviceaccount.com";
    emu.jit(&[
        "grant",
        "roles/iam.serviceAccountUser",
        "--member",
        "bob@example.com",
        "--for",
        "1h",
        "--reason",
        "INC-6",
        "--service-account",
        sa,
    ])
    .run()
    .ok();
    let events = emu.jit(&["history", "--service-account", sa, "--format", "json"]).run().ok().json();
    assert_eq!(
        summary(&events),
        vec![row(
            "granted",
            "roles/iam.serviceAccountUser",
            "user:bob@example.com",
            "alice@example.com",
            "INC-6"
        )]
    );
    assert_eq!(events[0]["resource"], format!("projects/-/serviceAccounts/{sa}"));
    let sent = emu.requests().into_iter().rfind(|r| r["path"] == "/v2/entries:list").expect("entries:list");
    assert_eq!(sent["body"]["resourceNames"], json!(["projects/jit-demo-prod"]));
    assert!(
        sent["body"]["filter"]
            .as_str()
            .unwrap()
            .ends_with("resource.labels.email_id=\"deployer@jit-demo-prod.iam.gserviceaccount.com\""),
        "{}",
        sent["body"]["filter"]
    );
}

/// More entries than a page holds: every page is read, each asked with the previous page's token
/// (the next is asked for while a page is parsed), and the events come out whole and in order.
#[test]
fn every_page_is_read_in_order() {
    const N: usize = 2_345;
    let now = chrono::Utc::now();
    let project = "paged-target";
    let stamp = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let log: Vec<Value> = (0..N)
        .map(|i| {
            let at = now - chrono::Duration::minutes((N - i) as i64);
            let until = (at + chrono::Duration::hours(2)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            json!({
                "protoPayload": {
                    "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
                    "authenticationInfo": {"principalEmail": "alice@example.com"},
                    "serviceName": "cloudresourcemanager.googleapis.com",
                    "methodName": "SetIamPolicy",
                    "resourceName": format!("projects/{project}"),
                    "serviceData": {
                        "@type": "type.googleapis.com/google.iam.v1.logging.AuditData",
                        "policyDelta": {"bindingDeltas": [{
                            "action": "ADD",
                            "role": "roles/logging.viewer",
                            "member": format!("user:dev{i}@example.com"),
                            "condition": {
                                "title": format!("jit until {until}"),
                                "description": format!("Granted by user:alice@example.com at {} via jit. Reason: INC-{i}", stamp(at)),
                                "expression": format!("request.time < timestamp(\"{until}\")"),
                            },
                        }]},
                    },
                },
                "insertId": format!("paged{i:08}"),
                "resource": {"type": "project", "labels": {"project_id": project}},
                "timestamp": stamp(at),
                "severity": "NOTICE",
                "logName": format!("projects/{project}/logs/cloudaudit.googleapis.com%2Factivity"),
                "receiveTimestamp": stamp(at),
            })
        })
        .collect();
    let emu = harness::emulator()
        .seed(json!({
            "projects": [{"projectId": project, "projectNumber": "100000000077"}],
            "policies": {format!("projects/{project}"): {"version": 1, "etag": "BwYAAAAAAAE=",
                "bindings": [{"role": "roles/owner", "members": ["user:alice@example.com"]}]}},
            "tokens": [{"token": "alice-token", "principal": "user:alice@example.com"}],
            "logEntries": log,
        }))
        .start();
    let run = emu.jit(&["history", "--project", project, "--since", "7d", "--format", "json"]).run().ok();
    let events = summary(&run.json());
    assert_eq!(events.len(), N);
    for (i, e) in events.iter().enumerate() {
        assert_eq!(
            *e,
            row(
                "granted",
                "roles/logging.viewer",
                &format!("user:dev{i}@example.com"),
                "alice@example.com",
                &format!("INC-{i}")
            ),
            "event {i}, oldest first"
        );
    }
    let sent: Vec<Value> = emu.requests().into_iter().filter(|r| r["path"] == "/v2/entries:list").collect();
    assert_eq!(sent.len(), 3, "pages of 1,000");
    assert!(sent[0]["body"].get("pageToken").is_none());
    assert!(sent[1]["body"]["pageToken"].as_str().is_some_and(|t| !t.is_empty()));
    assert_ne!(sent[1]["body"]["pageToken"], sent[2]["body"]["pageToken"]);
}

/// Issue 19 item 9: a change made through impersonation shows the person behind the service
/// account (`serviceAccountDelegationInfo`), in one BY column (the table has no GRANTED BY
/// beside it); a repeated write of the same window is not "extended T → T".
#[test]
fn the_person_behind_an_impersonated_change_and_no_empty_extension() {
    let first = harness::emulator().start();
    grant(&first, "alice-token", "roles/logging.viewer", "bob@example.com", "2h", "INC-7");
    let mut entry = first.state()["logEntries"].as_array().unwrap().last().unwrap().clone();
    // As Google logs a write made with a token minted by impersonation (AuditLog's
    // serviceAccountDelegationInfo): the account wrote, alice acted through it.
    let sa = "deployer@jit-demo-prod.iam.gserviceaccount.com";
    entry["protoPayload"]["authenticationInfo"] = json!({
        "principalEmail": sa,
        "serviceAccountDelegationInfo": [{"firstPartyPrincipal": {"principalEmail": "alice@example.com"}}]
    });
    // The same window written again (as a tool that rewrites every binding would): a REMOVE and
    // an ADD of the same condition.
    let mut again = entry.clone();
    again["insertId"] = json!(format!("{}-again", entry["insertId"].as_str().unwrap()));
    let deltas =
        entry["protoPayload"]["serviceData"]["policyDelta"]["bindingDeltas"].as_array().unwrap().clone();
    let mut both = Vec::new();
    for d in deltas {
        let mut removed = d.clone();
        removed["action"] = json!("REMOVE");
        both.push(removed);
        both.push(d);
    }
    again["protoPayload"]["serviceData"]["policyDelta"]["bindingDeltas"] = json!(both);
    let mut seed = serde_json::to_value(jit_emulator::demo_seed()).unwrap();
    seed["logEntries"] = json!([entry, again]);
    let emu = harness::emulator().seed(seed).start();
    let run = emu.jit(&["history", "--project", PROD, "--format", "json"]).run().ok();
    let events = run.json();
    assert_eq!(events.as_array().unwrap().len(), 1, "the rewrite is no event: {events}");
    assert_eq!(events[0]["action"], "granted");
    assert_eq!(events[0]["by"], sa);
    assert_eq!(events[0]["delegationChain"], json!(["alice@example.com"]));
    let table =
        emu.jit(&["history", "--project", PROD, "--format", "table"]).env("COLUMNS", "200").run().ok();
    assert!(table.stdout.contains(&format!("alice@example.com via {sa}")), "{}", table.stdout);
    let header = table.stdout.lines().next().unwrap();
    assert_eq!(header.matches("BY").count(), 1, "one BY column: {header}");
}
