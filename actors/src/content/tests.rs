//! Answers read and graded, authored content validated, media checked field by field.

mod grading {
    use super::super::*;

    #[test]
    fn answers_read_by_their_json_type_and_write_back_the_same() {
        for (json, answer) in [
            ("true", Answer::Bool(true)),
            ("7", Answer::Number(7.0)),
            ("-2", Answer::Number(-2.0)),
            ("2.5", Answer::Number(2.5)),
            ("\"C\"", Answer::Text("C".into())),
            ("\"\"", Answer::Text(String::new())),
            (
                "[\"C\",\"E\"]",
                Answer::Choices(vec!["C".into(), "E".into()]),
            ),
        ] {
            let read: Answer = serde_json::from_str(json).unwrap();
            assert_eq!(read, answer, "{json}");
            assert_eq!(serde_json::to_string(&read).unwrap(), json);
        }
        for json in ["null", "{\"a\":1}"] {
            let err = serde_json::from_str::<Answer>(json).unwrap_err();
            assert!(
                err.to_string()
                    .contains("a string, a number, a boolean or a list of strings"),
                "{json}: {err}"
            );
        }
        assert!(serde_json::from_str::<Answer>("[1]").is_err());
        let eleven = serde_json::to_string(&vec!["o"; 11]).unwrap();
        assert!(serde_json::from_str::<Answer>(&eleven).is_err());
    }

    fn q(answer_type: AnswerType, key: Answer, options: Option<Vec<&str>>) -> Question {
        Question {
            id: "q1".into(),
            prompt: "?".into(),
            answer_type,
            options: options.map(|o| o.into_iter().map(String::from).collect()),
            correct_answer: key,
            explanation: String::new(),
            tolerance: None,
            media: Box::default(),
        }
    }

    #[test]
    fn grades_each_answer_type() {
        let mc = q(
            AnswerType::MultipleChoice,
            Answer::Text("5".into()),
            Some(vec!["4", "5"]),
        );
        assert!(mc.grade(&Answer::Text(" 5".into())));
        assert!(!mc.grade(&Answer::Text("4".into())));
        let tf = q(AnswerType::TrueFalse, Answer::Bool(true), None);
        assert!(tf.grade(&Answer::Bool(true)));
        assert!(!tf.grade(&Answer::Bool(false)));
        assert!(!tf.grade(&Answer::Number(1.0)));
        let num = q(AnswerType::Number, Answer::Number(0.3), None);
        assert!(num.grade(&Answer::Number(0.1 + 0.2)));
        assert!(num.grade(&Answer::Text("0.3".into())));
        assert!(!num.grade(&Answer::Number(0.31)));
        let text = q(AnswerType::Text, Answer::Text("Chlorophyll".into()), None);
        assert!(text.grade(&Answer::Text("  chlorophyll ".into())));
        assert!(!text.grade(&Answer::Text("chloroplast".into())));
    }

    #[test]
    fn validation_catches_bad_keys_and_duplicates() {
        let mut bad = q(
            AnswerType::MultipleChoice,
            Answer::Text("7".into()),
            Some(vec!["4", "5"]),
        );
        let content = ActivityContent {
            questions: vec![bad.clone(), bad.clone()],
            ..Default::default()
        };
        let fields: Vec<_> = content.validate().into_iter().map(|e| e.field).collect();
        assert!(fields.contains(&"questions[0].correct_answer".to_string()));
        assert!(fields.contains(&"questions[1].id".to_string()));
        bad.answer_type = AnswerType::Number;
        let content = ActivityContent {
            questions: vec![bad],
            ..Default::default()
        };
        assert!(!content.validate().is_empty());
        assert!(!ActivityContent::default().validate().is_empty());
    }
}

mod media {
    use super::super::*;

    fn question(json: serde_json::Value) -> Question {
        let mut base = serde_json::json!({"id": "q1", "prompt": "?", "answer_type": "number", "correct_answer": 1});
        base.as_object_mut()
            .unwrap()
            .extend(json.as_object().unwrap().clone());
        serde_json::from_value(base).unwrap()
    }

    fn problems(q: Question) -> Vec<(String, String)> {
        let content = ActivityContent {
            questions: vec![q],
            ..Default::default()
        };
        content
            .validate()
            .into_iter()
            .map(|e| (e.field, e.reason))
            .collect()
    }

    #[test]
    fn multi_select_is_right_when_the_chosen_set_is_the_key() {
        let q = question(serde_json::json!({"answer_type": "multi_select",
            "options": ["C", "E", "G", "B"], "correct_answer": ["C", "E", "G"]}));
        assert!(problems(q.clone()).is_empty());
        let given = |c: &[&str]| Answer::Choices(c.iter().map(|s| s.to_string()).collect());
        assert!(q.grade(&given(&["G", " C", "E"])));
        assert!(!q.grade(&given(&["C", "E"])));
        assert!(!q.grade(&given(&["C", "E", "G", "B"])));
        assert!(!q.grade(&Answer::Text("C".into())));
        let bad = question(serde_json::json!({"answer_type": "multi_select",
            "options": ["C", "E"], "correct_answer": ["C", "D"]}));
        assert_eq!(problems(bad)[0].0, "questions[0].correct_answer");
    }

    #[test]
    fn each_media_field_is_checked_and_named() {
        let ok = question(serde_json::json!({
            "notation": "X:1\nM:4/4\nL:1/4\nK:G\nG A B c|", "notation_alt": "G, A, B, C in G major",
            "audio": {"notes": ["C4", "E4", "G4"], "play": "harmonic", "tempo_bpm": 80},
            "visual": {"kind": "count", "icon": "apple", "count": 7},
            "image_url": "/v1/content/abc.png", "image_alt": "a cat",
            "narration_url": "https://example.org/q1.mp3", "formula": "3/4 + 1/8 = ?"}));
        assert_eq!(problems(ok), []);
        for (media, field) in [
            (
                serde_json::json!({"notation": "C D E", "notation_alt": "x"}),
                "questions[0].notation",
            ),
            (
                serde_json::json!({"notation": "K:C\nC"}),
                "questions[0].notation_alt",
            ),
            (
                serde_json::json!({"audio": {"notes": ["H4"], "play": "melodic", "tempo_bpm": 80}}),
                "questions[0].audio.notes",
            ),
            (
                serde_json::json!({"audio": {"notes": ["C9"], "play": "melodic", "tempo_bpm": 80}}),
                "questions[0].audio.notes",
            ),
            (
                serde_json::json!({"audio": {"notes": ["C4", "r"], "play": "harmonic", "tempo_bpm": 80}}),
                "questions[0].audio.notes",
            ),
            (
                serde_json::json!({"audio": {"notes": ["C4"], "durations": [1, 2], "play": "melodic", "tempo_bpm": 80}}),
                "questions[0].audio.durations",
            ),
            (
                serde_json::json!({"audio": {"notes": ["C4"], "play": "melodic", "tempo_bpm": 300}}),
                "questions[0].audio.tempo_bpm",
            ),
            (
                serde_json::json!({"audio": {"url": "ftp://x"}}),
                "questions[0].audio.url",
            ),
            (
                serde_json::json!({"visual": {"kind": "count", "icon": "ufo", "count": 3}}),
                "questions[0].visual.icon",
            ),
            (
                serde_json::json!({"visual": {"kind": "count", "icon": "star", "count": 21}}),
                "questions[0].visual.count",
            ),
            (
                serde_json::json!({"image_url": "/v1/content/a.png"}),
                "questions[0].image_alt",
            ),
            (
                serde_json::json!({"narration_url": "javascript:alert(1)"}),
                "questions[0].narration_url",
            ),
        ] {
            let found = problems(question(media.clone()));
            assert!(found.iter().any(|(f, _)| f == field), "{media}: {found:?}");
        }
        assert_eq!(midi_of("C4"), Some(60));
        assert_eq!(midi_of("A0"), Some(21));
        assert_eq!(midi_of("C8"), Some(108));
        assert_eq!(midi_of("Bb2"), Some(46));
        assert_eq!(midi_of("G#9"), None);
        assert_eq!(midi_of("C#8"), None);
    }
}
