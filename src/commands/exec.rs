//! `jit exec ROLE|ID... [SCOPE] --for 1h -- COMMAND ARGS...`: access that ends with the command
//! (issue 21 item 5). The access is a self-grant through jit's own condition, or a Privileged
//! Access Manager grant (requested, and waited for); jit waits until Google applies it, runs the
//! command with the terminal and the exit status passed through, and ends the access when the
//! command exits, or when jit is interrupted or terminated. If jit itself is killed (SIGKILL),
//! the condition's end (or PAM's) is the backstop.

pub use crate::cli::{ExecArgs as Args, ExecVia as Via};
use std::ffi::OsString;
use std::time::Duration as StdDuration;

use chrono::Duration;

use crate::config::Config;
use crate::edit::{self, GrantRequest, Members};
use crate::error::Error;
use crate::gcp::Edit;
use crate::gcp::pam::AccessType;
use crate::iam::{Principal, ResourceId, Role};
use crate::pam::{self, Wanted};
use crate::timespec;

use super::grants::{self, Session};

/// The access given, to be ended.
enum Given {
    /// jit's own bindings of these roles for the caller.
    Grant { scope: ResourceId, roles: Vec<Role>, member: Principal },
    /// PAM grants, by name.
    Pam(Vec<String>),
}

pub fn run(config: &Config, args: &Args) -> Result<i32, Error> {
    let (_, wanted) = pam::parse_request_words(&args.words)?;
    if wanted.is_empty() {
        return Err(Error::usage("name a role or an entitlement"));
    }
    let duration = timespec::parse_duration(args.duration.as_deref().unwrap_or("1h"))?;
    let bound =
        timespec::parse_duration(&args.wait_timeout)?.to_std().unwrap_or(StdDuration::from_secs(1800));
    let reason = args.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
    if let Some(r) = reason {
        crate::iam::refuse_terminal_controls("reason", r)?;
    }
    let program = args.command.first().ok_or_else(|| Error::usage("name the command to run after `--`"))?;
    crate::target::block_on(async {
        grants::one_scope(config)?;
        let session = Session::open(config).await?;
        let scope = session.one_scope()?.clone();
        let gcp = session.gcp();
        let caller =
            session.caller.as_deref().and_then(|c| c.parse::<Principal>().ok()).ok_or_else(|| {
                Error::usage("cannot tell who you are from these credentials: exec gives access to you")
            })?;
        let names_entitlement = wanted.iter().any(|w| matches!(w, Wanted::Entitlement(_)));
        let pam_plan = if args.via == Via::Grant {
            if names_entitlement {
                return Err(Error::usage("--via grant takes roles, not entitlements"));
            }
            None
        } else {
            let eligible = gcp.search_entitlements(&scope, AccessType::Requester).await?;
            match pam::plan_request(&eligible, &wanted, &scope.name()) {
                Ok(plan) => Some(plan.into_iter().cloned().collect::<Vec<_>>()),
                Err(e) if args.via == Via::Pam || names_entitlement => return Err(e),
                Err(_) => None,
            }
        };
        // Watched from before any access is given: an interrupt while jit waits for the approval
        // or for Google ends what was given, as one while the command runs does.
        let mut signals = Signals::watch()?;
        let given = match pam_plan {
            Some(plan) => {
                let mut names = Vec::new();
                for e in &plan {
                    pam::check_request(e, duration, reason)?;
                }
                for e in &plan {
                    let g = gcp.create_grant(&e.name, duration, reason, &[]).await.map_err(|err| {
                        pam::explain_request_error(err, e, duration, reason, session.caller.as_deref())
                    })?;
                    grants::note(
                        config,
                        &format!("Requested grant `{}` of entitlement `{}`.", g.id(), e.id()),
                    );
                    names.push(g.name.clone());
                    let approvers: Vec<String> = e.approvers().iter().map(|a| a.to_string()).collect();
                    let waited = tokio::select! {
                        r = grants::follow(config, gcp, &g, &approvers, bound) => r.map(|_| ()),
                        sig = signals.recv() => {
                            end(config, gcp, &Given::Pam(names)).await;
                            return Ok(128 + sig);
                        }
                    };
                    if let Err(err) = waited {
                        end(config, gcp, &Given::Pam(names)).await;
                        return Err(err);
                    }
                }
                Given::Pam(names)
            }
            None => {
                let roles: Vec<Role> = wanted
                    .iter()
                    .filter_map(|w| match w {
                        Wanted::Role(r) => r.parse().ok(),
                        Wanted::Entitlement(_) => None,
                    })
                    .collect();
                self_grant(config, gcp, &scope, &roles, &caller, duration, reason).await?;
                let given =
                    Given::Grant { scope: scope.clone(), roles: roles.clone(), member: caller.clone() };
                let names: Vec<&str> = roles.iter().map(Role::as_str).collect();
                let waited = tokio::select! {
                    r = effective(config, gcp, &scope, &names, bound) => r,
                    sig = signals.recv() => {
                        end(config, gcp, &given).await;
                        return Ok(128 + sig);
                    }
                };
                if let Err(err) = waited {
                    end(config, gcp, &given).await;
                    return Err(err);
                }
                given
            }
        };
        let status = run_command(program, &args.command[1..], &mut signals).await;
        end(config, gcp, &given).await;
        status
    })
}

async fn self_grant(
    config: &Config,
    gcp: &crate::gcp::Gcp,
    scope: &ResourceId,
    roles: &[Role],
    caller: &Principal,
    duration: Duration,
    reason: Option<&str>,
) -> Result<(), Error> {
    let now = config.now;
    let req = GrantRequest {
        roles: roles.to_vec(),
        members: vec![caller.clone()],
        start: None,
        end: timespec::after(now, duration, "--for")?,
        replace: false,
        // jit's own maximum holds on an exec's self-grant as on any grant (issue 17 item 1).
        maximum: edit::Maximum {
            all: Some((timespec::DEFAULT_MAX, "jit's default maximum".to_string())),
            roles: Default::default(),
        },
        note: crate::condition::GrantNote {
            granted_by: Some(caller.as_str().to_string()),
            granted_at: Some(now),
            reason: reason.map(str::to_string),
        },
    };
    let out = gcp
        .read_modify_write(scope, |policy| {
            let (new, report) = edit::grant(&scope.name(), policy, &req, now)?;
            // exec never lengthens nor takes over a grant the caller already holds: it would
            // end that grant on the way out.
            if !report.extended.is_empty() || !report.shortened.is_empty() || !report.unchanged.is_empty() {
                let held: Vec<&str> = report
                    .extended
                    .iter()
                    .chain(&report.shortened)
                    .chain(&report.unchanged)
                    .map(|b| b.role.as_str())
                    .collect();
                return Err(Error::usage_hint(
                    format!("you already hold {} on `{scope}` through jit", held.join(", ")),
                    "run the command as you are, or `jit revoke` that grant first",
                ));
            }
            Ok(if report.changed() { Edit::Write(new, ()) } else { Edit::Unchanged(()) })
        })
        .await?;
    let _ = out;
    grants::note(
        config,
        &format!(
            "Granted {} to {} on `{scope}` until {}, for the command.",
            roles.iter().map(Role::as_str).collect::<Vec<_>>().join(", "),
            caller.as_str(),
            crate::output::utc(req.end)
        ),
    );
    Ok(())
}

/// Until the caller's own `testIamPermissions` sees the roles' permissions.
async fn effective(
    config: &Config,
    gcp: &crate::gcp::Gcp,
    scope: &ResourceId,
    roles: &[&str],
    bound: StdDuration,
) -> Result<(), Error> {
    let Some(permissions) = pam::probe_permissions(roles).filter(|p| !p.is_empty()) else {
        grants::note(config, "jit cannot test a custom role's permissions: Google may still be applying it.");
        return Ok(());
    };
    let started = tokio::time::Instant::now();
    let mut pause = StdDuration::from_millis(200);
    let mut said = false;
    loop {
        let held = gcp.test_permissions(scope, &permissions).await?;
        if permissions.iter().all(|p| held.contains(p)) {
            return Ok(());
        }
        if !said {
            grants::note(config, &format!("waiting for Google to apply the access on `{scope}`…"));
            said = true;
        }
        if started.elapsed() >= bound {
            return Err(Error::Api {
                resource: scope.name(),
                status: None,
                message: "the access was not effective in time; it was ended".to_string(),
            });
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(StdDuration::from_secs(5));
    }
}

/// Ends the access; a failure is said (the end of the condition, or PAM's, still holds).
async fn end(config: &Config, gcp: &crate::gcp::Gcp, given: &Given) {
    match given {
        Given::Grant { scope, roles, member } => {
            let now = chrono::Utc::now();
            let members = Members::Only(vec![member.clone()]);
            let result = gcp
                .read_modify_write(scope, |policy| {
                    let (new, removed) = edit::revoke(&scope.name(), policy, roles, &members, now)?;
                    Ok(if removed.is_empty() { Edit::Unchanged(()) } else { Edit::Write(new, ()) })
                })
                .await;
            match result {
                Ok(_) => grants::note(config, &format!("Ended the access on `{scope}`.")),
                Err(e) => eprintln!(
                    "warning: could not end the access on `{scope}` ({}); its condition ends it on time",
                    crate::output::escape(&e.to_string())
                ),
            }
        }
        Given::Pam(names) => {
            for name in names {
                match gcp.revoke_grant(name, Some("jit exec: the command ended")).await {
                    Ok(_) => grants::note(
                        config,
                        &format!("Ended grant `{}`.", name.rsplit('/').next().unwrap_or(name)),
                    ),
                    Err(e) => eprintln!(
                        "warning: could not end grant `{}` ({}); PAM ends it at the end of its duration",
                        crate::output::escape(name),
                        crate::output::escape(&e.to_string())
                    ),
                }
            }
        }
    }
}

/// Runs the command with jit's terminal; its exit status (128 + N for a signal N). SIGTERM and
/// SIGHUP sent to jit are passed on to the command, and so is SIGINT when no terminal sent it
/// to both; jit itself waits for the command to end either way, so that it can end the access.
async fn run_command(program: &OsString, args: &[OsString], signals: &mut Signals) -> Result<i32, Error> {
    let spawn = || {
        std::process::Command::new(program).args(args).spawn().map_err(|e| {
            Error::usage(format!("cannot run `{}`: {e}", crate::output::escape(&program.to_string_lossy())))
        })
    };
    #[cfg(unix)]
    {
        let mut child = spawn()?;
        let pid = child.id() as libc::pid_t;
        let from_terminal = std::io::IsTerminal::is_terminal(&std::io::stdin());
        let waiter = tokio::task::spawn_blocking(move || child.wait());
        tokio::pin!(waiter);
        let forward = |sig: libc::c_int| {
            // SAFETY: kill(2) on the child's pid, which is ours until we reap it.
            unsafe {
                libc::kill(pid, sig);
            }
        };
        let status = loop {
            tokio::select! {
                done = &mut waiter => break done,
                sig = signals.recv() => if sig != libc::SIGINT || !from_terminal { forward(sig) },
            }
        };
        let status = status
            .map_err(|e| Error::io(format!("cannot wait for the command: {e}")))?
            .map_err(|e| Error::io(format!("cannot wait for the command: {e}")))?;
        use std::os::unix::process::ExitStatusExt;
        Ok(status.code().unwrap_or_else(|| 128 + status.signal().unwrap_or(0)))
    }
    #[cfg(not(unix))]
    {
        let _ = signals;
        let mut child = spawn()?;
        let status = tokio::task::spawn_blocking(move || child.wait())
            .await
            .map_err(|e| Error::io(format!("cannot wait for the command: {e}")))?
            .map_err(|e| Error::io(format!("cannot wait for the command: {e}")))?;
        Ok(status.code().unwrap_or(1))
    }
}

/// The signals that end the access: SIGINT, SIGTERM and SIGHUP (Ctrl-C elsewhere), watched from
/// before the access is given until jit exits. Watching them replaces their default action (to
/// end jit at once) for good, so that jit always ends what it gave.
struct Signals {
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    hup: tokio::signal::unix::Signal,
}

impl Signals {
    fn watch() -> Result<Signals, Error> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let listen =
                |k: SignalKind| signal(k).map_err(|e| Error::io(format!("cannot watch signals: {e}")));
            Ok(Signals {
                int: listen(SignalKind::interrupt())?,
                term: listen(SignalKind::terminate())?,
                hup: listen(SignalKind::hangup())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    /// The next signal's number.
    async fn recv(&mut self) -> i32 {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.int.recv() => libc::SIGINT,
                _ = self.term.recv() => libc::SIGTERM,
                _ = self.hup.recv() => libc::SIGHUP,
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            2
        }
    }
}
