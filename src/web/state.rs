//! What every request handler can reach, and how it is started: the database (migrated,
//! seeded when empty), Redis, the object store, the live engine and what sits around it.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use actix_web::web;
use anyhow::Context;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use secrecy::ExposeSecret;
use studyhub_actors::Engine;

use crate::features::live;
use crate::features::seed;
use crate::infra::cache::RedisCache;
use crate::infra::config::redact_url;
use crate::infra::db;
use crate::infra::storage::ObjectStore;

use crate::features::auth::jwt::JwtKeys;
use crate::features::auth::shared_limit::SharedLimiter;
use crate::infra::config::Settings;
use crate::infra::content_cache::ContentCache;
use crate::infra::crypto::Cipher;
use crate::infra::db::Db;

pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub jwt: JwtKeys,
    /// Realtime tickets: signed, spent once.
    pub tickets: crate::features::auth::tickets::Tickets,
    pub login_limiter: SharedLimiter,
    /// Whether an access token's account still accepts it.
    pub token_gate: Arc<crate::features::auth::gate::TokenGate>,
    /// Every open websocket of an account, to close them when its sessions end.
    pub user_sockets: Arc<crate::features::live::open_sockets::UserSockets>,
    /// Registrations per client address.
    pub register_limiter: SharedLimiter,
    /// Pupils' sign-ins: registrations per class code, failures per address, the cards' key.
    pub class_register_limiter: SharedLimiter,
    pub pupil_address_limiter: SharedLimiter,
    pub card_key: crate::features::pupils::card::CardKey,
    pub started_at: Instant,
    pub metrics: PrometheusHandle,
    /// A bcrypt hash of nothing, verified against when the email is unknown so that a
    /// login for an unknown email takes as long as one with a wrong password.
    pub dummy_hash: String,
    /// The live engine: learner actors and the group-commit flusher.
    pub engine: Arc<Engine>,
    pub content: Arc<ContentCache>,
    pub cipher: Cipher,
    /// Backups' cipher (`STUDYHUB_BACKUP_KEY`, or the data key).
    pub backup_cipher: Cipher,
    pub storage: Arc<crate::infra::storage::ObjectStore>,
    /// Limits and grants, applied on every node.
    pub control: crate::features::live::control::LiveControl,
    /// The shared cache and bus, when `REDIS_URL` is set (up or not).
    pub redis: Option<Arc<crate::infra::cache::RedisCache>>,
    /// Learners read in batches for access checks, kept 5 s (forgotten on every node when one
    /// changes).
    pub learner_reads: crate::features::auth::access::LearnerReads,
    /// Progress summaries kept in memory, moved by the group commit.
    pub summaries: Arc<crate::features::progress::summary_cache::SummaryCache>,
    /// Web Push: the server's VAPID key (its public half is `GET /v1/push/key`).
    pub vapid: Arc<crate::features::push::Vapid>,
    /// Wakes this node's mail sender when a change queued an email.
    pub mailer: crate::features::mail::Mailer,
    /// Password reset requests per address asked for, and per client address.
    pub reset_email_limiter: SharedLimiter,
    pub reset_address_limiter: SharedLimiter,
    /// Signs the digest's one-click unsubscribe links.
    pub unsubscribe_key: crate::features::mail::preferences::UnsubscribeKey,
}

impl AppState {
    /// Connects every service and starts the engine on the current runtime.
    pub async fn start(settings: Arc<Settings>) -> anyhow::Result<Self> {
        let s = settings.clone();
        let db = web::block(move || prepare_database(&s)).await??;
        let cost = settings.bcrypt_cost;
        let dummy_hash =
            web::block(move || bcrypt::hash("studyhub-dummy-password", cost)).await??;
        let cipher = settings.cipher();
        // Redis away at start is not fatal: it is connected (and subscribed) once it answers.
        let redis = match settings.redis_url.as_deref() {
            Some(url) => Some(
                RedisCache::connect(url, &settings.redis_prefix)
                    .await
                    .with_context(|| format!("cannot use REDIS_URL {}", redact_url(url)))?,
            ),
            None => None,
        };
        let content = ContentCache::new(db.pool().clone(), redis.clone());
        let summaries = crate::features::progress::summary_cache::SummaryCache::new(redis.clone());
        // The group commit writes one batch at a time; a second connection stands by for
        // when the database dropped the first.
        let commits = crate::infra::db::build_pool(&settings.database_url, 2);
        let engine = live::start_engine(
            db.pool().clone(),
            commits,
            cipher.clone(),
            content.clone(),
            summaries.clone(),
            settings.engine,
        );
        engine.set_game_log(crate::features::games::DbGameLog::start(db.clone()));
        engine.set_game_store(crate::features::games::DbGameStore::new(
            db.clone(),
            content.clone(),
        ));
        let vapid = Arc::new(crate::features::push::Vapid::new(
            &settings.push.vapid_private_key.expose_secret().0,
            &settings.push.vapid_subject,
        )?);
        engine.set_notification_sink(crate::features::push::PushSender::start(
            db.clone(),
            vapid.clone(),
            settings.push.allow_insecure,
        )?);
        let storage = ObjectStore::open(&settings)
            .await
            .context("cannot create the object folder")?;
        let storage = Arc::new(storage);
        // This node's name on the Redis channels, so it ignores its own messages.
        let node = uuid::Uuid::new_v4().simple().to_string();
        if let Some(r) = &redis {
            crate::infra::live_bus::connect(&engine, r.clone(), node.clone());
            engine.set_shared(crate::infra::shared_counts::RedisShared::new(
                r.clone(),
                node.clone(),
            ));
        }
        let token_gate = Arc::new(crate::features::auth::gate::TokenGate::default());
        let user_sockets = Arc::new(crate::features::live::open_sockets::UserSockets::default());
        let learner_reads =
            crate::features::auth::access::LearnerReads::start(db.clone(), redis.clone());
        let control = crate::features::live::control::LiveControl::new(
            engine.clone(),
            token_gate.clone(),
            user_sockets.clone(),
            learner_reads.clone(),
            summaries.clone(),
            redis.clone(),
            node,
        );
        let login_limiter = SharedLimiter::for_login(redis.clone());
        let register_limiter =
            SharedLimiter::for_registration(settings.register_limit_per_hour, redis.clone());
        let class_register_limiter = SharedLimiter::for_class_registration(60, redis.clone());
        let pupil_address_limiter = SharedLimiter::for_pupil_addresses(redis.clone());
        let card_key =
            crate::features::pupils::card::CardKey::new(settings.jwt_secret.expose_secret());
        let transport = crate::infra::mail::MailTransport::new(&settings.mail, &settings.data_dir)?;
        let mailer =
            crate::features::mail::Mailer::start(db.clone(), transport, settings.mail.clone());
        let hour = std::time::Duration::from_secs(3600);
        let state = AppState {
            vapid,
            mailer,
            reset_email_limiter: SharedLimiter::new("reset_email", 5, hour, redis.clone()),
            reset_address_limiter: SharedLimiter::new("reset_address", 30, hour, redis.clone()),
            unsubscribe_key: crate::features::mail::preferences::UnsubscribeKey::new(
                settings.jwt_secret.expose_secret(),
            ),
            class_register_limiter,
            pupil_address_limiter,
            card_key,
            learner_reads,
            summaries,
            control,
            redis,
            storage,
            engine,
            content,
            cipher,
            backup_cipher: settings.backup_cipher(),
            jwt: JwtKeys::new(settings.jwt_secret.expose_secret()),
            tickets: crate::features::auth::tickets::Tickets::new(
                settings.jwt_secret.expose_secret(),
            ),
            settings: settings.clone(),
            db,
            login_limiter,
            token_gate,
            user_sockets,
            register_limiter,
            started_at: Instant::now(),
            metrics: metrics_handle(),
            dummy_hash,
        };

        Ok(state)
    }
}

/// The process-wide Prometheus recorder (a recorder can be installed once per process; tests
/// run many servers in one).
fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            // Fails only if another recorder is installed, in which case ours still renders.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// Opens the database, runs migrations and seeds the starter content when empty.
pub fn prepare_database(settings: &Settings) -> anyhow::Result<Db> {
    let pool = db::build_pool(&settings.database_url, settings.database_pool_size);
    let mut conn = pool.get().with_context(|| {
        format!(
            "cannot reach the database at {}",
            redact_url(&settings.database_url)
        )
    })?;
    let applied = db::run_migrations(&mut conn)?;
    if !applied.is_empty() {
        tracing::info!(?applied, "migrations applied");
    }
    if settings.seed_demo {
        let report = seed::seed_if_empty(&mut conn)?;
        if let Some(report) = report {
            tracing::info!(
                activities = report.activities,
                achievements = report.achievements,
                "starter content seeded"
            );
        }
    }
    drop(conn);
    Ok(Db::new(pool, settings.backend))
}
