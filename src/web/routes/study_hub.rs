//! The IGCSE Study Hub's clients: `POST /v1/quizzes/submit`, a result graded by the client
//! (its saved data comes in through `POST /v1/me/import/study-hub`, in `import.rs`). A
//! student's own learner only.

use actix_web::{HttpResponse, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::features::audit::{self, Change, RequestMeta};
use crate::features::auth::AuthUser;
use crate::features::learners;
use crate::features::study_hub::{self, QuizResult, QuizResultView};
use crate::infra::error::AppResult;
use crate::web::extract::{Normalize, ValidJson};
use crate::web::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(submit);
}

/// A quiz result as the hub's client sends it (its field names).
#[derive(Debug, Clone, Deserialize, Serialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase")]
#[validate(schema(function = "score_within"))]
pub struct QuizSubmission {
    #[validate(length(min = 1, max = 200, message = "between 1 and 200 characters"))]
    #[schema(min_length = 1, max_length = 200)]
    pub quiz_id: String,
    #[validate(length(min = 1, max = 300, message = "between 1 and 300 characters"))]
    #[schema(min_length = 1, max_length = 300)]
    pub quiz_title: String,
    #[validate(range(min = 0, max = 1000, message = "between 0 and 1000"))]
    #[schema(minimum = 0, maximum = 1000)]
    pub score: i32,
    #[validate(range(min = 1, max = 1000, message = "between 1 and 1000"))]
    #[schema(minimum = 1, maximum = 1000)]
    pub total_questions: i32,
    #[validate(range(min = 0.0, max = 100.0, message = "between 0 and 100"))]
    #[schema(minimum = 0.0, maximum = 100.0)]
    pub percentage: f64,
    /// Seconds.
    #[validate(range(min = 0, max = 86_400, message = "between 0 and 86400 seconds"))]
    #[schema(minimum = 0, maximum = 86_400)]
    pub time_spent: i32,
    #[serde(default)]
    #[validate(length(max = 1000, message = "at most 1000 answers"))]
    #[schema(max_items = 1000)]
    pub answers: Vec<String>,
    /// When it was done (the import's results carry it; a submission is now).
    #[serde(default)]
    pub completed_at: Option<DateTime<Utc>>,
}

fn score_within(q: &QuizSubmission) -> Result<(), validator::ValidationError> {
    if q.score > q.total_questions {
        let mut e = validator::ValidationError::new("score");
        e.message = Some("at most totalQuestions".into());
        return Err(e);
    }
    if q.answers.iter().any(|a| a.chars().count() > 2000) {
        let mut e = validator::ValidationError::new("answers");
        e.message = Some("each answer at most 2000 characters".into());
        return Err(e);
    }
    Ok(())
}

impl Normalize for QuizSubmission {
    fn normalize(&mut self) {
        self.quiz_id = self.quiz_id.trim().to_string();
        self.quiz_title = self.quiz_title.trim().to_string();
    }
}

impl QuizSubmission {
    pub(super) fn result(self, default_at: DateTime<Utc>) -> QuizResult {
        QuizResult {
            quiz_id: self.quiz_id,
            quiz_title: self.quiz_title,
            score: self.score,
            total_questions: self.total_questions,
            percentage: self.percentage,
            time_spent_seconds: self.time_spent,
            answers: self.answers,
            completed_at: self.completed_at.unwrap_or(default_at).min(default_at),
        }
    }
}

/// A quiz result graded by the Study Hub's client: stored as sent (`client_graded`) and counted
/// in the student's progress.
#[utoipa::path(tag = "students", request_body = QuizSubmission, security(("bearer" = [])),
    responses((status = 201, body = QuizResultView), (status = 403), (status = 422)))]
#[post("/quizzes/submit")]
pub async fn submit(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: RequestMeta,
    body: ValidJson<QuizSubmission>,
) -> AppResult<HttpResponse> {
    let learner_id = learners::own_learner_id(&state.db, &user).await?;
    let result = body.0.result(Utc::now());
    let lid = learner_id.clone();
    let view = state
        .db
        .transaction(move |conn| {
            let view = study_hub::store_result(conn, &lid, &result)?;
            audit::record(
                conn,
                &meta,
                Change {
                    user_id: &user.id,
                    action: "create",
                    entity_type: "quiz_result",
                    entity_id: &view.id,
                    old: None,
                    new: audit::json(&view),
                },
            )?;
            Ok(view)
        })
        .await?;
    state
        .control
        .progress_changed(vec![learner_id.as_str().into()])
        .await;
    Ok(HttpResponse::Created().json(view))
}
