//! The soak's class game: a new game of `math-addition-1` in one class every minute, its
//! teacher hosting and its students playing through nginx, each reconnecting and re-joining
//! (`join_game` again: same session, `last_seq` from the server) whenever a socket closes.
//! Each player's final score (`game_over`) goes to the ledger; answers `saved` too.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use super::http;
use super::learner::connect;
use super::ledger::{Acked, Ledger, record_end};
use super::tokens::Identity;

pub(crate) struct GameClass {
    pub id: String,
    pub teacher: Identity,
    /// (learner id, the student's identity).
    pub students: Vec<(String, Identity)>,
}

/// Games made (their ids, for the checker).
pub(crate) type Games = Arc<std::sync::Mutex<Vec<String>>>;

/// A game every `every` until the run winds down.
pub(crate) async fn run(
    nginx: SocketAddr,
    class: Arc<GameClass>,
    every: Duration,
    ledger: Arc<Ledger>,
    games: Games,
) {
    let mut tick = tokio::time::interval(every);
    let mut n = 0u64;
    let mut running = Vec::new();
    loop {
        tick.tick().await;
        if ledger.stopping() {
            break;
        }
        let body = json!({"activity_id": "math-addition-1", "seconds_per_question": 10});
        let path = format!("/v1/classes/{}/games", class.id);
        let r = http::json(
            nginx.port(),
            "POST",
            &path,
            Some(&class.teacher.token()),
            &body,
        )
        .await;
        ledger.answered("game create", &r);
        let Some((201, made)) = r else { continue };
        let game = made["game_id"].as_str().unwrap_or_default().to_string();
        games.lock().unwrap().push(game.clone());
        n += 1;
        for (i, (learner, who)) in class.students.iter().enumerate() {
            running.push(tokio::spawn(student(
                nginx,
                game.clone(),
                learner.clone(),
                who.clone(),
                ledger.clone(),
                n * 100 + i as u64,
            )));
        }
        running.push(tokio::spawn(host(
            nginx,
            game,
            class.teacher.clone(),
            class.students.len(),
            ledger.clone(),
        )));
        running.retain(|t| !t.is_finished());
    }
    for t in running {
        let _ = tokio::time::timeout(Duration::from_secs(120), t).await;
    }
}

fn backoff_next(b: Duration) -> Duration {
    (b * 2).min(Duration::from_secs(5))
}

/// The teacher: `next` once the lobby is full (or after 3 s), and after each reveal.
async fn host(
    nginx: SocketAddr,
    game: String,
    teacher: Identity,
    players: usize,
    ledger: Arc<Ledger>,
) {
    let path = format!("/v1/games/{game}/host");
    let mut backoff = Duration::from_millis(250);
    while !ledger.quitting() {
        let Some(ws) = connect(nginx, Ipv4Addr::LOCALHOST, &path, Some(&teacher.token())).await
        else {
            ledger.dropped("host connect");
            tokio::time::sleep(backoff).await;
            backoff = backoff_next(backoff);
            continue;
        };
        let (mut tx, mut rx) = ws.split();
        // Where the game is: lobby (no question yet), open, revealed.
        let mut state = "lobby";
        let mut lobby_since = tokio::time::Instant::now();
        loop {
            let msg = tokio::select! {
                m = rx.next() => m,
                () = tokio::time::sleep(Duration::from_millis(500)) => {
                    if ledger.quitting() { return; }
                    if state == "lobby" && lobby_since.elapsed() > Duration::from_secs(3) {
                        lobby_since = tokio::time::Instant::now() + Duration::from_secs(3600);
                        if tx.send(Message::text(r#"{"type":"next"}"#)).await.is_err() { break; }
                    }
                    continue;
                }
            };
            let text = match msg {
                Some(Ok(Message::Text(t))) => t,
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => {
                    record_end(&ledger, "host", msg);
                    break;
                }
                Some(Ok(_)) => continue,
            };
            backoff = Duration::from_millis(250);
            let v: Value = serde_json::from_str(&text).unwrap_or_default();
            match v["type"].as_str().unwrap_or("") {
                "lobby"
                    if state == "lobby"
                        && v["players"].as_array().map_or(0, Vec::len) >= players =>
                {
                    lobby_since = tokio::time::Instant::now() + Duration::from_secs(3600);
                    if tx.send(Message::text(r#"{"type":"next"}"#)).await.is_err() {
                        break;
                    }
                }
                "question" => state = "open",
                "reveal" => {
                    state = "revealed";
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    if tx.send(Message::text(r#"{"type":"next"}"#)).await.is_err() {
                        break;
                    }
                }
                "game_over" => {
                    let _ = tx.send(Message::Close(None)).await;
                    return;
                }
                "error" => ledger.error(&format!("host {}", v["code"].as_str().unwrap_or("?"))),
                _ => {}
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = backoff_next(backoff);
    }
}

/// A student: joins (again after every reconnect) and answers each question after 0.3–2 s,
/// right two times in three.
async fn student(
    nginx: SocketAddr,
    game: String,
    learner: String,
    who: Identity,
    ledger: Arc<Ledger>,
    seed: u64,
) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let path = format!("/v1/play?learner_id={learner}");
    let mut backoff = Duration::from_millis(250);
    // (seq, question id) sent and not yet saved, in the game's session.
    let mut unsaved: Vec<(u32, String)> = Vec::new();
    let mut session = String::new();
    let mut answered_index: Option<u64> = None;
    while !ledger.quitting() {
        let Some(ws) = connect(nginx, Ipv4Addr::LOCALHOST, &path, Some(&who.token())).await else {
            ledger.dropped("game play connect");
            tokio::time::sleep(backoff).await;
            backoff = backoff_next(backoff);
            continue;
        };
        let (mut tx, mut rx) = ws.split();
        if tx
            .send(Message::text(
                json!({"type": "join_game", "game_id": game}).to_string(),
            ))
            .await
            .is_err()
        {
            continue;
        }
        let mut seq = 0u32;
        loop {
            let msg = tokio::select! {
                m = rx.next() => m,
                () = tokio::time::sleep(Duration::from_millis(500)) => {
                    if ledger.quitting() { return; }
                    continue;
                }
            };
            let text = match msg {
                Some(Ok(Message::Text(t))) => t,
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => {
                    record_end(&ledger, "game play", msg);
                    break;
                }
                Some(Ok(_)) => continue,
            };
            backoff = Duration::from_millis(250);
            let v: Value = serde_json::from_str(&text).unwrap_or_default();
            match v["type"].as_str().unwrap_or("") {
                "game_joined" if v["game_id"] == game.as_str() => {
                    session = v["session_id"].as_str().unwrap_or_default().to_string();
                    seq = v["last_seq"].as_u64().unwrap_or(0) as u32;
                    // What the server did not take is not sent again: its question is closed.
                    unsaved.retain(|(s, _)| *s <= seq);
                }
                "game_question" if v["game_id"] == game.as_str() => {
                    let index = v["index"].as_u64().unwrap_or(0);
                    if answered_index.is_some_and(|a| a >= index) {
                        continue;
                    }
                    let think = Duration::from_millis(rng.random_range(300..2000));
                    tokio::time::sleep(think).await;
                    let q = &v["question"];
                    let answer = pick(q, &mut rng);
                    seq += 1;
                    let id = q["id"].as_str().unwrap_or_default().to_string();
                    unsaved.push((seq, id.clone()));
                    answered_index = Some(index);
                    let frame = json!({"type": "answer", "session_id": session, "seq": seq, "question_id": id, "answer": answer});
                    if tx.send(Message::text(frame.to_string())).await.is_err() {
                        break;
                    }
                }
                "saved" if v["session_id"] == session.as_str() => {
                    let up = v["up_to_seq"].as_u64().unwrap_or(0) as u32;
                    let (done, rest): (Vec<_>, Vec<_>) =
                        unsaved.drain(..).partition(|(s, _)| *s <= up);
                    unsaved = rest;
                    ledger.ack(done.into_iter().map(|(s, q)| Acked {
                        learner: learner.clone(),
                        session: session.clone(),
                        seq: s,
                        question: q,
                    }));
                }
                "error" => {
                    let code = v["code"].as_str().unwrap_or("?");
                    ledger.error(&format!("game {code}"));
                    if let Some(s) = v["seq"].as_u64() {
                        // Not taken (closed question, busy...): that seq is free again.
                        unsaved.retain(|(q, _)| *q as u64 != s);
                        if s as u32 == seq {
                            seq -= 1;
                        }
                    }
                    if code == "game_over" || code == "no_game" {
                        return;
                    }
                }
                "game_over" if v["game_id"] == game.as_str() => {
                    if let Some(score) = v["you"]["score"].as_i64() {
                        ledger
                            .game_scores
                            .lock()
                            .unwrap()
                            .insert((game.clone(), learner.clone()), score);
                    }
                    // The last `saved` may follow the end: wait for it a little.
                    let until = tokio::time::Instant::now() + Duration::from_secs(5);
                    while !unsaved.is_empty() {
                        let Ok(Some(Ok(Message::Text(t)))) =
                            tokio::time::timeout_at(until, rx.next()).await
                        else {
                            break;
                        };
                        let v: Value = serde_json::from_str(&t).unwrap_or_default();
                        if v["type"] == "saved" && v["session_id"] == session.as_str() {
                            let up = v["up_to_seq"].as_u64().unwrap_or(0) as u32;
                            let (done, rest): (Vec<_>, Vec<_>) =
                                unsaved.drain(..).partition(|(s, _)| *s <= up);
                            unsaved = rest;
                            ledger.ack(done.into_iter().map(|(s, q)| Acked {
                                learner: learner.clone(),
                                session: session.clone(),
                                seq: s,
                                question: q,
                            }));
                        }
                    }
                    let _ = tx.send(Message::Close(None)).await;
                    return;
                }
                _ => {}
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = backoff_next(backoff);
    }
}

/// An answer to a public question: one of its options (the right one unknown), a number, a
/// word.
fn pick(question: &Value, rng: &mut rand::rngs::StdRng) -> Value {
    match question["answer_type"].as_str().unwrap_or("") {
        "multiple_choice" => {
            let opts = question["options"].as_array().cloned().unwrap_or_default();
            opts.get(rng.random_range(0..opts.len().max(1)))
                .cloned()
                .unwrap_or(json!("?"))
        }
        "true_false" => json!(rng.random_bool(0.5)),
        "number" => json!(rng.random_range(5..15)),
        _ => json!("sum"),
    }
}

/// The game's class: a teacher, a class, `n` students who joined it with its code.
pub(crate) async fn game_class(port: u16, n: usize) -> GameClass {
    let register = |role: &'static str, i: usize| async move {
        let body = json!({"email": format!("soak-{role}-{i}-{}@example.com", std::process::id()), "password": "soak-password", "name": format!("Soak {role} {i}"), "role": role});
        let (status, v) = http::json(port, "POST", "/v1/auth/register", None, &body)
            .await
            .expect("register");
        assert_eq!(status, 201, "{v}");
        Identity::of(v["access_token"].as_str().unwrap())
    };
    let teacher = register("teacher", 0).await;
    let (_, class) = http::json(
        port,
        "POST",
        "/v1/classes",
        Some(&teacher.token()),
        &json!({"name": "Soak games"}),
    )
    .await
    .unwrap();
    let code = class["join_code"].as_str().expect("a class").to_string();
    let mut students = Vec::new();
    for i in 0..n {
        let who = register("student", i).await;
        let (status, v) = http::json(
            port,
            "POST",
            "/v1/classes/join",
            Some(&who.token()),
            &json!({"join_code": code}),
        )
        .await
        .unwrap();
        assert!(status < 300, "{v}");
        let (_, me) = http::request(
            port,
            "GET",
            "/v1/auth/me",
            Some(&who.token()),
            None,
            Duration::from_secs(10),
        )
        .await
        .unwrap();
        students.push((me["learner"]["id"].as_str().unwrap().to_string(), who));
    }
    GameClass {
        id: class["id"].as_str().unwrap().to_string(),
        teacher,
        students,
    }
}
