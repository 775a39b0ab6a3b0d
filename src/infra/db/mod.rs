//! Storage: one Diesel schema over PostgreSQL or SQLite, an r2d2 pool, embedded migrations.

pub mod dialect;
pub mod models;
pub mod schema;

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{CustomizeConnection, ManageConnection, Pool, PooledConnection, R2D2Connection};
use diesel::{
    Connection, PgConnection, QueryResult, QueryableByName, RunQueryDsl, SqliteConnection,
};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::infra::error::AppError;

pub const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// A connection to whichever backend `DATABASE_URL` selects. SQLite stays last: it accepts
/// any string as a path, so it must not shadow a Postgres URL.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

/// Which backend a URL selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    pub fn of_url(url: &str) -> Self {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Backend::Postgres => "postgres",
            Backend::Sqlite => "sqlite",
        }
    }
}

pub type DbPool = Pool<Connector>;

/// What can go wrong on the way to a query, besides the query itself.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("no database connection: {0}")]
    NoConnection(#[from] diesel::r2d2::PoolError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error("database task failed: {0}")]
    Task(String),
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::NoConnection(e) => AppError::db_unavailable(e),
            DbError::Query(e) => AppError::from(e),
            DbError::Task(e) => AppError::internal(anyhow::anyhow!(e)),
        }
    }
}

impl From<DbError> for studyhub_actors::store::StoreError {
    fn from(e: DbError) -> Self {
        Self(e.to_string())
    }
}

/// Runs `f` with a pooled connection on the blocking thread pool: the one way the server
/// reaches the database (routes through [`Db::run`], the engine's store and the content
/// cache directly). A pool that has no connection for `f`, or a task that did not finish,
/// becomes `E` like any other failure.
pub async fn blocking<T, E, F>(pool: &DbPool, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<DbError> + Send + 'static,
{
    let pool = pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = pool.get().map_err(|e| E::from(DbError::NoConnection(e)))?;
        f(&mut conn)
    })
    .await
    .map_err(|e| E::from(DbError::Task(e.to_string())))?
}
pub type PooledDb = PooledConnection<Connector>;

/// SQLite needs per-connection pragmas: WAL so readers never block the writer,
/// `synchronous=FULL` so a commit that was acknowledged survives a power cut, a busy
/// timeout instead of immediate `SQLITE_BUSY`, and foreign keys (off by default).
#[derive(Debug)]
struct ConnectionSetup;

impl CustomizeConnection<DbConnection, diesel::r2d2::Error> for ConnectionSetup {
    fn on_acquire(&self, conn: &mut DbConnection) -> Result<(), diesel::r2d2::Error> {
        if let DbConnection::Sqlite(c) = conn {
            c.batch_execute(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                 PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;",
            )
            .map_err(diesel::r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

/// Opens one connection of the backend the URL names (no fallback between backends). A
/// SQLite one waits for a writer that holds the lock (a running server's background work:
/// the mail sender, the digests) instead of failing at once with `database is locked`.
pub fn establish(url: &str) -> Result<DbConnection, diesel::ConnectionError> {
    match Backend::of_url(url) {
        Backend::Postgres => PgConnection::establish(url).map(DbConnection::Pg),
        Backend::Sqlite => {
            let mut c = SqliteConnection::establish(sqlite_path(url))?;
            c.batch_execute("PRAGMA busy_timeout = 10000;")
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
            Ok(DbConnection::Sqlite(c))
        }
    }
}

/// The file of a SQLite database URL (`None` for PostgreSQL).
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    match Backend::of_url(url) {
        Backend::Postgres => None,
        Backend::Sqlite => Some(std::path::PathBuf::from(sqlite_path(url))),
    }
}

/// Whether studyhub's migrations ever ran on this database.
pub fn is_set_up(conn: &mut DbConnection) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let sql = match conn {
        DbConnection::Pg(_) => {
            "SELECT COUNT(*) AS n FROM information_schema.tables \
             WHERE table_name = '__diesel_schema_migrations'"
        }
        DbConnection::Sqlite(_) => {
            "SELECT COUNT(*) AS n FROM sqlite_master \
             WHERE type = 'table' AND name = '__diesel_schema_migrations'"
        }
    };
    let found: Count = diesel::sql_query(sql).get_result(conn)?;
    Ok(found.n > 0)
}

fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url)
}

/// Makes the pool's connections with [`establish`]: only the backend the URL names, so a
/// refusal is logged as that backend's own error. (Diesel's `ConnectionManager` over a
/// `MultiConnection` tries each backend in turn, and when PostgreSQL refused it reported
/// "Invalid connection url" from the SQLite attempt instead.)
pub struct Connector {
    url: String,
}

impl std::fmt::Debug for Connector {
    /// The backend only: the URL may hold a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector")
            .field("backend", &Backend::of_url(&self.url))
            .finish()
    }
}

impl ManageConnection for Connector {
    type Connection = DbConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConnection, Self::Error> {
        establish(&self.url).map_err(diesel::r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), Self::Error> {
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

/// Builds the pool. Connections are made lazily so a server can start (and report 503 on
/// `/health`) while the database is away.
pub fn build_pool(url: &str, max_size: u32) -> DbPool {
    Pool::builder()
        .max_size(max_size)
        .min_idle(Some(0))
        .connection_timeout(Duration::from_secs(5))
        .connection_customizer(Box::new(ConnectionSetup))
        .build_unchecked(Connector {
            url: url.to_string(),
        })
}

/// Applies every pending migration of the connection's backend.
pub fn run_migrations(conn: &mut DbConnection) -> anyhow::Result<Vec<String>> {
    let applied = match conn {
        DbConnection::Pg(c) => c.run_pending_migrations(PG_MIGRATIONS),
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
    }
    .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
    Ok(applied.into_iter().map(|v| v.to_string()).collect())
}

/// Reverts every applied migration (used by the migration round-trip test and `migrate --reset`).
pub fn revert_all_migrations(conn: &mut DbConnection) -> anyhow::Result<usize> {
    let reverted = match conn {
        DbConnection::Pg(c) => c.revert_all_migrations(PG_MIGRATIONS),
        DbConnection::Sqlite(c) => c.revert_all_migrations(SQLITE_MIGRATIONS),
    }
    .map_err(|e| anyhow::anyhow!("revert failed: {e}"))?;
    Ok(reverted.len())
}

/// Cheap liveness probe used by `/health`.
pub fn ping(conn: &mut DbConnection) -> diesel::QueryResult<()> {
    conn.batch_execute("SELECT 1 FROM users LIMIT 1")
}

/// The handle routes use: runs Diesel work on the blocking pool so async workers never wait
/// on the database.
#[derive(Clone)]
pub struct Db {
    pool: DbPool,
    backend: Backend,
}

impl Db {
    pub fn new(pool: DbPool, backend: Backend) -> Self {
        Self { pool, backend }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &DbPool {
        &self.pool
    }

    /// Runs `f` with a pooled connection on the blocking thread pool (see [`blocking`]).
    pub async fn run<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        blocking(&self.pool, f).await
    }

    /// The database's clock, which every node shares: for times a client brings from its own
    /// clock (an offline device's), so that one node's clock running ahead or behind does not
    /// decide whether they are taken.
    pub async fn clock(&self) -> Result<chrono::DateTime<chrono::Utc>, AppError> {
        self.run(|conn| {
            diesel::select(diesel::dsl::now)
                .get_result::<chrono::NaiveDateTime>(conn)
                .map(|t| t.and_utc())
                .map_err(AppError::from)
        })
        .await
    }

    /// Like [`Db::run`], inside one write transaction (see [`write_transaction`]).
    pub async fn transaction<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        self.run(move |conn| write_transaction(conn, f)).await
    }

    /// Like [`Db::transaction`], sent again (up to three times in all) when the database
    /// broke a deadlock by aborting it: for wide deletes that race the group commit.
    pub async fn transaction_retrying<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: Fn(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        self.run(move |conn| {
            let mut attempt = 1;
            loop {
                match write_transaction(conn, &f) {
                    Err(e) if e.code == crate::infra::error::Code::TryAgain && attempt < 3 => {
                        tracing::warn!(attempt, error = %e, "transaction aborted by the database; again");
                        attempt += 1;
                    }
                    other => return other,
                }
            }
        })
        .await
    }
}

/// A transaction that will write. On SQLite it starts with `BEGIN IMMEDIATE`: taking the write
/// lock up front means a transaction that reads before it writes waits its turn (busy
/// timeout) instead of failing with `SQLITE_BUSY` when another writer committed meanwhile.
/// On PostgreSQL it is a plain transaction.
pub fn write_transaction<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    if !matches!(conn, DbConnection::Sqlite(_)) {
        return conn.transaction(f);
    }
    if let DbConnection::Sqlite(c) = conn {
        AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
    }
    match f(conn) {
        Ok(v) => {
            if let DbConnection::Sqlite(c) = conn {
                <AnsiTransactionManager as TransactionManager<SqliteConnection>>::commit_transaction(c)?;
            }
            Ok(v)
        }
        Err(e) => {
            if let DbConnection::Sqlite(c) = conn {
                let _ = <AnsiTransactionManager as TransactionManager<SqliteConnection>>::rollback_transaction(c);
            }
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_refused_postgres_connection_is_reported_as_postgres_refused_it() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port(); // nothing listens there once the listener is dropped
        let pool = super::build_pool(&format!("postgres://nobody@127.0.0.1:{port}/none"), 1);
        let err = pool
            .get_timeout(std::time::Duration::from_secs(2))
            .err()
            .expect("no connection")
            .to_string();
        assert!(err.contains("refused"), "{err}");
        assert!(!err.contains("Invalid connection url"), "{err}");
    }
}
