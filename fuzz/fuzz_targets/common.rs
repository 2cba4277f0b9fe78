//! Shared by every target: the panic policy and the switch for known defects.
//!
//! libfuzzer-sys installs a panic hook that aborts at the first panic, before unwinding, so that a
//! crash keeps its stack. That would also abort on the panics jit deliberately catches: the `cel`
//! parser and interpreter are not panic-free (`condition::parse` and `evaluate_program` wrap them
//! in `catch_unwind`). [`init`] keeps the abort for every panic except one raised inside the `cel`
//! crate or its ANTLR runtime; such a panic unwinds to jit's `catch_unwind`, and if jit failed to
//! catch it, libfuzzer-sys still aborts when it reaches the target's edge. With
//! `JIT_FUZZ_STRICT=1` even those abort, to collect the parser's own panics.

#![allow(dead_code)]

use std::sync::Once;
use std::sync::OnceLock;

static INIT: Once = Once::new();

pub fn init() {
    INIT.call_once(|| {
        let strict = std::env::var_os("JIT_FUZZ_STRICT").is_some_and(|v| v == "1");
        let abort_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_cel = info.location().is_some_and(|l| {
                let f = l.file();
                f.contains("/cel-0.") || f.contains("/antlr4rust-")
            });
            if in_cel && !strict {
                return;
            }
            abort_hook(info);
        }));
    });
}

/// `JIT_FUZZ_SKIP_KNOWN=1` skips inputs that hit a defect already filed and being fixed
/// elsewhere (issue 8, items 4, 5, 6 and 10), so that a long run explores past them instead of
/// stopping at the first one. Off by default: once the fixes are merged, a run without it must
/// find nothing.
pub fn skip_known() -> bool {
    static SKIP: OnceLock<bool> = OnceLock::new();
    *SKIP.get_or_init(|| std::env::var_os("JIT_FUZZ_SKIP_KNOWN").is_some_and(|v| v == "1"))
}
