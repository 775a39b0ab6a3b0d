//! `studyhub rotate-key`: every stored answer (and every answer kept in a dead letter) comes
//! under the current `STUDYHUB_ENCRYPTION_KEY`, while the nodes serve.
//!
//! The nodes are restarted with the new key first and the old one in
//! `STUDYHUB_OLD_ENCRYPTION_KEYS`: from then on they write with the new key and read both. This
//! walks the answers in key order, a batch at a time, and rewrites a record only if it still
//! names another key, each with a compare-and-set on the old bytes (a row changed meanwhile is
//! left for the next run). A stopped run loses nothing and the next one skips what is done;
//! once it reports done, no record needs the old key and it can leave the configuration.

use anyhow::Context;
use diesel::prelude::*;

use crate::infra::config::Settings;
use crate::infra::crypto::Cipher;
use crate::infra::db::schema::{answers, dead_letters};
use crate::infra::db::{self, DbConnection};

/// Answers read and rewritten per transaction: short enough not to hold up the group commit.
const BATCH: i64 = 500;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Rotated {
    /// Encrypted records looked at.
    pub records: u64,
    /// Rewritten under the current key by this run.
    pub rewritten: u64,
    /// Readable with no configured key: the rotation is not done while there are any.
    pub unreadable: u64,
}

/// Rotates every record; `progress(done, total)` after each batch.
pub fn rotate(
    conn: &mut DbConnection,
    cipher: &Cipher,
    progress: &mut dyn FnMut(u64, u64),
) -> QueryResult<Rotated> {
    let total: i64 = answers::table.count().get_result(conn)?;
    let total = total as u64;
    let mut done = Rotated::default();
    let mut after: Option<(String, i32)> = None;
    loop {
        let mut page = answers::table
            .select((answers::session_id, answers::seq, answers::response))
            .order((answers::session_id.asc(), answers::seq.asc()))
            .limit(BATCH)
            .into_boxed();
        if let Some((sid, seq)) = &after {
            page = page.filter(
                answers::session_id.gt(sid.clone()).or(answers::session_id
                    .eq(sid.clone())
                    .and(answers::seq.gt(*seq))),
            );
        }
        let rows: Vec<(String, i32, Vec<u8>)> = page.load(conn)?;
        let Some(last) = rows.last() else { break };
        after = Some((last.0.clone(), last.1));
        let mut changes = Vec::new();
        for (sid, seq, old) in rows {
            done.records += 1;
            if cipher.is_current(&old) {
                continue;
            }
            match cipher.decrypt(&old) {
                Ok(plain) => changes.push((sid, seq, old, cipher.encrypt(&plain))),
                Err(_) => done.unreadable += 1,
            }
        }
        done.rewritten += db::write_transaction(conn, |conn| {
            let mut n = 0;
            for (sid, seq, old, new) in &changes {
                n += diesel::update(
                    answers::table
                        .filter(answers::session_id.eq(sid))
                        .filter(answers::seq.eq(seq))
                        .filter(answers::response.eq(old)),
                )
                .set(answers::response.eq(new))
                .execute(conn)? as u64;
            }
            Ok::<_, diesel::result::Error>(n)
        })?;
        progress(done.records.min(total), total);
    }
    let letters = rotate_dead_letters(conn, cipher)?;
    done.records += letters.records;
    done.rewritten += letters.rewritten;
    done.unreadable += letters.unreadable;
    Ok(done)
}

/// A dead letter keeps an answer as `answer_encrypted` (hex) inside its JSON payload.
fn rotate_dead_letters(conn: &mut DbConnection, cipher: &Cipher) -> QueryResult<Rotated> {
    let mut done = Rotated::default();
    let rows: Vec<(String, String)> = dead_letters::table
        .select((dead_letters::id, dead_letters::payload))
        .filter(dead_letters::payload.like("%answer_encrypted%"))
        .load(conn)?;
    for (id, payload) in rows {
        let Ok(mut value) = serde_json::from_str::<serde_json::Value>(&payload) else {
            continue;
        };
        let Some(old) = value["answer_encrypted"]
            .as_str()
            .and_then(|h| hex::decode(h).ok())
        else {
            continue;
        };
        done.records += 1;
        if cipher.is_current(&old) {
            continue;
        }
        let Ok(plain) = cipher.decrypt(&old) else {
            done.unreadable += 1;
            continue;
        };
        value["answer_encrypted"] = hex::encode(cipher.encrypt(&plain)).into();
        done.rewritten += diesel::update(
            dead_letters::table
                .filter(dead_letters::id.eq(&id))
                .filter(dead_letters::payload.eq(&payload)),
        )
        .set(dead_letters::payload.eq(value.to_string()))
        .execute(conn)? as u64;
    }
    Ok(done)
}

/// The command: a progress bar, then what was done and what to do next.
pub fn cli(settings: &Settings) -> anyhow::Result<()> {
    if let Some(path) = db::sqlite_file(&settings.database_url)
        && !path.is_file()
    {
        anyhow::bail!(
            "the database {} does not exist (check DATABASE_URL or STUDYHUB_DATA_DIR)",
            path.display()
        );
    }
    // From the pool: SQLite's connection settings (WAL, busy timeout) beside a serving node.
    let pool = db::build_pool(&settings.database_url, 1);
    let mut conn = pool.get().with_context(|| {
        format!(
            "cannot reach the database at {}",
            crate::infra::config::redact_url(&settings.database_url)
        )
    })?;
    let cipher = settings.cipher();
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} answers ({eta} left)")
            .expect("a valid template"),
    );
    let rotated = rotate(&mut *conn, &cipher, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })?;
    bar.finish_and_clear();
    tracing::info!(
        key_id = cipher.key_id(),
        records = rotated.records,
        rewritten = rotated.rewritten,
        unreadable = rotated.unreadable,
        "rotate-key finished a pass"
    );
    if rotated.unreadable > 0 {
        anyhow::bail!(
            "{} of {} records are under a key that is not configured: add it to \
             STUDYHUB_OLD_ENCRYPTION_KEYS and run rotate-key again (the keys configured now \
             stay needed)",
            rotated.unreadable,
            rotated.records
        );
    }
    println!(
        "done: {} records under key {} ({} rewritten by this run). Every node must already \
         run with this key; STUDYHUB_OLD_ENCRYPTION_KEYS is no longer needed for stored \
         answers (keep old keys only for backups taken under them).",
        rotated.records,
        cipher.key_id(),
        rotated.rewritten
    );
    Ok(())
}
