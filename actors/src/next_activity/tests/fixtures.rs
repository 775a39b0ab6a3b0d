//! A catalog shaped like the starter content, learners and scripted histories.

use super::super::*;
use chrono::TimeZone;

pub(super) fn act(
    id: &str,
    category: &str,
    sub: &str,
    difficulty: i32,
    ages: (i32, i32),
) -> CatalogEntry {
    CatalogEntry {
        id: id.into(),
        category: category.into(),
        sub_category: Some(sub.into()),
        difficulty,
        age_min: ages.0,
        age_max: ages.1,
        archived: false,
    }
}

/// Shaped like the starter content.
pub(super) fn catalog() -> Vec<CatalogEntry> {
    vec![
        act("math-addition-1", "math", "addition", 1, (5, 8)),
        act("math-counting-1", "math", "counting", 1, (4, 7)),
        act("math-subtraction-1", "math", "subtraction", 2, (6, 9)),
        act("math-shapes-1", "math", "shapes", 2, (5, 9)),
        act(
            "math-multiplication-1",
            "math",
            "multiplication",
            3,
            (7, 10),
        ),
        act("math-fractions-1", "math", "fractions", 3, (8, 11)),
        act("science-animals-1", "science", "animals", 1, (5, 9)),
        act("science-plants-1", "science", "plants", 2, (6, 10)),
        act("science-space-1", "science", "space", 2, (6, 11)),
        act("science-materials-1", "science", "materials", 3, (7, 11)),
        act("science-human-body-1", "science", "human-body", 3, (8, 12)),
        act("music-note-reading-1", "music", "note-reading", 1, (9, 13)),
        act("music-note-values-1", "music", "note-values", 2, (13, 16)),
        act("music-intervals-1", "music", "intervals", 3, (13, 16)),
        act(
            "music-keys-scales-1",
            "music",
            "keys-and-scales",
            3,
            (13, 16),
        ),
        act(
            "music-chords-cadences-1",
            "music",
            "chords-and-cadences",
            4,
            (14, 16),
        ),
    ]
}

pub(super) fn kid(age: i32, interests: &[&str]) -> LearnerTraits {
    LearnerTraits {
        age,
        interests: interests.iter().map(|s| s.to_string()).collect(),
    }
}

/// A scripted history: (activity id, accuracy), one minute apart, in playing order;
/// category and difficulty come from the catalog.
pub(super) fn played(catalog: &[CatalogEntry], script: &[(&str, f64)]) -> Vec<Completed> {
    let t0 = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
    script
        .iter()
        .enumerate()
        .map(|(i, (id, accuracy))| {
            let a = catalog.iter().find(|a| a.id == *id).expect("known id");
            Completed {
                activity_id: a.id.clone(),
                category: a.category.clone(),
                difficulty: a.difficulty,
                accuracy: *accuracy,
                completed_at: t0 + chrono::Duration::minutes(i as i64),
            }
        })
        .collect()
}

pub(super) fn run(
    catalog: &[CatalogEntry],
    learner: &LearnerTraits,
    script: &[(&str, f64)],
) -> Next {
    next_activity(catalog, learner, &played(catalog, script)).expect("something to play")
}

pub(super) fn is(id: &str, reason: Reason) -> Next {
    Next {
        activity_id: id.into(),
        reason,
    }
}

pub(super) fn entry<'a>(catalog: &'a [CatalogEntry], id: &str) -> &'a CatalogEntry {
    catalog.iter().find(|a| a.id == id).unwrap()
}
