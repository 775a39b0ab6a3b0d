//! Encrypted backups: written as a stream (see [`format`]) from one consistent read of the
//! database, stored in the object store, logged in `backup_logs`, read back and checked at
//! once, pruned when they expire; restored all or nothing into an empty database of either
//! backend.
//!
//! - [`create`] / [`run`]: a user or system backup, verified after writing.
//! - [`write_backup`]: the stream itself (also `studyhub backup --out FILE`).
//! - [`verify_file`] and [`restore_file`]: the whole file is decrypted and hashed before one
//!   row is written; then every row goes in inside one transaction, parents first.
//! - [`prune`]: expired backups go, objects and rows.

pub mod cli;
pub mod format;
mod jobs;
pub mod requests;
pub mod schedule;
pub mod tables;

pub use jobs::{Ctx, fetch, log_pending, open_store, prune, run, user_backup_objects};

use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use chrono::Duration;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use crate::infra::crypto::Cipher;
use crate::infra::db::{DbConnection, DbPool};
use crate::infra::storage::StorageError;
use format::{BackupReader, BackupWriter, FormatError, Header, Record, TableCount, Written};
use tables::{Scope, Table, Visitor};

/// How long a user's backups are kept.
pub const USER_RETENTION_DAYS: i64 = 30;
/// How long system backups are kept.
pub const SYSTEM_RETENTION_DAYS: i64 = 90;
/// The largest user backup (one account's data); beyond it the backup fails.
pub const USER_MAX_BYTES: u64 = 256 * 1024 * 1024;
/// User backups a user may ask for in 24 hours.
pub const USER_PER_DAY: i64 = 3;
/// A backup still pending after this long was interrupted (a node stopped); prune fails it.
pub const STALE_PENDING_HOURS: i64 = 6;
/// Rows read per query.
const PAGE: i64 = 1000;
/// Rows per insert batch on restore.
const BATCH: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    User,
    System,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::User => "user",
            Kind::System => "system",
        }
    }
    pub fn retention(self) -> Duration {
        match self {
            Kind::User => Duration::days(USER_RETENTION_DAYS),
            Kind::System => Duration::days(SYSTEM_RETENTION_DAYS),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(transparent)]
    Format(#[from] FormatError),
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
    #[error("cannot reach the database: {0}")]
    Pool(String),
    #[error("the backup is larger than the {0} bytes a user backup may have")]
    TooLarge(u64),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(
        "the database is not empty ({table} has {rows} rows): restore only into a new, empty database \
         (create one, or start from a fresh SQLite file; `serve` seeds starter content unless STUDYHUB_SEED_DEMO=false)"
    )]
    NotEmpty { table: String, rows: i64 },
    #[error("the backup's table {table} holds {found} rows where its header says {expected}")]
    CountMismatch {
        table: String,
        expected: u64,
        found: u64,
    },
    #[error("the backup's SHA-256 is {actual}, not the expected {expected}: the file was altered")]
    Checksum { expected: String, actual: String },
    #[error("the backup holds a table this version does not know: {0}")]
    UnknownTable(String),
    #[error("a row of table {table} is malformed: {reason}")]
    BadRow { table: String, reason: String },
    #[error("no backup {0} in the object store")]
    NotFound(String),
    #[error("file: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Other(String),
}

/// The object key of a backup.
pub fn object_key(kind: Kind, id: &str) -> String {
    format!("backups/{}/{id}.shb", kind.as_str())
}

fn checksum_key(key: &str) -> String {
    format!("{key}.sha256")
}

/// Where backups are staged on their way to and from the object store.
pub fn staging_dir(data_dir: &Path) -> std::io::Result<PathBuf> {
    let dir = data_dir.join("tmp");
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Writes a backup of `scope` to `out` from one consistent read of the database (a
/// repeatable-read snapshot on PostgreSQL, one read transaction on SQLite). Memory stays at
/// one page of rows and one chunk, whatever the size of the database.
#[allow(clippy::too_many_arguments)] // each is a separate input of one streamed write
pub fn write_backup<W: Write>(
    conn: &mut DbConnection,
    cipher: &Cipher,
    backup_id: &str,
    kind: Kind,
    scope: &Scope,
    out: W,
    max_bytes: Option<u64>,
    progress: &mut dyn FnMut(u64),
) -> Result<(W, Written, Header), BackupError> {
    let source_backend = match conn {
        DbConnection::Pg(_) => "postgres",
        DbConnection::Sqlite(_) => "sqlite",
    };
    conn.transaction(|conn| {
        if let DbConnection::Pg(c) = conn {
            c.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
        }
        // Counts first: the header says what follows, and the reader checks it.
        struct Count<'a>(&'a mut DbConnection, &'a Scope, Vec<TableCount>);
        impl Visitor for Count<'_> {
            type Error = diesel::result::Error;
            fn table<T: Table>(&mut self) -> QueryResult<()> {
                let rows = T::count(self.0, self.1)? as u64;
                self.2.push(TableCount {
                    name: T::NAME.into(),
                    rows,
                });
                Ok(())
            }
        }
        let mut counts = Count(conn, scope, Vec::new());
        tables::visit(&mut counts)?;
        let header = Header {
            format: format::FORMAT_VERSION,
            backup_id: backup_id.to_string(),
            kind: kind.as_str().into(),
            key_id: String::new(),
            cipher: String::new(),
            chunk_size: 0,
            created_at: chrono::Utc::now(),
            source_backend: source_backend.into(),
            app_version: env!("CARGO_PKG_VERSION").into(),
            tables: counts.2,
        };
        let writer = BackupWriter::new(out, cipher, header.clone())?;
        struct Dump<'a, W: Write> {
            conn: &'a mut DbConnection,
            scope: &'a Scope,
            w: BackupWriter<W>,
            rows: u64,
            max_bytes: Option<u64>,
            progress: &'a mut dyn FnMut(u64),
        }
        impl<W: Write> Visitor for Dump<'_, W> {
            type Error = BackupError;
            fn table<T: Table>(&mut self) -> Result<(), BackupError> {
                self.w.table(T::NAME)?;
                let mut last: Option<T::Row> = None;
                loop {
                    let page = T::page(self.conn, self.scope, last.as_ref(), PAGE)?;
                    if page.is_empty() {
                        return Ok(());
                    }
                    for row in &page {
                        self.w.row(row)?;
                    }
                    self.rows += page.len() as u64;
                    (self.progress)(self.rows);
                    if let Some(max) = self.max_bytes
                        && self.w.bytes_written() > max
                    {
                        return Err(BackupError::TooLarge(max));
                    }
                    last = page.into_iter().last();
                }
            }
        }
        let mut dump = Dump {
            conn,
            scope,
            w: writer,
            rows: 0,
            max_bytes,
            progress,
        };
        tables::visit(&mut dump)?;
        let (out, written) = dump.w.finish()?;
        if let Some(max) = max_bytes
            && written.size_bytes > max
        {
            return Err(BackupError::TooLarge(max));
        }
        let header = Header {
            key_id: cipher.key_id().to_string(),
            ..header
        };
        Ok((out, written, header))
    })
}

/// What a checked (or restored) backup holds.
#[derive(Debug, Clone)]
pub struct Report {
    pub header: Header,
    /// Rows per table, in restore order.
    pub tables: Vec<(String, u64)>,
    pub sha256: String,
    pub size_bytes: u64,
}

impl Report {
    pub fn total_rows(&self) -> u64 {
        self.tables.iter().map(|t| t.1).sum()
    }
}

/// Reads a backup stream table by table, each row parsed into its table's typed row; with a
/// connection, inserts them in batches.
struct Loader<'a, R: Read> {
    reader: BackupReader<R>,
    conn: Option<&'a mut DbConnection>,
    next: Option<Record>,
    done: bool,
    counts: Vec<(String, u64)>,
    rows: u64,
    progress: &'a mut dyn FnMut(u64, u64),
}

impl<R: Read> Visitor for Loader<'_, R> {
    type Error = BackupError;
    fn table<T: Table>(&mut self) -> Result<(), BackupError> {
        let mut batch: Vec<T::Row> = Vec::with_capacity(BATCH);
        let mut n = 0u64;
        loop {
            match self.reader.next_record()? {
                Some(Record::Row(bytes)) => {
                    let row: T::Row =
                        serde_json::from_slice(&bytes).map_err(|e| BackupError::BadRow {
                            table: T::NAME.into(),
                            reason: e.to_string(),
                        })?;
                    n += 1;
                    self.rows += 1;
                    if self.conn.is_some() {
                        batch.push(row);
                        if batch.len() >= BATCH {
                            T::insert(self.conn.as_deref_mut().expect("a connection"), &batch)?;
                            batch.clear();
                        }
                    }
                    if self.rows.is_multiple_of(1000) {
                        (self.progress)(self.reader.bytes_read(), self.rows);
                    }
                }
                Some(rec @ Record::Table(_)) => {
                    self.next = Some(rec);
                    break;
                }
                None => {
                    self.done = true;
                    break;
                }
            }
        }
        if let Some(conn) = self.conn.as_deref_mut()
            && !batch.is_empty()
        {
            T::insert(conn, &batch)?;
        }
        self.counts.push((T::NAME.to_string(), n));
        Ok(())
    }
}

fn load<R: Read>(
    reader: BackupReader<R>,
    conn: Option<&mut DbConnection>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Report, BackupError> {
    let header = reader.header.clone();
    let mut l = Loader {
        reader,
        conn,
        next: None,
        done: false,
        counts: Vec::new(),
        rows: 0,
        progress,
    };
    match l.reader.next_record()? {
        Some(rec @ Record::Table(_)) => l.next = Some(rec),
        Some(Record::Row(_)) => {
            return Err(FormatError::BadRecord("a row before any table".into()).into());
        }
        None => l.done = true,
    }
    while let Some(Record::Table(name)) = l.next.take() {
        match tables::visit_one(&name, &mut l) {
            Some(r) => r?,
            None => return Err(BackupError::UnknownTable(name)),
        }
    }
    if !l.done {
        return Err(FormatError::BadRecord("the stream ended early".into()).into());
    }
    // Every table the header announces, in its order, with its count.
    let found: Vec<(String, u64)> = l.counts.clone();
    if found.len() != header.tables.len() {
        return Err(FormatError::BadRecord("the tables differ from the header's".into()).into());
    }
    for (t, (name, n)) in header.tables.iter().zip(&found) {
        if &t.name != name {
            return Err(FormatError::BadRecord(format!(
                "table {name} where the header says {}",
                t.name
            ))
            .into());
        }
        if t.rows != *n {
            return Err(BackupError::CountMismatch {
                table: name.clone(),
                expected: t.rows,
                found: *n,
            });
        }
    }
    (l.progress)(l.reader.bytes_read(), l.rows);
    let (sha256, size_bytes) = l.reader.finish();
    Ok(Report {
        header,
        tables: found,
        sha256,
        size_bytes,
    })
}

/// Reads a whole backup file: every chunk decrypted and authenticated, every row parsed and
/// counted against the header, the file hashed. Nothing is written anywhere.
pub fn verify_file(
    path: &Path,
    cipher: &Cipher,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Report, BackupError> {
    let f = BufReader::with_capacity(1 << 20, std::fs::File::open(path)?);
    let reader = BackupReader::open(f, cipher)?;
    load(reader, None, progress)
}

/// Restores a backup file into an empty database, all or nothing: the whole file is checked
/// first ([`verify_file`], and its SHA-256 against `expected_sha256` when given), then, inside
/// one transaction, the migrations are applied, the database is checked to be empty and every
/// row is inserted; it commits only if the stream checks out again to its last byte.
pub fn restore_file(
    conn: &mut DbConnection,
    path: &Path,
    cipher: &Cipher,
    expected_sha256: Option<&str>,
    verify_progress: &mut dyn FnMut(u64, u64),
    restore_progress: &mut dyn FnMut(u64, u64),
) -> Result<Report, BackupError> {
    let checked = verify_file(path, cipher, verify_progress)?;
    if let Some(expected) = expected_sha256
        && !expected.eq_ignore_ascii_case(&checked.sha256)
    {
        return Err(BackupError::Checksum {
            expected: expected.to_string(),
            actual: checked.sha256,
        });
    }
    crate::infra::db::write_transaction(conn, |conn| {
        // Inside the transaction too: DDL is transactional on both backends, so a failed
        // restore leaves even the schema as it was.
        crate::infra::db::run_migrations(conn).map_err(|e| BackupError::Other(format!("{e:#}")))?;
        if let Some((table, rows)) = tables::first_non_empty(conn)? {
            return Err(BackupError::NotEmpty {
                table: table.to_string(),
                rows,
            });
        }
        let f = BufReader::with_capacity(1 << 20, std::fs::File::open(path)?);
        let reader = BackupReader::open(f, cipher)?;
        let report = load(reader, Some(conn), restore_progress)?;
        if report.sha256 != checked.sha256 {
            return Err(BackupError::Checksum {
                expected: checked.sha256.clone(),
                actual: report.sha256,
            });
        }
        Ok(report)
    })
}

/// Writes a backup to a local file (`studyhub backup --out FILE`), then checks it.
pub fn backup_to_file(
    pool: &DbPool,
    cipher: &Cipher,
    path: &Path,
    progress: &mut dyn FnMut(u64),
) -> Result<(String, Report), BackupError> {
    let id = uuid::Uuid::now_v7().to_string();
    let mut conn = pool.get().map_err(|e| BackupError::Pool(e.to_string()))?;
    let tmp = path.with_extension(format!("part-{}", &id[..8]));
    let result = (|| {
        let f = BufWriter::new(std::fs::File::create(&tmp)?);
        let (f, written, _) = write_backup(
            &mut conn,
            cipher,
            &id,
            Kind::System,
            &Scope::System {
                backup_id: id.clone(),
            },
            f,
            None,
            progress,
        )?;
        f.into_inner()
            .map_err(|e| BackupError::Io(e.into_error()))?
            .sync_all()?;
        let report = verify_file(&tmp, cipher, &mut |_, _| {})?;
        if report.sha256 != written.sha256 {
            return Err(BackupError::Other(
                "the file read back differs from what was written".into(),
            ));
        }
        std::fs::rename(&tmp, path)?;
        Ok(report)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map(|r| (id, r))
}

/// Rows per table as a printable summary.
pub fn summary(tables: &[(String, u64)]) -> String {
    let width = tables.iter().map(|t| t.0.len()).max().unwrap_or(5);
    let mut out = String::new();
    for (name, n) in tables {
        out.push_str(&format!("  {name:<width$}  {n:>10}\n"));
    }
    let total: u64 = tables.iter().map(|t| t.1).sum();
    out.push_str(&format!("  {:<width$}  {total:>10}\n", "total"));
    out
}
