fn main() {
    closed_stdout::install();
    let code = match jit::run(std::env::args_os()) {
        Ok(code) => code,
        Err(e) if matches!(e, jit::Error::Io { .. }) && closed_stdout::is_closed() => closed_stdout::end(),
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
/// way it ends `cat`: killed by SIGPIPE, silently (a shell shows exit status 141), instead of an
/// `error: cannot write to stdout: Broken pipe` or a panic (exit 101) from a `print!`.
///
/// SIGPIPE itself stays ignored, as the Rust runtime sets it: the standard library sends on sockets
/// with MSG_NOSIGNAL but writes vectored buffers with writev(2), which raises SIGPIPE on a socket
/// the peer closed; with the default action, a connection Google or a client of the emulator
/// dropped would kill jit in the middle of a read-modify-write. So jit asks, after a failed write,
/// whether stdout is a pipe nobody reads any more, and only then ends.
mod closed_stdout {
    /// Ends a `print!` that panicked on a closed stdout quietly; any other panic is reported as
    /// before.
    pub fn install() {
        let report = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let message = info
                .payload()
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| info.payload().downcast_ref::<&str>().copied())
                .unwrap_or_default();
            if message.starts_with("failed printing to stdout") && is_closed() {
                end();
            }
            report(info);
        }));
    }

    /// True when stdout is a pipe (or socket) whose reading end is closed: poll(2) reports POLLERR
    /// (Linux) or POLLHUP (BSD, macOS) for it.
    pub fn is_closed() -> bool {
        #[cfg(unix)]
        {
            let mut fd = libc::pollfd { fd: libc::STDOUT_FILENO, events: 0, revents: 0 };
            // SAFETY: one valid pollfd, and a zero timeout: poll returns at once.
            let ready = unsafe { libc::poll(&mut fd, 1, 0) };
            ready == 1 && fd.revents & (libc::POLLERR | libc::POLLHUP) != 0
        }
        #[cfg(not(unix))]
        {
            false
        }
    }

    /// Dies of SIGPIPE, as `cat` does; exit status 141 (128 + SIGPIPE) where signals do not exist.
    pub fn end() -> ! {
        #[cfg(unix)]
        // SAFETY: restoring SIGPIPE's default action and raising it ends the process at once; no
        // other code runs after it.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
            libc::raise(libc::SIGPIPE);
        }
        std::process::exit(141)
    }
}
