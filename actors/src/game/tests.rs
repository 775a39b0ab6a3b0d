//! The game actor alone: players are small recording actors, answers arrive as the learner
//! actors would send them, with server times chosen by the test.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc;

use super::*;
use crate::content::{ActivityContent, AnswerType, Question};
use crate::outbox::{OutboxRx, outbox};

/// The game alone, with no engine around it: no registry to leave; what it records and when
/// it closes is kept for the test to read.
#[derive(Default)]
struct NoEngine {
    records: std::sync::Mutex<Vec<GameRecord>>,
    closed: std::sync::atomic::AtomicBool,
}

impl GameEnv for NoEngine {
    fn unregister(&self, _: &str, _: &Addr<GameActor>) {}

    fn closed(&self, _: &str) {
        self.closed.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    fn record(&self, record: GameRecord) {
        self.records.lock().unwrap().push(record);
    }

    fn changed(&self, _: &str) {}
}

impl NoEngine {
    fn records(&self) -> Vec<GameRecord> {
        self.records.lock().unwrap().clone()
    }
}

/// Stands in for a learner actor: forwards what the game tells it.
struct Recorder(mpsc::UnboundedSender<(PlayerEvent, Value)>);

impl Actor for Recorder {
    type Context = Context<Self>;
}

impl Handler<ToPlayer> for Recorder {
    type Result = ();
    fn handle(&mut self, msg: ToPlayer, _: &mut Context<Self>) {
        let Outbound::Frame { json, .. } = msg.frame else {
            panic!("a frame")
        };
        let _ = self
            .0
            .send((msg.event, serde_json::from_str(&json).unwrap()));
    }
}

struct Seat {
    id: String,
    addr: Addr<Recorder>,
    rx: mpsc::UnboundedReceiver<(PlayerEvent, Value)>,
}

impl Seat {
    fn new(id: &str) -> Seat {
        let (tx, rx) = mpsc::unbounded_channel();
        Seat {
            id: id.into(),
            addr: Recorder(tx).start(),
            rx,
        }
    }

    fn join(&self, class: &str) -> Join {
        Join {
            learner_id: self.id.as_str().into(),
            name: self.id.to_uppercase(),
            class_ids: vec![class.into()],
            to: self.addr.clone().recipient(),
        }
    }

    async fn next(&mut self) -> (PlayerEvent, Value) {
        tokio::time::timeout(Duration::from_secs(5), self.rx.recv())
            .await
            .expect("a frame in time")
            .expect("open")
    }
}

fn activity() -> Arc<Activity> {
    let q = |id: &str, key: f64| Question {
        id: id.into(),
        prompt: format!("{id}?"),
        answer_type: AnswerType::Number,
        options: None,
        correct_answer: Answer::Number(key),
        explanation: format!("it is {key}"),
        tolerance: None,
        media: Default::default(),
    };
    Arc::new(Activity {
        id: "math-test".into(),
        title: "Test".into(),
        description: "d".into(),
        category: "math".into(),
        sub_category: None,
        difficulty: 1,
        age_min: 5,
        age_max: 9,
        archived: false,
        author_id: None,
        visibility: crate::visibility::Visibility::Public,
        content: ActivityContent {
            questions: vec![q("q1", 1.0), q("q2", 2.0)],
            ..Default::default()
        },
    })
}

fn start() -> (Addr<GameActor>, OutboxRx) {
    let (game, rx, _) = start_with(&[]);
    (game, rx)
}

/// A game of class `c`, 60 s a question, with these students' extra time (percent).
fn start_with(extra: &[(&str, u32)]) -> (Addr<GameActor>, OutboxRx, Arc<NoEngine>) {
    let spec = GameSpec {
        game_id: "g".into(),
        pin: "123456".into(),
        class_id: "c".into(),
        class_name: "4B".into(),
        teacher_id: "t".into(),
        activity: activity(),
        seconds_per_question: 60,
        extra_time: extra.iter().map(|(l, p)| ((*l).into(), *p)).collect(),
    };
    let env = Arc::new(NoEngine::default());
    let game = GameHost(
        GameActor::new(
            spec,
            env.clone(),
            Arc::new(MemoryJournal::default()),
            Vec::new(),
        )
        .start(),
    );
    let (tx, rx) = outbox(256);
    game.connect(1, tx);
    (game.0, rx, env)
}

async fn host_frame(rx: &mut OutboxRx, kind: &str) -> Value {
    loop {
        let out = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .expect("a host frame in time")
            .expect("open");
        let Outbound::Frame { json, .. } = out else {
            panic!("closed")
        };
        let v: Value = serde_json::from_str(&json).unwrap();
        if v["type"] == kind {
            return v;
        }
    }
}

fn answered(id: &str, q: &str, correct: bool, at: DateTime<Utc>) -> Answered {
    Answered {
        learner_id: id.into(),
        question_id: q.into(),
        answer: Answer::Number(if correct { 1.0 } else { 0.0 }),
        correct,
        at,
    }
}

#[actix_rt::test]
async fn seven_players_a_top_five_shared_ranks_and_only_first_timely_answers_score() {
    let (game, mut host) = start();
    let stranger = Seat::new("zed");
    let mut bad = stranger.join("c");
    bad.class_ids = vec!["other".into()];
    assert!(matches!(
        game.send(bad).await.unwrap(),
        Err(ErrorCode::NotInClass)
    ));

    let mut seats: Vec<Seat> = ["a", "b", "c", "d", "e", "f", "g"]
        .into_iter()
        .map(Seat::new)
        .collect();
    for s in &seats {
        let reply = game.send(s.join("c")).await.unwrap();
        let Ok(JoinReply::Joined {
            session_id,
            catch_up,
            ..
        }) = reply
        else {
            panic!("joined")
        };
        assert!(session_id.is_none() && catch_up.is_none());
        game.do_send(Bind {
            learner_id: s.id.as_str().into(),
            session_id: format!("s-{}", s.id).into(),
        });
    }
    let lobby = host_frame(&mut host, "lobby").await;
    assert_eq!(lobby["players"].as_array().unwrap().len(), 0);

    game.do_send(HostCommand {
        conn_id: 1,
        msg: HostMsg::Next,
    });
    host_frame(&mut host, "question").await;
    for s in &mut seats {
        let (event, q) = s.next().await;
        assert_eq!(
            event,
            PlayerEvent::Question {
                question_id: "q1".into()
            }
        );
        assert!(!q.to_string().contains("correct_answer"));
    }
    let opened = Utc::now();
    // a and b right at once, c right later, d wrong; e answers another question, then twice;
    // f answers after the deadline; g says nothing.
    game.do_send(answered("a", "q1", true, opened));
    game.do_send(answered("b", "q1", true, opened));
    game.do_send(answered(
        "c",
        "q1",
        true,
        opened + chrono::Duration::seconds(30),
    ));
    game.do_send(answered("d", "q1", false, opened));
    game.do_send(answered("e", "q2", true, opened));
    game.do_send(answered("e", "q1", false, opened));
    game.do_send(answered("e", "q1", true, opened));
    game.do_send(answered(
        "f",
        "q1",
        true,
        opened + chrono::Duration::seconds(61),
    ));
    loop {
        let a = host_frame(&mut host, "answers").await;
        if a["answered"] == 5 {
            assert_eq!(a["total"], 7);
            break;
        }
    }
    // g never answers: the teacher closes the question.
    game.do_send(HostCommand {
        conn_id: 1,
        msg: HostMsg::Next,
    });
    let reveal = host_frame(&mut host, "reveal").await;
    assert_eq!(
        reveal["counts_by_option"],
        serde_json::json!({"1": 3, "0": 2})
    );
    let top: Vec<(String, u64, u64)> = reveal["top"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["learner_id"].as_str().unwrap().to_string(),
                e["score"].as_u64().unwrap(),
                e["rank"].as_u64().unwrap(),
            )
        })
        .collect();
    let top: Vec<(&str, u64, u64)> = top.iter().map(|(i, s, r)| (i.as_str(), *s, *r)).collect();
    // At most the top five; c's speed bonus is about half (server times within a few ms).
    assert_eq!(top.len(), TOP);
    assert_eq!(&top[..2], &[("a", 1000, 1), ("b", 1000, 1)]);
    assert_eq!(top[2].0, "c");
    assert!((740..=760).contains(&top[2].1), "{top:?}");
    assert_eq!((top[3].1, top[3].2, top[4].2), (0, 4, 4));
    for s in &mut seats {
        let (event, r) = s.next().await;
        assert_eq!(event, PlayerEvent::Reveal);
        let you = &r["you"];
        match s.id.as_str() {
            "a" | "b" => assert_eq!(
                (you["score"].as_u64(), you["rank"].as_u64()),
                (Some(1000), Some(1))
            ),
            "e" => assert_eq!(
                (you["answered"].as_bool(), you["correct"].as_bool()),
                (Some(true), Some(false))
            ),
            "f" | "g" => assert_eq!(
                (you["answered"].as_bool(), you["rank"].as_u64()),
                (Some(false), Some(4))
            ),
            _ => {}
        }
    }

    // Joining again mid-game: the same session and score, and where the game is.
    let reply = game.send(seats[2].join("c")).await.unwrap();
    let Ok(JoinReply::Joined {
        session_id,
        catch_up: Some(now),
        ..
    }) = reply
    else {
        panic!("joined again")
    };
    assert_eq!(session_id.as_deref(), Some("s-c"));
    assert_eq!(now.event, PlayerEvent::Reveal);

    game.do_send(HostCommand {
        conn_id: 1,
        msg: HostMsg::End,
    });
    let over = host_frame(&mut host, "game_over").await;
    assert_eq!(over["podium"].as_array().unwrap().len(), PODIUM);
    let (event, mine) = seats[6].next().await;
    assert_eq!(event, PlayerEvent::Over);
    assert_eq!(mine["you"]["rank"], 4);
    // Over: a player hears the end again, anyone else is refused.
    assert!(matches!(
        game.send(seats[0].join("c")).await.unwrap(),
        Ok(JoinReply::Over(_))
    ));
    assert!(matches!(
        game.send(stranger.join("c")).await.unwrap(),
        Err(ErrorCode::GameOver)
    ));
}

#[actix_rt::test]
async fn extra_time_lengthens_a_students_own_deadline_and_speed_counts_against_it() {
    let (game, mut host, env) = start_with(&[("x", 100)]);
    let mut seats = [Seat::new("a"), Seat::new("x")];
    for s in &seats {
        assert!(matches!(
            game.send(s.join("c")).await.unwrap(),
            Ok(JoinReply::Joined { .. })
        ));
        game.do_send(Bind {
            learner_id: s.id.as_str().into(),
            session_id: format!("s-{}", s.id).into(),
        });
    }
    game.do_send(HostCommand {
        conn_id: 1,
        msg: HostMsg::Next,
    });
    // The host's countdown runs to the last deadline: x's, twice the question's time.
    let q = host_frame(&mut host, "question").await;
    assert_eq!(q["seconds"], 120);
    let (_, a) = seats[0].next().await;
    let (_, x) = seats[1].next().await;
    assert_eq!(
        (a["seconds"].as_u64(), x["seconds"].as_u64()),
        (Some(60), Some(120))
    );
    let x_left = x["remaining_ms"].as_u64().unwrap();
    assert!((115_000..=120_000).contains(&x_left), "{x}");
    assert!(a["remaining_ms"].as_u64().unwrap() <= 60_000);

    // Both right 90 s in: past a's deadline, a quarter of x's time left.
    let opened = Utc::now();
    game.do_send(answered(
        "a",
        "q1",
        true,
        opened + chrono::Duration::seconds(90),
    ));
    game.do_send(answered(
        "x",
        "q1",
        true,
        opened + chrono::Duration::seconds(90),
    ));
    loop {
        if host_frame(&mut host, "answers").await["answered"] == 1 {
            break;
        }
    }
    game.do_send(HostCommand {
        conn_id: 1,
        msg: HostMsg::End,
    });
    let over = host_frame(&mut host, "game_over").await;
    let x_score = over["podium"][0]["score"].as_u64().unwrap();
    assert_eq!(over["podium"][0]["learner_id"], "x");
    assert!((620..=630).contains(&x_score), "{over}");
    assert_eq!(over["podium"][1]["score"], 0);

    // What it leaves behind: both players, the question, x's result, the end.
    assert!(env.closed.load(std::sync::atomic::Ordering::SeqCst));
    let records = env.records();
    let joined = records
        .iter()
        .filter(|r| matches!(r, GameRecord::Joined { .. }))
        .count();
    assert_eq!(joined, 2);
    assert!(records.contains(&GameRecord::Question {
        game_id: "g".into(),
        index: 0
    }));
    let results = records.iter().find_map(|r| match r {
        GameRecord::Revealed {
            index: 0, results, ..
        } => Some(results.clone()),
        _ => None,
    });
    let results = results.expect("the question's results");
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].learner_id, "x");
    assert!(results[0].correct && (89_000..=91_000).contains(&results[0].millis));
    assert_eq!(
        records.last(),
        Some(&GameRecord::Over {
            game_id: "g".into()
        })
    );
}

/// A second replica of one game over the same journal (as on another node): it starts from
/// what the journal holds, takes a player who moved to it, and both replicas score alike.
#[actix_rt::test]
async fn a_replica_started_from_the_journal_goes_on_and_scores_alike() {
    let spec = GameSpec {
        game_id: "g".into(),
        pin: "123456".into(),
        class_id: "c".into(),
        class_name: "4B".into(),
        teacher_id: "t".into(),
        activity: activity(),
        seconds_per_question: 60,
        extra_time: HashMap::new(),
    };
    let journal = Arc::new(MemoryJournal::default());
    let env = Arc::new(NoEngine::default());
    let first = GameActor::new(spec.clone(), env.clone(), journal.clone(), Vec::new()).start();
    let (tx, mut host_a) = outbox(256);
    GameHost(first.clone()).connect(1, tx);
    let (mut a, mut b) = (Seat::new("a"), Seat::new("b"));
    for s in [&a, &b] {
        assert!(matches!(
            first.send(s.join("c")).await.unwrap(),
            Ok(JoinReply::Joined { .. })
        ));
    }
    loop {
        if host_frame(&mut host_a, "lobby").await["players"]
            .as_array()
            .map(Vec::len)
            == Some(2)
        {
            break;
        }
    }
    first.do_send(HostCommand {
        conn_id: 1,
        msg: HostMsg::Next,
    });
    a.next().await;
    b.next().await;
    let opened = Utc::now();
    first.do_send(answered(
        "a",
        "q1",
        true,
        opened + chrono::Duration::seconds(15),
    ));

    // The second replica, from the journal as it is now (a's answer may still be on its way).
    let past = journal.read("g", 0).await.unwrap();
    let second = GameActor::new(spec, env.clone(), journal.clone(), past).start();
    let (tx, mut host_b) = outbox(256);
    GameHost(second.clone()).connect(2, tx);
    assert_eq!(host_frame(&mut host_b, "question").await["index"], 0);
    // b moves to the second replica: the open question again, then answers there.
    let moved = Seat::new("b");
    let Ok(JoinReply::Joined { catch_up, .. }) = second.send(moved.join("c")).await.unwrap() else {
        panic!("joined again")
    };
    assert_eq!(
        catch_up.expect("the open question").event,
        PlayerEvent::Question {
            question_id: "q1".into()
        }
    );
    second.do_send(answered(
        "b",
        "q1",
        true,
        opened + chrono::Duration::seconds(30),
    ));
    // Both replicas reveal (everyone answered) with the same standings; the second hears
    // a's answer from the journal (its read every second).
    let ra = host_frame(&mut host_a, "reveal").await;
    let rb = host_frame(&mut host_b, "reveal").await;
    assert_eq!(ra["top"], rb["top"]);
    assert_eq!(ra["top"][0]["learner_id"], "a");
    assert_eq!(ra["top"][0]["score"], 875);
    assert_eq!(ra["top"][1]["score"], 750);
    // q2 opens on both; another replica asking for it again (its timer, its host's `next`)
    // changes nothing: the next frame a's seat hears after q2 is q2's reveal.
    first.do_send(HostCommand {
        conn_id: 1,
        msg: HostMsg::Next,
    });
    assert_eq!(host_frame(&mut host_b, "question").await["index"], 1);
    assert_eq!(host_frame(&mut host_a, "question").await["index"], 1);
    journal
        .append("g", Utc::now(), Step::Open { index: 1 })
        .await
        .unwrap();
    first.do_send(Wake);
    second.do_send(Wake);
    second.do_send(HostCommand {
        conn_id: 2,
        msg: HostMsg::Next,
    });
    assert_eq!(host_frame(&mut host_a, "reveal").await["index"], 1);
    let frames: Vec<Value> = [a.next().await, a.next().await, a.next().await]
        .into_iter()
        .map(|(_, f)| f)
        .collect();
    let kinds: Vec<&str> = frames.iter().map(|f| f["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["game_reveal", "game_question", "game_reveal"]);
    assert_eq!(frames[2]["index"], 1);
    drop(b);
}
