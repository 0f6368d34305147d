//! Stopping on SIGINT, SIGTERM and SIGHUP at any phase of a run.
//!
//! The handler only records which signal came, in two atomics (all a signal handler may
//! safely do). The run notices at phase boundaries and inside its long loops (engine
//! periods, chart and file writes) through [`check`], and unwinds through its staging
//! folder, so the previous output stays exactly as it was. The exit status is the shell
//! convention 128 + signal number: 130 (SIGINT), 143 (SIGTERM), 129 (SIGHUP).
//!
//! A SIGHUP that the process inherited as ignored (`nohup`) stays ignored: its caller
//! asked for a run that survives the terminal. SIGINT and SIGTERM are always handled
//! (a background job of a non-interactive shell inherits SIGINT ignored, yet a `kill
//! -INT` to it should still stop it cleanly).
//!
//! Test-only: `DEALSIM_TEST_PAUSE=<phase>[:<seconds>]` makes the process stop once at the
//! named phase (`draw`, `simulate`, `aggregate`, `write`, `commit`), announce it on stderr
//! and wait there until a signal arrives or the seconds (default 30) pass, so that tests
//! can deliver a signal inside each phase. Nothing else reads it.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Set by the handler: stop as soon as possible.
static CANCEL: AtomicBool = AtomicBool::new(false);
/// The first signal received (0: none).
static SIGNAL: AtomicI32 = AtomicI32::new(0);

/// The signals that stop a run, with their names.
pub const SIGNALS: [(i32, &str); 3] = [
    (libc::SIGINT, "SIGINT"),
    (libc::SIGTERM, "SIGTERM"),
    (libc::SIGHUP, "SIGHUP"),
];

/// The environment variable of the test-only pause.
pub const PAUSE_VAR: &str = "DEALSIM_TEST_PAUSE";

extern "C" fn on_signal(sig: libc::c_int) {
    // Async-signal-safe: lock-free atomics only.
    let _ = SIGNAL.compare_exchange(0, sig, Ordering::SeqCst, Ordering::SeqCst);
    CANCEL.store(true, Ordering::SeqCst);
}

/// Install the handlers (once per process; later calls do nothing).
pub fn install() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        for (sig, _) in SIGNALS {
            // SAFETY: sigaction with a zeroed struct, an empty mask and a handler that
            // only touches atomics; the old disposition is read into `old`.
            unsafe {
                let mut old: libc::sigaction = std::mem::zeroed();
                if sig == libc::SIGHUP
                    && libc::sigaction(sig, std::ptr::null(), &mut old) == 0
                    && old.sa_sigaction == libc::SIG_IGN
                {
                    continue;
                }
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
                sa.sa_flags = libc::SA_RESTART;
                libc::sigemptyset(&mut sa.sa_mask);
                // If it cannot be installed the signal keeps its default (terminate): the
                // staging design still leaves the previous output intact.
                let _ = libc::sigaction(sig, &sa, std::ptr::null_mut());
            }
        }
    });
}

/// The flag the engine polls between periods.
pub fn flag() -> &'static AtomicBool {
    &CANCEL
}

/// The run was stopped by a signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("interrupted by {}", signal_name(*.signal))]
pub struct Interrupted {
    /// The signal number (0 if the stop was requested without one).
    pub signal: i32,
}

impl Interrupted {
    /// The stop that is pending now.
    pub fn now() -> Interrupted {
        Interrupted {
            signal: SIGNAL.load(Ordering::SeqCst),
        }
    }

    /// 128 + the signal number; 1 without a signal.
    pub fn exit_code(&self) -> i32 {
        if self.signal > 0 {
            128 + self.signal
        } else {
            1
        }
    }
}

fn signal_name(sig: i32) -> String {
    SIGNALS
        .iter()
        .find(|(s, _)| *s == sig)
        .map(|(_, n)| n.to_string())
        .unwrap_or_else(|| format!("signal {sig}"))
}

/// The signal received so far, if any.
pub fn received() -> Option<i32> {
    let s = SIGNAL.load(Ordering::SeqCst);
    (s != 0 || CANCEL.load(Ordering::SeqCst)).then_some(s)
}

/// `Err` once a stop was requested.
pub fn check() -> Result<(), Interrupted> {
    if CANCEL.load(Ordering::SeqCst) {
        Err(Interrupted::now())
    } else {
        Ok(())
    }
}

/// A phase boundary: the test-only pause (see the module doc), then [`check`].
pub fn checkpoint(phase: &str) -> Result<(), Interrupted> {
    pause_point(phase);
    check()
}

/// The test-only pause at `phase`, taken at most once per process; a no-op unless
/// `DEALSIM_TEST_PAUSE` names this phase.
pub fn pause_point(phase: &str) {
    static PAUSE: OnceLock<Option<(String, Duration)>> = OnceLock::new();
    static TAKEN: AtomicBool = AtomicBool::new(false);
    let pause = PAUSE.get_or_init(|| parse_pause(&std::env::var(PAUSE_VAR).ok()?));
    let Some((name, limit)) = pause else {
        return;
    };
    if name != phase || TAKEN.swap(true, Ordering::SeqCst) {
        return;
    }
    eprintln!("dealsim: test pause at phase {phase} ({PAUSE_VAR})");
    let t0 = Instant::now();
    while !CANCEL.load(Ordering::SeqCst) && t0.elapsed() < *limit {
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// `phase` or `phase:seconds`.
fn parse_pause(v: &str) -> Option<(String, Duration)> {
    let (name, secs) = match v.split_once(':') {
        Some((n, s)) => (n, s.trim().parse::<f64>().ok()?),
        None => (v, 30.0),
    };
    let name = name.trim();
    (!name.is_empty() && secs.is_finite() && secs >= 0.0)
        .then(|| (name.to_string(), Duration::from_secs_f64(secs)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_shell_convention() {
        let code = |signal| Interrupted { signal }.exit_code();
        assert_eq!(code(libc::SIGINT), 130);
        assert_eq!(code(libc::SIGTERM), 143);
        assert_eq!(code(libc::SIGHUP), 129);
        assert_eq!(code(0), 1);
        assert_eq!(
            Interrupted {
                signal: libc::SIGTERM
            }
            .to_string(),
            "interrupted by SIGTERM"
        );
    }

    #[test]
    fn pause_spec_is_parsed() {
        assert_eq!(
            parse_pause("write"),
            Some(("write".into(), Duration::from_secs(30)))
        );
        assert_eq!(
            parse_pause("draw:1.5"),
            Some(("draw".into(), Duration::from_millis(1500)))
        );
        assert_eq!(parse_pause("draw:x"), None);
        assert_eq!(parse_pause(":3"), None);
        assert_eq!(parse_pause("draw:-1"), None);
    }
}
