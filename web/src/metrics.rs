//! Prometheus metrics, hand-rolled: request counts and latency histograms by route pattern,
//! method and status, the catalog size and the process's resident memory, in the text exposition
//! format (version 0.0.4) at `GET /metrics`.
//!
//! Every label comes from a closed set ([`method_label`], [`route_label`], a status code), so
//! no request can add a series the server did not know of: a junk method is `other`, a path no
//! route matches is `unmatched`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0,
];

/// The methods that get a label of their own; any other is `other`.
const METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE",
];

/// The `method` label: the method itself when it is one of HTTP's nine, else `other`.
pub fn method_label(method: &str) -> &'static str {
    METHODS
        .iter()
        .find(|m| **m == method)
        .copied()
        .unwrap_or("other")
}

/// The `route` label: a route template of [`crate::api::API_PATHS`] as it is, else
/// `unmatched`.
pub fn route_label(route: &str) -> &'static str {
    crate::api::API_PATHS
        .iter()
        .find(|r| **r == route)
        .copied()
        .unwrap_or("unmatched")
}

/// The labels of one series.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct SeriesKey {
    route: &'static str,
    method: &'static str,
    status: u16,
}

/// Counts and latency histogram of one series.
#[derive(Debug, Clone, Default)]
struct Series {
    count: u64,
    sum_secs: f64,
    /// Non-cumulative counts per bucket; the last slot is `+Inf`.
    buckets: [u64; BUCKETS.len() + 1],
}

/// The server's metrics; shared by every worker.
#[derive(Debug, Default)]
pub struct Metrics {
    series: Mutex<BTreeMap<SeriesKey, Series>>,
}

impl Metrics {
    /// Records one answered request. `route` is the matched route pattern
    /// (`/api/v1/tracks/{id}`); it and `method` are mapped onto their closed label sets
    /// ([`route_label`], [`method_label`]), so the number of series is bounded whatever comes in.
    pub fn observe(&self, route: &str, method: &str, status: u16, latency: Duration) {
        let secs = latency.as_secs_f64();
        let slot = BUCKETS
            .iter()
            .position(|&b| secs <= b)
            .unwrap_or(BUCKETS.len());
        let key = SeriesKey {
            route: route_label(route),
            method: method_label(method),
            status,
        };
        // A poisoned lock only means another thread panicked mid-update of plain counters.
        let mut series = self.series.lock().unwrap_or_else(|e| e.into_inner());
        let s = series.entry(key).or_default();
        s.count += 1;
        s.sum_secs += secs;
        s.buckets[slot] += 1;
    }

    /// The text exposition of every metric; `tracks` is the catalog size.
    pub fn render(&self, tracks: usize) -> String {
        let series = self
            .series
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut out = String::new();
        out.push_str("# HELP musearch_http_requests_total HTTP requests answered, by route pattern, method and status.\n");
        out.push_str("# TYPE musearch_http_requests_total counter\n");
        for (k, s) in &series {
            let _ = writeln!(
                out,
                "musearch_http_requests_total{{{}}} {}",
                labels(k),
                s.count
            );
        }
        out.push_str("# HELP musearch_http_request_duration_seconds Time from receiving a request to its response, by route pattern, method and status.\n");
        out.push_str("# TYPE musearch_http_request_duration_seconds histogram\n");
        for (k, s) in &series {
            let l = labels(k);
            let mut cumulative = 0;
            for (i, bound) in BUCKETS.iter().enumerate() {
                cumulative += s.buckets[i];
                let _ = writeln!(
                    out,
                    "musearch_http_request_duration_seconds_bucket{{{l},le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "musearch_http_request_duration_seconds_bucket{{{l},le=\"+Inf\"}} {}",
                s.count
            );
            let _ = writeln!(
                out,
                "musearch_http_request_duration_seconds_sum{{{l}}} {}",
                s.sum_secs
            );
            let _ = writeln!(
                out,
                "musearch_http_request_duration_seconds_count{{{l}}} {}",
                s.count
            );
        }
        out.push_str("# HELP musearch_catalog_tracks Tracks the server searches.\n");
        out.push_str("# TYPE musearch_catalog_tracks gauge\n");
        let _ = writeln!(out, "musearch_catalog_tracks {tracks}");
        if let Some(rss) = resident_memory_bytes() {
            out.push_str("# HELP process_resident_memory_bytes Resident memory size in bytes.\n");
            out.push_str("# TYPE process_resident_memory_bytes gauge\n");
            let _ = writeln!(out, "process_resident_memory_bytes {rss}");
        }
        out
    }
}

/// `route="…",method="…",status="…"` with label values escaped.
fn labels(k: &SeriesKey) -> String {
    format!(
        "route=\"{}\",method=\"{}\",status=\"{}\"",
        escape(k.route),
        escape(k.method),
        k.status
    )
}

/// Escapes a label value: backslash, double quote and newline.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// This process's resident set size, from `/proc/self/statm` (Linux only).
pub fn resident_memory_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative_and_end_at_the_count() {
        let m = Metrics::default();
        m.observe("/", "GET", 200, Duration::from_micros(300));
        m.observe("/", "GET", 200, Duration::from_millis(30));
        m.observe("/", "GET", 200, Duration::from_secs(60));
        m.observe("/", "GET", 404, Duration::from_millis(1));
        let text = m.render(7);
        assert!(text
            .contains("musearch_http_requests_total{route=\"/\",method=\"GET\",status=\"200\"} 3"));
        assert!(text.contains(
            "musearch_http_request_duration_seconds_bucket{route=\"/\",method=\"GET\",status=\"200\",le=\"0.0005\"} 1"
        ));
        assert!(text.contains(
            "musearch_http_request_duration_seconds_bucket{route=\"/\",method=\"GET\",status=\"200\",le=\"0.05\"} 2"
        ));
        assert!(text.contains(
            "musearch_http_request_duration_seconds_bucket{route=\"/\",method=\"GET\",status=\"200\",le=\"10\"} 2"
        ));
        assert!(text.contains(
            "musearch_http_request_duration_seconds_bucket{route=\"/\",method=\"GET\",status=\"200\",le=\"+Inf\"} 3"
        ));
        assert!(text.contains("status=\"404\"} 1"));
        assert!(text.contains("musearch_catalog_tracks 7"));
    }

    #[test]
    fn junk_methods_and_paths_add_no_series() {
        let m = Metrics::default();
        m.observe("/api/v1/search", "GET", 200, Duration::from_millis(1));
        let before = m.render(0).lines().count();
        for i in 0..1_000 {
            m.observe(
                "unmatched",
                &format!("FOO{i}"),
                405,
                Duration::from_millis(1),
            );
            m.observe(&format!("/junk/{i}"), "GET", 404, Duration::from_millis(1));
        }
        let text = m.render(0);
        // Two new series (`other` 405 and `unmatched` 404), whatever the thousand names were.
        let per_series = 3 + BUCKETS.len() + 1;
        assert_eq!(text.lines().count(), before + 2 * per_series, "{text}");
        assert!(!text.contains("FOO"));
        assert!(!text.contains("/junk/"));
        assert!(text.contains(
            "musearch_http_requests_total{route=\"unmatched\",method=\"other\",status=\"405\"} 1000"
        ));
        assert!(text.contains(
            "musearch_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"} 1000"
        ));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
