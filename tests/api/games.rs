//! Class games over real websockets: the teacher's host socket, students on their play
//! sockets, scores from server time, reveals, a student who drops mid-question and comes
//! back, and every student's answers stored as an ordinary session.

use crate::common::{Account, Api, TEST_PASSWORD, Ws, WsEvent, eventually, spawn_app};
use awc::http::StatusCode;
use serde_json::{Value, json};

pub(crate) struct Student {
    pub account: Account,
    pub learner: String,
}

pub(crate) async fn teacher_with_class(app: &Api) -> (Account, String, String) {
    let teacher = app.register("teacher").await;
    let res = app
        .post("/v1/classes", Some(&teacher.access), &json!({"name": "5B"}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let id = res.body["id"].as_str().unwrap().to_string();
    let code = res.body["join_code"].as_str().unwrap().to_string();
    (teacher, id, code)
}

/// A student named `name`, in the class with `code` (none: in no class).
pub(crate) async fn student(app: &Api, name: &str, code: Option<&str>) -> Student {
    let email = format!(
        "{}-{}@example.com",
        name.to_lowercase(),
        uuid::Uuid::new_v4().simple()
    );
    let res = app
        .post(
            "/v1/auth/register",
            None,
            &json!({"email": email, "password": TEST_PASSWORD, "name": name, "role": "student"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let access = res.body["access_token"].as_str().unwrap().to_string();
    if let Some(code) = code {
        let res = app
            .post(
                "/v1/classes/join",
                Some(&access),
                &json!({"join_code": code}),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    }
    let learner = app.get("/v1/auth/me", Some(&access)).await.body["learner"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    Student {
        account: Account {
            id: res.body["user"]["id"].as_str().unwrap().to_string(),
            email,
            refresh: res.body["refresh_token"].as_str().unwrap().to_string(),
            access,
            body: res.body,
        },
        learner,
    }
}

pub(crate) async fn play_socket(app: &Api, s: &Student) -> (Ws, Value) {
    let mut ws = app
        .ws(
            &format!("/v1/play?learner_id={}", s.learner),
            &s.account.access,
        )
        .await;
    let hello = ws.expect("hello").await;
    (ws, hello)
}

pub(crate) async fn create_game(
    app: &Api,
    token: &str,
    class: &str,
    body: Value,
) -> crate::common::Response {
    app.post(&format!("/v1/classes/{class}/games"), Some(token), &body)
        .await
}

pub(crate) fn answer(session: &str, seq: u64, q: &str, value: Value) -> Value {
    json!({"type": "answer", "session_id": session, "seq": seq, "question_id": q, "answer": value})
}

/// Frames up to the next of type `kind`: (those skipped, that one).
pub(crate) async fn until(ws: &mut Ws, kind: &str) -> (Vec<Value>, Value) {
    let mut skipped = Vec::new();
    loop {
        match ws.recv().await {
            WsEvent::Json(v) if v["type"] == kind => return (skipped, v),
            WsEvent::Json(v) => skipped.push(v),
            WsEvent::Close(c) => panic!("closed ({c:?}) while waiting for {kind}"),
        }
    }
}

fn entry<'a>(board: &'a Value, learner: &str) -> &'a Value {
    board
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["learner_id"] == learner)
        .unwrap_or_else(|| panic!("{learner} not in {board}"))
}

/// Best first, ranks shared by equal scores (1, 1, 3).
fn assert_ranked(board: &Value) {
    let list = board.as_array().unwrap();
    for (i, e) in list.iter().enumerate() {
        let score = e["score"].as_u64().unwrap();
        let rank = e["rank"].as_u64().unwrap();
        if i == 0 {
            assert_eq!(rank, 1, "{board}");
            continue;
        }
        let prev = &list[i - 1];
        assert!(prev["score"].as_u64().unwrap() >= score, "{board}");
        if prev["score"].as_u64().unwrap() == score {
            assert_eq!(rank, prev["rank"].as_u64().unwrap(), "{board}");
        } else {
            assert_eq!(rank, i as u64 + 1, "{board}");
        }
    }
}

#[actix_web::test]
async fn a_whole_game_with_three_students_one_dropping_out_and_back() {
    let app = spawn_app().await;
    let (teacher, class, code) = teacher_with_class(&app).await;
    let ana = student(&app, "Ana", Some(&code)).await;
    let bo = student(&app, "Bo", Some(&code)).await;
    let cy = student(&app, "Cy", Some(&code)).await;
    let res = create_game(
        &app,
        &teacher.access,
        &class,
        json!({"activity_id": "math-addition-1", "seconds_per_question": 60}),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(res.body["state"], "lobby");
    assert_eq!(res.body["activity_id"], "math-addition-1");
    let game = res.body["game_id"].as_str().unwrap().to_string();

    let mut host = app
        .ws(&format!("/v1/games/{game}/host"), &teacher.access)
        .await;
    assert_eq!(host.expect("lobby").await["players"], json!([]));

    // Everyone joins from the play socket; the teacher sees the lobby fill up.
    let mut sockets = Vec::new();
    let mut sessions = Vec::new();
    let mut lobby = Value::Null;
    for (i, s) in [&ana, &bo, &cy].into_iter().enumerate() {
        let (mut ws, _) = play_socket(&app, s).await;
        ws.send(json!({"type": "join_game", "game_id": game})).await;
        let joined = ws.expect("game_joined").await;
        assert_eq!(joined["game_id"], game.as_str());
        sessions.push(joined["session_id"].as_str().unwrap().to_string());
        lobby = host.expect("lobby").await;
        assert_eq!(lobby["players"].as_array().unwrap().len(), i + 1);
        sockets.push(ws);
    }
    let names: Vec<&str> = lobby["players"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Ana", "Bo", "Cy"]);
    // A second host socket (another device) starts from the state: the lobby as it is.
    let mut second = app
        .ws(&format!("/v1/games/{game}/host"), &teacher.access)
        .await;
    assert_eq!(second.expect("lobby").await["players"], lobby["players"]);
    drop(second);
    let [mut wa, mut wb, mut wc] = <[Ws; 3]>::try_from(sockets).ok().unwrap();

    // Question 0 (q1: 7). Nobody sees an answer before the reveal.
    host.send(json!({"type": "next"})).await;
    let q = host.expect("question").await;
    assert_eq!(q["index"], 0);
    assert_eq!(q["question"]["id"], "q1");
    assert!(!q.to_string().contains("correct_answer"), "{q}");
    assert_eq!(host.expect("answers").await["answered"], 0);
    let mut deadline = Value::Null;
    for ws in [&mut wa, &mut wb, &mut wc] {
        let gq = ws.expect("game_question").await;
        assert_eq!(gq["index"], 0);
        assert_eq!(gq["question"]["id"], "q1");
        let text = gq.to_string();
        assert!(
            !text.contains("correct_answer") && !text.contains("explanation"),
            "{text}"
        );
        deadline = gq["deadline"].clone();
    }
    wa.send(answer(&sessions[0], 1, "q1", json!(7))).await;
    assert_eq!(wa.expect("feedback").await["correct"], true);
    let counts = host.expect("answers").await;
    assert_eq!(
        (counts["answered"].as_u64(), counts["total"].as_u64()),
        (Some(1), Some(3))
    );
    wb.send(answer(&sessions[1], 1, "q1", json!(6))).await;
    assert_eq!(wb.expect("feedback").await["correct"], false);
    assert_eq!(host.expect("answers").await["answered"], 2);

    // Cy drops mid-question, comes back, joins again: same session, the same question.
    drop(wc);
    let (mut wc, hello) = play_socket(&app, &cy).await;
    assert_eq!(hello["open_session"]["session_id"], sessions[2].as_str());
    wc.send(json!({"type": "join_game", "game_id": game})).await;
    let again = wc.expect("game_joined").await;
    assert_eq!(again["session_id"], sessions[2].as_str());
    let gq = wc.expect("game_question").await;
    assert_eq!(
        (gq["index"].clone(), gq["deadline"].clone()),
        (json!(0), deadline)
    );
    assert!(!gq.to_string().contains("correct_answer"));
    // Only the open question takes answers.
    wc.send(answer(&sessions[2], 1, "q3", json!(12))).await;
    let refused = wc.expect("error").await;
    assert_eq!(
        (refused["code"].as_str(), refused["seq"].as_u64()),
        (Some("question_closed"), Some(1))
    );
    wc.send(answer(&sessions[2], 1, "q1", json!(7))).await;
    assert_eq!(wc.expect("feedback").await["correct"], true);

    // Everyone answered: the reveal comes at once (the deadline is a minute away).
    let (between, reveal) = until(&mut host, "reveal").await;
    assert!(
        between.iter().all(|f| f["type"] == "answers"),
        "{between:?}"
    );
    assert_eq!(between.last().unwrap()["answered"], 3);
    assert_eq!(reveal["index"], 0);
    assert_eq!(reveal["correct_answer"], 7);
    assert!(!reveal["explanation"].as_str().unwrap().is_empty());
    assert_eq!(reveal["counts_by_option"], json!({"7": 2, "6": 1}));
    let top = &reveal["top"];
    assert_eq!(top.as_array().unwrap().len(), 3);
    assert_ranked(top);
    for s in [&ana, &cy] {
        let score = entry(top, &s.learner)["score"].as_u64().unwrap();
        assert!((500..=1000).contains(&score), "{top}");
    }
    // Ana answered first, so she is at least as fast as Cy.
    assert!(
        entry(top, &ana.learner)["score"].as_u64() >= entry(top, &cy.learner)["score"].as_u64()
    );
    assert_eq!(entry(top, &bo.learner)["score"], 0);
    assert_eq!(entry(top, &bo.learner)["rank"], 3);
    for (ws, s, correct) in [
        (&mut wa, &ana, true),
        (&mut wb, &bo, false),
        (&mut wc, &cy, true),
    ] {
        let r = ws.expect("game_reveal").await;
        assert_eq!(
            (r["index"].clone(), r["correct_answer"].clone()),
            (json!(0), json!(7))
        );
        let mine = entry(top, &s.learner);
        assert_eq!(r["you"]["score"], mine["score"]);
        assert_eq!(r["you"]["rank"], mine["rank"]);
        assert_eq!(r["you"]["points"], mine["score"]);
        assert_eq!(
            (r["you"]["answered"].clone(), r["you"]["correct"].clone()),
            (json!(true), json!(correct))
        );
    }

    // Question 1 (q2: "13"): Ana wrong, Bo right, Cy silent; the teacher closes it early.
    host.send(json!({"type": "next"})).await;
    assert_eq!(host.expect("question").await["index"], 1);
    host.expect("answers").await;
    for ws in [&mut wa, &mut wb, &mut wc] {
        assert_eq!(ws.expect("game_question").await["question"]["id"], "q2");
    }
    wa.send(answer(&sessions[0], 2, "q2", json!("12"))).await;
    wa.expect("feedback").await;
    wb.send(answer(&sessions[1], 2, "q2", json!("13"))).await;
    wb.expect("feedback").await;
    assert_eq!(host.expect("answers").await["answered"], 1);
    assert_eq!(host.expect("answers").await["answered"], 2);
    host.send(json!({"type": "next"})).await;
    let reveal = host.expect("reveal").await;
    assert_eq!(
        (reveal["index"].clone(), reveal["correct_answer"].clone()),
        (json!(1), json!("13"))
    );
    let counts = reveal["counts_by_option"].as_object().unwrap();
    assert_eq!(
        (counts["13"].clone(), counts["12"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(counts.values().map(|v| v.as_u64().unwrap()).sum::<u64>(), 2);
    assert_ranked(&reveal["top"]);
    let top = reveal["top"].clone();
    let silent = wc.expect("game_reveal").await;
    assert_eq!(silent["you"]["answered"], false);
    assert_eq!(silent["you"]["points"], 0);
    wa.expect("game_reveal").await;
    wb.expect("game_reveal").await;
    // After the reveal the question takes no more answers.
    wa.send(answer(&sessions[0], 3, "q2", json!("13"))).await;
    assert_eq!(wa.expect("error").await["code"], "question_closed");

    // The end: the podium for everyone, each student's own place, sessions completed.
    host.send(json!({"type": "end"})).await;
    let over = host.expect("game_over").await;
    let podium = over["podium"].clone();
    assert_eq!(podium.as_array().unwrap().len(), 3);
    assert_ranked(&podium);
    for (ws, s) in [(&mut wa, &ana), (&mut wb, &bo), (&mut wc, &cy)] {
        let mine = ws.expect("game_over").await;
        assert_eq!(mine["podium"], podium);
        assert_eq!(mine["you"]["score"], entry(&top, &s.learner)["score"]);
        assert_eq!(mine["you"]["rank"], entry(&top, &s.learner)["rank"]);
        let done = ws.expect("completed").await;
        assert_eq!(done["activity_id"], "math-addition-1");
    }
    host.send(json!({"type": "next"})).await;
    assert_eq!(host.expect("error").await["code"], "game_over");
    // A former player who comes back hears the end again; anyone else cannot join.
    wa.send(json!({"type": "join_game", "game_id": game})).await;
    // (First Steps was unlocked by the completion: its `achievement` may come first.)
    let (_, again) = until(&mut wa, "game_over").await;
    assert_eq!(again["you"]["score"], entry(&top, &ana.learner)["score"]);
    let late = student(&app, "Dee", Some(&code)).await;
    let (mut wd, _) = play_socket(&app, &late).await;
    wd.send(json!({"type": "join_game", "game_id": game})).await;
    assert_eq!(wd.expect("error").await["code"], "game_over");

    // Every student's answers are an ordinary stored session of the activity.
    let expected = [
        (&ana, &sessions[0], vec![("q1", true), ("q2", false)]),
        (&bo, &sessions[1], vec![("q1", false), ("q2", true)]),
        (&cy, &sessions[2], vec![("q1", true)]),
    ];
    for (s, sid, answers) in expected {
        let path = format!("/v1/sessions/{sid}");
        eventually(500, || async {
            app.get(&path, Some(&s.account.access)).await.body["status"] == "completed"
        })
        .await;
        let stored = app.get(&path, Some(&s.account.access)).await.body;
        assert_eq!(stored["activity_id"], "math-addition-1");
        assert_eq!(stored["questions_correct"], 1);
        let got: Vec<(String, bool)> = stored["answers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["question_id"].as_str().unwrap().to_string(),
                    a["correct"].as_bool().unwrap(),
                )
            })
            .collect();
        let want: Vec<(String, bool)> = answers.iter().map(|(q, c)| (q.to_string(), *c)).collect();
        assert_eq!(got, want, "{stored}");
    }
}

#[actix_web::test]
async fn only_the_class_teacher_hosts_only_class_members_join_and_time_runs_out() {
    let app = spawn_app().await;
    let (teacher, class, code) = teacher_with_class(&app).await;
    let (other, _, _) = teacher_with_class(&app).await;
    let member = student(&app, "Mo", Some(&code)).await;
    let outsider = student(&app, "Olu", None).await;
    let body = json!({"activity_id": "math-addition-1", "seconds_per_question": 5});

    // Making a game: the class's teacher only; bad input is 422.
    for token in [&other.access, &member.account.access] {
        assert_eq!(
            create_game(&app, token, &class, body.clone()).await.status,
            StatusCode::NOT_FOUND
        );
    }
    let res = create_game(
        &app,
        &teacher.access,
        &class,
        json!({"activity_id": "no-such-thing"}),
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.body["error"]["details"]["fields"]["activity_id"].is_string(),
        "{}",
        res.body
    );
    for seconds in [4, 121] {
        let res = create_game(
            &app,
            &teacher.access,
            &class,
            json!({"activity_id": "math-addition-1", "seconds_per_question": seconds}),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{seconds}");
        assert!(res.body["error"]["details"]["fields"]["seconds_per_question"].is_string());
    }
    let res = create_game(
        &app,
        &teacher.access,
        &class,
        json!({"activity_id": "math-addition-1"}),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED);
    assert_eq!(res.body["seconds_per_question"], 20);
    let res = create_game(&app, &teacher.access, &class, body).await;
    let game = res.body["game_id"].as_str().unwrap().to_string();

    // Hosting: the class's teacher (bearer or ticket); anyone else 404, nobody 401.
    let path = format!("/v1/games/{game}/host");
    assert_eq!(
        app.ws_status(&path, Some(&other.access)).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.ws_status(&path, Some(&member.account.access)).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.ws_status(&path, None).await, StatusCode::UNAUTHORIZED);
    let unknown = format!("/v1/games/{}/host", uuid::Uuid::now_v7());
    assert_eq!(
        app.ws_status(&unknown, Some(&teacher.access)).await,
        StatusCode::NOT_FOUND
    );
    let ticket = app
        .post("/v1/realtime/tickets", Some(&teacher.access), &json!({}))
        .await;
    let ticket = ticket.body["ticket"].as_str().unwrap().to_string();
    assert_eq!(
        app.ws_status(&format!("{path}?ticket={ticket}"), None)
            .await,
        StatusCode::SWITCHING_PROTOCOLS
    );

    // Joining: class members only, known games only.
    let (mut wo, _) = play_socket(&app, &outsider).await;
    wo.send(json!({"type": "join_game", "game_id": game})).await;
    assert_eq!(wo.expect("error").await["code"], "not_in_class");
    let (mut wm, _) = play_socket(&app, &member).await;
    wm.send(json!({"type": "join_game", "game_id": uuid::Uuid::now_v7()}))
        .await;
    assert_eq!(wm.expect("error").await["code"], "no_game");
    wm.send(json!({"type": "join_game", "game_id": game})).await;
    wm.expect("game_joined").await;

    // Nobody answers: the reveal comes with the deadline (5 s), scores stay 0.
    let mut host = app.ws(&path, &teacher.access).await;
    host.lobby_with(1).await;
    host.send(json!({"type": "next"})).await;
    let q = host.expect("question").await;
    assert_eq!(q["seconds"], 5);
    assert_eq!(host.expect("answers").await["total"], 1);
    let gq = wm.expect("game_question").await;
    let deadline: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(gq["deadline"].clone()).unwrap();
    let left = deadline - chrono::Utc::now();
    assert!(
        left > chrono::Duration::seconds(3) && left <= chrono::Duration::seconds(5),
        "{left}"
    );
    let reveal = host.expect("reveal").await;
    assert!(chrono::Utc::now() >= deadline);
    assert_eq!(reveal["top"][0]["score"], 0);
    let mine = wm.expect("game_reveal").await;
    assert_eq!(
        mine["you"],
        json!({"score": 0, "rank": 1, "points": 0, "answered": false, "correct": false})
    );
    // A bad host frame is an error, not a close.
    host.send_text("{\"type\":\"skip\"}").await;
    assert_eq!(host.expect("error").await["code"], "bad_message");
}
