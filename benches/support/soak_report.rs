//! The soak's printed results: the schedule before the run, and after it each fault with its
//! recovery, what the clients saw, every violation and the run's row for BENCHMARKS.md.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::checker::{Violation, statuses};
use super::faults::{Done, Fault, Kind};
use super::ledger::{Ledger, recovery};

/// What the run was: its seed, length and command, when its load started and stopped.
pub(crate) struct Run<'a> {
    pub seed: u64,
    pub seconds: u64,
    pub command: &'a str,
    pub started: Instant,
    pub stopped: Instant,
    pub sent_during_load: u64,
    pub access_log: &'a Path,
}

fn secs(d: Option<Duration>) -> String {
    d.map_or("-".into(), |d| format!("{:.2}", d.as_secs_f64()))
}

/// The faults to come, printed before the load starts.
pub(crate) fn schedule(seed: u64, plan: &[Fault]) {
    println!("schedule (seed {seed}):");
    for f in plan {
        let held = if f.kind.held() {
            format!(" for {} s", f.hold.as_secs())
        } else {
            String::new()
        };
        let node = if matches!(f.kind, Kind::Kill9 | Kind::Sigterm | Kind::ClockStep) {
            format!(" (node {})", f.node)
        } else {
            String::new()
        };
        println!(
            "  at {:>4} s: {}{node}{held}",
            f.at.as_secs(),
            f.kind.label()
        );
    }
}

/// Everything after the check.
pub(crate) fn print(run: &Run, done: &[Done], ledger: &Ledger, violations: &[Violation]) {
    let Run {
        seed,
        seconds,
        command,
        started,
        stopped,
        sent_during_load,
        access_log,
    } = *run;
    let buckets = ledger.buckets();
    let t0 = ledger.t0;
    let mut by_kind: BTreeMap<Kind, Vec<Option<Duration>>> = Default::default();
    println!("\n| fault | at s | lasted s | recovery s | how measured |\n|---|---|---|---|---|");
    for (i, d) in done.iter().enumerate() {
        let until = done.get(i + 1).map_or(stopped, |n| n.began);
        let (rec, how) = match d.fault.kind {
            Kind::RedisCut | Kind::RedisRestart | Kind::StoreFail => (
                d.health_back,
                "both nodes' /health whole again, after the heal",
            ),
            k if k.held() => (
                recovery(&buckets, t0, d.began, d.ended, until),
                "saved rate back to 80 %, after the heal",
            ),
            _ => (
                recovery(&buckets, t0, d.began, d.began, until),
                "saved rate back to 80 %, from the fault",
            ),
        };
        by_kind.entry(d.fault.kind).or_default().push(rec);
        println!(
            "| {} | {} | {:.1} | {} | {how}{} |",
            d.fault.kind.label(),
            d.began.duration_since(started).as_secs(),
            d.ended.duration_since(d.began).as_secs_f64(),
            secs(rec),
            if d.note.is_empty() {
                String::new()
            } else {
                format!("; {}", d.note)
            }
        );
    }
    let acked: HashSet<(String, u32)> = ledger
        .acked
        .lock()
        .unwrap()
        .iter()
        .map(|a| (a.session.clone(), a.seq))
        .collect();
    println!(
        "\nanswers sent {sent_during_load}, acknowledged saved {} (distinct), notifications received live {}",
        acked.len(),
        ledger.notifications.load(Ordering::Relaxed)
    );
    println!("play errors: {:?}", ledger.errors.lock().unwrap());
    println!("closes: {:?}", ledger.closes.lock().unwrap());
    println!(
        "dropped without a close frame: {:?}",
        ledger.dropped.lock().unwrap()
    );
    println!(
        "REST statuses (client side): {:?}",
        ledger.statuses.lock().unwrap()
    );
    for ((what, status), body) in ledger.samples.lock().unwrap().iter() {
        println!("a {what} answered {status}, the first time: {body}");
    }
    println!("nginx statuses: {:?}", statuses(access_log));
    let recovery_cells: Vec<String> = by_kind
        .iter()
        .map(|(k, v)| {
            let mut ok: Vec<Duration> = v.iter().flatten().copied().collect();
            ok.sort();
            let p50 = ok.get(ok.len().saturating_sub(1) / 2).copied();
            format!(
                "{} ×{}: {}/{}{}",
                k.label(),
                v.len(),
                secs(p50),
                secs(ok.last().copied()),
                if ok.len() < v.len() {
                    format!(" ({} not back)", v.len() - ok.len())
                } else {
                    String::new()
                }
            )
        })
        .collect();
    for v in violations {
        println!("{v}");
    }
    let mut rules: BTreeMap<&str, usize> = Default::default();
    for v in violations {
        *rules.entry(v.rule).or_default() += 1;
    }
    println!(
        "\n| seed | load s | faults | answers acknowledged | violations | recovery p50/max s by fault | command |\n|---|---|---|---|---|---|---|"
    );
    println!(
        "| {seed} | {} | {} | {} | {}{} | {} | `{command}` |",
        seconds,
        done.len(),
        acked.len(),
        violations.len(),
        if rules.is_empty() {
            String::new()
        } else {
            format!(" ({rules:?})")
        },
        recovery_cells.join("; ")
    );
}
