//! A class game as a classroom runs it: the class hears of it and joins by its PIN, a pupil
//! who reloads mid-game goes on from the next seq with nothing lost, a pupil with extra time
//! gets a longer deadline, and the teacher's report (JSON and CSV) shows every answer.

use awc::http::StatusCode;
use serde_json::{Value, json};

use crate::common::spawn_app;
use crate::games::{answer, create_game, play_socket, student, teacher_with_class, until};

#[actix_web::test]
async fn the_class_is_invited_joins_by_pin_a_reload_loses_nothing_and_the_report_counts_it() {
    let app = spawn_app().await;
    let (teacher, class, code) = teacher_with_class(&app).await;
    let (other_teacher, _, _) = teacher_with_class(&app).await;
    let ana = student(&app, "Ana", Some(&code)).await;
    let bo = student(&app, "Bo", Some(&code)).await;
    let outsider = student(&app, "Olu", None).await;
    let (mut wa, hello) = play_socket(&app, &ana).await;
    assert_eq!(hello["open_games"], json!([]));
    let (mut wo, _) = play_socket(&app, &outsider).await;

    let res = create_game(
        &app,
        &teacher.access,
        &class,
        json!({"activity_id": "math-addition-1", "seconds_per_question": 60}),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let game = res.body["game_id"].as_str().unwrap().to_string();
    let pin = res.body["pin"].as_str().unwrap().to_string();
    assert!(
        pin.len() == 6 && pin.bytes().all(|b| b.is_ascii_digit()),
        "{pin}"
    );
    assert_eq!(res.body["class_name"], "5B");

    // The class hears of it at once; a pupil connecting later finds it in hello.
    let open = wa.expect("game_open").await;
    assert_eq!(
        (
            open["game_id"].as_str(),
            open["pin"].as_str(),
            open["class_name"].as_str()
        ),
        (Some(game.as_str()), Some(pin.as_str()), Some("5B"))
    );
    assert!(
        open["activity_title"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    let (mut wb, hello) = play_socket(&app, &bo).await;
    assert_eq!(hello["open_games"][0]["pin"], pin.as_str());

    // The teacher's view of it; nobody else's.
    let view = app
        .get(&format!("/v1/games/{game}"), Some(&teacher.access))
        .await;
    assert_eq!(view.status, StatusCode::OK);
    assert_eq!(
        (view.body["pin"].as_str(), view.body["state"].as_str()),
        (Some(pin.as_str()), Some("lobby"))
    );
    for token in [&other_teacher.access, &ana.account.access] {
        let res = app.get(&format!("/v1/games/{game}"), Some(token)).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND);
        let res = app
            .get(&format!("/v1/games/{game}/report"), Some(token))
            .await;
        assert_eq!(res.status, StatusCode::NOT_FOUND);
    }

    // A wrong PIN is no_game; an outsider with the right one is not in the class.
    let wrong = if pin == "999999" { "999998" } else { "999999" };
    wa.send(json!({"type": "join_game", "pin": wrong})).await;
    assert_eq!(wa.expect("error").await["code"], "no_game");
    wo.send(json!({"type": "join_game", "pin": pin})).await;
    assert_eq!(wo.expect("error").await["code"], "not_in_class");
    let mut sessions = Vec::new();
    for ws in [&mut wa, &mut wb] {
        ws.send(json!({"type": "join_game", "pin": pin})).await;
        let joined = ws.expect("game_joined").await;
        assert_eq!(
            (joined["game_id"].as_str(), joined["last_seq"].as_u64()),
            (Some(game.as_str()), Some(0))
        );
        sessions.push(joined["session_id"].as_str().unwrap().to_string());
    }

    let mut host = app
        .ws(&format!("/v1/games/{game}/host"), &teacher.access)
        .await;
    host.lobby_with(2).await;
    host.send(json!({"type": "next"})).await;
    host.expect("question").await;
    for ws in [&mut wa, &mut wb] {
        assert_eq!(ws.expect("game_question").await["question"]["id"], "q1");
    }
    wa.send(answer(&sessions[0], 1, "q1", json!(7))).await;
    assert_eq!(wa.expect("feedback").await["correct"], true);
    wb.send(answer(&sessions[1], 1, "q1", json!(6))).await;
    wb.expect("feedback").await;
    until(&mut host, "reveal").await;

    // Ana reloads between questions: a new socket, the game in hello, the same session, and
    // the next seq from the server.
    drop(wa);
    let (mut wa, hello) = play_socket(&app, &ana).await;
    assert_eq!(hello["open_games"][0]["game_id"], game.as_str());
    wa.send(json!({"type": "join_game", "pin": pin})).await;
    let joined = wa.expect("game_joined").await;
    assert_eq!(joined["session_id"], sessions[0].as_str());
    let next = joined["last_seq"].as_u64().unwrap() + 1;
    assert_eq!(next, 2);
    host.send(json!({"type": "next"})).await;
    host.expect("question").await;
    let q = until(&mut wa, "game_question").await.1;
    assert_eq!(q["question"]["id"], "q2");
    wa.send(answer(&sessions[0], next, "q2", json!("13"))).await;
    let fb = wa.expect("feedback").await;
    assert_eq!(
        (fb["correct"].as_bool(), fb.get("duplicate")),
        (Some(true), None),
        "{fb}"
    );
    until(&mut wb, "game_question").await;
    wb.send(answer(&sessions[1], 2, "q2", json!("13"))).await;
    wb.expect("feedback").await;
    let (counts, _) = until(&mut host, "reveal").await;
    assert_eq!(counts.last().unwrap()["answered"], 2, "{counts:?}");
    host.send(json!({"type": "end"})).await;
    let over = host.expect("game_over").await;

    // Over: no longer open, and the report has every answer.
    let (_, hello) = play_socket(&app, &bo).await;
    assert_eq!(hello["open_games"], json!([]));
    let report = eventually_report(&app, &teacher.access, &game, 2).await;
    assert_eq!(report["state"], "over");
    let players = report["players"].as_array().unwrap();
    assert_eq!(players.len(), 2);
    let a = players
        .iter()
        .find(|p| p["learner_id"] == ana.learner.as_str())
        .unwrap();
    assert_eq!(
        (
            a["correct"].as_u64(),
            a["answered"].as_u64(),
            a["rank"].as_u64()
        ),
        (Some(2), Some(2), Some(1))
    );
    assert_eq!(a["score"], over["podium"][0]["score"]);
    let per: Vec<(bool, bool)> = a["per_question"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            (
                q["answered"].as_bool().unwrap(),
                q["correct"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(per, [(true, true), (true, true)]);
    assert!(a["per_question"][0]["seconds"].as_f64().unwrap() >= 0.0);
    let b = players
        .iter()
        .find(|p| p["learner_id"] == bo.learner.as_str())
        .unwrap();
    assert_eq!(
        (b["correct"].as_u64(), b["answered"].as_u64()),
        (Some(1), Some(2))
    );

    let csv = app
        .get(
            &format!("/v1/games/{game}/report?format=csv"),
            Some(&teacher.access),
        )
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.headers
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = String::from_utf8(csv.raw).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("rank,name,score,correct,answered,q1_seconds"));
    assert!(lines[1].starts_with("1,Ana,"), "{text}");
    let res = app
        .get(
            &format!("/v1/games/{game}/report?format=xml"),
            Some(&teacher.access),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// The report once the game's writer (one task writing the records in order, just behind the
/// game) has caught up: each try is a request, which paces the tries.
async fn eventually_report(
    app: &crate::common::TestApp,
    token: &str,
    game: &str,
    answers: u64,
) -> Value {
    let mut last = Value::Null;
    for _ in 0..2_000 {
        let res = app
            .get(&format!("/v1/games/{game}/report"), Some(token))
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        let done = res.body["state"] == "over"
            && res.body["players"]
                .as_array()
                .is_some_and(|p| p.iter().all(|p| p["answered"].as_u64() == Some(answers)));
        if done {
            return res.body;
        }
        last = res.body;
    }
    panic!("the report never showed every answer: {last}");
}

#[actix_web::test]
async fn extra_time_gives_a_pupil_a_longer_deadline_set_by_the_classs_teacher_only() {
    let app = spawn_app().await;
    let (teacher, class, code) = teacher_with_class(&app).await;
    let (other_teacher, _, _) = teacher_with_class(&app).await;
    let ana = student(&app, "Ana", Some(&code)).await;
    let bo = student(&app, "Bo", Some(&code)).await;
    let outsider = student(&app, "Olu", None).await;
    let path = format!("/v1/classes/{class}/members/{}", ana.learner);

    let res = app
        .put(
            &path,
            Some(&teacher.access),
            &json!({"extra_time_percent": 50}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["extra_time_percent"], 50);
    for bad in [
        json!({"extra_time_percent": 201}),
        json!({"extra_time_percent": -1}),
    ] {
        let res = app.put(&path, Some(&teacher.access), &bad).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(res.body["error"]["details"]["fields"]["extra_time_percent"].is_string());
    }
    let res = app
        .put(
            &path,
            Some(&other_teacher.access),
            &json!({"extra_time_percent": 10}),
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let res = app
        .put(
            &path,
            Some(&ana.account.access),
            &json!({"extra_time_percent": 200}),
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let not_member = format!("/v1/classes/{class}/members/{}", outsider.learner);
    let res = app
        .put(
            &not_member,
            Some(&teacher.access),
            &json!({"extra_time_percent": 10}),
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let roster = app
        .get(&format!("/v1/classes/{class}"), Some(&teacher.access))
        .await;
    let mine = roster.body["students"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["learner_id"] == ana.learner.as_str())
        .unwrap()
        .clone();
    assert_eq!(mine["extra_time_percent"], 50);

    let res = create_game(
        &app,
        &teacher.access,
        &class,
        json!({"activity_id": "math-addition-1", "seconds_per_question": 20}),
    )
    .await;
    let pin = res.body["pin"].as_str().unwrap().to_string();
    let game = res.body["game_id"].as_str().unwrap().to_string();
    let (mut wa, _) = play_socket(&app, &ana).await;
    let (mut wb, _) = play_socket(&app, &bo).await;
    for ws in [&mut wa, &mut wb] {
        ws.send(json!({"type": "join_game", "pin": pin})).await;
        ws.expect("game_joined").await;
    }
    let mut host = app
        .ws(&format!("/v1/games/{game}/host"), &teacher.access)
        .await;
    host.lobby_with(2).await;
    host.send(json!({"type": "next"})).await;
    // The room's countdown runs to the last deadline: Ana's 30 s.
    assert_eq!(host.expect("question").await["seconds"], 30);
    let a = wa.expect("game_question").await;
    let b = wb.expect("game_question").await;
    assert_eq!(
        (a["seconds"].as_u64(), b["seconds"].as_u64()),
        (Some(30), Some(20))
    );
    assert!(a["remaining_ms"].as_u64().unwrap() > 20_000, "{a}");
    let (da, db): (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) = (
        serde_json::from_value(a["deadline"].clone()).unwrap(),
        serde_json::from_value(b["deadline"].clone()).unwrap(),
    );
    assert_eq!((da - db).num_seconds(), 10);
}
