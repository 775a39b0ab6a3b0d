//! What a backup holds: every table of `src/db/schema.rs`, in an order where each table comes
//! after the tables it refers to (so a restore inserts parents first, as PostgreSQL's foreign
//! keys and SQLite's `foreign_keys = ON` require).
//!
//! Each table has a typed row read with `table::all_columns` (so a column added to the schema
//! and forgotten here does not compile) and written back with a multi-row insert. Rows travel
//! as JSON objects keyed by column name: the same on both backends, and readable by the next
//! format version. Tables are read in pages by primary key (keyset, never `OFFSET`).
//!
//! A user backup holds one account: its user row, its learners and everything that hangs off
//! them, its notifications, classes and audit entries, plus the catalog rows they refer to
//! (references to other accounts are cleared), so it restores on its own into an empty
//! database. Sign-in tokens are never in a user backup.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::infra::db::schema;
use crate::infra::db::{DbConnection, MultiBackend};

/// Whose data a backup holds.
#[derive(Clone, Debug)]
pub enum Scope {
    /// Everything, except the log row of the backup being written (it is still pending).
    System { backup_id: String },
    /// One account's own data.
    User { user_id: String },
}

type Filter<T> = Box<dyn BoxableExpression<T, MultiBackend, SqlType = Nullable<Bool>>>;

/// One table of the backup.
pub trait Table {
    const NAME: &'static str;
    type Row: Serialize + DeserializeOwned + Send + 'static;
    /// Rows of the scope.
    fn count(conn: &mut DbConnection, scope: &Scope) -> QueryResult<i64>;
    /// The next page of the scope's rows after `after`, in primary-key order.
    fn page(
        conn: &mut DbConnection,
        scope: &Scope,
        after: Option<&Self::Row>,
        limit: i64,
    ) -> QueryResult<Vec<Self::Row>>;
    /// Every row of the table, whatever the scope.
    fn count_all(conn: &mut DbConnection) -> QueryResult<i64>;
    /// A multi-row insert of rows exactly as they were.
    fn insert(conn: &mut DbConnection, rows: &[Self::Row]) -> QueryResult<usize>;
    /// Clears references to other accounts in a user backup.
    fn fix_for_user(_row: &mut Self::Row, _user_id: &str) {}
}

/// Something done once per table, in backup order.
pub trait Visitor {
    type Error;
    fn table<T: Table>(&mut self) -> Result<(), Self::Error>;
}

/// Binary columns as base64 in the JSON rows.
pub mod b64 {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(v))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        STANDARD.decode(s).map_err(serde::de::Error::custom)
    }
}

macro_rules! keyset {
    ($t:ident, $a:ident; $k1:ident) => {
        Box::new(schema::$t::$k1.gt($a.$k1.clone()).nullable())
    };
    ($t:ident, $a:ident; $k1:ident, $k2:ident) => {
        Box::new(
            schema::$t::$k1
                .ge($a.$k1.clone())
                .and(
                    schema::$t::$k1
                        .gt($a.$k1.clone())
                        .or(schema::$t::$k2.gt($a.$k2.clone())),
                )
                .nullable(),
        )
    };
    ($t:ident, $a:ident; $k1:ident, $k2:ident, $k3:ident) => {
        Box::new(
            schema::$t::$k1
                .ge($a.$k1.clone())
                .and(
                    schema::$t::$k1
                        .gt($a.$k1.clone())
                        .or(schema::$t::$k2.ge($a.$k2.clone()).and(
                            schema::$t::$k2
                                .gt($a.$k2.clone())
                                .or(schema::$t::$k3.gt($a.$k3.clone())),
                        )),
                )
                .nullable(),
        )
    };
}

macro_rules! backup_tables {
    ($(
        $Name:ident => $t:ident [$($key:ident),+] {
            $( $(#[$fm:meta])* $col:ident : $ty:ty ),* $(,)?
        }
        user = $user:expr;
        system = $system:expr;
        fix = $fix:expr;
    )*) => {
        $(
            #[derive(Debug, Clone, PartialEq, Queryable, Insertable, Serialize, Deserialize)]
            #[diesel(table_name = schema::$t)]
            #[diesel(treat_none_as_default_value = false)]
            #[serde(deny_unknown_fields)]
            pub struct $Name { $( $(#[$fm])* pub $col: $ty, )* }

            impl $Name {
                fn scope_filter(scope: &Scope) -> Option<Filter<schema::$t::table>> {
                    match scope {
                        Scope::User { user_id } => {
                            let f: fn(&str) -> Option<Filter<schema::$t::table>> = $user;
                            Some(f(user_id).unwrap_or_else(|| Box::new(diesel::dsl::sql::<Bool>("1 = 0").nullable())))
                        }
                        Scope::System { backup_id } => {
                            let f: fn(&str) -> Option<Filter<schema::$t::table>> = $system;
                            f(backup_id)
                        }
                    }
                }
            }

            impl Table for $Name {
                const NAME: &'static str = stringify!($t);
                type Row = $Name;

                fn count(conn: &mut DbConnection, scope: &Scope) -> QueryResult<i64> {
                    let mut q = schema::$t::table.into_boxed::<MultiBackend>();
                    if let Some(f) = Self::scope_filter(scope) {
                        q = q.filter(f);
                    }
                    q.count().get_result(conn)
                }

                fn page(
                    conn: &mut DbConnection,
                    scope: &Scope,
                    after: Option<&$Name>,
                    limit: i64,
                ) -> QueryResult<Vec<$Name>> {
                    let mut q = schema::$t::table
                        .select(schema::$t::all_columns)
                        .into_boxed::<MultiBackend>();
                    if let Some(f) = Self::scope_filter(scope) {
                        q = q.filter(f);
                    }
                    if let Some(a) = after {
                        let k: Filter<schema::$t::table> = keyset!($t, a; $($key),+);
                        q = q.filter(k);
                    }
                    let mut rows: Vec<$Name> = q
                        .order(($(schema::$t::$key.asc(),)+))
                        .limit(limit)
                        .load(conn)?;
                    if let Scope::User { user_id } = scope {
                        for r in &mut rows {
                            Self::fix_for_user(r, user_id);
                        }
                    }
                    Ok(rows)
                }

                fn count_all(conn: &mut DbConnection) -> QueryResult<i64> {
                    schema::$t::table.count().get_result(conn)
                }

                fn insert(conn: &mut DbConnection, rows: &[$Name]) -> QueryResult<usize> {
                    let mut n = 0;
                    for chunk in rows.chunks(INSERT_CHUNK) {
                        n += crate::on_backend!(conn, |c| diesel::insert_into(schema::$t::table)
                            .values(chunk)
                            .execute(c))?;
                    }
                    Ok(n)
                }

                fn fix_for_user(row: &mut $Name, user_id: &str) {
                    let f: fn(&mut $Name, &str) = $fix;
                    f(row, user_id)
                }
            }
        )*

        /// Every table, parents before children.
        pub const TABLES: &[&str] = &[$(stringify!($t)),*];

        /// Calls the visitor once per table, in backup order.
        pub fn visit<V: Visitor>(v: &mut V) -> Result<(), V::Error> {
            $( v.table::<$Name>()?; )*
            Ok(())
        }

        /// Calls the visitor for the table called `name`; `None` for an unknown name.
        pub fn visit_one<V: Visitor>(name: &str, v: &mut V) -> Option<Result<(), V::Error>> {
            match name {
                $( stringify!($t) => Some(v.table::<$Name>()), )*
                _ => None,
            }
        }
    };
}

/// Rows per multi-row insert: well under both backends' bind-parameter limits.
const INSERT_CHUNK: usize = 500;

fn none<T>(_: &str) -> Option<Filter<T>> {
    None
}

fn keep<R>(_: &mut R, _: &str) {}

fn no_downtime() -> String {
    "[]".into()
}

fn classes_visibility() -> String {
    "classes".into()
}

use schema::{
    achievements as ach, activities as act, activity_sessions as ses, classes as cls,
    learner_achievements as lach, learners as lrn,
};

/// The learners of an account: its children, or a student's own learner.
macro_rules! learners_of {
    ($uid:expr) => {
        lrn::table
            .filter(
                lrn::parent_id
                    .eq($uid.to_string())
                    .or(lrn::user_id.eq($uid.to_string())),
            )
            .select(lrn::id)
    };
}

macro_rules! by_learner {
    ($t:ident) => {
        |uid: &str| -> Option<Filter<schema::$t::table>> {
            Some(Box::new(
                schema::$t::learner_id.eq_any(learners_of!(uid)).nullable(),
            ))
        }
    };
}

/// Rows of a class game that go with a teacher's backup: the teacher's own learners in the
/// teacher's own games (as class members: both ends must be in it).
macro_rules! by_learner_in_own_games {
    ($t:ident) => {
        |uid: &str| -> Option<Filter<schema::$t::table>> {
            Some(Box::new(
                schema::$t::learner_id
                    .eq_any(learners_of!(uid))
                    .and(
                        schema::$t::game_id.eq_any(
                            schema::class_games::table
                                .filter(schema::class_games::teacher_id.eq(uid.to_string()))
                                .select(schema::class_games::id),
                        ),
                    )
                    .nullable(),
            ))
        }
    };
}

mod columns;
pub use columns::*;

/// Whether every table is empty (a restore goes only into an empty database); the first
/// table with rows otherwise.
pub fn first_non_empty(conn: &mut DbConnection) -> QueryResult<Option<(&'static str, i64)>> {
    struct V<'a>(&'a mut DbConnection, Option<(&'static str, i64)>);
    impl Visitor for V<'_> {
        type Error = diesel::result::Error;
        fn table<T: Table>(&mut self) -> QueryResult<()> {
            if self.1.is_none() {
                let n = T::count_all(self.0)?;
                if n > 0 {
                    self.1 = Some((T::NAME, n));
                }
            }
            Ok(())
        }
    }
    let mut v = V(conn, None);
    visit(&mut v)?;
    Ok(v.1)
}

/// Rows per table in the whole database.
pub fn count_all(conn: &mut DbConnection) -> QueryResult<Vec<(String, i64)>> {
    struct V<'a>(&'a mut DbConnection, Vec<(String, i64)>);
    impl Visitor for V<'_> {
        type Error = diesel::result::Error;
        fn table<T: Table>(&mut self) -> QueryResult<()> {
            let n = T::count_all(self.0)?;
            self.1.push((T::NAME.to_string(), n));
            Ok(())
        }
    }
    let mut v = V(conn, Vec::new());
    visit(&mut v)?;
    Ok(v.1)
}

/// Every row of every table as JSON, in primary-key order (for comparing two databases).
pub fn dump_json(conn: &mut DbConnection) -> QueryResult<Vec<(String, Vec<serde_json::Value>)>> {
    struct V<'a>(&'a mut DbConnection, Vec<(String, Vec<serde_json::Value>)>);
    impl Visitor for V<'_> {
        type Error = diesel::result::Error;
        fn table<T: Table>(&mut self) -> QueryResult<()> {
            let scope = Scope::System {
                backup_id: String::new(),
            };
            let mut rows = Vec::new();
            let mut last: Option<T::Row> = None;
            loop {
                let page = T::page(self.0, &scope, last.as_ref(), 1000)?;
                if page.is_empty() {
                    break;
                }
                for r in &page {
                    rows.push(serde_json::to_value(r).expect("rows serialize"));
                }
                last = page.into_iter().last();
            }
            self.1.push((T::NAME.to_string(), rows));
            Ok(())
        }
    }
    let mut v = V(conn, Vec::new());
    visit(&mut v)?;
    Ok(v.1)
}

#[cfg(test)]
mod tests;
