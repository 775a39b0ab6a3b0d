//! Backup and restore timing: builds a SQLite database with 100 000 answers (10 000 sessions
//! of 10), then times a system backup to a file, a full check of that file, and a restore into
//! an empty SQLite file (and into an empty PostgreSQL database when
//! `STUDYHUB_BENCH_POSTGRES_URL` names a server the bench may create databases on).
//!
//! ```sh
//! cargo bench --bench restore
//! STUDYHUB_BENCH_ANSWERS=1000000 STUDYHUB_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1/postgres cargo bench --bench restore
//! cargo bench --bench restore -- --answers 1000000 --postgres-url postgres://postgres@127.0.0.1/postgres
//! cargo bench --bench restore -- --help      # every option
//! ```
//! Options (the reference is `--help`, from `Args` below): `--answers N` (or
//! `STUDYHUB_BENCH_ANSWERS`, default 100 000), `--postgres-url URL` (or
//! `STUDYHUB_BENCH_POSTGRES_URL`; none: SQLite only). Figures: BENCHMARKS.md, "Backup and
//! restore".

use std::time::Instant;

use clap::Parser;
use diesel::Connection;
use diesel::connection::SimpleConnection;
use studyhub::features::backup::{self, tables, tables::Table};
use studyhub::infra::crypto::Cipher;
use studyhub::infra::db::{self, DbConnection};

mod support;

/// The restore bench: a system backup of a SQLite database, its check, and its restore,
/// timed.
#[derive(Parser)]
#[command(bin_name = "cargo bench --bench restore --")]
struct Args {
    /// Answers in the database backed up (sessions of ten)
    #[arg(
        long,
        value_name = "N",
        env = "STUDYHUB_BENCH_ANSWERS",
        default_value_t = 100_000
    )]
    answers: usize,
    /// Also restore into a fresh database on this PostgreSQL server (made and dropped)
    #[arg(
        long,
        value_name = "URL",
        env = "STUDYHUB_BENCH_POSTGRES_URL",
        hide_env_values = true
    )]
    postgres_url: Option<String>,
}

fn main() -> anyhow::Result<()> {
    let args: Args = support::options::parse();
    let answers = args.answers;
    let dir = tempfile::tempdir()?;
    let src = dir.path().join("source.db").to_string_lossy().into_owned();
    let cipher = Cipher::new(&[7u8; 32]);

    let t = Instant::now();
    let mut conn = db::establish(&src)?;
    conn.batch_execute("PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON;")?;
    db::run_migrations(&mut conn)?;
    studyhub::features::seed::seed(&mut conn)?;
    build(&mut conn, &cipher, answers)?;
    drop(conn);
    println!(
        "built a database with {answers} answers in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let pool = db::build_pool(&src, 2);
    let file = dir.path().join("backup.shb");
    let t = Instant::now();
    let (_, report) = backup::backup_to_file(&pool, &cipher, &file, &mut |_| {})?;
    let backup_s = t.elapsed().as_secs_f64();
    let size = std::fs::metadata(&file)?.len();
    println!(
        "backup:  {backup_s:.2} s ({} rows, {:.1} MiB, written then read back and checked)",
        report.total_rows(),
        size as f64 / 1048576.0
    );

    let t = Instant::now();
    backup::verify_file(&file, &cipher, &mut |_, _| {})?;
    println!(
        "check:   {:.2} s (decrypt, parse and count every row, hash)",
        t.elapsed().as_secs_f64()
    );

    let dst = dir
        .path()
        .join("restored.db")
        .to_string_lossy()
        .into_owned();
    let mut conn = db::establish(&dst)?;
    conn.batch_execute("PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON;")?;
    let t = Instant::now();
    let r = backup::restore_file(
        &mut conn,
        &file,
        &cipher,
        None,
        &mut |_, _| {},
        &mut |_, _| {},
    )?;
    println!(
        "restore: {:.2} s into SQLite ({} rows; check + one transaction)",
        t.elapsed().as_secs_f64(),
        r.total_rows()
    );

    if let Some(admin) = args.postgres_url {
        let name = format!("studyhub_bench_{}", uuid::Uuid::new_v4().simple());
        let mut a = diesel::PgConnection::establish(&admin)?;
        a.batch_execute(&format!("CREATE DATABASE {name}"))?;
        let url = format!(
            "{}/{name}",
            admin.rsplit_once('/').expect("a database URL").0
        );
        let result = (|| -> anyhow::Result<f64> {
            let mut conn = db::establish(&url)?;
            let t = Instant::now();
            backup::restore_file(
                &mut conn,
                &file,
                &cipher,
                None,
                &mut |_, _| {},
                &mut |_, _| {},
            )?;
            Ok(t.elapsed().as_secs_f64())
        })();
        a.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))?;
        println!("restore: {:.2} s into PostgreSQL", result?);
    }
    Ok(())
}

/// One parent, ten children, `answers / 10` completed sessions of ten answers each.
fn build(conn: &mut DbConnection, cipher: &Cipher, answers: usize) -> anyhow::Result<()> {
    let now = chrono::Utc::now().naive_utc();
    let parent = uuid::Uuid::now_v7().to_string();
    conn.transaction(|conn| -> anyhow::Result<()> {
        tables::UserRow::insert(
            conn,
            &[tables::UserRow {
                id: parent.clone(),
                email: "bench@example.com".into(),
                name: "Bench".into(),
                role: "parent".into(),
                password_hash: "x".into(),
                token_version: 0,
                active: true,
                last_login_at: None,
                created_at: now,
                updated_at: now,
                email_verified_at: Some(now),
            }],
        )?;
        let learners: Vec<String> = (0..10).map(|_| uuid::Uuid::now_v7().to_string()).collect();
        let rows: Vec<_> = learners
            .iter()
            .map(|id| tables::LearnerRow {
                id: id.clone(),
                parent_id: Some(parent.clone()),
                user_id: None,
                name: "Kid".into(),
                age: Some(8),
                interests: "[]".into(),
                avatar_url: None,
                timezone: "UTC".into(),
                created_at: now,
                updated_at: now,
            })
            .collect();
        tables::LearnerRow::insert(conn, &rows)?;
        let mut sessions = Vec::new();
        let mut batch = Vec::new();
        for s in 0..answers.div_ceil(10) {
            let sid = uuid::Uuid::now_v7().to_string();
            sessions.push(tables::ActivitySessionRow {
                id: sid.clone(),
                learner_id: learners[s % learners.len()].clone(),
                activity_id: "math-addition-1".into(),
                status: "completed".into(),
                questions_total: 10,
                questions_answered: 10,
                questions_correct: 9,
                accuracy: Some(90.0),
                stars: Some(3),
                last_saved_seq: 10,
                started_at: now,
                ended_at: Some(now),
                duration_seconds: Some(120),
                updated_at: now,
                offline: false,
            });
            for seq in 1..=10 {
                batch.push(tables::AnswerRow {
                    session_id: sid.clone(),
                    seq,
                    question_id: format!("q{seq}"),
                    response: cipher.encrypt(b"\"42\""),
                    correct: seq != 3,
                    first_attempt: true,
                    answered_at: now,
                });
            }
            if sessions.len() >= 500 {
                tables::ActivitySessionRow::insert(conn, &sessions)?;
                tables::AnswerRow::insert(conn, &batch)?;
                sessions.clear();
                batch.clear();
            }
        }
        tables::ActivitySessionRow::insert(conn, &sessions)?;
        tables::AnswerRow::insert(conn, &batch)?;
        Ok(())
    })
}
