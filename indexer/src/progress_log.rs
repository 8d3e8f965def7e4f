//! [`ProgressLog`]: a run's [`Progress`] as plain, periodic log lines, for when stderr is not a
//! terminal (CI, log files, `nohup`), where a redrawn progress bar shows nothing useful.
//!
//! A line gives the files done of those found, the rate (files per second over the whole run)
//! and, once the scan has finished and the total is known, the estimated time left:
//!
//! ```text
//! index: 120/1000 files (12.0%), 0 failed, 3.2 files/s, 1:02:10 of audio, elapsed 0:00:37, ETA 0:04:35
//! index: 120/340 files found so far (scanning), 0 failed, 3.2 files/s, 1:02:10 of audio, elapsed 0:00:37
//! ```
//!
//! The audio decoded moves while one long file decodes (the pipeline calls back every second
//! even when no file settles), so a line is never stale for minutes.
//!
//! ```text
//! ```

use std::time::{Duration, Instant};

use crate::pipeline::Progress;

/// Decides when a progress line is due and writes it.
#[derive(Debug, Clone)]
pub struct ProgressLog {
    started: Instant,
    every: Duration,
    last: Option<Instant>,
}

impl ProgressLog {
    /// A log for a run that started at `started`, writing at most one line per `every`.
    pub fn new(started: Instant, every: Duration) -> ProgressLog {
        ProgressLog {
            started,
            every,
            last: None,
        }
    }

    /// The line to print at `now`, if one is due: the first call after `every` has passed since
    /// the start or since the last line.
    pub fn due(&mut self, progress: &Progress, now: Instant) -> Option<String> {
        let since = now.saturating_duration_since(self.last.unwrap_or(self.started));
        if since < self.every {
            return None;
        }
        self.last = Some(now);
        Some(self.line(progress, now))
    }

    /// The line for `progress` at `now`, due or not (for the closing line).
    pub fn line(&self, progress: &Progress, now: Instant) -> String {
        let elapsed = now.saturating_duration_since(self.started);
        let secs = elapsed.as_secs_f64();
        let rate = if secs > 0.0 {
            progress.done as f64 / secs
        } else {
            0.0
        };
        let mut line = if progress.scan_done {
            let share = if progress.found > 0 {
                100.0 * progress.done as f64 / progress.found as f64
            } else {
                100.0
            };
            format!(
                "index: {}/{} files ({share:.1}%)",
                progress.done, progress.found
            )
        } else {
            format!(
                "index: {}/{} files found so far (scanning)",
                progress.done, progress.found
            )
        };
        line.push_str(&format!(
            ", {} failed, {rate:.1} files/s, {} of audio, elapsed {}",
            progress.failed,
            clock(Duration::from_secs_f64(progress.audio_secs.max(0.0))),
            clock(elapsed)
        ));
        if progress.scan_done && rate > 0.0 {
            let left = progress.found.saturating_sub(progress.done) as f64 / rate;
            line.push_str(&format!(", ETA {}", clock(Duration::from_secs_f64(left))));
        }
        line
    }
}

/// `h:mm:ss`.
fn clock(d: Duration) -> String {
    let s = d.as_secs();
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progress(found: u64, scan_done: bool, done: u64, failed: u64) -> Progress {
        Progress {
            found,
            scan_done,
            done,
            failed,
            audio_secs: 3730.0,
        }
    }

    #[test]
    fn lines_come_at_most_once_per_interval() {
        let t0 = Instant::now();
        let mut log = ProgressLog::new(t0, Duration::from_secs(10));
        let p = progress(10, false, 1, 0);
        assert_eq!(log.due(&p, t0 + Duration::from_secs(3)), None);
        assert!(log.due(&p, t0 + Duration::from_secs(10)).is_some());
        assert_eq!(log.due(&p, t0 + Duration::from_secs(19)), None);
        assert!(log.due(&p, t0 + Duration::from_secs(20)).is_some());
    }

    #[test]
    fn line_gives_counts_rate_and_eta() {
        let t0 = Instant::now();
        let log = ProgressLog::new(t0, Duration::from_secs(10));
        // 120 files in 40 s: 3 files/s; 880 left: 293.3 s.
        let line = log.line(&progress(1000, true, 120, 2), t0 + Duration::from_secs(40));
        assert_eq!(
            line,
            "index: 120/1000 files (12.0%), 2 failed, 3.0 files/s, 1:02:10 of audio, elapsed 0:00:40, ETA 0:04:53"
        );
        // While scanning the total is not known: no ETA.
        let line = log.line(
            &progress(340, false, 120, 0),
            t0 + Duration::from_secs(3725),
        );
        assert_eq!(
            line,
            "index: 120/340 files found so far (scanning), 0 failed, 0.0 files/s, 1:02:10 of audio, elapsed 1:02:05"
        );
        // Nothing done yet: no rate, no ETA, no division by zero.
        let line = log.line(&progress(0, true, 0, 0), t0);
        assert_eq!(
            line,
            "index: 0/0 files (100.0%), 0 failed, 0.0 files/s, 1:02:10 of audio, elapsed 0:00:00"
        );
    }
}
