//! PostgreSQL going away under play and coming back: cut for a while, or "restarted" (every
//! connection of the pool dropped at once). The database sits behind a test proxy
//! (`common::proxy`) that cuts and heals it without touching the machine's PostgreSQL. Only
//! PostgreSQL can go away under a running server; an embedded SQLite file cannot.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use awc::http::StatusCode;
use futures_util::future::join_all;
use serde_json::json;

use crate::common::players::{Player, completions, stored_seqs};
use crate::common::proxy::Proxy;
use crate::common::wait::poll_until;
use crate::common::{TestApp, admin_url, spawn_app, spawn_app_with};

const PLAYERS: usize = 30;

/// A server whose database is reached through a proxy; `None` on SQLite.
async fn app_behind_proxy() -> Option<(TestApp, Proxy)> {
    let admin = admin_url()?;
    let proxy = Proxy::in_front_of(&admin);
    let app = spawn_app_with(|c| {
        c.database_url = c.database_url.take().map(|url| proxy.redirect(&url));
    })
    .await;
    Some((app, proxy))
}

async fn players(app: &TestApp) -> Vec<Player> {
    let mut players = Vec::new();
    for i in 0..PLAYERS {
        players.push(Player::join(app, &format!("Kid {i}")).await);
    }
    players
}

/// Every player finished and heard everything saved; the database holds exactly what was
/// acknowledged: each seq once, each completion counted once.
fn assert_stored_as_acknowledged(app: &TestApp, players: &[Player]) {
    for p in players {
        assert!(p.completed && p.saved == 7, "{} saved {}", p.child, p.saved);
        assert_eq!(stored_seqs(&app.db.url, &p.session), [1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(completions(&app.db.url, &p.child), 1, "{}", p.child);
    }
}

/// A count that only rises, read from `/metrics`.
async fn counter(app: &TestApp, name: &str) -> f64 {
    let text = String::from_utf8(app.get("/metrics", None).await.raw).unwrap();
    text.lines()
        .filter(|l| l.starts_with(name))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[actix_web::test]
async fn play_goes_on_while_postgres_is_away_and_nothing_saved_is_lost() {
    let Some((app, proxy)) = app_behind_proxy().await else {
        // SQLite: the database is a file the server holds open; health stays 200.
        let app = spawn_app().await;
        assert_eq!(app.get("/health", None).await.status, StatusCode::OK);
        return;
    };
    let mut players = players(&app).await;
    for p in players.iter_mut() {
        p.answer().await;
        p.answer().await;
    }
    for p in players.iter_mut() {
        p.saved_up_to(2).await;
    }
    let retries_before = counter(&app, "studyhub_flush_retries_total").await;

    proxy.cut();
    let res = app.get("/health", None).await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE, "{}", res.body);
    assert_eq!(res.body["status"], "unavailable");
    assert_eq!(res.body["services"]["database"], "down");
    // Requests that need the database answer 503 in the contract's shape, not 500.
    let res = app
        .post(
            "/v1/auth/login",
            None,
            &json!({"email": "a@b.co", "password": "whatever1"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE, "{}", res.body);
    assert_eq!(res.code(), "database_unavailable");
    // Play goes on from memory: feedback for every answer, nothing saved.
    for p in players.iter_mut() {
        for _ in 0..3 {
            p.answer().await;
        }
    }
    assert!(app.state.engine.backlog() >= PLAYERS * 3);
    // The group commit keeps trying (and says so in /metrics).
    poll_until(Duration::from_secs(30), "a flush retry", || async {
        counter(&app, "studyhub_flush_retries_total").await > retries_before
    })
    .await;
    let text = String::from_utf8(app.get("/metrics", None).await.raw).unwrap();
    assert!(text.contains("studyhub_flush_queue_depth"), "{text}");
    assert!(players.iter().all(|p| p.saved == 2 && p.answered == 5));

    proxy.heal();
    for p in players.iter_mut() {
        p.saved_up_to(5).await;
    }
    assert_eq!(app.get("/health", None).await.status, StatusCode::OK);
    for p in players.iter_mut() {
        p.answer().await;
        p.answer().await;
        p.saved_up_to(7).await;
    }
    assert_stored_as_acknowledged(&app, &players);
}

/// PostgreSQL restarted while answers flow: every pooled connection dies at once, commits in
/// flight among them. Each answer is stored once, each completion counted once.
#[actix_web::test]
async fn a_postgres_restart_under_play_loses_nothing_and_counts_nothing_twice() {
    let Some((app, proxy)) = app_behind_proxy().await else {
        return;
    };
    let mut players = players(&app).await;
    let answered = Rc::new(Cell::new(0usize));
    let progress = Rc::new(tokio::sync::Notify::new());
    let play = join_all(players.iter_mut().map(|p| {
        let (answered, progress) = (answered.clone(), progress.clone());
        async move {
            for _ in 0..7 {
                p.answer().await;
                answered.set(answered.get() + 1);
                progress.notify_one();
            }
            p.saved_up_to(7).await;
        }
    }));
    // Restarts a third and two thirds of the way through.
    let restarts = async {
        for at in [PLAYERS * 7 / 3, PLAYERS * 7 * 2 / 3] {
            while answered.get() < at {
                progress.notified().await;
            }
            proxy.cut();
            proxy.heal();
        }
    };
    futures_util::future::join(play, restarts).await;
    assert_stored_as_acknowledged(&app, &players);
    assert_eq!(app.get("/health", None).await.status, StatusCode::OK);
}
