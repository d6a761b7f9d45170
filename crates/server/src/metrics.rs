//! Prometheus metrics in the text exposition format (version 0.0.4), at `/metrics`.
//!
//! A handful of series, kept by hand: the exposition format is a few lines of text and
//! the counters sit behind one mutex taken once per request (uncontended at this
//! server's request rates on two cores).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, secs: f64) {
        for (i, le) in BUCKETS.iter().enumerate() {
            if secs <= *le {
                self.counts[i] += 1;
            }
        }
        self.count += 1;
        self.sum += secs;
    }
}

#[derive(Default)]
struct Series {
    /// (method, route, status) → count.
    requests: BTreeMap<(String, String, u16), u64>,
    /// route → latency histogram.
    latency: BTreeMap<String, Histogram>,
    /// decision → count.
    decisions: BTreeMap<String, u64>,
    audit_records: u64,
    audit_failures: u64,
    /// source → (version label, swaps).
    lists: BTreeMap<String, (String, u64)>,
}

#[derive(Default)]
pub struct Metrics {
    series: Mutex<Series>,
    /// Names matched (single screenings and batch rows); counted per row outside the
    /// mutex, from the blocking pool.
    screened: AtomicU64,
    /// Batch rows not matched because the request was gone (client closed the
    /// connection, or the deadline passed).
    abandoned: AtomicU64,
}

impl Metrics {
    pub fn count_screened(&self, n: u64) {
        self.screened.fetch_add(n, Ordering::Relaxed);
    }

    pub fn count_abandoned(&self, n: u64) {
        self.abandoned.fetch_add(n, Ordering::Relaxed);
    }

    /// (names matched, batch rows abandoned) so far.
    pub fn screening_work(&self) -> (u64, u64) {
        (
            self.screened.load(Ordering::Relaxed),
            self.abandoned.load(Ordering::Relaxed),
        )
    }

    pub fn observe_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        if let Ok(mut s) = self.series.lock() {
            *s.requests
                .entry((method.to_string(), route.to_string(), status))
                .or_default() += 1;
            s.latency
                .entry(route.to_string())
                .or_default()
                .observe(elapsed.as_secs_f64());
        }
    }

    pub fn observe_decision(&self, decision: &str) {
        if let Ok(mut s) = self.series.lock() {
            *s.decisions.entry(decision.to_string()).or_default() += 1;
        }
    }

    pub fn observe_audit(&self, records: u64, ok: bool) {
        if let Ok(mut s) = self.series.lock() {
            if ok {
                s.audit_records += records;
            } else {
                s.audit_failures += records;
            }
        }
    }

    pub fn observe_list_swap(&self, source: &str, version: &str) {
        if let Ok(mut s) = self.series.lock() {
            let e = s.lists.entry(source.to_string()).or_default();
            e.0 = version.to_string();
            e.1 += 1;
        }
    }

    pub fn render(&self) -> String {
        let Ok(s) = self.series.lock() else {
            return String::new();
        };
        let mut out = String::new();
        let (screened, abandoned) = self.screening_work();
        out.push_str("# HELP embargo_screened_names_total Names matched against the lists.\n");
        out.push_str("# TYPE embargo_screened_names_total counter\n");
        let _ = writeln!(out, "embargo_screened_names_total {screened}");
        out.push_str("# HELP embargo_screen_rows_abandoned_total Batch rows not matched because the request was gone.\n");
        out.push_str("# TYPE embargo_screen_rows_abandoned_total counter\n");
        let _ = writeln!(out, "embargo_screen_rows_abandoned_total {abandoned}");
        out.push_str(
            "# HELP embargo_http_requests_total HTTP requests by method, route and status.\n",
        );
        out.push_str("# TYPE embargo_http_requests_total counter\n");
        for ((method, route, status), n) in &s.requests {
            let _ = writeln!(
                out,
                "embargo_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {n}",
                escape(method),
                escape(route)
            );
        }
        out.push_str("# HELP embargo_http_request_duration_seconds Request latency by route.\n");
        out.push_str("# TYPE embargo_http_request_duration_seconds histogram\n");
        for (route, h) in &s.latency {
            let r = escape(route);
            for (le, n) in BUCKETS.iter().zip(h.counts.iter()) {
                let _ = writeln!(
                    out,
                    "embargo_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"{le}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "embargo_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "embargo_http_request_duration_seconds_sum{{route=\"{r}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "embargo_http_request_duration_seconds_count{{route=\"{r}\"}} {}",
                h.count
            );
        }
        out.push_str("# HELP embargo_screening_decisions_total Screening decisions by outcome.\n");
        out.push_str("# TYPE embargo_screening_decisions_total counter\n");
        for (d, n) in &s.decisions {
            let _ = writeln!(
                out,
                "embargo_screening_decisions_total{{decision=\"{}\"}} {n}",
                escape(d)
            );
        }
        out.push_str("# HELP embargo_audit_records_total Audit records committed.\n");
        out.push_str("# TYPE embargo_audit_records_total counter\n");
        let _ = writeln!(out, "embargo_audit_records_total {}", s.audit_records);
        out.push_str("# HELP embargo_audit_failures_total Audit records that could not be committed (their requests failed with 503).\n");
        out.push_str("# TYPE embargo_audit_failures_total counter\n");
        let _ = writeln!(out, "embargo_audit_failures_total {}", s.audit_failures);
        out.push_str("# HELP embargo_list_swaps_total Screening list activations by source.\n");
        out.push_str("# TYPE embargo_list_swaps_total counter\n");
        for (src, (_, swaps)) in &s.lists {
            let _ = writeln!(
                out,
                "embargo_list_swaps_total{{source=\"{}\"}} {swaps}",
                escape(src)
            );
        }
        out.push_str(
            "# HELP embargo_list_info The active list version per source (value is always 1).\n",
        );
        out.push_str("# TYPE embargo_list_info gauge\n");
        for (src, (version, _)) in &s.lists {
            let _ = writeln!(
                out,
                "embargo_list_info{{source=\"{}\",version=\"{}\"}} 1",
                escape(src),
                escape(version)
            );
        }
        out
    }
}

/// Label values escape backslash, double quote and newline.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let m = Metrics::default();
        m.observe_request("GET", "/health", 200, Duration::from_micros(300));
        m.observe_request("GET", "/health", 200, Duration::from_millis(20));
        m.observe_request("GET", "/health", 503, Duration::from_secs(20));
        let text = m.render();
        assert!(text.contains(
            "embargo_http_requests_total{method=\"GET\",route=\"/health\",status=\"200\"} 2"
        ));
        assert!(text.contains(
            "embargo_http_request_duration_seconds_bucket{route=\"/health\",le=\"0.0005\"} 1"
        ));
        assert!(text.contains(
            "embargo_http_request_duration_seconds_bucket{route=\"/health\",le=\"0.025\"} 2"
        ));
        assert!(text.contains(
            "embargo_http_request_duration_seconds_bucket{route=\"/health\",le=\"10\"} 2"
        ));
        assert!(text.contains(
            "embargo_http_request_duration_seconds_bucket{route=\"/health\",le=\"+Inf\"} 3"
        ));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
