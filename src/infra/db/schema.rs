// The one schema for both backends. Only SQL types that PostgreSQL and SQLite share
// (and that `#[derive(MultiConnection)]` supports) appear here.

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        name -> Text,
        role -> Text,
        password_hash -> Text,
        token_version -> Integer,
        active -> Bool,
        last_login_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        email_verified_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        user_id -> Text,
        family_id -> Text,
        token_hash -> Text,
        spent_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        expires_at -> Timestamp,
        created_at -> Timestamp,
    }
}

diesel::table! {
    realtime_tickets (ticket_hash) {
        ticket_hash -> Text,
        user_id -> Text,
        learner_id -> Nullable<Text>,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    learners (id) {
        id -> Text,
        parent_id -> Nullable<Text>,
        user_id -> Nullable<Text>,
        name -> Text,
        age -> Nullable<Integer>,
        interests -> Text,
        avatar_url -> Nullable<Text>,
        timezone -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    learner_settings (learner_id) {
        learner_id -> Text,
        daily_time_limit_seconds -> Nullable<Integer>,
        volume -> Double,
        narration_enabled -> Bool,
        notifications_enabled -> Bool,
        updated_at -> Timestamp,
        downtime -> Text,
    }
}

diesel::table! {
    activities (id) {
        id -> Text,
        title -> Text,
        description -> Text,
        category -> Text,
        sub_category -> Nullable<Text>,
        difficulty -> Integer,
        age_min -> Integer,
        age_max -> Integer,
        content -> Text,
        author_id -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        archived_at -> Nullable<Timestamp>,
        // private | classes | public (who may see it; studyhub_actors::visibility)
        visibility -> Text,
    }
}

diesel::table! {
    activity_sessions (id) {
        id -> Text,
        learner_id -> Text,
        activity_id -> Text,
        status -> Text,
        questions_total -> Integer,
        questions_answered -> Integer,
        questions_correct -> Integer,
        accuracy -> Nullable<Double>,
        stars -> Nullable<Integer>,
        last_saved_seq -> Integer,
        started_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
        duration_seconds -> Nullable<Integer>,
        updated_at -> Timestamp,
        offline -> Bool,
    }
}

diesel::table! {
    answers (session_id, seq) {
        session_id -> Text,
        seq -> Integer,
        question_id -> Text,
        response -> Binary,
        correct -> Bool,
        first_attempt -> Bool,
        answered_at -> Timestamp,
    }
}

diesel::table! {
    achievements (id) {
        id -> Text,
        title -> Text,
        description -> Text,
        category -> Nullable<Text>,
        criteria -> Text,
        reward_points -> Integer,
        badge_icon_url -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    learner_achievements (learner_id, achievement_id) {
        learner_id -> Text,
        achievement_id -> Text,
        unlocked_at -> Timestamp,
    }
}

diesel::table! {
    daily_progress (learner_id, date, category) {
        learner_id -> Text,
        date -> Date,
        category -> Text,
        activities_completed -> Integer,
        questions_answered -> Integer,
        questions_correct -> Integer,
        study_seconds -> Integer,
        stars -> Integer,
        points -> Integer,
    }
}

diesel::table! {
    screen_time_logs (id) {
        id -> Text,
        learner_id -> Text,
        date -> Date,
        started_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
        seconds -> Integer,
        updated_at -> Timestamp,
        offline -> Bool,
    }
}

diesel::table! {
    screen_time_grants (id) {
        id -> Text,
        learner_id -> Text,
        date -> Date,
        seconds -> Integer,
        granted_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    notifications (id) {
        id -> Text,
        parent_id -> Text,
        learner_id -> Text,
        kind -> Text,
        title -> Text,
        body -> Text,
        data -> Text,
        read_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    time_requests (id) {
        id -> Text,
        learner_id -> Text,
        parent_id -> Text,
        seconds -> Integer,
        reason -> Nullable<Text>,
        status -> Text,
        created_at -> Timestamp,
        answered_at -> Nullable<Timestamp>,
        granted_seconds -> Nullable<Integer>,
    }
}

diesel::table! {
    classes (id) {
        id -> Text,
        teacher_id -> Text,
        name -> Text,
        subject -> Nullable<Text>,
        join_code -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    class_members (class_id, learner_id) {
        class_id -> Text,
        learner_id -> Text,
        joined_at -> Timestamp,
        extra_time_percent -> Integer,
    }
}

diesel::table! {
    class_games (id) {
        id -> Text,
        class_id -> Text,
        teacher_id -> Text,
        activity_id -> Text,
        pin -> Text,
        seconds_per_question -> Integer,
        question_count -> Integer,
        state -> Text,
        question_index -> Nullable<Integer>,
        created_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    class_game_players (game_id, learner_id) {
        game_id -> Text,
        learner_id -> Text,
        name -> Text,
        session_id -> Text,
        joined_at -> Timestamp,
    }
}

diesel::table! {
    class_game_steps (game_id, n) {
        game_id -> Text,
        n -> BigInt,
        at -> Timestamp,
        step -> Text,
    }
}

diesel::table! {
    class_game_answers (game_id, learner_id, question_index) {
        game_id -> Text,
        learner_id -> Text,
        question_index -> Integer,
        correct -> Bool,
        points -> Integer,
        millis -> BigInt,
    }
}

diesel::table! {
    page_progress (learner_id, page_id) {
        learner_id -> Text,
        page_id -> Text,
        title -> Text,
        seconds -> Integer,
        completed -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    assessments (id) {
        id -> Text,
        learner_id -> Text,
        teacher_id -> Nullable<Text>,
        class_id -> Nullable<Text>,
        assessment_type -> Text,
        component -> Text,
        grade -> Text,
        percentage -> Nullable<Double>,
        feedback -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    drawings (id) {
        id -> Text,
        learner_id -> Text,
        title -> Text,
        category -> Text,
        object_key -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    dead_letters (id) {
        id -> Text,
        kind -> Text,
        learner_id -> Nullable<Text>,
        session_id -> Nullable<Text>,
        seq -> Nullable<Integer>,
        payload -> Text,
        error -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    backup_logs (id) {
        id -> Text,
        user_id -> Nullable<Text>,
        scope -> Text,
        status -> Text,
        object_key -> Nullable<Text>,
        size_bytes -> Nullable<BigInt>,
        error -> Nullable<Text>,
        created_at -> Timestamp,
        completed_at -> Nullable<Timestamp>,
        expires_at -> Timestamp,
        sha256 -> Nullable<Text>,
    }
}

diesel::table! {
    audit_logs (id) {
        id -> Text,
        user_id -> Nullable<Text>,
        action -> Text,
        entity_type -> Text,
        entity_id -> Text,
        old_values -> Nullable<Text>,
        new_values -> Nullable<Text>,
        ip_address -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(realtime_tickets -> users (user_id));
diesel::joinable!(learner_settings -> learners (learner_id));
diesel::joinable!(activity_sessions -> learners (learner_id));
diesel::joinable!(activity_sessions -> activities (activity_id));
diesel::joinable!(answers -> activity_sessions (session_id));
diesel::joinable!(learner_achievements -> learners (learner_id));
diesel::joinable!(learner_achievements -> achievements (achievement_id));
diesel::joinable!(daily_progress -> learners (learner_id));
diesel::joinable!(screen_time_logs -> learners (learner_id));
diesel::joinable!(notifications -> learners (learner_id));
diesel::joinable!(time_requests -> learners (learner_id));
diesel::joinable!(classes -> users (teacher_id));
diesel::joinable!(class_members -> classes (class_id));
diesel::joinable!(class_members -> learners (learner_id));
diesel::joinable!(class_games -> classes (class_id));
diesel::joinable!(class_game_players -> class_games (game_id));
diesel::joinable!(class_game_steps -> class_games (game_id));
diesel::joinable!(class_game_players -> learners (learner_id));
diesel::joinable!(page_progress -> learners (learner_id));
diesel::joinable!(drawings -> learners (learner_id));

diesel::table! {
    quiz_results (id) {
        id -> Text,
        learner_id -> Text,
        quiz_id -> Text,
        quiz_title -> Text,
        score -> Integer,
        total_questions -> Integer,
        percentage -> Double,
        time_spent_seconds -> Integer,
        answers -> Text,
        client_graded -> Bool,
        completed_at -> Timestamp,
        created_at -> Timestamp,
    }
}

diesel::table! {
    study_hub_imports (learner_id, item_key) {
        learner_id -> Text,
        item_key -> Text,
        imported_at -> Timestamp,
    }
}

// Pupils without an email: their class, their two pictures, a hash of their card's token.
diesel::table! {
    pupils (learner_id) {
        learner_id -> Text,
        class_id -> Text,
        picture_a -> Text,
        picture_b -> Text,
        card_nonce -> Text,
        card_hash -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(pupils -> learners (learner_id));
diesel::joinable!(pupils -> classes (class_id));
diesel::joinable!(quiz_results -> learners (learner_id));
diesel::joinable!(study_hub_imports -> learners (learner_id));

diesel::table! {
    parent_pins (user_id) {
        user_id -> Text,
        pin_hash -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    device_sessions (family_id) {
        family_id -> Text,
        parent_id -> Text,
        learner_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    push_subscriptions (id) {
        id -> Text,
        user_id -> Text,
        endpoint -> Text,
        p256dh -> Text,
        auth -> Text,
        created_at -> Timestamp,
    }
}

// Single-use tokens sent by email (only their hash) and the durable outbox of emails.
diesel::table! {
    email_tokens (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        purpose -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    mail_outbox (id) {
        id -> Text,
        kind -> Text,
        sender -> Text,
        recipient -> Text,
        subject -> Text,
        message -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
        dead_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

// A user's choices about email, and the weekly digests queued (one per parent and week).
diesel::table! {
    user_preferences (user_id) {
        user_id -> Text,
        email_digest -> Bool,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    digest_runs (user_id, week) {
        user_id -> Text,
        week -> Text,
        sent_at -> Timestamp,
    }
}

diesel::joinable!(email_tokens -> users (user_id));
diesel::joinable!(user_preferences -> users (user_id));
diesel::joinable!(digest_runs -> users (user_id));
diesel::table! {
    offline_packs (id) {
        id -> Text,
        learner_id -> Text,
        issued_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    offline_spans (id) {
        id -> Text,
        learner_id -> Text,
        device_id -> Text,
        started_at -> Timestamp,
        ended_at -> Timestamp,
        date -> Date,
        created_at -> Timestamp,
    }
}

diesel::joinable!(offline_packs -> learners (learner_id));
diesel::joinable!(offline_spans -> learners (learner_id));
diesel::joinable!(parent_pins -> users (user_id));
diesel::joinable!(push_subscriptions -> users (user_id));
diesel::joinable!(device_sessions -> learners (learner_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    parent_pins,
    device_sessions,
    push_subscriptions,
    refresh_tokens,
    realtime_tickets,
    learners,
    learner_settings,
    activities,
    activity_sessions,
    answers,
    achievements,
    learner_achievements,
    daily_progress,
    screen_time_logs,
    screen_time_grants,
    notifications,
    time_requests,
    classes,
    class_members,
    class_games,
    class_game_players,
    class_game_answers,
    class_game_steps,
    page_progress,
    quiz_results,
    study_hub_imports,
    pupils,
    assessments,
    drawings,
    backup_logs,
    dead_letters,
    audit_logs,
    offline_packs,
    offline_spans,
    email_tokens,
    mail_outbox,
    user_preferences,
    digest_runs,
);
