//! The command line: `serve` (the default), `migrate`, `seed`, `create-admin`, `backup`,
//! `restore`, `rotate-key`, `send-digests`.

use std::io::{BufRead, IsTerminal};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use diesel::prelude::*;

use crate::features::seed;
use crate::infra::config::RawConfig;
use crate::infra::db::models::UserRow;
use crate::infra::db::schema::users;
use crate::infra::db::{self};
use crate::infra::telemetry;
use crate::web::app::Application;

#[derive(Parser)]
#[command(
    name = "studyhub",
    version,
    about = "Live learning sessions for families and schools"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the server (migrates first; seeds starter content into an empty database).
    Serve,
    /// Apply pending database migrations.
    Migrate,
    /// Load or refresh the starter activities and achievements.
    Seed,
    /// Create an administrator account. The password is read from standard input.
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
    },
    /// Take a system backup now: encrypted, stored in the object store, read back and checked.
    /// Prints its id (with --out, writes the file instead of storing it).
    Backup {
        /// Write the backup to this file instead of the object store.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Restore a backup (a FILE, or the ID of a stored backup) into an empty database
    /// (`DATABASE_URL` picks the backend). All or nothing: the whole backup is decrypted and
    /// checked before one row is written, and the rows go in inside one transaction.
    Restore {
        /// A backup file, or the id of a backup in the object store.
        source: String,
        /// The expected SHA-256 of the backup file (from `GET /v1/backups/{id}`).
        #[arg(long)]
        sha256: Option<String>,
    },
    /// Re-encrypt every stored answer with the current STUDYHUB_ENCRYPTION_KEY while the
    /// nodes serve (they run with the new key already, the old one in
    /// STUDYHUB_OLD_ENCRYPTION_KEYS). Resumable: run it again after a stop.
    RotateKey,
    /// Send the last full week's digest (Monday to Sunday, in each family's time zone) to
    /// every parent who has not had it: once per parent and week, whoever sends it.
    SendDigests,
}

pub fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let raw = RawConfig::load()?;
    telemetry::init(&raw.log_format);
    let settings = raw.resolve()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => actix_web::rt::System::new().block_on(async move {
            let app = Application::build(settings).await?;
            app.run_until_signal().await.context("server failed")
        }),
        Command::Migrate => {
            let mut conn =
                db::establish(&settings.database_url).context("cannot reach the database")?;
            let applied = db::run_migrations(&mut conn)?;
            println!("{} migration(s) applied", applied.len());
            Ok(())
        }
        Command::Seed => {
            let mut conn =
                db::establish(&settings.database_url).context("cannot reach the database")?;
            db::run_migrations(&mut conn)?;
            let report = seed::seed(&mut conn)?;
            println!(
                "seeded {} activities and {} achievements",
                report.activities, report.achievements
            );
            Ok(())
        }
        Command::RotateKey => crate::features::rotate_key::cli(&settings),
        Command::SendDigests => actix_web::rt::System::new().block_on(async move {
            let mut conn =
                db::establish(&settings.database_url).context("cannot reach the database")?;
            db::run_migrations(&mut conn)?;
            drop(conn);
            let queued = crate::features::mail::digest::send_last_full_week(&settings).await?;
            println!("{queued} digest(s) queued and sent");
            Ok(())
        }),
        Command::Backup { out } => crate::features::backup::cli::backup(&settings, out.as_deref()),
        Command::Restore { source, sha256 } => {
            crate::features::backup::cli::restore(&settings, &source, sha256.as_deref())
        }
        Command::CreateAdmin { email, name } => {
            let email = email.trim().to_lowercase();
            let name = name.trim().to_string();
            if !validator::ValidateEmail::validate_email(&email) {
                bail!("{email} is not a valid email address");
            }
            if !(2..=100).contains(&name.chars().count()) {
                bail!("the name must be 2 to 100 characters");
            }
            let password = read_password()?;
            if !(8..=128).contains(&password.chars().count()) {
                bail!("the password must be 8 to 128 characters");
            }
            if crate::features::auth::common_passwords::is_common(&password) {
                bail!("this password is one of the most common ones: choose another");
            }
            let hash = crate::features::auth::password::hash_now(&password, settings.bcrypt_cost)?;
            let mut conn =
                db::establish(&settings.database_url).context("cannot reach the database")?;
            db::run_migrations(&mut conn)?;
            let t = crate::infra::time::now();
            let row = UserRow {
                id: uuid::Uuid::now_v7().to_string(),
                email: email.clone(),
                name,
                role: "admin".into(),
                password_hash: hash,
                token_version: 0,
                active: true,
                last_login_at: None,
                created_at: t,
                updated_at: t,
                // The operator made it with this address: nothing to prove.
                email_verified_at: Some(t),
            };
            match diesel::insert_into(users::table)
                .values(&row)
                .execute(&mut conn)
            {
                Ok(_) => {
                    println!("admin {email} created");
                    Ok(())
                }
                Err(diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::UniqueViolation,
                    _,
                )) => {
                    bail!("an account with the email {email} already exists")
                }
                Err(e) => Err(e.into()),
            }
        }
    }
}

fn read_password() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        // Typed at a terminal: not echoed, asked twice.
        let first = rpassword::prompt_password("password: ")?;
        let again = rpassword::prompt_password("the same password again: ")?;
        if first != again {
            bail!("the two passwords differ");
        }
        return Ok(first);
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}
