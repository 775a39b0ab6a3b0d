//! The digest as a parent reads it: an HTML part (inline styles only, tables for layout, as
//! mail clients want) and the same in plain text.

use chrono::{Datelike, NaiveDate};

use super::compose::escape;
use crate::features::reports::WeekReport;

/// One child's week in the digest.
pub struct ChildWeek {
    pub report: WeekReport,
    /// Requests for more time made this week: (asked seconds, status, granted seconds).
    pub requests: Vec<(i32, String, Option<i32>)>,
}

const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

fn minutes(seconds: i64) -> String {
    let m = (seconds + 30) / 60;
    match (m / 60, m % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m:02}"),
    }
}

/// What a child's week comes to.
struct Totals {
    screen: i64,
    activities: usize,
    accuracy: Option<f64>,
    stars: i64,
    best_day: Option<usize>,
}

fn totals(c: &ChildWeek) -> Totals {
    let r = &c.report;
    let n = r.sessions.len();
    let best = r
        .screen_seconds
        .iter()
        .enumerate()
        .filter(|(_, s)| **s > 0)
        .max_by_key(|(_, s)| **s)
        .map(|(i, _)| i);
    Totals {
        screen: r.screen_seconds.iter().sum(),
        activities: n,
        accuracy: (n > 0).then(|| r.sessions.iter().map(|s| s.accuracy).sum::<f64>() / n as f64),
        stars: r.sessions.iter().map(|s| s.stars as i64).sum(),
        best_day: best,
    }
}

fn request_line(seconds: i32, status: &str, granted: Option<i32>) -> String {
    let asked = minutes(seconds as i64);
    match status {
        "approved" => format!(
            "asked for {asked}, you gave {}",
            minutes(granted.unwrap_or(seconds) as i64)
        ),
        "denied" => format!("asked for {asked}, you said no"),
        _ => format!("asked for {asked}, not answered"),
    }
}

fn date_range(from: NaiveDate, to: NaiveDate) -> String {
    if from.month() == to.month() {
        format!("{}–{} {}", from.day(), to.day(), to.format("%B %Y"))
    } else {
        format!("{} – {}", from.format("%-d %B"), to.format("%-d %B %Y"))
    }
}

/// (HTML, plain text) of the digest.
pub fn render(
    parent: &str,
    week: &str,
    (from, to): (NaiveDate, NaiveDate),
    children: &[ChildWeek],
    public_url: &str,
) -> (String, String) {
    let range = date_range(from, to);
    let family_page = format!("{public_url}/parent");
    let mut text = format!("Hello {parent},\n\nHere is how the week of {range} ({week}) went.\n");
    let mut cards = String::new();
    for child in children {
        let r = &child.report;
        let t = totals(child);
        // Plain text.
        text.push_str(&format!("\n== {} ==\n", r.child_name));
        text.push_str(&format!(
            "Time on StudyHub: {}. Activities: {}. Accuracy: {}. Stars: {}.\n",
            minutes(t.screen),
            t.activities,
            t.accuracy.map_or("–".into(), |a| format!("{a:.0} %")),
            t.stars
        ));
        for (i, d) in DAYS.iter().enumerate() {
            let done = r
                .sessions
                .iter()
                .filter(|s| s.date == from + chrono::Duration::days(i as i64))
                .count();
            text.push_str(&format!(
                "  {d}: {:>9}  {done} activit{}\n",
                minutes(r.screen_seconds[i]),
                if done == 1 { "y" } else { "ies" }
            ));
        }
        if !r.achievements.is_empty() {
            text.push_str("New achievements: ");
            text.push_str(
                &r.achievements
                    .iter()
                    .map(|a| a.0.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            text.push('\n');
        }
        for (s, st, g) in &child.requests {
            text.push_str(&format!("More time: {}\n", request_line(*s, st, *g)));
        }

        // HTML: a card per child, a table of the days with a bar each.
        let most = r.screen_seconds.iter().copied().max().unwrap_or(0).max(1);
        let mut rows = String::new();
        for (i, d) in DAYS.iter().enumerate() {
            let day = from + chrono::Duration::days(i as i64);
            let done: Vec<_> = r.sessions.iter().filter(|s| s.date == day).collect();
            let stars: i64 = done.iter().map(|s| s.stars as i64).sum();
            let acc = if done.is_empty() {
                "–".to_string()
            } else {
                format!(
                    "{:.0} %",
                    done.iter().map(|s| s.accuracy).sum::<f64>() / done.len() as f64
                )
            };
            let width =
                (r.screen_seconds[i] * 100 / most).max(if r.screen_seconds[i] > 0 { 3 } else { 0 });
            let highlight = if t.best_day == Some(i) {
                "background:#f1f5ff;"
            } else {
                ""
            };
            rows.push_str(&format!(
                r#"<tr style="{highlight}"><td style="padding:6px 8px;color:#5c6579;font-weight:600">{d}</td>
<td style="padding:6px 8px;width:45%"><div style="background:#e8ecf6;border-radius:4px;height:10px"><div style="background:#3b5bdb;border-radius:4px;height:10px;width:{width}%"></div></div></td>
<td style="padding:6px 8px;text-align:right;white-space:nowrap">{time}</td>
<td style="padding:6px 8px;text-align:right">{n}</td>
<td style="padding:6px 8px;text-align:right">{acc}</td>
<td style="padding:6px 8px;text-align:right">{stars}</td></tr>"#,
                time = minutes(r.screen_seconds[i]),
                n = done.len(),
            ));
        }
        let achievements = if r.achievements.is_empty() {
            String::new()
        } else {
            let items: String = r
                .achievements
                .iter()
                .map(|(title, day)| {
                    format!(
                        r#"<li style="margin:2px 0"><strong>{}</strong> <span style="color:#8a92a6">({})</span></li>"#,
                        escape(title),
                        day.format("%A")
                    )
                })
                .collect();
            format!(
                r#"<p style="margin:16px 0 4px;font-weight:600">New achievements</p><ul style="margin:0;padding-left:20px">{items}</ul>"#
            )
        };
        let requests = if child.requests.is_empty() {
            String::new()
        } else {
            let items: String = child
                .requests
                .iter()
                .map(|(s, st, g)| {
                    format!(
                        r#"<li style="margin:2px 0">{}</li>"#,
                        escape(&request_line(*s, st, *g))
                    )
                })
                .collect();
            format!(
                r#"<p style="margin:16px 0 4px;font-weight:600">Asked for more time</p><ul style="margin:0;padding-left:20px">{items}</ul>"#
            )
        };
        let quiet = if t.activities == 0 && t.screen == 0 {
            r#"<p style="margin:12px 0 0;color:#5c6579">A quiet week: nothing played. A short activity together is a good way back in.</p>"#
        } else {
            ""
        };
        cards.push_str(&format!(
            r#"<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#ffffff;border-radius:12px;margin:0 0 20px;border:1px solid #e3e7f0">
<tr><td style="padding:20px 24px">
<h2 style="margin:0 0 14px;font-size:20px;color:#1d2433">{name}</h2>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="margin:0 0 14px"><tr>
<td style="text-align:center;padding:8px;background:#f4f6fb;border-radius:8px"><div style="font-size:20px;font-weight:700;color:#3b5bdb">{time}</div><div style="font-size:12px;color:#5c6579">time</div></td>
<td style="width:8px"></td>
<td style="text-align:center;padding:8px;background:#f4f6fb;border-radius:8px"><div style="font-size:20px;font-weight:700;color:#3b5bdb">{acts}</div><div style="font-size:12px;color:#5c6579">activities</div></td>
<td style="width:8px"></td>
<td style="text-align:center;padding:8px;background:#f4f6fb;border-radius:8px"><div style="font-size:20px;font-weight:700;color:#3b5bdb">{acc}</div><div style="font-size:12px;color:#5c6579">accuracy</div></td>
<td style="width:8px"></td>
<td style="text-align:center;padding:8px;background:#f4f6fb;border-radius:8px"><div style="font-size:20px;font-weight:700;color:#e8a400">★ {stars}</div><div style="font-size:12px;color:#5c6579">stars</div></td>
</tr></table>
<table width="100%" cellpadding="0" cellspacing="0" style="border-collapse:collapse;font-size:14px">
<tr style="color:#8a92a6;font-size:12px;text-align:right"><th style="text-align:left;padding:4px 8px;font-weight:400">Day</th><th style="text-align:left;padding:4px 8px;font-weight:400">Time</th><th style="padding:4px 8px;font-weight:400"></th><th style="padding:4px 8px;font-weight:400">Activities</th><th style="padding:4px 8px;font-weight:400">Accuracy</th><th style="padding:4px 8px;font-weight:400">Stars</th></tr>
{rows}
</table>
{quiet}{achievements}{requests}
</td></tr></table>"#,
            name = escape(&r.child_name),
            time = minutes(t.screen),
            acts = t.activities,
            acc = t.accuracy.map_or("–".into(), |a| format!("{a:.0} %")),
            stars = t.stars,
        ));
    }
    text.push_str(&format!(
        "\nEach child's full report is attached as a PDF. The family page: {family_page}\n\
         To stop these emails, turn off the weekly digest on the family page, or use your mail app's Unsubscribe.\n\n— StudyHub\n"
    ));
    let html = format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Your week on StudyHub</title></head>
<body style="margin:0;padding:0;background:#f4f6fb;font-family:Segoe UI,Helvetica,Arial,sans-serif;color:#1d2433">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f4f6fb"><tr><td align="center" style="padding:24px 12px">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:600px">
<tr><td style="padding:0 4px 16px">
<p style="margin:0;font-size:13px;letter-spacing:.08em;text-transform:uppercase;color:#3b5bdb;font-weight:700">StudyHub · weekly digest</p>
<h1 style="margin:6px 0 4px;font-size:24px">Hello {parent},</h1>
<p style="margin:0;color:#5c6579;line-height:1.5">Here is how the week of <strong>{range}</strong> went.</p>
</td></tr>
<tr><td>{cards}</td></tr>
<tr><td style="padding:0 4px">
<p style="margin:0 0 16px;color:#5c6579;line-height:1.5;font-size:14px">Each child's full report is attached as a PDF.</p>
<p style="margin:0 0 24px"><a href="{family_page}" style="background:#3b5bdb;color:#ffffff;text-decoration:none;padding:12px 20px;border-radius:8px;display:inline-block;font-weight:600">Open the family page</a></p>
<p style="margin:0;color:#8a92a6;font-size:12px;line-height:1.5">You get this email every Sunday evening. To stop it, turn off the weekly digest on the family page, or use your mail app's Unsubscribe.</p>
</td></tr></table>
</td></tr></table>
</body></html>"#,
        parent = escape(parent),
        family_page = escape(&family_page),
    );
    (html, text)
}
