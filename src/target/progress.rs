//! The progress bar of a run over several places: done, of how many, at what pace, time left.

use crate::config::Config;

/// The progress line: what is done, of how many, at what pace, and how long is left.
const PROGRESS_TEMPLATE: &str = "{spinner} {msg} [{bar:30}] {pos}/{len}, {pace}, {left}";

/// `540/min`, the pace of a run.
fn pace_per_minute(per_second: f64) -> String {
    format!("{:.0}/min", per_second * 60.0)
}

/// `about 3m 20s left`, or nothing to say before the first resource is done.
fn time_left(done: u64, total: Option<u64>, eta: std::time::Duration) -> String {
    if done == 0 || total.is_none_or(|t| done >= t) {
        return "time left unknown".to_string();
    }
    let s = eta.as_secs();
    match (s / 3600, s % 3600 / 60, s % 60) {
        (0, 0, s) => format!("about {s}s left"),
        (0, m, s) => format!("about {m}m {s:02}s left"),
        (h, m, _) => format!("about {h}h {m:02}m left"),
    }
}

/// A progress bar on a terminal (stderr) for a run over several places, nothing otherwise.
pub struct Progress(pub(super) Option<indicatif::ProgressBar>);

impl Progress {
    pub fn new(config: &Config, total: usize, what: &str) -> Progress {
        if config.quiet || total < 2 || !config.stderr_is_terminal {
            return Progress(None);
        }
        let bar = indicatif::ProgressBar::new(total as u64);
        // The verb and the count: the names of the resources are in the report (issue 12 item 8:
        // the bar named each resource twice and cut the second). Then the pace a minute and the
        // time left (issue 22 item 2: a run paced to the quota says how long it will take).
        bar.set_style(
            indicatif::ProgressStyle::with_template(PROGRESS_TEMPLATE)
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .with_key("pace", |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{}", pace_per_minute(s.per_sec()));
                })
                .with_key("left", |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{}", time_left(s.pos(), s.len(), s.eta()));
                })
                .progress_chars("=> "),
        );
        bar.set_message(what.to_string());
        Progress(Some(bar))
    }

    pub(super) fn tick(&self) {
        crate::commands::stopped::tick();
        if let Some(bar) = &self.0 {
            bar.inc(1);
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_progress_line_shows_the_pace_and_the_time_left() {
        use std::time::Duration;
        assert_eq!(pace_per_minute(9.0), "540/min");
        assert_eq!(time_left(0, Some(10), Duration::ZERO), "time left unknown");
        assert_eq!(time_left(5, Some(10), Duration::from_secs(200)), "about 3m 20s left");
        assert_eq!(time_left(5, Some(10), Duration::from_secs(9)), "about 9s left");
        assert_eq!(time_left(5, Some(100), Duration::from_secs(3 * 3600 + 120)), "about 3h 02m left");
        assert!(indicatif::ProgressStyle::with_template(PROGRESS_TEMPLATE).is_ok());
    }
}
