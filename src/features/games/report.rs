//! The teacher's report of a game: every player with score, rank, right answers and each
//! question's time, from what the game recorded (as JSON, or CSV for a spreadsheet).

use std::collections::HashMap;

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::GameRow;
use crate::infra::db::DbConnection;
use crate::infra::db::schema::{class_game_answers, class_game_players};

#[derive(Debug, Serialize, ToSchema)]
pub struct GameReport {
    pub game_id: String,
    pub activity_id: String,
    pub state: String,
    pub question_count: i32,
    /// Best first; equal scores share a rank (1, 1, 3).
    pub players: Vec<PlayerReport>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlayerReport {
    pub learner_id: String,
    pub name: String,
    pub score: u32,
    pub rank: u32,
    /// Questions answered right in time.
    pub correct: u32,
    /// Questions answered in time.
    pub answered: u32,
    /// One entry per question the game showed, in order.
    pub per_question: Vec<QuestionReport>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionReport {
    /// 0-based, as in the game's frames.
    pub index: i32,
    pub answered: bool,
    pub correct: bool,
    pub points: u32,
    /// From the question opening to the answer; `null` when not answered in time.
    pub seconds: Option<f64>,
}

/// The report as recorded so far (a game still running reports the questions closed).
pub fn report(conn: &mut DbConnection, game: &GameRow) -> QueryResult<GameReport> {
    let players: Vec<(String, String)> = class_game_players::table
        .filter(class_game_players::game_id.eq(&game.id))
        .select((class_game_players::learner_id, class_game_players::name))
        .load(conn)?;
    let answers: Vec<(String, i32, bool, i32, i64)> = class_game_answers::table
        .filter(class_game_answers::game_id.eq(&game.id))
        .select((
            class_game_answers::learner_id,
            class_game_answers::question_index,
            class_game_answers::correct,
            class_game_answers::points,
            class_game_answers::millis,
        ))
        .load(conn)?;
    // The questions shown: up to the open or last one.
    let shown = match (game.question_index, game.state.as_str()) {
        (None, _) => 0,
        (Some(i), "question") => i,
        (Some(i), _) => i + 1,
    };
    let mut by_player: HashMap<&str, HashMap<i32, (bool, i32, i64)>> = HashMap::new();
    for (learner, index, correct, points, millis) in &answers {
        by_player
            .entry(learner.as_str())
            .or_default()
            .insert(*index, (*correct, *points, *millis));
    }
    let mut list: Vec<PlayerReport> = players
        .iter()
        .map(|(learner_id, name)| {
            let mine = by_player.get(learner_id.as_str());
            let per_question: Vec<QuestionReport> = (0..shown)
                .map(|index| match mine.and_then(|m| m.get(&index)) {
                    Some((correct, points, millis)) => QuestionReport {
                        index,
                        answered: true,
                        correct: *correct,
                        points: (*points).max(0) as u32,
                        seconds: Some((*millis as f64 / 100.0).round() / 10.0),
                    },
                    None => QuestionReport {
                        index,
                        answered: false,
                        correct: false,
                        points: 0,
                        seconds: None,
                    },
                })
                .collect();
            PlayerReport {
                learner_id: learner_id.clone(),
                name: name.clone(),
                score: per_question.iter().map(|q| q.points).sum(),
                rank: 0,
                correct: per_question.iter().filter(|q| q.correct).count() as u32,
                answered: per_question.iter().filter(|q| q.answered).count() as u32,
                per_question,
            }
        })
        .collect();
    list.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then(a.name.cmp(&b.name))
            .then(a.learner_id.cmp(&b.learner_id))
    });
    let mut last: Option<(u32, u32)> = None;
    for (i, p) in list.iter_mut().enumerate() {
        p.rank = match last {
            Some((score, rank)) if score == p.score => rank,
            _ => i as u32 + 1,
        };
        last = Some((p.score, p.rank));
    }
    Ok(GameReport {
        game_id: game.id.clone(),
        activity_id: game.activity_id.clone(),
        state: game.state.clone(),
        question_count: game.question_count,
        players: list,
    })
}

/// One row per player: rank, name, score, right and answered, then each question's
/// seconds (empty when not answered) and whether it was right.
pub fn report_csv(report: &GameReport) -> String {
    let shown = report.players.first().map_or(0, |p| p.per_question.len());
    let mut out = String::from("rank,name,score,correct,answered");
    for i in 1..=shown {
        out.push_str(&format!(",q{i}_seconds,q{i}_correct"));
    }
    out.push_str("\r\n");
    for p in &report.players {
        out.push_str(&format!(
            "{},{},{},{},{}",
            p.rank,
            csv_field(&p.name),
            p.score,
            p.correct,
            p.answered
        ));
        for q in &p.per_question {
            let seconds = q.seconds.map(|s| s.to_string()).unwrap_or_default();
            out.push_str(&format!(",{seconds},{}", q.correct));
        }
        out.push_str("\r\n");
    }
    out
}

/// A CSV field: quoted when it needs to be, and never read as a formula by a spreadsheet.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_quoted_and_never_formulas() {
        assert_eq!(csv_field("Ada"), "Ada");
        assert_eq!(csv_field("Nwosu, Amara"), "\"Nwosu, Amara\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("-1"), "'-1");
    }

    #[test]
    fn a_row_per_player_with_each_questions_time() {
        let q = |index, answered, correct, points, seconds| QuestionReport {
            index,
            answered,
            correct,
            points,
            seconds,
        };
        let r = GameReport {
            game_id: "g".into(),
            activity_id: "a".into(),
            state: "over".into(),
            question_count: 2,
            players: vec![PlayerReport {
                learner_id: "l".into(),
                name: "Ada".into(),
                score: 900,
                rank: 1,
                correct: 1,
                answered: 1,
                per_question: vec![
                    q(0, true, true, 900, Some(2.5)),
                    q(1, false, false, 0, None),
                ],
            }],
        };
        assert_eq!(
            report_csv(&r),
            "rank,name,score,correct,answered,q1_seconds,q1_correct,q2_seconds,q2_correct\r\n\
             1,Ada,900,1,1,2.5,true,,false\r\n"
        );
    }
}
