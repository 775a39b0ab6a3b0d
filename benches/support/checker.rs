//! The soak's checker: what the clients saw (the ledger) against what is stored (read with
//! `psql` from the run's database once everything is quiet), and nginx's access log. Each
//! violation names its learner (and seq where there is one).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::process::Command;

use super::http::get_blocking;
use super::ledger::{ALLOWED_CLOSES, Ledger};
use super::tokens::Identity;

#[derive(Debug)]
pub(crate) struct Violation {
    pub rule: &'static str,
    pub learner: String,
    pub seq: Option<u32>,
    pub detail: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let seq = self.seq.map_or(String::new(), |s| format!(" seq {s}"));
        write!(
            f,
            "VIOLATION [{}] learner {}{seq}: {}",
            self.rule, self.learner, self.detail
        )
    }
}

/// Rows of a query, tab-separated columns.
fn rows(url: &str, sql: &str) -> Vec<Vec<String>> {
    let out = Command::new("psql")
        .args([url, "-AtqX", "-F", "\t", "-c", sql])
        .output()
        .expect("psql");
    assert!(
        out.status.success(),
        "{sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

fn v(rule: &'static str, learner: &str, seq: Option<u32>, detail: String) -> Violation {
    Violation {
        rule,
        learner: learner.to_string(),
        seq,
        detail,
    }
}

/// Every rule of issue #34 over the run; the nodes' `screen_ticks` is one tick per node.
pub(crate) fn check(
    url: &str,
    ledger: &Ledger,
    access_log: &std::path::Path,
    games: &[String],
    teacher: &Identity,
    nginx_port: u16,
    screen_ticks: i64,
) -> Vec<Violation> {
    let mut out = Vec::new();

    // 1. Every answer acknowledged as saved is stored, once, as sent.
    let stored: HashMap<(String, u32), String> =
        rows(url, "SELECT session_id, seq, question_id FROM answers")
            .into_iter()
            .map(|r| ((r[0].clone(), r[1].parse().unwrap()), r[2].clone()))
            .collect();
    let mut seen = HashSet::new();
    for a in ledger.acked.lock().unwrap().iter() {
        if !seen.insert((a.session.clone(), a.seq)) {
            continue;
        }
        match stored.get(&(a.session.clone(), a.seq)) {
            None => out.push(v(
                "saved answer stored",
                &a.learner,
                Some(a.seq),
                format!("acknowledged in session {}, not in the database", a.session),
            )),
            Some(q) if *q != a.question => out.push(v(
                "saved answer stored",
                &a.learner,
                Some(a.seq),
                format!(
                    "session {} stores question {q}, the client sent {}",
                    a.session, a.question
                ),
            )),
            _ => {}
        }
    }
    // ... and never taken back: a resume answers at least what was already `saved`.
    for (learner, session, saved, last) in ledger.went_back.lock().unwrap().iter() {
        out.push(v("resume keeps what was saved", learner, Some(*last + 1), format!("session {session}: `saved` up to {saved} seen, then a resume said last_saved_seq {last}")));
    }
    // ... and counted once: one first attempt per question; a completed session counts the
    // questions stored (an open one's count is written when it ends).
    for r in rows(
        url,
        "SELECT s.learner_id, min(a.seq), a.session_id, a.question_id, count(*) FROM answers a JOIN activity_sessions s ON s.id = a.session_id WHERE a.first_attempt GROUP BY 1, 3, 4 HAVING count(*) > 1",
    ) {
        out.push(v(
            "answer counted once",
            &r[0],
            r[1].parse().ok(),
            format!(
                "session {} question {}: {} first attempts",
                r[2], r[3], r[4]
            ),
        ));
    }
    for r in rows(
        url,
        "SELECT s.learner_id, s.id, s.questions_answered, count(DISTINCT a.question_id), s.status FROM activity_sessions s LEFT JOIN answers a ON a.session_id = s.id WHERE s.status = 'completed' GROUP BY s.id HAVING s.questions_answered <> count(DISTINCT a.question_id)",
    ) {
        out.push(v(
            "answer counted once",
            &r[0],
            None,
            format!(
                "session {} ({}) counts {} questions answered, stores {}",
                r[1], r[4], r[2], r[3]
            ),
        ));
    }

    // 2. No session completes twice: each completed session counted once in daily progress.
    let completed: HashMap<String, i64> = rows(
        url,
        "SELECT learner_id, count(*) FROM activity_sessions WHERE status = 'completed' GROUP BY 1",
    )
    .into_iter()
    .map(|r| (r[0].clone(), r[1].parse().unwrap()))
    .collect();
    let counted: HashMap<String, i64> = rows(
        url,
        "SELECT learner_id, sum(activities_completed) FROM daily_progress GROUP BY 1",
    )
    .into_iter()
    .map(|r| (r[0].clone(), r[1].parse().unwrap()))
    .collect();
    for learner in completed
        .keys()
        .chain(counted.keys())
        .collect::<HashSet<_>>()
    {
        let (c, d) = (
            completed.get(learner).copied().unwrap_or(0),
            counted.get(learner).copied().unwrap_or(0),
        );
        if c != d {
            out.push(v(
                "one completion per session",
                learner,
                None,
                format!("{c} sessions completed, daily progress counts {d}"),
            ));
        }
    }

    // 3. Every completion and unlock: exactly one notification for the parent.
    for r in rows(
        url,
        "SELECT s.learner_id, s.id, count(n.id), s.ended_at FROM activity_sessions s JOIN learners l ON l.id = s.learner_id AND l.parent_id IS NOT NULL LEFT JOIN notifications n ON n.learner_id = s.learner_id AND n.parent_id = l.parent_id AND n.kind = 'activity_completed' AND (n.data::json->>'session_id') = s.id WHERE s.status = 'completed' GROUP BY 1, 2, 4 HAVING count(n.id) <> 1",
    ) {
        out.push(v(
            "one notification per completion",
            &r[0],
            None,
            format!(
                "session {} (ended {} UTC): {} notifications",
                r[1], r[3], r[2]
            ),
        ));
    }
    for r in rows(
        url,
        "SELECT n.learner_id, n.data::json->>'session_id', count(*) FROM notifications n WHERE n.kind = 'activity_completed' AND NOT EXISTS (SELECT 1 FROM activity_sessions s WHERE s.id = n.data::json->>'session_id' AND s.status = 'completed') GROUP BY 1, 2",
    ) {
        out.push(v(
            "one notification per completion",
            &r[0],
            None,
            format!(
                "session {} is not completed, yet {} notifications",
                r[1], r[2]
            ),
        ));
    }
    for r in rows(
        url,
        "SELECT la.learner_id, la.achievement_id, count(n.id), la.unlocked_at FROM learner_achievements la JOIN learners l ON l.id = la.learner_id AND l.parent_id IS NOT NULL LEFT JOIN notifications n ON n.learner_id = la.learner_id AND n.parent_id = l.parent_id AND n.kind = 'achievement_unlocked' AND (n.data::json->>'achievement_id') = la.achievement_id GROUP BY 1, 2, 4 HAVING count(n.id) <> 1",
    ) {
        out.push(v(
            "one notification per unlock",
            &r[0],
            None,
            format!(
                "achievement {} (unlocked {} UTC): {} notifications",
                r[1], r[3], r[2]
            ),
        ));
    }
    for r in rows(
        url,
        "SELECT n.learner_id, n.data::json->>'achievement_id', count(*) FROM notifications n WHERE n.kind = 'achievement_unlocked' AND NOT EXISTS (SELECT 1 FROM learner_achievements la WHERE la.learner_id = n.learner_id AND la.achievement_id = n.data::json->>'achievement_id') GROUP BY 1, 2",
    ) {
        out.push(v(
            "one notification per unlock",
            &r[0],
            None,
            format!(
                "achievement {} not unlocked, yet {} notifications",
                r[1], r[2]
            ),
        ));
    }

    // 4. Screen time (played live) within the limit plus grants, give or take a tick per node.
    let sql = format!(
        "SELECT t.learner_id, t.date, t.used, ls.daily_time_limit_seconds, COALESCE(g.granted, 0) FROM \
         (SELECT learner_id, date, sum(seconds) AS used FROM screen_time_logs WHERE NOT offline GROUP BY 1, 2) t \
         JOIN learner_settings ls ON ls.learner_id = t.learner_id \
         LEFT JOIN (SELECT learner_id, date, sum(seconds) AS granted FROM screen_time_grants GROUP BY 1, 2) g ON g.learner_id = t.learner_id AND g.date = t.date \
         WHERE ls.daily_time_limit_seconds IS NOT NULL AND t.used > ls.daily_time_limit_seconds + COALESCE(g.granted, 0) + {screen_ticks}"
    );
    for r in rows(url, &sql) {
        out.push(v(
            "screen time within limit",
            &r[0],
            None,
            format!(
                "{}: {} s played, limit {} s + {} s granted",
                r[1], r[2], r[3], r[4]
            ),
        ));
    }

    // 5. Every game ends, with the scores its answers give (stored, reported, told).
    let points: HashMap<(String, String), i64> = rows(
        url,
        "SELECT game_id, learner_id, sum(points) FROM class_game_answers GROUP BY 1, 2",
    )
    .into_iter()
    .map(|r| ((r[0].clone(), r[1].clone()), r[2].parse().unwrap()))
    .collect();
    let states: HashMap<String, String> = rows(url, "SELECT id, state FROM class_games")
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    let told = ledger.game_scores.lock().unwrap().clone();
    for game in games {
        let state = states.get(game).cloned().unwrap_or_default();
        if state != "over" && state != "ended" {
            out.push(v(
                "game ends with its scores",
                "-",
                None,
                format!("game {game} is {state:?} after the run"),
            ));
        }
        let token = teacher.token();
        let report = get_blocking(
            nginx_port,
            &format!("/v1/games/{game}/report"),
            Some(&token),
        );
        let Some((200, report)) = report else {
            out.push(v(
                "game ends with its scores",
                "-",
                None,
                format!("game {game}: no report ({:?})", report.map(|r| r.0)),
            ));
            continue;
        };
        for p in report["players"].as_array().cloned().unwrap_or_default() {
            let learner = p["learner_id"].as_str().unwrap_or_default().to_string();
            let key = (game.clone(), learner.clone());
            let from_answers = points.get(&key).copied().unwrap_or(0);
            let reported = p["score"].as_i64().unwrap_or(-1);
            if reported != from_answers {
                out.push(v(
                    "game ends with its scores",
                    &learner,
                    None,
                    format!("game {game}: report says {reported}, its answers give {from_answers}"),
                ));
            }
            if let Some(t) = told.get(&key)
                && *t != from_answers
            {
                out.push(v(
                    "game ends with its scores",
                    &learner,
                    None,
                    format!("game {game}: game_over said {t}, its answers give {from_answers}"),
                ));
            }
        }
    }

    // 6. Every socket closed with a code of the contract.
    for ((feed, code, reason), n) in ledger.closes.lock().unwrap().iter() {
        if !ALLOWED_CLOSES.contains(code) {
            out.push(v(
                "close codes of the contract",
                "-",
                None,
                format!("{n} {feed} sockets closed with {code} {reason:?}"),
            ));
        }
    }

    // 7. No 500, from nginx's log (every request through it) and the clients.
    let log = std::fs::read_to_string(access_log).unwrap_or_default();
    let mut five_hundreds: BTreeMap<String, u64> = BTreeMap::new();
    for line in log.lines().filter(|l| l.starts_with("500 ")) {
        *five_hundreds.entry(line.to_string()).or_default() += 1;
    }
    for (line, n) in five_hundreds {
        let learner = line
            .split('/')
            .skip_while(|s| *s != "learners" && *s != "children")
            .nth(1)
            .unwrap_or("-")
            .to_string();
        out.push(v("no 500", &learner, None, format!("{n} × {line}")));
    }
    out
}

/// Counts of what the access log shows, by status (for the report).
pub(crate) fn statuses(access_log: &std::path::Path) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for line in std::fs::read_to_string(access_log)
        .unwrap_or_default()
        .lines()
    {
        if let Some(s) = line.split_whitespace().next() {
            *out.entry(s.to_string()).or_default() += 1;
        }
    }
    out
}
