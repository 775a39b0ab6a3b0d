//! One target's figures and their row in the load bench's table, so that load and nodes
//! print the same table.

use hdrhistogram::Histogram;

use super::ms;

/// What a run measured of one target (or one shard of the nodes bench).
pub(crate) struct Report {
    pub label: &'static str,
    pub held: u64,
    pub failed: u64,
    pub rate: f64,
    pub saved_rate: f64,
    pub busy: u64,
    pub errors: u64,
    pub closed: u64,
    /// Server CPU µs per unit of work (engine: per durable answer; echo: per message).
    pub server_cpu_us: Option<f64>,
    /// The server's context switches per unit of work, over all its threads.
    pub server_switches: Option<f64>,
    pub generator_cpu_us: Option<f64>,
    pub server_cores: f64,
    /// Cores busy over the window: the whole machine, and PostgreSQL's processes.
    pub machine_cores: f64,
    pub database_cores: f64,
    pub generator_cores: f64,
    pub feedback: Histogram<u64>,
    pub saved: Histogram<u64>,
    /// How late the generator's own timer ran (a saturated box delays the generator too).
    pub generator_lag: Histogram<u64>,
    pub parent_notify: Histogram<u64>,
    pub teacher_event: Histogram<u64>,
    pub rss_per_session_kib: Option<f64>,
    /// `GET /v1/learners/{id}/progress` latencies and failures (`--reads`).
    pub progress_reads: Option<(Histogram<u64>, u64, String)>,
}

/// The table's head, its first column named `first` ("target", "shard").
pub(crate) fn print_header(first: &str) {
    println!(
        "| {first} | sessions held | failed | answers/s | saved/s | busy | errors | closed | server CPU µs/answer | server switches/answer | generator CPU µs/answer | server cores | feedback p50 ms | feedback p99 ms | saved p50 ms | saved p99 ms | server RSS KiB/session |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
}

/// The report's row of the table.
pub(crate) fn print(r: &Report) {
    let us = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.0}"));
    println!(
        "| {} | {} | {} | {:.0} | {} | {} | {} | {} | {} | {} | {} | {:.2} | {} | {} | {} | {} | {} |",
        r.label,
        r.held,
        r.failed,
        r.rate,
        if r.label == "engine" {
            format!("{:.0}", r.saved_rate)
        } else {
            "-".into()
        },
        r.busy,
        r.errors,
        r.closed,
        us(r.server_cpu_us),
        r.server_switches.map_or("-".into(), |v| format!("{v:.2}")),
        us(r.generator_cpu_us),
        r.server_cores,
        ms(&r.feedback, 0.5),
        ms(&r.feedback, 0.99),
        ms(&r.saved, 0.5),
        ms(&r.saved, 0.99),
        r.rss_per_session_kib
            .map_or("-".into(), |k| format!("{k:.1}")),
    );
}
