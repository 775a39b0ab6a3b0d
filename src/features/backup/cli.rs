//! `studyhub backup [--out FILE]` and `studyhub restore ID|FILE`, with progress bars.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use diesel::connection::SimpleConnection;
use indicatif::{ProgressBar, ProgressStyle};

use super::{Ctx, Kind};
use crate::Settings;
use crate::infra::config::redact_url;
use crate::infra::db::{self, DbConnection};

fn bar(len: u64, what: &str, bytes: bool) -> ProgressBar {
    let pb = ProgressBar::new(len);
    let template = if bytes {
        "{msg:>10} [{bar:40}] {bytes}/{total_bytes} ({eta})"
    } else {
        "{msg:>10} [{bar:40}] {pos}/{len} rows ({eta})"
    };
    pb.set_style(
        ProgressStyle::with_template(template)
            .expect("a valid template")
            .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb.enable_steady_tick(Duration::from_millis(200));
    pb
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Refuses a SQLite database file that does not exist: opening it would create an empty one,
/// and a backup run from the wrong folder would then back up nothing and say it did.
fn require_existing(settings: &Settings, what: &str) -> anyhow::Result<()> {
    if let Some(path) = db::sqlite_file(&settings.database_url)
        && !path.is_file()
    {
        anyhow::bail!(
            "the database {} does not exist: {what} (check DATABASE_URL or STUDYHUB_DATA_DIR, \
             and the folder this runs in)",
            path.display()
        );
    }
    Ok(())
}

/// A system backup now: to the object store (logged, verified; prints its id), or to a file.
pub fn backup(settings: &Settings, out: Option<&Path>) -> anyhow::Result<()> {
    require_existing(settings, "a backup reads an existing studyhub database")?;
    let pool = db::build_pool(&settings.database_url, 2);
    {
        let mut conn = pool.get().with_context(|| {
            format!(
                "cannot reach the database at {}",
                redact_url(&settings.database_url)
            )
        })?;
        // A database studyhub never set up (an empty file, another program's) holds nothing
        // to back up: say so rather than set it up and back up an empty installation.
        if !db::is_set_up(&mut conn)? {
            anyhow::bail!(
                "the database at {} holds no studyhub data: nothing to back up",
                redact_url(&settings.database_url)
            );
        }
        db::run_migrations(&mut conn)?;
    }
    let cipher = settings.backup_cipher();
    let pb = ProgressBar::new_spinner();
    pb.set_style(ProgressStyle::with_template("{spinner} {msg}").expect("a valid template"));
    pb.enable_steady_tick(Duration::from_millis(200));
    pb.set_message("backing up");
    match out {
        Some(path) => {
            let (id, report) = super::backup_to_file(&pool, &cipher, path, &mut |rows| {
                pb.set_message(format!("backing up: {rows} rows"));
            })?;
            pb.finish_and_clear();
            eprintln!(
                "backup {id} written to {} and checked ({} bytes, key {}, sha256 {})",
                path.display(),
                report.size_bytes,
                report.header.key_id,
                report.sha256
            );
            eprint!("{}", super::summary(&report.tables));
            println!("{id}");
        }
        None => {
            let rt = runtime()?;
            let report_id = rt.block_on(async {
                let storage = super::open_store(settings).await?;
                let id = uuid::Uuid::now_v7().to_string();
                {
                    let mut conn = pool.get().context("cannot reach the database")?;
                    super::log_pending(
                        &mut conn,
                        &id,
                        Kind::System,
                        None,
                        crate::infra::time::now(),
                    )?;
                }
                let ctx = Ctx {
                    pool: &pool,
                    storage: &storage,
                    cipher: &cipher,
                    data_dir: &settings.data_dir,
                };
                let report = super::run(ctx, &id, Kind::System, None).await?;
                Ok::<_, anyhow::Error>((id, report, super::object_key(Kind::System, "")))
            });
            pb.finish_and_clear();
            let (id, report, _) = report_id?;
            eprintln!(
                "backup {id} stored as {} and verified ({} bytes, key {}, sha256 {})",
                super::object_key(Kind::System, &id),
                report.size_bytes,
                report.header.key_id,
                report.sha256
            );
            eprint!("{}", super::summary(&report.tables));
            println!("{id}");
        }
    }
    Ok(())
}

/// Restores a backup file or a stored backup into the (empty) database `DATABASE_URL` names.
pub fn restore(settings: &Settings, source: &str, sha256: Option<&str>) -> anyhow::Result<()> {
    require_existing(
        settings,
        "restore into an existing, empty database (for SQLite, an empty file: `touch` it first)",
    )?;
    let cipher = settings.backup_cipher();
    let local = Path::new(source);
    let staged;
    let (path, expected) = if local.is_file() {
        (local, sha256.map(String::from))
    } else {
        let dir = super::staging_dir(&settings.data_dir)?;
        staged = dir.join(format!("restore-{}.shb", uuid::Uuid::new_v4().simple()));
        let rt = runtime()?;
        let stored_sha = rt.block_on(async {
            let storage = super::open_store(settings).await?;
            eprintln!(
                "fetching backup {source} from the {} object store",
                storage.kind()
            );
            Ok::<_, anyhow::Error>(super::fetch(&storage, source, &staged).await?)
        });
        let stored_sha = match stored_sha {
            Ok(s) => s,
            Err(e) => {
                let _ = std::fs::remove_file(&staged);
                anyhow::bail!(
                    "{e:#} (give a backup FILE, or the id of a backup in this installation's object store)"
                );
            }
        };
        (staged.as_path(), sha256.map(String::from).or(stored_sha))
    };
    let result = restore_path(settings, &cipher, path, expected.as_deref());
    if path != local {
        let _ = std::fs::remove_file(path);
    }
    result
}

fn restore_path(
    settings: &Settings,
    cipher: &crate::infra::crypto::Cipher,
    path: &Path,
    expected: Option<&str>,
) -> anyhow::Result<()> {
    let size = std::fs::metadata(path)?.len();
    let header = super::format::read_header(&mut std::fs::File::open(path)?)
        .map(|(h, _)| h)
        .with_context(|| format!("cannot restore {}", path.display()))?;
    let total_rows: u64 = header.tables.iter().map(|t| t.rows).sum();
    eprintln!(
        "backup {} ({}, taken {} on {}, key {}): {} rows in {} tables",
        header.backup_id,
        header.kind,
        header.created_at.format("%Y-%m-%d %H:%M:%S UTC"),
        header.source_backend,
        header.key_id,
        total_rows,
        header.tables.len()
    );
    let mut conn: DbConnection = db::establish(&settings.database_url).with_context(|| {
        format!(
            "cannot reach the database at {}",
            redact_url(&settings.database_url)
        )
    })?;
    if let DbConnection::Sqlite(c) = &mut conn {
        c.batch_execute(
            "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
        )?;
    }
    let checking = bar(size, "checking", true);
    let restoring = std::cell::OnceCell::new();
    let result = super::restore_file(
        &mut conn,
        path,
        cipher,
        expected,
        &mut |bytes, _| checking.set_position(bytes),
        &mut |_, rows| {
            restoring
                .get_or_init(|| {
                    checking.finish_and_clear();
                    bar(total_rows, "restoring", false)
                })
                .set_position(rows)
        },
    );
    checking.finish_and_clear();
    if let Some(pb) = restoring.get() {
        pb.finish_and_clear();
    }
    let report =
        result.map_err(|e| anyhow::anyhow!("restore failed, the database is unchanged: {e}"))?;
    eprintln!(
        "restored backup {} into {} ({}); sha256 {}",
        report.header.backup_id,
        settings.backend.name(),
        redact_url(&settings.database_url),
        report.sha256
    );
    eprint!("{}", super::summary(&report.tables));
    Ok(())
}
