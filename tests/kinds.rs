//! Issue 9 end to end: the real `jit` binary against the emulator on every resource kind below a
//! project (bucket, secret, KMS key ring and key, Cloud Run service, and their `--resource //…`
//! full names): grant, list, revoke and cleanup, untargeted bindings unchanged, kinds mixed with
//! `--project`, interop with gcloud both ways, bad input, and docs/usage.md's examples run as
//! written.

use chrono::{Duration, SubsecRound, Utc};
use jit::policy::Policy;
use serde_json::{Value, json};

use crate::harness::{self, Emulator, gcloud_available};
use crate::support::jit;

const MEMBER: &str = "bob@example.com";

/// One kind as jit addresses it.
struct Kind {
    /// The flags that name the resource.
    flags: &'static [&'static str],
    /// The stored (canonical) name: jit's `resource` field and the emulator's key.
    name: &'static str,
    role: &'static str,
}

const KINDS: &[Kind] = &[
    Kind {
        flags: &["--bucket", "jit-demo-prod-data"],
        name: "projects/_/buckets/jit-demo-prod-data",
        role: "roles/storage.objectViewer",
    },
    Kind {
        flags: &["--bucket", "gs://jit-demo-prod-data"],
        name: "projects/_/buckets/jit-demo-prod-data",
        role: "roles/storage.objectAdmin",
    },
    Kind {
        flags: &["--secret", "projects/jit-demo-prod/secrets/db-password"],
        name: "projects/jit-demo-prod/secrets/db-password",
        role: "roles/secretmanager.secretAccessor",
    },
    Kind {
        // A bare secret name is in the default project (CLOUDSDK_CORE_PROJECT, set by `kjit`).
        flags: &["--secret", "db-password"],
        name: "projects/jit-demo-prod/secrets/db-password",
        role: "roles/secretmanager.viewer",
    },
    Kind {
        flags: &["--kms-keyring", "projects/jit-demo-prod/locations/global/keyRings/app"],
        name: "projects/jit-demo-prod/locations/global/keyRings/app",
        role: "roles/cloudkms.cryptoKeyEncrypterDecrypter",
    },
    Kind {
        flags: &["--kms-key", "projects/jit-demo-prod/locations/global/keyRings/app/cryptoKeys/db"],
        name: "projects/jit-demo-prod/locations/global/keyRings/app/cryptoKeys/db",
        role: "roles/cloudkms.cryptoKeyDecrypter",
    },
    Kind {
        flags: &["--run-service", "projects/jit-demo-prod/locations/europe-west1/services/api"],
        name: "projects/jit-demo-prod/locations/europe-west1/services/api",
        role: "roles/run.invoker",
    },
    Kind {
        flags: &["--run-service", "api", "--region", "europe-west1"],
        name: "projects/jit-demo-prod/locations/europe-west1/services/api",
        role: "roles/run.viewer",
    },
    Kind {
        flags: &["--resource", "//storage.googleapis.com/projects/_/buckets/jit-demo-prod-data"],
        name: "projects/_/buckets/jit-demo-prod-data",
        role: "roles/storage.legacyBucketReader",
    },
    Kind {
        flags: &["--resource", "//secretmanager.googleapis.com/projects/jit-demo-prod/secrets/db-password"],
        name: "projects/jit-demo-prod/secrets/db-password",
        role: "roles/secretmanager.secretVersionManager",
    },
    Kind {
        flags: &[
            "--resource",
            "//cloudkms.googleapis.com/projects/jit-demo-prod/locations/global/keyRings/app/cryptoKeys/db",
        ],
        name: "projects/jit-demo-prod/locations/global/keyRings/app/cryptoKeys/db",
        role: "roles/cloudkms.cryptoKeyEncrypter",
    },
    Kind {
        flags: &[
            "--resource",
            "//run.googleapis.com/projects/jit-demo-prod/locations/europe-west1/services/api",
        ],
        name: "projects/jit-demo-prod/locations/europe-west1/services/api",
        role: "roles/run.developer",
    },
];

/// `jit` as alice with `jit-demo-prod` as the default project (for the bare secret and service).
fn kjit(emu: &Emulator, args: &[&str]) -> crate::support::Jit {
    emu.jit(args).env("CLOUDSDK_CORE_PROJECT", "jit-demo-prod")
}

/// `args` then the kind's flags.
fn with<'a>(args: &[&'a str], k: &'a Kind) -> Vec<&'a str> {
    [args, k.flags].concat()
}

/// The stored bindings as JSON, without those of `role` for `member` (what a command targets).
fn untargeted(p: &Policy, role: &str, member: &str) -> Vec<Value> {
    p.bindings
        .iter()
        .filter(|b| !(b.role == role && b.members.iter().any(|m| m == member)))
        .map(|b| serde_json::to_value(b).unwrap())
        .collect()
}

fn expression(until: &str) -> String {
    format!("request.time < timestamp(\"{until}\")")
}

/// A grant's exact binding object (docs/output.md), until `until`.
fn row(k: &Kind, until: &str, state: &str, description: &str) -> Value {
    json!({
        "resource": k.name,
        "role": k.role,
        "member": format!("user:{MEMBER}"),
        "starts": null,
        "expires": until,
        "state": state,
        "source": "jit",
        "grantedBy": "user:alice@example.com",
        "reason": "INC-9",
        "title": format!("jit until {until}"),
        "description": description,
        "expression": expression(until),
    })
}

/// The description of a grant report's one row, checked against jit's format: `Granted by WHO at
/// NOW via jit. Reason: WHY` (NOW is jit's clock, so only its shape is known beforehand).
#[track_caller]
fn description(report: &Value) -> String {
    let d = report["granted"][0]["description"].as_str().unwrap_or_else(|| panic!("{report}"));
    let at = d
        .strip_prefix("Granted by user:alice@example.com at ")
        .and_then(|r| r.strip_suffix(" via jit. Reason: INC-9"))
        .unwrap_or_else(|| panic!("{d}"));
    assert!(chrono::DateTime::parse_from_rfc3339(at).is_ok(), "{d}");
    d.to_string()
}

fn grant(emu: &Emulator, k: &Kind, until: &str) -> Value {
    kjit(
        emu,
        &with(
            &["grant", k.role, "--until", until, "--member", MEMBER, "--reason", "INC-9", "--format", "json"],
            k,
        ),
    )
    .run()
    .ok()
    .json()
}

/// grant → list → revoke, then cleanup of a grant that has ended, on every kind, each leaving
/// every other binding of the stored policy as it was.
#[test]
fn grant_list_revoke_cleanup_on_every_kind() {
    let emu = harness::emulator().start();
    let until =
        (Utc::now() + Duration::hours(2)).trunc_subsecs(0).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    for k in KINDS {
        let ctx = k.flags.join(" ");
        let before = emu.stored(k.name);
        let report = grant(&emu, k, &until);
        let desc = description(&report);
        let row = |state| row(k, &until, state, &desc);
        assert_eq!(report["granted"], json!([row("active")]), "{ctx}: {report}");
        assert_eq!(report["errors"], json!([]), "{ctx}");
        let after = emu.stored(k.name);
        assert_eq!(after.version, Some(3), "{ctx}");
        assert_eq!(
            untargeted(&after, k.role, &format!("user:{MEMBER}")),
            untargeted(&before, k.role, &format!("user:{MEMBER}")),
            "{ctx}"
        );
        let granted: Vec<&jit::policy::Binding> = after
            .bindings
            .iter()
            .filter(|b| b.role == k.role && b.members.iter().any(|m| m == &format!("user:{MEMBER}")))
            .collect();
        assert_eq!(granted.len(), 1, "{ctx}");
        assert_eq!(granted[0].condition.as_ref().unwrap().expression, expression(&until), "{ctx}");

        let rows = kjit(&emu, &with(&["list", "--member", MEMBER, "--format", "json"], k)).run().ok().json();
        assert_eq!(rows, json!([row("active")]), "{ctx}");

        let report = kjit(&emu, &with(&["revoke", k.role, "--member", MEMBER, "--format", "json"], k))
            .run()
            .ok()
            .json();
        assert_eq!(report["removed"], json!([row("active")]), "{ctx}");
        assert_eq!(
            serde_json::to_value(&emu.stored(k.name).bindings).unwrap(),
            serde_json::to_value(&before.bindings).unwrap(),
            "{ctx}: revoke restores the bindings"
        );
        let rows = kjit(&emu, &with(&["list", "--member", MEMBER, "--format", "json"], k)).run().ok().json();
        assert_eq!(rows, json!([]), "{ctx}");
    }
    // Cleanup: a grant per resource that has already ended, as `jit grant` writes one (seeded: no
    // test waits for a grant to end, issue 20 item 6), on an emulator of its own.
    let mut names: Vec<&Kind> = Vec::new();
    for k in KINDS {
        if names.iter().any(|n| n.name == k.name) {
            continue;
        }
        names.push(k);
    }
    let member = format!("user:{MEMBER}");
    let expired: Vec<(&str, &str, &str, Option<&str>)> =
        names.iter().map(|k| (k.name, k.role, member.as_str(), None)).collect();
    let emu = harness::emulator().seed(harness::demo_seed_with_expired(&expired)).start();
    let befores: Vec<Policy> = names.iter().map(|k| without(emu.stored(k.name), k.role, &member)).collect();
    for (k, before) in names.iter().zip(&befores) {
        let ctx = k.flags.join(" ");
        let report = kjit(&emu, &with(&["cleanup", "--format", "json"], k)).run().ok().json();
        let removed = report["removed"].as_array().unwrap();
        assert_eq!(removed.len(), 1, "{ctx}: {report}");
        assert_eq!(removed[0]["resource"], k.name, "{ctx}");
        assert_eq!(removed[0]["role"], k.role, "{ctx}");
        assert_eq!(removed[0]["member"], format!("user:{MEMBER}"), "{ctx}");
        assert_eq!(removed[0]["state"], "expired", "{ctx}");
        assert_eq!(
            serde_json::to_value(&emu.stored(k.name).bindings).unwrap(),
            serde_json::to_value(&before.bindings).unwrap(),
            "{ctx}"
        );
        let again = kjit(&emu, &with(&["cleanup", "--format", "json"], k)).run().ok().json();
        assert_eq!(again["removed"], json!([]), "{ctx}: idempotent");
    }
}

/// `policy` without the time-bound binding of `role` to `member` (what cleanup should leave).
fn without(mut policy: Policy, role: &str, member: &str) -> Policy {
    policy
        .bindings
        .retain(|b| !(b.role == role && b.condition.is_some() && b.members.iter().any(|m| m == member)));
    policy
}

fn two_hours() -> String {
    (Utc::now() + Duration::hours(2)).trunc_subsecs(0).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Kinds and `--project` in one command: one read-modify-write per resource, one list over all.
/// The role is one that applies to every kind (issue 18: Google refuses a role none of whose
/// permissions applies to the resource).
#[test]
fn kinds_mix_with_projects_in_one_command() {
    let emu = harness::emulator().start();
    let until = two_hours();
    let report = emu
        .jit(&[
            "grant",
            "roles/iam.securityReviewer",
            "--until",
            &until,
            "--member",
            MEMBER,
            "--format",
            "json",
            "--project",
            "jit-demo-prod",
            "--bucket",
            "jit-demo-prod-data",
            "--secret",
            "projects/jit-demo-prod/secrets/db-password",
        ])
        .run()
        .ok()
        .json();
    let resources: Vec<&str> =
        report["granted"].as_array().unwrap().iter().map(|r| r["resource"].as_str().unwrap()).collect();
    assert_eq!(
        resources,
        [
            "projects/jit-demo-prod",
            "projects/_/buckets/jit-demo-prod-data",
            "projects/jit-demo-prod/secrets/db-password"
        ],
        "{report}"
    );
    let rows = emu
        .jit(&[
            "list",
            "--project",
            "jit-demo-prod",
            "--bucket",
            "jit-demo-prod-data",
            "--secret",
            "projects/jit-demo-prod/secrets/db-password",
            "--member",
            MEMBER,
            "--format",
            "json",
        ])
        .run()
        .ok()
        .json();
    let mut listed: Vec<&str> =
        rows.as_array().unwrap().iter().map(|r| r["resource"].as_str().unwrap()).collect();
    listed.sort_unstable();
    assert_eq!(
        listed,
        [
            "projects/_/buckets/jit-demo-prod-data",
            "projects/jit-demo-prod",
            "projects/jit-demo-prod/secrets/db-password"
        ],
        "{rows}"
    );
    let report = emu
        .jit(&[
            "revoke",
            "roles/iam.securityReviewer",
            "--member",
            MEMBER,
            "--project",
            "jit-demo-prod",
            "--bucket",
            "jit-demo-prod-data",
            "--secret",
            "projects/jit-demo-prod/secrets/db-password",
            "--format",
            "json",
        ])
        .run()
        .ok()
        .json();
    assert_eq!(report["removed"].as_array().unwrap().len(), 3, "{report}");
    assert_eq!(report["resources"], 3, "{report}");
}

/// A jit grant read by gcloud, and a gcloud conditional grant read by `jit list`.
#[test]
fn gcloud_sees_jit_grants_and_jit_sees_gcloud_grants() {
    if !gcloud_available() {
        return;
    }
    let emu = harness::emulator().start();
    let until = two_hours();
    let bucket = &KINDS[0];
    let secret = &KINDS[2];
    let descriptions: Vec<String> =
        [bucket, secret].iter().map(|k| description(&grant(&emu, k, &until))).collect();
    let read = |args: &[&str]| -> Value {
        let o = emu.gcloud("alice-token", args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    for ((k, policy), desc) in [
        (bucket, read(&["storage", "buckets", "get-iam-policy", "gs://jit-demo-prod-data", "--format=json"])),
        (
            secret,
            read(&[
                "secrets",
                "get-iam-policy",
                "db-password",
                "--project",
                "jit-demo-prod",
                "--format=json",
            ]),
        ),
    ]
    .into_iter()
    .zip(descriptions)
    {
        let found = policy["bindings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["role"] == k.role && b["condition"].is_object())
            .cloned();
        assert_eq!(
            found,
            Some(json!({
                "role": k.role,
                "members": [format!("user:{MEMBER}")],
                "condition": {
                    "expression": expression(&until),
                    "title": format!("jit until {until}"),
                    "description": desc,
                }
            })),
            "{policy}"
        );
    }
    // gcloud's own conditional grant, listed by jit as `other`.
    let o = emu.gcloud(
        "alice-token",
        &[
            "storage",
            "buckets",
            "add-iam-policy-binding",
            "gs://jit-demo-prod-data",
            "--member=user:carol@example.com",
            "--role=roles/storage.objectViewer",
            "--condition=expression=request.time < timestamp(\"2030-01-01T00:00:00Z\"),title=until 2030",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows = emu
        .jit(&["list", "--bucket", "jit-demo-prod-data", "--member", "carol@example.com", "--format", "json"])
        .run()
        .ok()
        .json();
    assert_eq!(
        rows,
        json!([{
            "resource": "projects/_/buckets/jit-demo-prod-data",
            "role": "roles/storage.objectViewer",
            "member": "user:carol@example.com",
            "starts": null,
            "expires": "2030-01-01T00:00:00Z",
            "state": "active",
            "source": "other",
            "grantedBy": null,
            "reason": null,
            "title": "until 2030",
            "description": "",
            "expression": "request.time < timestamp(\"2030-01-01T00:00:00Z\")",
        }])
    );
}

fn set_calls(emu: &Emulator) -> Vec<Value> {
    emu.requests()
        .into_iter()
        .filter(|r| r["method"] == "PUT" || r["path"].as_str().is_some_and(|p| p.ends_with(":setIamPolicy")))
        .collect()
}

/// A bucket without uniform bucket-level access: Google's refusal, with the fix, after exactly one
/// write, and the policy as it was.
#[test]
fn a_bucket_without_uniform_access_is_refused_with_the_fix() {
    let emu = harness::emulator().start();
    let name = "projects/_/buckets/jit-demo-prod-legacy";
    let before = emu.policy_text(name);
    let run = emu
        .jit(&[
            "grant",
            "roles/storage.objectViewer",
            "--for",
            "1h",
            "--member",
            MEMBER,
            "--bucket",
            "jit-demo-prod-legacy",
        ])
        .run()
        .code(2);
    assert_eq!(
        run.stderr,
        "error: Google refused the policy of `projects/_/buckets/jit-demo-prod-legacy`: IAM conditions cannot be \
         used on bucket jit-demo-prod-legacy; enable uniform bucket-level access on the bucket first. See \
         https://cloud.google.com/storage/docs/uniform-bucket-level-access\n  hint: conditions on a bucket need \
         uniform bucket-level access: `gcloud storage buckets update gs://jit-demo-prod-legacy \
         --uniform-bucket-level-access`, or grant on the project\n"
    );
    // Exactly one write, answered 412, never retried as an etag conflict.
    let writes = set_calls(&emu);
    assert_eq!(writes.len(), 1, "{writes:?}");
    assert_eq!(writes[0]["status"], 412, "{writes:?}");
    assert_eq!(emu.policy_text(name), before);
}

const SA: &str = "deployer@jit-demo-prod.iam.gserviceaccount.com";
/// Where the emulator keeps the account's policy (its project, not `-`).
const SA_STORED: &str =
    "projects/jit-demo-prod/serviceAccounts/deployer@jit-demo-prod.iam.gserviceaccount.com";

/// A service account takes a time-bound grant like any other kind (src/gcp/kinds.rs says why it
/// accepts conditions though Google's list omits it): granted by e-mail with its condition, listed
/// by full resource name, seen by gcloud, revoked back to the bindings it had.
#[test]
fn a_service_account_takes_a_time_bound_grant() {
    let emu = harness::emulator().start();
    let full = format!("//iam.googleapis.com/projects/-/serviceAccounts/{SA}");
    let until = two_hours();
    let before = emu.stored(SA_STORED);
    let report = emu
        .jit(&[
            "grant",
            "roles/iam.serviceAccountUser",
            "--until",
            &until,
            "--member",
            MEMBER,
            "--service-account",
            SA,
            "--format",
            "json",
        ])
        .run()
        .ok()
        .json();
    let granted = &report["granted"][0];
    assert_eq!(granted["resource"], format!("projects/-/serviceAccounts/{SA}"), "{report}");
    assert_eq!(granted["expression"], expression(&until), "{report}");
    let writes = set_calls(&emu);
    assert_eq!(writes.len(), 1, "{writes:?}");
    assert_eq!(writes[0]["status"], 200, "{writes:?}");
    let after = emu.stored(SA_STORED);
    let member = format!("user:{MEMBER}");
    assert_eq!(
        untargeted(&after, "roles/iam.serviceAccountUser", &member),
        untargeted(&before, "roles/iam.serviceAccountUser", &member)
    );

    let rows = emu.jit(&["list", "--resource", &full, "--format", "json"]).run().ok().json();
    assert_eq!(rows.as_array().map(Vec::len), Some(1), "{rows}");
    assert_eq!(rows[0]["role"], "roles/iam.serviceAccountUser", "{rows}");
    assert_eq!(rows[0]["state"], "active", "{rows}");

    if gcloud_available() {
        let out = emu.gcloud(
            "alice-token",
            &[
                "iam",
                "service-accounts",
                "get-iam-policy",
                SA,
                "--project",
                "jit-demo-prod",
                "--format",
                "json",
            ],
        );
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let policy: Value = serde_json::from_slice(&out.stdout).unwrap();
        let seen = policy["bindings"].as_array().unwrap().iter().any(|b| {
            b["role"] == "roles/iam.serviceAccountUser"
                && b["members"] == json!([member])
                && b["condition"]["expression"] == expression(&until)
        });
        assert!(seen, "{policy}");
    }

    let report = emu
        .jit(&[
            "revoke",
            "roles/iam.serviceAccountUser",
            "--member",
            MEMBER,
            "--resource",
            &full,
            "--format",
            "json",
        ])
        .run()
        .ok()
        .json();
    assert_eq!(report["removed"].as_array().map(Vec::len), Some(1), "{report}");
    assert_eq!(
        serde_json::to_value(&emu.stored(SA_STORED).bindings).unwrap(),
        serde_json::to_value(&before.bindings).unwrap()
    );
}

/// `--secret S --project P` and `--run-service S --region R --project P` name S in P, as gcloud
/// does; P's own policy is not touched. Two projects for a bare name are refused before any call.
#[test]
fn project_qualifies_a_bare_name_and_is_left_alone() {
    let emu = harness::emulator().start();
    let project = emu.policy_text("projects/jit-demo-prod");
    let until = two_hours();
    let report = emu
        .jit(&[
            "grant",
            "roles/iam.securityReviewer",
            "--until",
            &until,
            "--member",
            MEMBER,
            "--secret",
            "db-password",
            "--run-service",
            "api",
            "--region",
            "europe-west1",
            "--project",
            "jit-demo-prod",
            "--format",
            "json",
        ])
        .env_remove("CLOUDSDK_CORE_PROJECT")
        .run()
        .ok()
        .json();
    let resources: Vec<&str> =
        report["granted"].as_array().unwrap().iter().map(|r| r["resource"].as_str().unwrap()).collect();
    assert_eq!(
        resources,
        [
            "projects/jit-demo-prod/secrets/db-password",
            "projects/jit-demo-prod/locations/europe-west1/services/api"
        ],
        "{report}"
    );
    assert_eq!(emu.policy_text("projects/jit-demo-prod"), project, "the project's policy is left alone");
    assert_eq!(set_calls(&emu).len(), 2, "{:?}", emu.requests());

    let sent = emu.requests().len();
    let run = emu
        .jit(&["list", "--secret", "db-password", "--project", "jit-demo-prod", "--project", "jit-demo-dev"])
        .run()
        .code(2);
    assert_eq!(
        run.error_line(),
        "error: the bare name `db-password` could be in any of the projects given with --project (`jit-demo-prod`, \
         `jit-demo-dev`)"
    );
    assert_eq!(emu.requests().len(), sent, "nothing sent");
}

/// A bucket's policy is read as gcloud reads it, `fields=bindings,etag`, so the write sends back
/// exactly the bindings, the etag read and version 3: no `kind`, `resourceId` or other field of
/// Storage's own. The emulator honours `fields=`.
#[test]
fn a_bucket_is_read_with_gclouds_fields_and_written_back_with_them_only() {
    let emu = harness::emulator().start();
    let name = "projects/_/buckets/jit-demo-prod-data";
    let before = emu.stored(name);
    emu.jit(&[
        "grant",
        "roles/storage.objectViewer",
        "--for",
        "1h",
        "--member",
        MEMBER,
        "--bucket",
        "jit-demo-prod-data",
        "--format",
        "json",
    ])
    .run()
    .ok();
    let log: Vec<Value> =
        emu.requests().into_iter().filter(|r| r["path"] == "/storage/v1/b/jit-demo-prod-data/iam").collect();
    let calls: Vec<(&str, &str, u64)> = log
        .iter()
        .map(|r| (r["method"].as_str().unwrap(), r["query"].as_str().unwrap(), r["status"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        calls,
        [
            ("GET", "alt=json&fields=bindings%2Cetag&optionsRequestedPolicyVersion=3", 200),
            ("PUT", "alt=json", 200),
        ]
    );
    let sent = &log[1]["body"];
    let mut keys: Vec<&str> = sent.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["bindings", "etag", "version"], "{sent}");
    assert_eq!(sent["version"], 3, "{sent}");
    assert_eq!(sent["etag"], json!(before.etag), "{sent}");
    // Storage's own fields are still there, set by Storage.
    let read = emu.request("GET", "/storage/v1/b/jit-demo-prod-data/iam", Some("alice-token"), None).json();
    assert_eq!((&read["kind"], &read["resourceId"]), (&json!("storage#policy"), &json!(name)), "{read}");
}

/// A resource that does not exist: Google's answer relayed, nothing stored.
#[test]
fn a_missing_resource_is_relayed_and_nothing_changes() {
    let emu = harness::emulator().start();
    let state = emu.state();
    // Storage, Secret Manager, KMS and Run answer a missing resource with 404 in their own words
    // (issue 18 item 1): exit 1, "no such …" with the name, and no permission asked for.
    for (role, flags, code, error) in [
        (
            "roles/storage.objectViewer",
            ["--bucket", "no-such-bucket"],
            1,
            "error: `projects/_/buckets/no-such-bucket`: HTTP 404: no such bucket: The specified bucket does not exist.",
        ),
        (
            "roles/secretmanager.secretAccessor",
            ["--secret", "projects/jit-demo-prod/secrets/nope"],
            1,
            "error: `projects/jit-demo-prod/secrets/nope`: HTTP 404: no such secret: Secret \
             [projects/100000000001/secrets/nope] not found.",
        ),
        (
            "roles/cloudkms.cryptoKeyDecrypter",
            ["--kms-key", "projects/jit-demo-prod/locations/global/keyRings/app/cryptoKeys/nope"],
            1,
            "error: `projects/jit-demo-prod/locations/global/keyRings/app/cryptoKeys/nope`: HTTP 404: no such KMS \
             crypto key: CryptoKey projects/jit-demo-prod/locations/global/keyRings/app/cryptoKeys/nope not found.",
        ),
        (
            "roles/run.invoker",
            ["--run-service", "projects/jit-demo-prod/locations/europe-west1/services/nope"],
            1,
            "error: `projects/jit-demo-prod/locations/europe-west1/services/nope`: HTTP 404: no such Cloud Run \
             service: Resource 'nope' of kind 'SERVICE' in region 'europe-west1' in project 'jit-demo-prod' does \
             not exist.",
        ),
    ] {
        let run =
            emu.jit(&[&["grant", role, "--for", "1h", "--member", MEMBER][..], &flags[..]].concat()).run();
        assert_eq!(run.code, code, "{flags:?}: {}", run.stderr);
        assert_eq!(run.error_line(), error, "{flags:?}");
        assert!(set_calls(&emu).is_empty(), "{flags:?}: {:?}", emu.requests());
    }
    assert_eq!(emu.state()["policies"], state["policies"]);
}

#[test]
fn a_region_without_a_run_service_is_a_usage_error() {
    let emu = harness::emulator().start();
    let run = emu.jit(&["list", "--project", "jit-demo-prod", "--region", "europe-west1"]).run().code(2);
    assert!(
        run.error_line().starts_with("error: --region names the region of a Cloud Run service"),
        "{}",
        run.stderr
    );
    assert_eq!(emu.requests(), Vec::<Value>::new());
}

/// Every `jit --emulator` line of docs/usage.md's resource-kinds examples runs as written.
#[test]
fn the_usage_examples_of_every_kind_run_against_the_emulator() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/usage.md")).unwrap();
    let section = doc
        .split("\n## ")
        .find(|s| s.starts_with("Scopes and the default project"))
        .expect("the scopes section");
    // A line is `[VAR=VALUE ]… jit --emulator …`.
    let lines: Vec<Vec<String>> = section
        .lines()
        .map(shell_words)
        .filter(|w| {
            let start = w.iter().position(|x| !x.contains('=')).unwrap_or(w.len());
            w[start..].starts_with(&["jit".to_string(), "--emulator".to_string()])
        })
        .collect();
    assert_eq!(lines.len(), 13, "{lines:?}");
    let state = tempfile::tempdir().unwrap();
    for words in lines {
        let line = words.join(" ");
        let start = words.iter().position(|x| !x.contains('=')).unwrap();
        let args: Vec<&str> = words[start + 1..].iter().map(String::as_str).collect();
        let mut cmd = jit(&args).env("XDG_STATE_HOME", state.path());
        for var in &words[..start] {
            let (k, v) = var.split_once('=').unwrap();
            cmd = cmd.env(k, v);
        }
        let run = cmd.run();
        assert_eq!(run.code, 0, "{line}\nstdout:\n{}\nstderr:\n{}", run.stdout, run.stderr);
    }
}

/// Splits a documented command line as a shell would (double quotes only: the docs use no other).
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any {
                    words.push(std::mem::take(&mut word));
                    any = false;
                }
            }
            c => {
                word.push(c);
                any = true;
            }
        }
    }
    if any {
        words.push(word);
    }
    words
}

/// The same bucket by flag and by full name is one resource: one write, one granted row.
#[test]
fn one_resource_named_twice_is_written_once() {
    let emu = harness::emulator().start();
    let until = two_hours();
    let report = emu
        .jit(&[
            "grant",
            "roles/storage.objectViewer",
            "--until",
            &until,
            "--member",
            MEMBER,
            "--format",
            "json",
            "--bucket",
            "gs://jit-demo-prod-data",
            "--resource",
            "//storage.googleapis.com/projects/_/buckets/jit-demo-prod-data",
        ])
        .run()
        .ok()
        .json();
    assert_eq!(report["granted"].as_array().unwrap().len(), 1, "{report}");
    assert_eq!(set_calls(&emu).len(), 1, "{:?}", emu.requests());
}

/// An expired grant on a service account (seeded, ended an hour ago) is cleaned up by its full
/// name, and a second cleanup finds nothing: exit 0, one write in all.
#[test]
fn an_expired_grant_on_a_service_account_is_cleaned_up() {
    let member = format!("user:{MEMBER}");
    let role = "roles/iam.serviceAccountTokenCreator";
    let seed = harness::demo_seed_with_expired(&[(SA_STORED, role, &member, None)]);
    let emu = harness::emulator().seed(seed).start();
    let full = format!("//iam.googleapis.com/projects/-/serviceAccounts/{SA}");
    let before = without(emu.stored(SA_STORED), role, &member);
    let report = emu.jit(&["cleanup", "--resource", &full, "--format", "json"]).run().ok().json();
    let removed = report["removed"].as_array().unwrap();
    assert_eq!(removed.len(), 1, "{report}");
    assert_eq!(removed[0]["role"], "roles/iam.serviceAccountTokenCreator", "{report}");
    assert_eq!(removed[0]["state"], "expired", "{report}");
    assert_eq!(
        serde_json::to_value(&emu.stored(SA_STORED).bindings).unwrap(),
        serde_json::to_value(&before.bindings).unwrap()
    );
    let again = emu.jit(&["cleanup", "--resource", &full, "--format", "json"]).run().ok().json();
    assert_eq!(again["removed"], json!([]), "{again}");
    assert_eq!(set_calls(&emu).len(), 1, "one cleanup: {:?}", emu.requests());
}

/// Bob holds nothing: his grant on a bucket is Google's 403, exit 3, and nothing is written.
#[test]
fn a_caller_without_the_permission_gets_exit_3() {
    let emu = harness::emulator().start();
    let before = emu.policy_text("projects/_/buckets/jit-demo-prod-data");
    let run = emu
        .jit_as(
            "bob-token",
            &["grant", "roles/storage.objectViewer", "--for", "1h", "--bucket", "jit-demo-prod-data"],
        )
        .run()
        .code(3);
    assert!(
        run.error_line().starts_with("error: permission denied on `projects/_/buckets/jit-demo-prod-data`: "),
        "{}",
        run.stderr
    );
    assert_eq!(emu.policy_text("projects/_/buckets/jit-demo-prod-data"), before);
}
