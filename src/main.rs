fn main() {
    restore_sigpipe();
    let code = match jit::run(std::env::args_os()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            if let Some(hint) = e.hint() {
                eprintln!("  hint: {hint}");
            }
            e.exit_code()
        }
    };
    std::process::exit(code);
}

/// A closed stdout (`jit list | head -1`, `jit emulator --print-seed | head -c 600`) ends jit the
/// way it ends `cat` or `ls`: killed by SIGPIPE, silently (a shell shows exit status 141). The Rust
/// runtime ignores SIGPIPE, which turns such a write into an EPIPE error: an `error:` line from
/// jit's own reports, and a panic (exit 101) from any `print!`. Only pipes are affected: the
/// standard library sends on sockets with MSG_NOSIGNAL, so a client that hangs up on the emulator
/// or Google's API is still an ordinary error. (The same choice as `rustc`'s
/// `-Zon-broken-pipe=kill`: https://github.com/rust-lang/rust/issues/97889.)
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any other thread exists; SIG_DFL is a valid
    // disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
