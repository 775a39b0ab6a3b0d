use super::*;

/// Every `diesel::table!` in schema.rs is in the backup, in an order where each table
/// follows the tables it joins to.
#[test]
fn every_schema_table_is_backed_up() {
    let schema = include_str!("../../../infra/db/schema.rs");
    let mut declared = Vec::new();
    let mut lines = schema.lines();
    while let Some(line) = lines.next() {
        if line.trim_start().starts_with("diesel::table!") {
            let name_line = lines.next().expect("a table name");
            let name = name_line
                .trim()
                .split([' ', '('])
                .next()
                .unwrap()
                .to_string();
            declared.push(name);
        }
    }
    assert!(declared.len() > 10, "parsed {declared:?}");
    let mut missing: Vec<&String> = declared
        .iter()
        .filter(|t| !TABLES.contains(&t.as_str()))
        .collect();
    missing.sort();
    assert!(
        missing.is_empty(),
        "tables in schema.rs that backups forget: {missing:?} (add them to src/backup/tables.rs)"
    );
    assert_eq!(declared.len(), TABLES.len(), "{TABLES:?} vs {declared:?}");
    for line in schema.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("diesel::joinable!(") {
            let (child, rest) = rest.split_once(" -> ").unwrap();
            let parent = rest.split_whitespace().next().unwrap();
            let pos = |t: &str| TABLES.iter().position(|x| *x == t).unwrap();
            assert!(
                pos(parent) < pos(child),
                "{parent} must come before {child}"
            );
        }
    }
}

#[test]
fn rows_round_trip_as_json() {
    let r = AnswerRow {
        session_id: "s".into(),
        seq: 3,
        question_id: "q".into(),
        response: vec![0, 1, 255],
        correct: true,
        first_attempt: false,
        answered_at: chrono::DateTime::from_timestamp(1_700_000_000, 123_456_789)
            .unwrap()
            .naive_utc(),
    };
    let json = serde_json::to_string(&r).unwrap();
    assert!(json.contains("\"response\":\"AAH/\""), "{json}");
    assert_eq!(serde_json::from_str::<AnswerRow>(&json).unwrap(), r);
}
