//! SIGTERM under load, against the real binary in a child process: the server stops
//! accepting, writes what it holds, tells every play socket its last `saved` and closes it
//! with 1012; everything that got `feedback` before the stop is stored, once.

use crate::common::players::{Player, stored_seqs};
use crate::common::process::Served;
use crate::common::{Api, TestDb};

const PLAYERS: usize = 20;

/// The binary serving `db`; answers wait for the group commit until the stop writes them.
fn start(db: &TestDb) -> Served {
    Served::start(db, &[("STUDYHUB_FLUSH_WINDOW_MS", "600000")])
}

#[actix_web::test]
async fn sigterm_under_load_saves_everything_answered_and_closes_with_1012() {
    let db = TestDb::new();
    let server = start(&db);
    let api = Api::new(server.port);
    let mut players = Vec::new();
    for i in 0..PLAYERS {
        let mut p = Player::join(&api, &format!("Kid {i}")).await;
        for _ in 0..3 {
            p.answer().await;
        }
        players.push(p);
    }
    // Under load: answers in flight when the signal lands.
    for p in players.iter_mut() {
        p.send_next().await;
        p.send_next().await;
    }
    server.terminate();
    for p in players.iter_mut() {
        assert_eq!(p.until_closed().await, Some(1012), "{}", p.child);
        assert!(p.answered >= 3);
        assert_eq!(
            p.saved, p.answered,
            "everything answered is saved before the close"
        );
    }
    // The listener is closed: nobody new gets in.
    assert!(
        api.client.get(api.url("/health")).send().await.is_err(),
        "connections are refused once the server stops"
    );
    assert!(server.exited_cleanly().await, "exit status 0");
    for p in &players {
        let want: Vec<u32> = (1..=p.answered).collect();
        assert_eq!(stored_seqs(&db.url, &p.session), want, "{}", p.child);
    }
}
