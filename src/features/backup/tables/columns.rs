//! The tables of a backup, parents first, with their columns and whose rows each scope takes.

use super::*;

backup_tables! {
    UserRow => users [id] {
        id: String,
        email: String,
        name: String,
        role: String,
        password_hash: String,
        token_version: i32,
        active: bool,
        last_login_at: Option<NaiveDateTime>,
        created_at: NaiveDateTime,
        updated_at: NaiveDateTime,
        // Backups taken before addresses were verified have no such column.
        #[serde(default)]
        email_verified_at: Option<NaiveDateTime>,
    }
    user = |uid| Some(Box::new(schema::users::id.eq(uid.to_string()).nullable()));
    system = none;
    // A backup a person takes away holds nothing to crack: no password hash (its refresh
    // tokens and tickets are left out altogether). A system backup keeps them.
    fix = |r, _| r.password_hash = String::new();

    RefreshTokenRow => refresh_tokens [id] {
        id: String,
        user_id: String,
        family_id: String,
        token_hash: String,
        spent_at: Option<NaiveDateTime>,
        revoked_at: Option<NaiveDateTime>,
        expires_at: NaiveDateTime,
        created_at: NaiveDateTime,
    }
    user = none;
    system = none;
    fix = keep;

    RealtimeTicketRow => realtime_tickets [ticket_hash] {
        ticket_hash: String,
        user_id: String,
        learner_id: Option<String>,
        expires_at: NaiveDateTime,
        used_at: Option<NaiveDateTime>,
    }
    user = none;
    system = none;
    fix = keep;

    LearnerRow => learners [id] {
        id: String,
        parent_id: Option<String>,
        user_id: Option<String>,
        name: String,
        age: Option<i32>,
        interests: String,
        avatar_url: Option<String>,
        timezone: String,
        created_at: NaiveDateTime,
        updated_at: NaiveDateTime,
    }
    user = |uid| Some(Box::new(
        lrn::parent_id.eq(uid.to_string()).or(lrn::user_id.eq(uid.to_string())),
    ));
    system = none;
    fix = keep;

    // A parent's PIN and a child's device sign-ins: never in a user backup (as a password
    // hash and refresh tokens are not); a system backup keeps them.
    ParentPinRow => parent_pins [user_id] {
        user_id: String,
        pin_hash: String,
        updated_at: NaiveDateTime,
    }
    user = none;
    system = none;
    fix = keep;

    DeviceSessionRow => device_sessions [family_id] {
        family_id: String,
        parent_id: String,
        learner_id: String,
        created_at: NaiveDateTime,
    }
    user = none;
    system = none;
    fix = keep;

    // Where a user's browsers are reached (Web Push): a browser's, not the person's, so never
    // in a user backup; a system backup keeps them so pushes go on after a restore.
    PushSubscriptionRow => push_subscriptions [id] {
        id: String,
        user_id: String,
        endpoint: String,
        p256dh: String,
        auth: String,
        created_at: NaiveDateTime,
    }
    user = none;
    system = none;
    fix = keep;

    LearnerSettingsRow => learner_settings [learner_id] {
        learner_id: String,
        daily_time_limit_seconds: Option<i32>,
        volume: f64,
        narration_enabled: bool,
        notifications_enabled: bool,
        updated_at: NaiveDateTime,
        /// Not in backups written before downtime existed.
        #[serde(default = "no_downtime")]
        downtime: String,
    }
    user = by_learner!(learner_settings);
    system = none;
    fix = keep;

    ActivityRow => activities [id] {
        id: String,
        title: String,
        description: String,
        category: String,
        sub_category: Option<String>,
        difficulty: i32,
        age_min: i32,
        age_max: i32,
        content: String,
        author_id: Option<String>,
        created_at: NaiveDateTime,
        updated_at: NaiveDateTime,
        archived_at: Option<NaiveDateTime>,
        /// Not in backups written before visibility existed: the narrow default (a re-seed
        /// makes the starter content public again).
        #[serde(default = "classes_visibility")]
        visibility: String,
    }
    user = |uid| Some(Box::new(
        act::author_id.eq(uid.to_string()).or(act::id.eq_any(
            ses::table.filter(ses::learner_id.eq_any(learners_of!(uid))).select(ses::activity_id),
        ).nullable()),
    ));
    system = none;
    fix = |r, uid| if r.author_id.as_deref() != Some(uid) { r.author_id = None };

    ActivitySessionRow => activity_sessions [id] {
        id: String,
        learner_id: String,
        activity_id: String,
        status: String,
        questions_total: i32,
        questions_answered: i32,
        questions_correct: i32,
        accuracy: Option<f64>,
        stars: Option<i32>,
        last_saved_seq: i32,
        started_at: NaiveDateTime,
        ended_at: Option<NaiveDateTime>,
        duration_seconds: Option<i32>,
        updated_at: NaiveDateTime,
        // Absent from backups made before offline play.
        #[serde(default)]
        offline: bool,
    }
    user = by_learner!(activity_sessions);
    system = none;
    fix = keep;

    AnswerRow => answers [session_id, seq] {
        session_id: String,
        seq: i32,
        question_id: String,
        #[serde(with = "b64")]
        response: Vec<u8>,
        correct: bool,
        first_attempt: bool,
        answered_at: NaiveDateTime,
    }
    user = |uid| Some(Box::new(schema::answers::session_id.eq_any(
        ses::table.filter(ses::learner_id.eq_any(learners_of!(uid))).select(ses::id),
    ).nullable()));
    system = none;
    fix = keep;

    AchievementRow => achievements [id] {
        id: String,
        title: String,
        description: String,
        category: Option<String>,
        criteria: String,
        reward_points: i32,
        badge_icon_url: Option<String>,
        created_at: NaiveDateTime,
    }
    user = |uid| Some(Box::new(ach::id.eq_any(
        lach::table.filter(lach::learner_id.eq_any(learners_of!(uid))).select(lach::achievement_id),
    ).nullable()));
    system = none;
    fix = keep;

    LearnerAchievementRow => learner_achievements [learner_id, achievement_id] {
        learner_id: String,
        achievement_id: String,
        unlocked_at: NaiveDateTime,
    }
    user = by_learner!(learner_achievements);
    system = none;
    fix = keep;

    DailyProgressRow => daily_progress [learner_id, date, category] {
        learner_id: String,
        date: NaiveDate,
        category: String,
        activities_completed: i32,
        questions_answered: i32,
        questions_correct: i32,
        study_seconds: i32,
        stars: i32,
        points: i32,
    }
    user = by_learner!(daily_progress);
    system = none;
    fix = keep;

    ScreenTimeLogRow => screen_time_logs [id] {
        id: String,
        learner_id: String,
        date: NaiveDate,
        started_at: NaiveDateTime,
        ended_at: Option<NaiveDateTime>,
        seconds: i32,
        updated_at: NaiveDateTime,
        // Absent from backups made before offline play.
        #[serde(default)]
        offline: bool,
    }
    user = by_learner!(screen_time_logs);
    system = none;
    fix = keep;

    OfflinePackRow => offline_packs [id] {
        id: String,
        learner_id: String,
        issued_at: NaiveDateTime,
        expires_at: NaiveDateTime,
    }
    user = by_learner!(offline_packs);
    system = none;
    fix = keep;

    OfflineSpanRow => offline_spans [id] {
        id: String,
        learner_id: String,
        device_id: String,
        started_at: NaiveDateTime,
        ended_at: NaiveDateTime,
        date: NaiveDate,
        created_at: NaiveDateTime,
    }
    user = by_learner!(offline_spans);
    system = none;
    fix = keep;

    ScreenTimeGrantRow => screen_time_grants [id] {
        id: String,
        learner_id: String,
        date: NaiveDate,
        seconds: i32,
        granted_by: Option<String>,
        created_at: NaiveDateTime,
    }
    user = by_learner!(screen_time_grants);
    system = none;
    fix = |r, uid| if r.granted_by.as_deref() != Some(uid) { r.granted_by = None };

    NotificationRow => notifications [id] {
        id: String,
        parent_id: String,
        learner_id: String,
        kind: String,
        title: String,
        body: String,
        data: String,
        read_at: Option<NaiveDateTime>,
        created_at: NaiveDateTime,
    }
    user = |uid| Some(Box::new(schema::notifications::parent_id.eq(uid.to_string()).nullable()));
    system = none;
    fix = keep;

    TimeRequestRow => time_requests [id] {
        id: String,
        learner_id: String,
        parent_id: String,
        seconds: i32,
        reason: Option<String>,
        status: String,
        created_at: NaiveDateTime,
        answered_at: Option<NaiveDateTime>,
        granted_seconds: Option<i32>,
    }
    user = |uid| Some(Box::new(schema::time_requests::parent_id.eq(uid.to_string()).nullable()));
    system = none;
    fix = keep;

    ClassRow => classes [id] {
        id: String,
        teacher_id: String,
        name: String,
        subject: Option<String>,
        join_code: String,
        created_at: NaiveDateTime,
        updated_at: NaiveDateTime,
    }
    user = |uid| Some(Box::new(cls::teacher_id.eq(uid.to_string()).nullable()));
    system = none;
    fix = keep;

    ClassMemberRow => class_members [class_id, learner_id] {
        class_id: String,
        learner_id: String,
        joined_at: NaiveDateTime,
        // Backups made before extra time existed restore with none.
        #[serde(default)]
        extra_time_percent: i32,
    }
    user = |uid| Some(Box::new(
        schema::class_members::learner_id.eq_any(learners_of!(uid)).and(
            schema::class_members::class_id.eq_any(
                cls::table.filter(cls::teacher_id.eq(uid.to_string())).select(cls::id),
            ),
        ).nullable(),
    ));
    system = none;
    fix = keep;

    ClassGameRow => class_games [id] {
        id: String,
        class_id: String,
        teacher_id: String,
        activity_id: String,
        pin: String,
        seconds_per_question: i32,
        question_count: i32,
        state: String,
        question_index: Option<i32>,
        created_at: NaiveDateTime,
        ended_at: Option<NaiveDateTime>,
    }
    user = |uid| Some(Box::new(schema::class_games::teacher_id.eq(uid.to_string()).nullable()));
    system = none;
    fix = keep;

    // A game's players and results go with a teacher's backup for the teacher's own learners
    // only (see `by_learner_in_own_games`).
    ClassGamePlayerRow => class_game_players [game_id, learner_id] {
        game_id: String,
        learner_id: String,
        name: String,
        session_id: String,
        joined_at: NaiveDateTime,
    }
    user = by_learner_in_own_games!(class_game_players);
    system = none;
    fix = keep;

    ClassGameAnswerRow => class_game_answers [game_id, learner_id, question_index] {
        game_id: String,
        learner_id: String,
        question_index: i32,
        correct: bool,
        points: i32,
        millis: i64,
    }
    user = by_learner_in_own_games!(class_game_answers);
    system = none;
    fix = keep;

    // A game's journal is how nodes run it, not a record of anyone: in system backups only
    // (a game restored mid-question goes on from it).
    ClassGameStepRow => class_game_steps [game_id, n] {
        game_id: String,
        n: i64,
        at: NaiveDateTime,
        step: String,
    }
    user = none;
    system = none;
    fix = keep;

    // Pupils' sign-in (pictures, a hash of the card): sign-in secrets, so in system backups
    // only, as the refresh tokens are.
    PupilRow => pupils [learner_id] {
        learner_id: String,
        class_id: String,
        picture_a: String,
        picture_b: String,
        card_nonce: String,
        card_hash: String,
        created_at: NaiveDateTime,
        updated_at: NaiveDateTime,
    }
    user = none;
    system = none;
    fix = keep;

    PageProgressRow => page_progress [learner_id, page_id] {
        learner_id: String,
        page_id: String,
        title: String,
        seconds: i32,
        completed: bool,
        created_at: NaiveDateTime,
        updated_at: NaiveDateTime,
    }
    user = by_learner!(page_progress);
    system = none;
    fix = keep;

    QuizResultRow => quiz_results [id] {
        id: String,
        learner_id: String,
        quiz_id: String,
        quiz_title: String,
        score: i32,
        total_questions: i32,
        percentage: f64,
        time_spent_seconds: i32,
        answers: String,
        client_graded: bool,
        completed_at: NaiveDateTime,
        created_at: NaiveDateTime,
    }
    user = by_learner!(quiz_results);
    system = none;
    fix = keep;

    StudyHubImportRow => study_hub_imports [learner_id, item_key] {
        learner_id: String,
        item_key: String,
        imported_at: NaiveDateTime,
    }
    user = by_learner!(study_hub_imports);
    system = none;
    fix = keep;

    AssessmentRow => assessments [id] {
        id: String,
        learner_id: String,
        teacher_id: Option<String>,
        class_id: Option<String>,
        assessment_type: String,
        component: String,
        grade: String,
        percentage: Option<f64>,
        feedback: Option<String>,
        created_at: NaiveDateTime,
        updated_at: NaiveDateTime,
    }
    user = by_learner!(assessments);
    system = none;
    fix = |r, uid| if r.teacher_id.as_deref() != Some(uid) { r.teacher_id = None; r.class_id = None };

    DrawingRow => drawings [id] {
        id: String,
        learner_id: String,
        title: String,
        category: String,
        object_key: String,
        content_type: String,
        size_bytes: i64,
        created_at: NaiveDateTime,
    }
    user = by_learner!(drawings);
    system = none;
    fix = keep;

    BackupLogRow => backup_logs [id] {
        id: String,
        user_id: Option<String>,
        scope: String,
        status: String,
        object_key: Option<String>,
        size_bytes: Option<i64>,
        error: Option<String>,
        created_at: NaiveDateTime,
        completed_at: Option<NaiveDateTime>,
        expires_at: NaiveDateTime,
        sha256: Option<String>,
    }
    user = none;
    system = |backup_id| Some(Box::new(schema::backup_logs::id.ne(backup_id.to_string()).nullable()));
    fix = keep;

    // Tokens sent by email and emails not sent yet: a system backup keeps them (a restore
    // then sends what was waiting), a user backup never.
    EmailTokenRow => email_tokens [token_hash] {
        token_hash: String,
        user_id: String,
        purpose: String,
        expires_at: NaiveDateTime,
        used_at: Option<NaiveDateTime>,
        created_at: NaiveDateTime,
    }
    user = none;
    system = none;
    fix = keep;

    MailOutboxRow => mail_outbox [id] {
        id: String,
        kind: String,
        sender: String,
        recipient: String,
        subject: String,
        message: String,
        attempts: i32,
        next_attempt_at: NaiveDateTime,
        last_error: Option<String>,
        dead_at: Option<NaiveDateTime>,
        created_at: NaiveDateTime,
    }
    user = none;
    system = none;
    fix = keep;

    UserPreferencesRow => user_preferences [user_id] {
        user_id: String,
        email_digest: bool,
        updated_at: NaiveDateTime,
    }
    user = |uid| Some(Box::new(schema::user_preferences::user_id.eq(uid.to_string()).nullable()));
    system = none;
    fix = keep;

    DigestRunRow => digest_runs [user_id, week] {
        user_id: String,
        week: String,
        sent_at: NaiveDateTime,
    }
    user = none;
    system = none;
    fix = keep;

    DeadLetterRow => dead_letters [id] {
        id: String,
        kind: String,
        learner_id: Option<String>,
        session_id: Option<String>,
        seq: Option<i32>,
        payload: String,
        error: String,
        created_at: NaiveDateTime,
    }
    user = none;
    system = none;
    fix = keep;

    AuditLogRow => audit_logs [id] {
        id: String,
        user_id: Option<String>,
        action: String,
        entity_type: String,
        entity_id: String,
        old_values: Option<String>,
        new_values: Option<String>,
        ip_address: Option<String>,
        user_agent: Option<String>,
        created_at: NaiveDateTime,
    }
    user = |uid| Some(Box::new(schema::audit_logs::user_id.eq(uid.to_string())));
    system = none;
    fix = keep;
}
