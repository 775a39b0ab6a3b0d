//! Two real nodes behind nginx, configured from `deploy/nginx/studyhub.conf`: websockets
//! spread over both, and a node told to stop hands its learners over: its sockets close with
//! 1012, the clients reconnect through nginx, land on the other node and resume their
//! sessions; nothing that was `saved` is lost and nothing is stored twice.

use std::time::Duration;

use crate::common::nginx::Nginx;
use crate::common::players::{ADDITION, Player, stored_seqs};
use crate::common::process::two_nodes;
use crate::common::wait::poll_until;

const PLAYERS: usize = 6;

#[actix_web::test]
async fn behind_nginx_sockets_spread_and_a_stopping_node_hands_its_learners_over() {
    let Some((db, node_a, node_b)) = two_nodes(&[("STUDYHUB_TRUST_PROXY", "true")]).await else {
        return;
    };
    let Some(nginx) = Nginx::start([node_a.port, node_b.port]).await else {
        return;
    };
    let (a, b, lb) = (node_a.api(), node_b.api(), nginx.api());

    // Children join one after the other through nginx; each node's metrics say where.
    let mut players: Vec<(Player, bool)> = Vec::new();
    for i in 0..PLAYERS {
        let before = a.live_sockets("play").await;
        let mut p = Player::join(&lb, &format!("Kid {i}")).await;
        p.answer().await;
        p.answer().await;
        p.saved_up_to(2).await;
        poll_until(Duration::from_secs(5), "the socket is counted", || async {
            a.live_sockets("play").await + b.live_sockets("play").await == i as u64 + 1
        })
        .await;
        let on_a = a.live_sockets("play").await > before;
        players.push((p, on_a));
    }
    let on_a = players.iter().filter(|(_, a)| *a).count();
    assert!(
        (1..PLAYERS).contains(&on_a),
        "nginx spreads sockets over both nodes: {on_a} of {PLAYERS} on node A"
    );

    // Node A is told to stop: its children get their last `saved`, then 1012.
    node_a.terminate();
    for (p, _) in players.iter_mut().filter(|(_, a)| *a) {
        assert_eq!(p.until_closed().await, Some(1012), "{}", p.child);
        assert_eq!(
            p.saved, p.answered,
            "everything answered is saved before the close"
        );
    }
    assert!(node_a.exited_cleanly().await, "exit status 0");

    // They reconnect through nginx (to node B, the one left) and finish where they were;
    // node B's children never noticed.
    for (p, moved) in players.iter_mut() {
        if *moved {
            p.reconnect(&lb).await;
        }
        p.finish().await;
    }
    assert_eq!(
        b.live_sockets("play").await,
        PLAYERS as u64,
        "{}",
        nginx.errors()
    );
    for (p, _) in &players {
        let want: Vec<u32> = (1..=ADDITION.len() as u32).collect();
        poll_until(
            Duration::from_secs(5),
            "every answer stored once",
            || async { stored_seqs(&db.url, &p.session) == want },
        )
        .await;
    }
}
