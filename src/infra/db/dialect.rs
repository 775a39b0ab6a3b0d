//! Where PostgreSQL and SQLite differ. `MultiConnection` covers the common subset; upserts
//! (`ON CONFLICT`) are not in it, so they run on the inner connection, written once through
//! [`on_backend!`](crate::on_backend).

/// Runs the same Diesel expression against the concrete inner connection, so a query that
/// only one backend's query builder accepts (like `ON CONFLICT`) is still written once.
#[macro_export]
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::infra::db::DbConnection::Pg($c) => $body,
            $crate::infra::db::DbConnection::Sqlite($c) => $body,
        }
    };
}
