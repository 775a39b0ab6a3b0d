//! A class game on two real processes sharing the database and Redis: made on one node,
//! hosted from the other, played from both, and carried on by the second after the first is
//! killed mid-question (a pupil reconnects there and goes on with the same session).

use serde_json::{Value, json};

use crate::common::process::two_nodes;
use crate::games::{create_game, play_socket, student, teacher_with_class, until};
use crate::play::ADDITION;

fn answer(session: &str, seq: u64, index: usize) -> Value {
    let (q, right, _) = ADDITION[index];
    json!({"type": "answer", "session_id": session, "seq": seq, "question_id": q,
           "answer": serde_json::from_str::<Value>(right).unwrap()})
}

#[actix_web::test]
async fn a_game_runs_across_nodes_and_goes_on_when_the_node_that_made_it_is_killed() {
    let Some((_db, a, b)) = two_nodes(&[]).await else {
        return;
    };
    let (na, nb) = (a.api(), b.api());
    let (teacher, class, code) = teacher_with_class(&na).await;
    let ana = student(&na, "Ana", Some(&code)).await;
    let bo = student(&nb, "Bo", Some(&code)).await;

    // Made on A; Ana plays on A, Bo on B (he joins by PIN there), the teacher hosts from B.
    let res = create_game(
        &na,
        &teacher.access,
        &class,
        json!({"activity_id": "math-addition-1", "seconds_per_question": 60}),
    )
    .await;
    let game = res.body["game_id"].as_str().unwrap().to_string();
    let pin = res.body["pin"].as_str().unwrap().to_string();
    let (mut wa, _) = play_socket(&na, &ana).await;
    let (mut wb, _) = play_socket(&nb, &bo).await;
    wa.send(json!({"type": "join_game", "pin": pin})).await;
    let ana_session = wa.expect("game_joined").await["session_id"]
        .as_str()
        .unwrap()
        .to_string();
    wb.send(json!({"type": "join_game", "pin": pin})).await;
    let bo_session = wb.expect("game_joined").await["session_id"]
        .as_str()
        .unwrap()
        .to_string();
    let host_path = format!("/v1/games/{game}/host");
    let mut host = nb.ws(&host_path, &teacher.access).await;
    host.lobby_with(2).await;

    // Question 1 opens on both nodes; both answer right; the reveal comes at once.
    host.send(json!({"type": "next"})).await;
    assert_eq!(until(&mut host, "question").await.1["index"], 0);
    for ws in [&mut wa, &mut wb] {
        assert_eq!(ws.expect("game_question").await["question"]["id"], "q1");
    }
    wa.send(answer(&ana_session, 1, 0)).await;
    assert_eq!(wa.expect("feedback").await["correct"], true);
    wb.send(answer(&bo_session, 1, 0)).await;
    assert_eq!(wb.expect("feedback").await["correct"], true);
    let reveal = until(&mut host, "reveal").await.1;
    assert_eq!(reveal["top"].as_array().unwrap().len(), 2, "{reveal}");
    let mut ana_saved = false;
    for (i, ws) in [&mut wa, &mut wb].into_iter().enumerate() {
        let (skipped, r) = until(ws, "game_reveal").await;
        assert_eq!(r["you"]["correct"], true);
        assert!(r["you"]["points"].as_u64().unwrap() > 500, "{r}");
        ana_saved |= i == 0 && skipped.iter().any(|f| f["type"] == "saved");
    }
    // Ana saw her first answer saved before her node goes.
    if !ana_saved {
        wa.saved_up_to(1).await;
    }

    // Question 2 opens; then A, which made the game, is killed.
    host.send(json!({"type": "next"})).await;
    assert_eq!(until(&mut host, "question").await.1["index"], 1);
    until(&mut wa, "game_question").await;
    until(&mut wb, "game_question").await;
    a.kill();
    drop(wa);

    // Ana reconnects to B and goes on: same session, the next seq, the open question.
    let (mut wa, _) = play_socket(&nb, &ana).await;
    wa.send(json!({"type": "join_game", "game_id": game})).await;
    let joined = wa.expect("game_joined").await;
    assert_eq!(joined["session_id"], ana_session.as_str());
    assert_eq!(joined["last_seq"], 1);
    let q = wa.expect("game_question").await;
    assert_eq!(q["question"]["id"], "q2");
    wa.send(answer(&ana_session, 2, 1)).await;
    let fb = wa.expect("feedback").await;
    assert_eq!(
        (fb["correct"].as_bool(), fb.get("duplicate")),
        (Some(true), None)
    );
    wb.send(answer(&bo_session, 2, 1)).await;
    wb.expect("feedback").await;
    let reveal = until(&mut host, "reveal").await.1;
    assert_eq!(reveal["index"], 1);
    let top = reveal["top"].as_array().unwrap();
    assert_eq!(top.len(), 2);
    for player in top {
        // Two right answers each: 500 apiece at least, plus speed.
        assert!(player["score"].as_u64().unwrap() > 1000, "{reveal}");
    }

    // The teacher ends it from B; the report (from the database) has every answer.
    host.send(json!({"type": "end"})).await;
    let over = until(&mut host, "game_over").await.1;
    assert_eq!(over["podium"].as_array().unwrap().len(), 2);
    for ws in [&mut wa, &mut wb] {
        until(ws, "game_over").await;
    }
    crate::common::wait::poll_until(
        std::time::Duration::from_secs(10),
        "the report has both questions of both players",
        || async {
            let report = nb
                .get(&format!("/v1/games/{game}/report"), Some(&teacher.access))
                .await
                .body;
            report["players"]
                .as_array()
                .is_some_and(|p| p.len() == 2 && p.iter().all(|p| p["correct"] == 2))
        },
    )
    .await;
}
