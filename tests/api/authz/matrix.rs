//! The authorization matrix: one row per route of the OpenAPI document (every endpoint and
//! websocket), with the status each kind of caller gets. `authz.rs` checks that the rows and
//! the server's routes are the same set, then plays every row.
//!
//! Columns, in this order: parent A (owns the child), parent B, teacher T (whose class holds
//! A's child and student S), teacher T2, student S, student S2, an admin, A's child's device
//! (role `child`: it may only play as that child, everything else is 403), anonymous.
//! Paths name the world's resources as `{child}`, `{class}`…; `{fresh_…}` is a new resource
//! made for each call (for calls that delete or use it up). JSON strings `"{name}"` in
//! bodies are filled the same way.

use serde_json::{Value, json};

pub const ACTORS: [&str; 9] = [
    "parent A (owner)",
    "parent B",
    "teacher T (A's child's class)",
    "teacher T2",
    "student S (in T's class)",
    "student S2",
    "admin",
    "A's child's device",
    "anonymous",
];

pub enum Send {
    Nothing,
    Json(Value),
    /// A multipart drawing upload (a PNG).
    Drawing,
    /// A multipart content upload (a PNG as `file`).
    Content,
    /// A websocket upgrade: the status of the handshake (101 when it upgrades).
    Upgrade,
    /// A CSV body (`text/csv`): the pupils' import.
    Csv(&'static str),
}

/// What the runner does once a row is done.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum After {
    Nothing,
    /// The row ended the callers' tokens (sign-out, password change): sign everyone in again.
    SignInAgain,
    /// The row started backups: wait until none is pending.
    SettleBackups,
}

pub struct Row {
    pub method: &'static str,
    /// The route as the OpenAPI document names it.
    pub route: &'static str,
    /// The request's path (and query), with the world's placeholders.
    pub path: &'static str,
    pub send: Send,
    pub expect: [u16; 9],
    pub after: After,
}

fn row(
    method: &'static str,
    route: &'static str,
    path: &'static str,
    send: Send,
    expect: [u16; 9],
) -> Row {
    Row {
        method,
        route,
        path,
        send,
        expect,
        after: After::Nothing,
    }
}

fn then(mut r: Row, after: After) -> Row {
    r.after = after;
    r
}

/// Open to everyone, signed in or not.
const fn public(ok: u16) -> [u16; 9] {
    [ok; 9]
}
/// Any signed-in account, about itself.
const fn signed_in(ok: u16) -> [u16; 9] {
    [ok, ok, ok, ok, ok, ok, ok, 403, 401]
}
/// Admins only.
const fn admins(ok: u16) -> [u16; 9] {
    [403, 403, 403, 403, 403, 403, ok, 403, 401]
}
/// Parents only, about their own family (other roles: 403).
const fn parents(ok: u16) -> [u16; 9] {
    [ok, ok, 403, 403, 403, 403, 403, 403, 401]
}
/// The same, but A's child's device may call it too (and gets `child`).
const fn child_may(mut expect: [u16; 9], child: u16) -> [u16; 9] {
    expect[7] = child;
    expect
}
/// Teachers and admins only, about their own things.
const fn teachers(ok: u16) -> [u16; 9] {
    [403, 403, ok, ok, 403, 403, ok, 403, 401]
}
/// A parent-only route on A's child: another parent gets 404, other roles 403.
const fn childs_parent(ok: u16) -> [u16; 9] {
    [ok, 404, 403, 403, 403, 403, 403, 403, 401]
}
/// Acting for A's child (play, pages, drawings): A only; everyone else 404.
const fn acts_for_child(ok: u16) -> [u16; 9] {
    [ok, 404, 404, 404, 404, 404, 404, 403, 401]
}
/// Reading A's child: A and the teacher of the child's class; everyone else 404.
const fn reads_child(ok: u16) -> [u16; 9] {
    [ok, 404, ok, 404, 404, 404, 404, 403, 401]
}
/// T's class: T and admins; T2 404; parents and students 403.
const fn class_of_t(ok: u16) -> [u16; 9] {
    [403, 403, ok, 404, 403, 403, ok, 403, 401]
}

fn activity_body() -> Value {
    json!({"title": "Authz sums", "category": "math", "difficulty": 1, "age_min": 5, "age_max": 9,
        "questions": [{"id": "q1", "prompt": "1 + 1", "answer_type": "multiple_choice",
            "options": ["1", "2"], "correct_answer": "2", "explanation": "two"}]})
}

fn child_body() -> Value {
    json!({"name": "Kid", "age": 8, "interests": ["space"]})
}

/// A browser's subscription (`PushSubscription.toJSON()`), its keys a real P-256 point.
pub fn push_subscription() -> Value {
    json!({"endpoint": "https://93.184.215.14/push/authz", "keys": {
        "p256dh": "BLn9b-VR0ca83knDNZ32dCHGyjJp-1riX9ZTN40MqV8K_LpQmLqxC_DoHvqvFXO_nGdAB4W9dogZb_sM-uV4JbY",
        "auth": "_ordMnz7uTCmrpBTeUV4Bw"}})
}

fn assessment_body() -> Value {
    json!({"assessment_type": "mock", "component": "listening", "grade": "B", "percentage": 71})
}

/// Every route, in the order they are played. Rows that end the callers' tokens or
/// accounts come last. One row a line: this is a table.
#[rustfmt::skip]
pub fn rows() -> Vec<Row> {
    use Send::*;
    vec![
        // Operations and the catalog.
        row("GET", "/health", "/health", Nothing, public(200)),
        row("GET", "/metrics", "/metrics", Nothing, public(200)),
        row("GET", "/v1/activities", "/v1/activities", Nothing, public(200)),
        // T's activity is for T's class (visibility `classes`): A's child and S are in it.
        row("GET", "/v1/activities/{id}", "/v1/activities/{activity}", Nothing,
            [200, 404, 200, 404, 200, 404, 200, 200, 404]),
        row("GET", "/v1/achievements", "/v1/achievements", Nothing, public(200)),
        row("GET", "/v1/content/{key}", "/v1/content/{content_key}", Nothing, public(200)),
        row("POST", "/v1/content", "/v1/content", Content, [403, 403, 201, 201, 403, 403, 201, 403, 401]),
        // Accounts: open, or about the caller.
        row("POST", "/v1/auth/register", "/v1/auth/register",
            Json(json!({"email": "{fresh_email}", "password": "{password}", "name": "New one", "role": "parent"})),
            public(201)),
        row("POST", "/v1/auth/login", "/v1/auth/login",
            Json(json!({"email": "{email_a}", "password": "{password}"})), public(200)),
        row("POST", "/v1/auth/refresh", "/v1/auth/refresh",
            Json(json!({"refresh_token": "{fresh_refresh_token}"})), public(200)),
        // Links by email: open to anyone (a forgotten password means no sign-in). A made-up
        // token is 422 on `token` for every caller alike.
        row("POST", "/v1/auth/password-reset", "/v1/auth/password-reset",
            Json(json!({"email": "{fresh_email}"})), public(202)),
        row("POST", "/v1/auth/password-reset/confirm", "/v1/auth/password-reset/confirm",
            Json(json!({"token": "made-up", "password": "{password}"})), public(422)),
        row("POST", "/v1/auth/verify-email", "/v1/auth/verify-email",
            Json(json!({"token": "made-up"})), public(422)),
        row("GET", "/v1/auth/me", "/v1/auth/me", Nothing, child_may(signed_in(200), 200)),
        row("GET", "/v1/me/export", "/v1/me/export", Nothing, signed_in(200)),
        row("GET", "/v1/me/preferences", "/v1/me/preferences", Nothing, signed_in(200)),
        row("PUT", "/v1/me/preferences", "/v1/me/preferences", Json(json!({"email_digest": true})),
            signed_in(200)),
        // The digest's one-click unsubscribe: open, but only with a link signed for the account.
        row("POST", "/v1/email/unsubscribe", "/v1/email/unsubscribe?user=someone&token=made-up",
            Nothing, public(403)),
        row("POST", "/v1/me/import", "/v1/me/import", Json(json!({"user": {"id": "{uuid}"}})),
            [200, 200, 200, 200, 200, 200, 403, 403, 401]),
        // Authored activities: teachers and admins write; only the author or an admin changes.
        row("POST", "/v1/activities", "/v1/activities", Json(activity_body()), teachers(201)),
        row("PUT", "/v1/activities/{id}", "/v1/activities/{activity}", Json(activity_body()),
            [403, 403, 200, 403, 403, 403, 200, 403, 401]),
        row("DELETE", "/v1/activities/{id}", "/v1/activities/{fresh_activity}", Nothing,
            [403, 403, 204, 403, 403, 403, 204, 403, 401]),
        row("GET", "/v1/activities/{id}/source", "/v1/activities/{activity}/source", Nothing,
            [403, 403, 200, 403, 403, 403, 200, 403, 401]),
        row("POST", "/v1/activities/{id}/publish", "/v1/activities/{fresh_activity}/publish", Nothing,
            [403, 403, 403, 403, 403, 403, 200, 403, 401]),
        // Children, settings, screen time: the child's parent.
        row("POST", "/v1/children", "/v1/children", Json(child_body()), parents(201)),
        row("GET", "/v1/children", "/v1/children", Nothing, parents(200)),
        row("GET", "/v1/children/{id}", "/v1/children/{child}", Nothing, childs_parent(200)),
        row("PUT", "/v1/children/{id}", "/v1/children/{child}", Json(child_body()), childs_parent(200)),
        row("DELETE", "/v1/children/{id}", "/v1/children/{fresh_child}", Nothing, childs_parent(204)),
        row("GET", "/v1/children/{id}/settings", "/v1/children/{child}/settings", Nothing,
            child_may(childs_parent(200), 200)),
        row("PUT", "/v1/children/{id}/settings", "/v1/children/{child}/settings",
            Json(json!({"daily_time_limit_seconds": 3600})), childs_parent(200)),
        row("POST", "/v1/children/{id}/screen-time/grant", "/v1/children/{child}/screen-time/grant",
            Json(json!({"seconds": 60})), childs_parent(200)),
        row("GET", "/v1/children/{id}/screen-time/today", "/v1/children/{child}/screen-time/today",
            Nothing, childs_parent(200)),
        row("POST", "/v1/children/{id}/classes", "/v1/children/{child}/classes",
            Json(json!({"join_code": "{join_code}"})), childs_parent(200)),
        row("GET", "/v1/children/{id}/classes", "/v1/children/{child}/classes", Nothing,
            childs_parent(200)),
        // Play: tickets and the websocket only for a learner the caller may play as.
        row("POST", "/v1/realtime/tickets", "/v1/realtime/tickets",
            Json(json!({"learner_id": "{child}"})), child_may(acts_for_child(201), 201)),
        row("GET", "/v1/play", "/v1/play?learner_id={child}", Upgrade,
            [101, 403, 403, 403, 403, 403, 403, 101, 401]),
        row("POST", "/v1/learners/{id}/sessions", "/v1/learners/{child}/sessions",
            Json(json!({"activity_id": "{activity}"})), acts_for_child(201)),
        row("GET", "/v1/sessions/{id}", "/v1/sessions/{session}", Nothing, acts_for_child(200)),
        row("POST", "/v1/sessions/{id}/answers", "/v1/sessions/{fresh_session}/answers",
            Json(json!({"seq": 1, "question_id": "q1", "answer": "2"})), acts_for_child(200)),
        row("POST", "/v1/sessions/{id}/finish", "/v1/sessions/{fresh_session}/finish", Nothing,
            acts_for_child(200)),
        // Offline play: the pack a device takes away, and its sync (the child's device too).
        row("GET", "/v1/learners/{id}/offline-pack", "/v1/learners/{child}/offline-pack", Nothing,
            child_may(acts_for_child(200), 200)),
        row("POST", "/v1/learners/{id}/sync", "/v1/learners/{child}/sync",
            Json(json!({"device_id": "authz"})), child_may(acts_for_child(200), 200)),
        // Progress and reports: readers of the learner (its parent, its class's teacher).
        row("GET", "/v1/learners/{id}/progress", "/v1/learners/{child}/progress", Nothing, child_may(reads_child(200), 200)),
        row("GET", "/v1/learners/{id}/next", "/v1/learners/{child}/next", Nothing, child_may(reads_child(200), 200)),
        row("GET", "/v1/learners/{id}/progress/daily", "/v1/learners/{child}/progress/daily", Nothing,
            child_may(reads_child(200), 200)),
        row("GET", "/v1/learners/{id}/progress/weekly", "/v1/learners/{child}/progress/weekly", Nothing,
            child_may(reads_child(200), 200)),
        row("GET", "/v1/learners/{id}/report.pdf", "/v1/learners/{child}/report.pdf", Nothing, reads_child(200)),
        row("GET", "/v1/learners/{id}/report.csv", "/v1/learners/{child}/report.csv", Nothing, reads_child(200)),
        row("POST", "/v1/learners/{id}/pages", "/v1/learners/{child}/pages",
            Json(json!({"page_id": "p1", "title": "Page", "seconds": 5})), acts_for_child(200)),
        row("GET", "/v1/learners/{id}/achievements", "/v1/learners/{child}/achievements", Nothing,
            child_may(acts_for_child(200), 200)),
        row("GET", "/v1/parent/dashboard", "/v1/parent/dashboard", Nothing, parents(200)),
        // Drawings: the family writes, readers of the learner read.
        row("POST", "/v1/learners/{id}/drawings", "/v1/learners/{child}/drawings", Drawing, acts_for_child(201)),
        row("GET", "/v1/learners/{id}/drawings", "/v1/learners/{child}/drawings", Nothing, reads_child(200)),
        row("GET", "/v1/drawings/{id}/image", "/v1/drawings/{drawing}/image", Nothing, reads_child(200)),
        row("DELETE", "/v1/drawings/{id}", "/v1/drawings/{fresh_drawing}", Nothing, acts_for_child(204)),
        // Assessments: written by a teacher of the learner's class, read by the family and admins.
        row("POST", "/v1/learners/{id}/assessments", "/v1/learners/{child}/assessments",
            Json(assessment_body()), [403, 403, 201, 404, 403, 403, 404, 403, 401]),
        row("GET", "/v1/learners/{id}/assessments", "/v1/learners/{child}/assessments", Nothing,
            [200, 404, 200, 404, 404, 404, 200, 403, 401]),
        row("GET", "/v1/me/settings", "/v1/me/settings", Nothing,
            [403, 403, 403, 403, 200, 200, 403, 403, 401]),
        row("PUT", "/v1/me/settings", "/v1/me/settings", Json(json!({"volume": 0.7})),
            [403, 403, 403, 403, 200, 200, 403, 403, 401]),
        row("POST", "/v1/quizzes/submit", "/v1/quizzes/submit", Json(json!({"quizId": "q-1",
            "quizTitle": "Intervals", "score": 3, "totalQuestions": 4, "percentage": 75,
            "timeSpent": 120, "answers": ["a", "b", "c", "d"]})),
            [403, 403, 403, 403, 201, 201, 403, 403, 401]),
        row("POST", "/v1/me/import/study-hub", "/v1/me/import/study-hub",
            Json(json!({"quizResults": [], "pageProgress": []})),
            [403, 403, 403, 403, 200, 200, 403, 403, 401]),
        row("GET", "/v1/me/assessments", "/v1/me/assessments", Nothing,
            [403, 403, 403, 403, 200, 200, 403, 403, 401]),
        row("PUT", "/v1/assessments/{id}", "/v1/assessments/{assessment}", Json(assessment_body()),
            [403, 403, 200, 404, 403, 403, 200, 403, 401]),
        row("DELETE", "/v1/assessments/{id}", "/v1/assessments/{fresh_assessment}", Nothing,
            [403, 403, 204, 404, 403, 403, 204, 403, 401]),
        // Notifications and the parent feed: parents, their own.
        row("GET", "/v1/notifications", "/v1/notifications", Nothing, parents(200)),
        row("POST", "/v1/notifications/{id}/read", "/v1/notifications/{notification}/read", Nothing,
            childs_parent(204)),
        row("POST", "/v1/notifications/read-all", "/v1/notifications/read-all", Nothing, parents(200)),
        row("GET", "/v1/parent/live", "/v1/parent/live", Upgrade, parents(101)),
        // Classes: teachers (and admins) for their own; students and parents join.
        row("POST", "/v1/classes", "/v1/classes", Json(json!({"name": "Another class"})), teachers(201)),
        row("GET", "/v1/classes", "/v1/classes", Nothing, teachers(200)),
        row("GET", "/v1/classes/{id}", "/v1/classes/{class}", Nothing, class_of_t(200)),
        row("GET", "/v1/classes/{id}/progress", "/v1/classes/{class}/progress", Nothing, class_of_t(200)),
        row("DELETE", "/v1/classes/{id}/members/{learner_id}", "/v1/classes/{class}/members/{fresh_member}",
            Nothing, class_of_t(204)),
        row("POST", "/v1/classes/join", "/v1/classes/join", Json(json!({"join_code": "{join_code}"})),
            [403, 403, 403, 403, 200, 200, 403, 403, 401]),
        row("GET", "/v1/classes/{id}/live", "/v1/classes/{class}/live", Upgrade,
            [403, 403, 101, 404, 403, 403, 403, 403, 401]),
        // Pupils without an email: their class's teacher makes and looks after them; anyone
        // may sign one in with the class code and pictures, or a card.
        row("POST", "/v1/classes/{id}/students", "/v1/classes/{class}/students",
            Json(json!({"name": "{fresh_name}"})), class_of_t(201)),
        row("POST", "/v1/classes/{id}/students/import", "/v1/classes/{class}/students/import",
            Csv("name\nCsv Pupil\n"), class_of_t(201)),
        row("GET", "/v1/classes/{id}/students", "/v1/classes/{class}/students", Nothing, class_of_t(200)),
        row("GET", "/v1/classes/{id}/sign-in-cards.pdf", "/v1/classes/{class}/sign-in-cards.pdf", Nothing,
            class_of_t(200)),
        row("GET", "/v1/auth/class-login/{join_code}", "/v1/auth/class-login/{join_code}", Nothing, public(200)),
        row("POST", "/v1/auth/class-login", "/v1/auth/class-login",
            Json(json!({"join_code": "{join_code}", "learner_id": "{pupil}",
                "picture": ["{pupil_picture_a}", "{pupil_picture_b}"]})), public(200)),
        row("POST", "/v1/auth/card-login", "/v1/auth/card-login", Json(json!({"token": "{card_token}"})),
            public(200)),
        // After the sign-ins above: a renewed card and pictures end the old ones.
        row("POST", "/v1/classes/{id}/students/{learner_id}/renew", "/v1/classes/{class}/students/{pupil}/renew",
            Nothing, class_of_t(200)),
        row("DELETE", "/v1/classes/{id}/students/{learner_id}", "/v1/classes/{class}/students/{fresh_pupil}",
            Nothing, class_of_t(204)),
        // Class games: the class's teacher only; everyone else is told there is no such class.
        row("POST", "/v1/classes/{id}/games", "/v1/classes/{class}/games",
            Json(json!({"activity_id": "{activity}"})), [404, 404, 201, 404, 404, 404, 404, 403, 401]),
        row("GET", "/v1/games/{id}/host", "/v1/games/{fresh_game}/host", Upgrade,
            [404, 404, 101, 404, 404, 404, 404, 403, 401]),
        row("GET", "/v1/games/{id}", "/v1/games/{fresh_game}", Nothing,
            [404, 404, 200, 404, 404, 404, 404, 403, 401]),
        row("GET", "/v1/games/{id}/report", "/v1/games/{fresh_game}/report", Nothing,
            [404, 404, 200, 404, 404, 404, 404, 403, 401]),
        // Extra time: T's class, like the roster.
        row("PUT", "/v1/classes/{id}/members/{learner_id}", "/v1/classes/{class}/members/{fresh_member}",
            Json(json!({"extra_time_percent": 50})), class_of_t(200)),
        // Backups: one's own (an admin's is a system backup); another's is 404.
        row("GET", "/v1/backups/{id}", "/v1/backups/{backup}", Nothing, [200, 404, 404, 404, 404, 404, 404, 403, 401]),
        then(row("POST", "/v1/backups", "/v1/backups", Nothing, signed_in(202)), After::SettleBackups),
        row("GET", "/v1/backups", "/v1/backups", Nothing, signed_in(200)),
        row("GET", "/v1/audit", "/v1/audit", Nothing, [403, 403, 403, 403, 403, 403, 200, 403, 401]),
        row("GET", "/v1/admin/dead-letters", "/v1/admin/dead-letters", Nothing,
            [403, 403, 403, 403, 403, 403, 200, 403, 401]),
        // A child's device: the parent sets a PIN and hands a device over; only that device
        // unlocks back to the parent.
        row("PUT", "/v1/me/pin", "/v1/me/pin", Json(json!({"pin": "2468", "password": "{password}"})),
            parents(204)),
        row("POST", "/v1/children/{id}/device-session", "/v1/children/{child}/device-session", Nothing,
            childs_parent(201)),
        row("POST", "/v1/auth/parent-unlock", "/v1/auth/parent-unlock", Json(json!({"password": "{password}"})),
            [403, 403, 403, 403, 403, 403, 403, 200, 401]),
        // Asking for more time: the child's family asks (the device finds A's request still
        // pending: it got past the checks to the rules), the student S's learner has no parent.
        row("POST", "/v1/learners/{id}/time-requests", "/v1/learners/{child}/time-requests",
            Json(json!({"seconds": 600})), [201, 404, 404, 404, 404, 404, 404, 409, 401]),
        row("GET", "/v1/learners/{id}/time-requests/{request_id}", "/v1/learners/{child}/time-requests/{time_request}",
            Nothing, [200, 404, 404, 404, 404, 404, 404, 200, 401]),
        // An orphan answer: its session is still missing, so a retry is refused again (409).
        row("POST", "/v1/admin/dead-letters/{id}/retry",
            "/v1/admin/dead-letters/{fresh_dead_letter}/retry", Nothing, admins(409)),
        row("DELETE", "/v1/admin/dead-letters/{id}", "/v1/admin/dead-letters/{fresh_dead_letter}",
            Nothing, admins(204)),
        row("GET", "/v1/admin/users", "/v1/admin/users?q=example&page=1", Nothing, admins(200)),
        // Each call deactivates (or reactivates) an account of its own, never one of the world's.
        row("POST", "/v1/admin/users/{id}/deactivate", "/v1/admin/users/{fresh_account}/deactivate",
            Nothing, admins(200)),
        row("POST", "/v1/admin/users/{id}/reactivate", "/v1/admin/users/{fresh_account}/reactivate",
            Nothing, admins(200)),
        // Asking for more time: only the child's parent answers.
        row("POST", "/v1/time-requests/{id}", "/v1/time-requests/{fresh_time_request}",
            Json(json!({"approve": true})), childs_parent(200)),
        row("GET", "/v1/time-requests", "/v1/time-requests", Nothing, parents(200)),
        // Web Push: anyone signed in subscribes their own browser (a child's device does not).
        // The endpoint is a public address that the sender would try: these rows come late,
        // after the rows that notify A.
        row("GET", "/v1/push/key", "/v1/push/key", Nothing, signed_in(200)),
        row("POST", "/v1/push/subscriptions", "/v1/push/subscriptions", Json(push_subscription()),
            signed_in(201)),
        row("DELETE", "/v1/push/subscriptions/{id}", "/v1/push/subscriptions/{fresh_push_subscription}",
            Nothing, [204, 404, 404, 404, 404, 404, 404, 403, 401]),
        // These end the callers' tokens, then their accounts: last.
        then(
            row("POST", "/v1/auth/password", "/v1/auth/password",
                Json(json!({"current_password": "{password}", "new_password": "{password}"})), signed_in(204)),
            After::SignInAgain,
        ),
        then(row("POST", "/v1/auth/logout", "/v1/auth/logout", Nothing, signed_in(204)), After::SignInAgain),
        row("DELETE", "/v1/me", "/v1/me", Json(json!({"password": "{password}"})), signed_in(204)),
    ]
}
