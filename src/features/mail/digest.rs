//! The weekly digest: to each parent, Sunday 18:00 in the family's time zone (the first
//! child's), every child's week (time per day, activities, accuracy, stars, new achievements,
//! requests for more time) with each child's weekly PDF report attached. One per parent and
//! week whoever sends it: a `digest_runs` row (parent, week) is inserted once, in the
//! transaction that queues the email; every node looks every few minutes, and
//! `studyhub send-digests` sends the last full week's at once.

use std::time::Duration;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;
use studyhub_actors::screen_time::parse_tz;

use super::compose::{self, Attached, Draft};
use super::digest_html::{self, ChildWeek};
use super::outbox;
use super::preferences::UnsubscribeKey;
use crate::features::progress::report::week_report;
use crate::features::progress::{parse_week, week_of};
use crate::infra::db::models::{LearnerRow, UserRow};
use crate::infra::db::schema::{digest_runs, learners, time_requests, user_preferences, users};
use crate::infra::db::{Db, DbConnection};
use crate::infra::error::AppResult;
use crate::infra::time::now;

/// How often each node looks for digests that are due.
const LOOK_EVERY: Duration = Duration::from_secs(300);
/// A digest missed (every node down on Sunday evening) is still sent this long after.
const CATCH_UP_HOURS: i64 = 48;

/// What a digest needs besides the database.
#[derive(Clone)]
pub struct DigestSetup {
    pub from: String,
    pub public_url: String,
    pub unsubscribe: UnsubscribeKey,
}

/// When digests are sent: Sunday at this hour, local time.
const SEND_HOUR: u32 = 18;

/// The Sunday 18:00 (local) at or before `local_now`.
pub fn last_send_time(local_now: DateTime<Tz>) -> DateTime<Tz> {
    let back = local_now.weekday().num_days_from_sunday() as i64;
    let sunday = local_now.date_naive() - chrono::Duration::days(back);
    let at = local_at(local_now.timezone(), sunday, SEND_HOUR);
    if at <= local_now {
        at
    } else {
        local_at(
            local_now.timezone(),
            sunday - chrono::Duration::days(7),
            SEND_HOUR,
        )
    }
}

fn local_at(tz: Tz, day: NaiveDate, hour: u32) -> DateTime<Tz> {
    let naive = day.and_hms_opt(hour, 0, 0).expect("a valid hour");
    tz.from_local_datetime(&naive)
        .earliest()
        // 18:00 skipped by a clock change: an hour later.
        .unwrap_or_else(|| tz.from_utc_datetime(&(naive - chrono::Duration::hours(1))))
}

/// The week whose digest is due for a family in `tz` at `now`, if one is: the week ending
/// on the last Sunday 18:00, until two days after it, for accounts that existed then.
pub fn due_week(tz: Tz, now: DateTime<Utc>, created_at: NaiveDateTime) -> Option<String> {
    let at = last_send_time(now.with_timezone(&tz));
    let at_utc = at.with_timezone(&Utc);
    let recent = now - at_utc < chrono::Duration::hours(CATCH_UP_HOURS);
    (recent && created_at.and_utc() < at_utc).then(|| week_of(at.date_naive()))
}

/// The last full week (Monday to Sunday, all of it past) in `tz` at `now`.
pub fn last_full_week(tz: Tz, now: DateTime<Utc>) -> String {
    let today = now.with_timezone(&tz).date_naive();
    week_of(today - chrono::Duration::days(7))
}

/// A parent who may get a digest, with the children (oldest profile first).
struct Family {
    parent: UserRow,
    children: Vec<LearnerRow>,
}

impl Family {
    fn tz(&self) -> Tz {
        parse_tz(&self.children[0].timezone)
    }
}

/// Active parents with at least one child who have not turned the digest off.
fn families(conn: &mut DbConnection) -> QueryResult<Vec<Family>> {
    let parents: Vec<UserRow> = users::table
        .left_join(user_preferences::table)
        .filter(users::role.eq("parent"))
        .filter(users::active.eq(true))
        .filter(
            user_preferences::email_digest
                .is_null()
                .or(user_preferences::email_digest.eq(true)),
        )
        .order(users::id.asc())
        .select(UserRow::as_select())
        .load(conn)?;
    // Every parent's children in one query, not one per parent.
    let mut children: std::collections::HashMap<String, Vec<LearnerRow>> =
        std::collections::HashMap::new();
    for child in learners::table
        .filter(learners::parent_id.is_not_null())
        .order(learners::created_at.asc())
        .select(LearnerRow::as_select())
        .load(conn)?
    {
        if let Some(p) = child.parent_id.clone() {
            children.entry(p).or_default().push(child);
        }
    }
    Ok(parents
        .into_iter()
        .filter_map(|parent| {
            let children = children.remove(&parent.id)?;
            Some(Family { parent, children })
        })
        .collect())
}

fn already_sent(conn: &mut DbConnection, user_id: &str, week: &str) -> QueryResult<bool> {
    let n: i64 = digest_runs::table
        .filter(digest_runs::user_id.eq(user_id))
        .filter(digest_runs::week.eq(week))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// The requests for more time a child made in the week (a day either side in UTC, then
/// kept to the child's own calendar week).
fn requests_of(
    conn: &mut DbConnection,
    child: &LearnerRow,
    (from, to): (NaiveDate, NaiveDate),
) -> QueryResult<Vec<(i32, String, Option<i32>)>> {
    let tz = parse_tz(&child.timezone);
    let (lo, hi) = (
        (from - chrono::Duration::days(1))
            .and_hms_opt(0, 0, 0)
            .unwrap(),
        (to + chrono::Duration::days(2))
            .and_hms_opt(0, 0, 0)
            .unwrap(),
    );
    let rows: Vec<(i32, String, Option<i32>, NaiveDateTime)> = time_requests::table
        .filter(time_requests::learner_id.eq(&child.id))
        .filter(time_requests::created_at.between(lo, hi))
        .order(time_requests::created_at.asc())
        .select((
            time_requests::seconds,
            time_requests::status,
            time_requests::granted_seconds,
            time_requests::created_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter(|r| {
            let d = r.3.and_utc().with_timezone(&tz).date_naive();
            d >= from && d <= to
        })
        .map(|r| (r.0, r.1, r.2))
        .collect())
}

/// The digest of `family` for `week`, put together (PDFs made): no row written.
fn prepare(
    conn: &mut DbConnection,
    setup: &DigestSetup,
    family: &Family,
    week: &str,
) -> AppResult<outbox::Email> {
    let days = parse_week(week)?;
    let mut children = Vec::with_capacity(family.children.len());
    for child in &family.children {
        let requests = requests_of(conn, child, days)?;
        // The questions to practise, of the activities the child may see.
        let sight = studyhub_actors::visibility::Sight::learner(
            crate::infra::store::class_teachers(conn, std::slice::from_ref(&child.id))?,
        );
        let report = week_report(conn, child.clone(), week.to_string(), days, &sight)?;
        children.push(ChildWeek { report, requests });
    }
    let unsubscribe = setup.unsubscribe.url(&setup.public_url, &family.parent.id);
    let (html, text) = digest_html::render(
        &family.parent.name,
        week,
        days,
        &children,
        &setup.public_url,
    );
    let attachments = children
        .iter()
        .map(|c| Attached {
            name: format!("{} {week}.pdf", file_safe(&c.report.child_name)),
            mime: "application/pdf",
            bytes: c.report.pdf(),
        })
        .collect();
    let names: Vec<&str> = children
        .iter()
        .map(|c| c.report.child_name.as_str())
        .collect();
    compose::format(
        &setup.from,
        Draft {
            kind: "digest",
            to: family.parent.email.clone(),
            to_name: family.parent.name.clone(),
            subject: format!("{}'s week on StudyHub ({week})", join_names(&names)),
            text,
            html,
            attachments,
            headers: vec![
                ("List-Unsubscribe", format!("<{unsubscribe}>")),
                ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click".into()),
            ],
        },
    )
}

fn join_names(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_alphanumeric() || c == ' ' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Queues `email` as the digest of (`user_id`, `week`) unless someone did already: true when
/// this call did.
fn claim_and_queue(
    conn: &mut DbConnection,
    user_id: &str,
    week: &str,
    email: &outbox::Email,
) -> QueryResult<bool> {
    let t = now();
    let claimed = crate::on_backend!(conn, |c| diesel::insert_into(digest_runs::table)
        .values((
            digest_runs::user_id.eq(user_id),
            digest_runs::week.eq(week),
            digest_runs::sent_at.eq(t),
        ))
        .on_conflict_do_nothing()
        .execute(c))?;
    if claimed == 1 {
        outbox::enqueue(conn, email)?;
    }
    Ok(claimed == 1)
}

/// Which week each family gets.
#[derive(Clone, Copy)]
pub enum Which {
    /// The scheduled run: only families whose Sunday 18:00 has just passed.
    Due,
    /// `studyhub send-digests`: every family, its last full week.
    LastFullWeek,
}

/// Queues every digest `which` asks for that nobody queued yet; returns how many this call
/// queued.
pub async fn queue(db: &Db, setup: &DigestSetup, which: Which) -> AppResult<usize> {
    let families = db.run(|conn| Ok(families(conn)?)).await?;
    let t = Utc::now();
    let mut queued = 0;
    for family in families {
        let week = match which {
            Which::Due => match due_week(family.tz(), t, family.parent.created_at) {
                Some(w) => w,
                None => continue,
            },
            Which::LastFullWeek => last_full_week(family.tz(), t),
        };
        let setup = setup.clone();
        let mine = db
            .run(move |conn| {
                if already_sent(conn, &family.parent.id, &week)? {
                    return Ok(false);
                }
                // Put together before the claim (PDFs take a moment): the transaction that
                // claims and queues stays short.
                let email = prepare(conn, &setup, &family, &week)?;
                crate::infra::db::write_transaction(conn, |conn| {
                    Ok(claim_and_queue(conn, &family.parent.id, &week, &email)?)
                })
            })
            .await?;
        if mine {
            queued += 1;
            metrics::counter!("studyhub_digests_queued_total").increment(1);
        }
    }
    Ok(queued)
}

/// `studyhub send-digests`: queues the last full week's digest of every family that has not
/// had it (whoever sends it, once), then sends what is due. Returns how many this run queued.
pub async fn send_last_full_week(
    settings: &crate::infra::config::Settings,
) -> anyhow::Result<usize> {
    let pool = crate::infra::db::build_pool(&settings.database_url, 2);
    let db = Db::new(pool, settings.backend);
    let setup = DigestSetup::of(settings);
    let queued = queue(&db, &setup, Which::LastFullWeek).await?;
    let transport = crate::infra::mail::MailTransport::new(&settings.mail, &settings.data_dir)?;
    super::sender::send_due_now(db, transport, settings.mail.clone()).await?;
    Ok(queued)
}

impl DigestSetup {
    pub fn of(settings: &crate::infra::config::Settings) -> Self {
        use secrecy::ExposeSecret;
        Self {
            from: settings.mail.from.clone(),
            public_url: settings.public_url.clone(),
            unsubscribe: UnsubscribeKey::new(settings.jwt_secret.expose_secret()),
        }
    }
}

/// Looks for due digests every few minutes inside `serve`, and wakes the sender when it
/// queued some.
pub fn spawn(db: Db, setup: DigestSetup, mailer: super::Mailer) {
    actix_web::rt::spawn(async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        loop {
            match queue(&db, &setup, Which::Due).await {
                Ok(0) => {}
                Ok(n) => {
                    tracing::info!(digests = n, "weekly digests queued");
                    mailer.wake();
                }
                Err(e) => tracing::warn!(error = %e, "weekly digests: looking again later"),
            }
            tokio::time::sleep(LOOK_EVERY).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn due_from_sunday_six_in_the_evening_local_time_for_two_days() {
        let tz: Tz = "Europe/Paris".parse().unwrap();
        let created = utc("2026-01-01T00:00:00Z").naive_utc();
        // Sunday 6 December 2026, 17:59 in Paris (16:59 UTC): not yet.
        assert_eq!(due_week(tz, utc("2026-12-06T16:59:00Z"), created), None);
        // 18:00 in Paris: the week ending today, 2026-W49.
        assert_eq!(
            due_week(tz, utc("2026-12-06T17:00:00Z"), created).as_deref(),
            Some("2026-W49")
        );
        assert_eq!(
            due_week(tz, utc("2026-12-08T16:59:00Z"), created).as_deref(),
            Some("2026-W49")
        );
        assert_eq!(due_week(tz, utc("2026-12-08T17:00:00Z"), created), None);
        // An account made after that Sunday evening waits for the next one.
        let late = utc("2026-12-06T20:00:00Z").naive_utc();
        assert_eq!(due_week(tz, utc("2026-12-07T10:00:00Z"), late), None);
    }

    #[test]
    fn the_last_full_week_has_ended() {
        let tz: Tz = "Pacific/Auckland".parse().unwrap();
        // Sunday 6 December 2026 20:00 UTC is Monday 7 December in Auckland.
        assert_eq!(last_full_week(tz, utc("2026-12-06T20:00:00Z")), "2026-W49");
        assert_eq!(
            last_full_week(Tz::UTC, utc("2026-12-06T20:00:00Z")),
            "2026-W48"
        );
    }
}
