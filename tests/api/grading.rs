//! One grading definition for the server and the play page offline: every case of
//! `tests/grading/cases.json` graded by the server's `Question::grade` and by the page's
//! `assets/web/js/grade.js` (run by node) must give the case's `correct`.

use serde::Deserialize;
use studyhub_actors::content::{Answer, Question};

#[derive(Deserialize)]
struct Cases {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    question: Question,
    answer: Answer,
    correct: bool,
    why: String,
}

const CASES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/grading/cases.json");
const GRADER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/web/js/grade.js");

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(CASES).unwrap();
    serde_json::from_str::<Cases>(&text).unwrap().cases
}

#[test]
fn the_server_grades_every_case_as_the_table_says() {
    let cases = cases();
    assert!(cases.len() >= 30);
    for c in &cases {
        assert_eq!(c.question.grade(&c.answer), c.correct, "{}", c.why);
    }
}

#[test]
fn the_page_grades_every_case_as_the_server_does() {
    // Node runs the page's own module on the same table and prints what it decided.
    let script = format!(
        "import {{ grade }} from {grader:?};\n\
         import {{ readFileSync }} from 'node:fs';\n\
         const {{ cases }} = JSON.parse(readFileSync({cases:?}, 'utf8'));\n\
         console.log(JSON.stringify(cases.map((c) => grade(c.question, c.answer))));",
        grader = format!("file://{GRADER}"),
        cases = CASES,
    );
    let out = match std::process::Command::new("node")
        .args(["--input-type=module", "-e", &script])
        .output()
    {
        Ok(out) => out,
        Err(e) if std::env::var("CI").as_deref() != Ok("true") => {
            eprintln!("node is not installed ({e}): the page's grading is not checked here");
            return;
        }
        Err(e) => panic!("node is required under CI: {e}"),
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page: Vec<bool> = serde_json::from_slice(&out.stdout).unwrap();
    let cases = cases();
    assert_eq!(page.len(), cases.len());
    for (c, page) in cases.iter().zip(page) {
        assert_eq!(page, c.correct, "the page grades differently: {}", c.why);
        assert_eq!(page, c.question.grade(&c.answer), "{}", c.why);
    }
}
