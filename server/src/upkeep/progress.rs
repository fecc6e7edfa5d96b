//! Progress of long upkeep work: counts, rate and time left. A bar on a
//! terminal (indicatif); elsewhere (a log, a pipe) a line every 5 seconds.

use indicatif::{ProgressBar, ProgressStyle};
use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

pub struct Progress {
    bar: ProgressBar,
    what: &'static str,
    total: u64,
    started: Instant,
    /// When the last line was printed (no terminal).
    said: Mutex<Instant>,
}

const EVERY: Duration = Duration::from_secs(5);

impl Progress {
    pub fn new(what: &'static str, total: u64) -> Self {
        let bar = ProgressBar::new(total);
        if let Ok(style) = ProgressStyle::with_template(
            "{prefix:>18} [{bar:30}] {human_pos}/{human_len} {msg} {per_sec} ETA {eta}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(what);
        let now = Instant::now();
        Self {
            bar,
            what,
            total,
            started: now,
            said: Mutex::new(now),
        }
    }

    /// `done` of the total, now working on `part`.
    pub fn set(&self, done: u64, part: &'static str) {
        self.bar.set_prefix(part);
        self.bar.set_position(done);
        if !self.bar.is_hidden() {
            return;
        }
        let Ok(mut said) = self.said.lock() else {
            return;
        };
        if said.elapsed() < EVERY {
            return;
        }
        *said = Instant::now();
        let seconds = self.started.elapsed().as_secs_f64().max(0.001);
        let rate = done as f64 / seconds;
        let left = self.total.saturating_sub(done) as f64 / rate.max(f64::MIN_POSITIVE);
        println!(
            "{part}: {done}/{} {} ({rate:.0}/s, about {left:.0} s left)",
            self.total, self.what
        );
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
