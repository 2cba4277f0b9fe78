//! A long run stopped by a signal says how far it got (issue 22 item 4). A cleanup paced to a
//! quota can run for hours across an organization; killed by Ctrl-C, a supervisor or a cron
//! timeout, it prints one line — how many resources of how many were done — and then ends as the
//! signal would (so a shell still sees 128 + the signal). Each resource is its own etag-guarded
//! read-modify-write, so what was done is done, and a second run reads every policy afresh and
//! does only what is left.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Resources done so far (every outcome counts: written, nothing to do, failed), and the total.
static DONE: AtomicUsize = AtomicUsize::new(0);
static TOTAL: AtomicUsize = AtomicUsize::new(0);

/// One resource done (called by the run's progress, whatever the terminal).
pub fn tick() {
    DONE.fetch_add(1, Ordering::Relaxed);
}

#[cfg(unix)]
const SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

/// While it lives, SIGINT, SIGTERM and SIGHUP print how far the run got, then end jit as the
/// signal would. Dropped, the previous handlers are back.
pub struct ReportOnSignal {
    #[cfg(unix)]
    previous: Vec<(libc::c_int, libc::sighandler_t)>,
}

impl ReportOnSignal {
    /// Counts from zero towards `total` resources.
    pub fn install(total: usize) -> ReportOnSignal {
        DONE.store(0, Ordering::Relaxed);
        TOTAL.store(total, Ordering::Relaxed);
        #[cfg(unix)]
        {
            let handler = report_then_die as extern "C" fn(libc::c_int) as libc::sighandler_t;
            // SAFETY: signal(2) with a handler that only makes async-signal-safe calls.
            let previous = SIGNALS.iter().map(|&s| (s, unsafe { libc::signal(s, handler) })).collect();
            ReportOnSignal { previous }
        }
        #[cfg(not(unix))]
        ReportOnSignal {}
    }
}

impl Drop for ReportOnSignal {
    fn drop(&mut self) {
        #[cfg(unix)]
        for &(signal, handler) in &self.previous {
            if handler != libc::SIG_ERR {
                // SAFETY: restores the disposition signal(2) returned.
                unsafe { libc::signal(signal, handler) };
            }
        }
    }
}

/// The line, written into `buf` without allocating (a signal handler may not): its length.
fn line(done: usize, total: usize, buf: &mut [u8; 256]) -> usize {
    let mut n = 0;
    let mut put = |bytes: &[u8]| {
        let room = buf.len() - n;
        let k = bytes.len().min(room);
        buf[n..n + k].copy_from_slice(&bytes[..k]);
        n += k;
    };
    let mut digits = [0u8; 20];
    let mut number = |mut v: usize, put: &mut dyn FnMut(&[u8])| {
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        put(&digits[i..]);
    };
    put(b"\njit: stopped after ");
    number(done, &mut put);
    put(b" of ");
    number(total, &mut put);
    put(b" resources; each one done is done, and running the same command again does only what is left\n");
    n
}

#[cfg(unix)]
extern "C" fn report_then_die(signal: libc::c_int) {
    let mut buf = [0u8; 256];
    let n = line(DONE.load(Ordering::Relaxed), TOTAL.load(Ordering::Relaxed), &mut buf);
    // SAFETY: atomics, write(2), signal(2) and raise(3) are async-signal-safe; the buffer is on
    // the stack.
    unsafe {
        libc::write(libc::STDERR_FILENO, buf.as_ptr().cast(), n);
        libc::signal(signal, libc::SIG_DFL);
        libc::raise(signal);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_says_how_far_the_run_got() {
        let mut buf = [0u8; 256];
        let n = line(37, 12_040, &mut buf);
        assert_eq!(
            std::str::from_utf8(&buf[..n]).unwrap(),
            "\njit: stopped after 37 of 12040 resources; each one done is done, and running the same command \
             again does only what is left\n"
        );
        let n = line(0, 0, &mut buf);
        assert!(std::str::from_utf8(&buf[..n]).unwrap().contains("after 0 of 0 resources"));
    }
}
