//! The next-activity rules on scripted histories.

mod fixtures;

use super::*;
use fixtures::*;

// --- fresh learners ---------------------------------------------------------------

#[test]
fn fresh_learner_starts_at_the_easiest_fitting_activity_smallest_id_first() {
    let c = catalog();
    // Age 6: difficulty 1 fits in math-addition, math-counting, science-animals.
    assert_eq!(
        run(&c, &kid(6, &[]), &[]),
        is("math-addition-1", Reason::StartHere)
    );
    // Age 12: only science-human-body (3) and music-note-reading (1) fit.
    assert_eq!(
        run(&c, &kid(12, &[]), &[]),
        is("music-note-reading-1", Reason::StartHere)
    );
}

#[test]
fn fresh_learner_leans_to_interests_case_insensitively() {
    let c = catalog();
    assert_eq!(
        run(&c, &kid(6, &["SCIENCE"]), &[]),
        is("science-animals-1", Reason::StartHere)
    );
    // A sub-category interest beats an easier activity of the same category.
    assert_eq!(
        run(&c, &kid(8, &["science", " Space "]), &[]),
        is("science-space-1", Reason::StartHere)
    );
    // Spaces and underscores read as hyphens.
    assert_eq!(
        run(&c, &kid(10, &["Human body"]), &[]),
        is("science-human-body-1", Reason::StartHere)
    );
    assert_eq!(
        run(&c, &kid(10, &["human_body"]), &[]),
        is("science-human-body-1", Reason::StartHere)
    );
    // An interest nothing matches changes nothing; neither does one out of the age.
    assert_eq!(
        run(&c, &kid(6, &["dinosaurs", "intervals"]), &[]),
        is("math-addition-1", Reason::StartHere)
    );
}

// --- harder -----------------------------------------------------------------------

#[test]
fn two_results_at_90_or_more_step_up() {
    let c = catalog();
    let k = kid(7, &[]);
    assert_eq!(
        run(
            &c,
            &k,
            &[("math-addition-1", 95.0), ("math-counting-1", 90.0)]
        ),
        is("math-shapes-1", Reason::Harder)
    );
    // The same activity twice counts too.
    assert_eq!(
        run(
            &c,
            &k,
            &[("math-addition-1", 100.0), ("math-addition-1", 100.0)]
        ),
        is("math-shapes-1", Reason::Harder)
    );
}

#[test]
fn one_result_at_90_is_not_enough_and_the_threshold_is_inclusive() {
    let c = catalog();
    let k = kid(7, &[]);
    assert_eq!(
        run(&c, &k, &[("math-addition-1", 100.0)]),
        is("math-counting-1", Reason::KeepGoing)
    );
    assert_eq!(
        run(
            &c,
            &k,
            &[("math-addition-1", 89.9), ("math-counting-1", 100.0)]
        ),
        is("math-addition-1", Reason::KeepGoing)
    );
    // Good, then not quite: the latest two are not both ≥ 90.
    assert_eq!(
        run(
            &c,
            &k,
            &[("math-addition-1", 95.0), ("math-counting-1", 80.0)]
        ),
        is("math-addition-1", Reason::KeepGoing)
    );
}

#[test]
fn one_good_result_right_after_stepping_up_does_not_step_up_again() {
    let c = catalog();
    let k = kid(8, &[]);
    let script = [
        ("math-addition-1", 95.0),
        ("math-addition-1", 95.0),
        ("math-shapes-1", 100.0),
    ];
    assert_eq!(
        run(&c, &k, &script),
        is("math-subtraction-1", Reason::KeepGoing)
    );
    let script = [
        ("math-addition-1", 95.0),
        ("math-addition-1", 95.0),
        ("math-shapes-1", 100.0),
        ("math-subtraction-1", 92.0),
    ];
    assert_eq!(run(&c, &k, &script), is("math-fractions-1", Reason::Harder));
}

#[test]
fn the_streak_is_counted_within_the_category() {
    let c = catalog();
    let k = kid(7, &[]);
    // Science in between does not break a math streak: math is the latest category.
    let script = [
        ("math-addition-1", 95.0),
        ("science-animals-1", 30.0),
        ("math-counting-1", 95.0),
    ];
    assert_eq!(run(&c, &k, &script), is("math-shapes-1", Reason::Harder));
    // The latest completion decides the category: here science, at its own level.
    let script = [
        ("math-addition-1", 95.0),
        ("math-counting-1", 95.0),
        ("science-animals-1", 70.0),
    ];
    assert_eq!(
        run(&c, &k, &script),
        is("science-animals-1", Reason::KeepGoing)
    );
}

#[test]
fn harder_takes_the_nearest_higher_level_the_age_allows() {
    let mut c = catalog();
    c.retain(|a| a.id != "math-subtraction-1" && a.id != "math-shapes-1");
    assert_eq!(
        run(
            &c,
            &kid(8, &[]),
            &[("math-addition-1", 95.0), ("math-addition-1", 95.0)]
        ),
        is("math-fractions-1", Reason::Harder),
        "no difficulty 2 left: on to 3 (fractions before multiplication by id)"
    );
}

#[test]
fn at_the_top_mastery_keeps_going_at_the_top_level() {
    let c = catalog();
    let k = kid(9, &[]);
    // Difficulty 3 is math's top; the unplayed one comes first.
    let script = [("math-fractions-1", 95.0), ("math-fractions-1", 100.0)];
    assert_eq!(
        run(&c, &k, &script),
        is("math-multiplication-1", Reason::KeepGoing)
    );
    // Everything at the top played, no new interest: the least recently played.
    let script = [
        ("math-multiplication-1", 95.0),
        ("math-fractions-1", 95.0),
        ("math-fractions-1", 100.0),
    ];
    assert_eq!(
        run(&c, &k, &script),
        is("math-multiplication-1", Reason::KeepGoing)
    );
}

#[test]
fn the_top_mastered_opens_a_new_interest() {
    let c = catalog();
    let script = [
        ("math-multiplication-1", 95.0),
        ("math-fractions-1", 95.0),
        ("math-fractions-1", 100.0),
    ];
    assert_eq!(
        run(&c, &kid(9, &["math", "Music"]), &script),
        is("music-note-reading-1", Reason::NewInterest)
    );
    assert_eq!(
        run(&c, &kid(9, &["space"]), &script),
        is("science-space-1", Reason::NewInterest),
        "a sub-category interest opens its category"
    );
    // A category of interest that was played already is not new.
    let mut script = script.to_vec();
    script.insert(0, ("music-note-reading-1", 60.0));
    assert_eq!(
        run(&c, &kid(9, &["music"]), &script),
        is("math-multiplication-1", Reason::KeepGoing)
    );
}

// --- easier -----------------------------------------------------------------------

#[test]
fn one_result_under_50_steps_down() {
    let c = catalog();
    let k = kid(8, &[]);
    assert_eq!(
        run(&c, &k, &[("math-multiplication-1", 45.0)]),
        is("math-shapes-1", Reason::Easier)
    );
    // Even after a streak of good ones.
    let script = [
        ("math-shapes-1", 95.0),
        ("math-subtraction-1", 95.0),
        ("math-multiplication-1", 49.9),
    ];
    assert_eq!(run(&c, &k, &script), is("math-shapes-1", Reason::Easier));
    // 50 is not under 50.
    assert_eq!(
        run(&c, &k, &[("math-multiplication-1", 50.0)]),
        is("math-fractions-1", Reason::KeepGoing)
    );
}

#[test]
fn easier_takes_the_nearest_lower_level_the_age_allows() {
    let c = catalog();
    // Age 10: math has only difficulty 3 (multiplication, fractions) and nothing at 2.
    assert_eq!(
        run(&c, &kid(10, &[]), &[("math-fractions-1", 20.0)]),
        is("math-multiplication-1", Reason::KeepGoing),
        "nothing easier within the age: same level, another activity"
    );
    // Age 9: subtraction and shapes (2) fit; addition (1) does not.
    assert_eq!(
        run(&c, &kid(9, &[]), &[("math-shapes-1", 10.0)]),
        is("math-subtraction-1", Reason::KeepGoing)
    );
    assert_eq!(
        run(&c, &kid(9, &[]), &[("math-fractions-1", 10.0)]),
        is("math-shapes-1", Reason::Easier)
    );
}

#[test]
fn at_the_bottom_a_miss_keeps_going_with_another_or_the_least_recent() {
    let c = catalog();
    let k = kid(6, &[]);
    assert_eq!(
        run(&c, &k, &[("math-addition-1", 20.0)]),
        is("math-counting-1", Reason::KeepGoing)
    );
    let script = [
        ("math-counting-1", 60.0),
        ("math-addition-1", 70.0),
        ("math-addition-1", 20.0),
    ];
    assert_eq!(
        run(&c, &k, &script),
        is("math-counting-1", Reason::KeepGoing)
    );
}

// --- same level -------------------------------------------------------------------

#[test]
fn same_level_prefers_unplayed_then_least_recent_then_interest_then_id() {
    let c = catalog();
    // Unplayed first, leaning to an interest among them.
    assert_eq!(
        run(&c, &kid(8, &["space"]), &[("science-plants-1", 70.0)]),
        is("science-space-1", Reason::KeepGoing)
    );
    assert_eq!(
        run(&c, &kid(8, &[]), &[("science-space-1", 70.0)]),
        is("science-plants-1", Reason::KeepGoing)
    );
    // Both played: the least recently played, whatever the interests.
    let script = [
        ("science-plants-1", 70.0),
        ("science-space-1", 70.0),
        ("science-space-1", 75.0),
    ];
    assert_eq!(
        run(&c, &kid(8, &["space"]), &script),
        is("science-plants-1", Reason::KeepGoing)
    );
    let script = [
        ("science-space-1", 70.0),
        ("science-plants-1", 70.0),
        ("science-space-1", 75.0),
    ];
    assert_eq!(
        run(&c, &kid(8, &[]), &script),
        is("science-plants-1", Reason::KeepGoing)
    );
}

#[test]
fn same_level_gone_takes_the_nearest_level_lower_on_a_tie() {
    let mut c = catalog();
    for a in &mut c {
        if a.category == "math" && a.difficulty == 2 {
            a.archived = true;
        }
    }
    // Level 2 is gone: 1 and 3 are both one away; the lower wins.
    let mut h = played(&catalog(), &[("math-shapes-1", 70.0)]);
    assert_eq!(
        next_activity(&c, &kid(7, &[]), &h),
        Some(is("math-addition-1", Reason::KeepGoing))
    );
    h[0].difficulty = 5; // a level far above anything on offer: the top
    assert_eq!(
        next_activity(&c, &kid(7, &[]), &h),
        Some(is("math-multiplication-1", Reason::KeepGoing))
    );
}

// --- age ------------------------------------------------------------------------

#[test]
fn never_outside_the_age() {
    let c = catalog();
    for age in 4..=16 {
        for script in [
            vec![],
            vec![("math-counting-1", 95.0), ("math-counting-1", 95.0)],
            vec![("music-intervals-1", 30.0)],
            vec![
                ("science-human-body-1", 100.0),
                ("science-human-body-1", 100.0),
            ],
            vec![("music-note-values-1", 95.0), ("music-note-values-1", 95.0)],
        ] {
            for interests in [&[][..], &["music"][..], &["science", "fractions"][..]] {
                let next = run(&c, &kid(age, interests), &script);
                let a = entry(&c, &next.activity_id);
                assert!(
                    a.age_min <= age && age <= a.age_max,
                    "age {age}, {script:?}, {interests:?}: {next:?}"
                );
            }
        }
    }
}

#[test]
fn harder_is_held_back_by_the_age() {
    let c = catalog();
    // Age 13: music 1, 2 and 3 fit, chords-and-cadences (4, ages 14-16) does not.
    let script = [("music-intervals-1", 95.0), ("music-keys-scales-1", 95.0)];
    assert_eq!(
        run(&c, &kid(13, &[]), &script),
        is("music-intervals-1", Reason::KeepGoing)
    );
    assert_eq!(
        run(&c, &kid(14, &[]), &script),
        is("music-chords-cadences-1", Reason::Harder)
    );
}

#[test]
fn nothing_fits_the_age_the_nearest_do() {
    let c = catalog();
    // 17: music (13-16) is one year away, nothing else is as close.
    assert_eq!(
        run(&c, &kid(17, &["math"]), &[]),
        is("music-note-values-1", Reason::StartHere)
    );
    // 3: counting (4-7) is the nearest.
    assert_eq!(
        run(&c, &kid(3, &["music"]), &[]),
        is("math-counting-1", Reason::StartHere)
    );
    // The history goes on within the nearest ones.
    assert_eq!(
        run(
            &c,
            &kid(18, &[]),
            &[("music-note-values-1", 95.0), ("music-note-values-1", 95.0)]
        ),
        is("music-intervals-1", Reason::Harder)
    );
}

#[test]
fn a_category_outgrown_hands_over_to_the_previous_one_or_a_start() {
    let c = catalog();
    // Math was played at 7; at 12 no math fits, science still does.
    let script = [("science-plants-1", 95.0), ("math-addition-1", 100.0)];
    assert_eq!(
        run(&c, &kid(12, &[]), &script),
        is("science-human-body-1", Reason::KeepGoing)
    );
    // Nothing of the history's categories left: a fresh start.
    assert_eq!(
        run(&c, &kid(15, &[]), &[("math-addition-1", 100.0)]),
        is("music-note-values-1", Reason::StartHere)
    );
}

// --- archived ---------------------------------------------------------------------

#[test]
fn archived_is_never_chosen() {
    let mut c = catalog();
    let archive = ["math-shapes-1", "math-addition-1", "science-space-1"];
    for a in &mut c {
        a.archived = archive.contains(&a.id.as_str());
    }
    let k = kid(7, &[]);
    assert_eq!(run(&c, &k, &[]), is("math-counting-1", Reason::StartHere));
    let script = [("math-addition-1", 95.0), ("math-addition-1", 95.0)];
    assert_eq!(
        run(&c, &k, &script),
        is("math-subtraction-1", Reason::Harder)
    );
    assert_eq!(
        run(&c, &kid(8, &["space"]), &[("science-plants-1", 70.0)]),
        is("science-plants-1", Reason::KeepGoing),
        "the interest is archived: the one left at the level, though just played"
    );
    for age in 3..=18 {
        for script in [vec![], vec![("math-shapes-1", 40.0)], script.to_vec()] {
            let next = run(&c, &kid(age, &["shapes"]), &script);
            assert!(!entry(&c, &next.activity_id).archived, "{next:?}");
        }
    }
}

#[test]
fn nothing_startable_gives_none() {
    assert_eq!(next_activity(&[], &kid(8, &[]), &[]), None);
    let mut c = catalog();
    for a in &mut c {
        a.archived = true;
    }
    let h = played(&catalog(), &[("math-addition-1", 100.0)]);
    assert_eq!(next_activity(&c, &kid(8, &[]), &h), None);
    // One left, far outside the age: still chosen, as the nearest.
    c[0].archived = false;
    assert_eq!(
        next_activity(&c, &kid(18, &[]), &h),
        Some(is("math-addition-1", Reason::KeepGoing))
    );
}

// --- determinism and wire shape ---------------------------------------------------

#[test]
fn input_order_does_not_matter() {
    let c = catalog();
    let mut reversed = c.clone();
    reversed.reverse();
    let script = [
        ("science-animals-1", 95.0),
        ("math-addition-1", 95.0),
        ("math-counting-1", 92.0),
    ];
    let h = played(&c, &script);
    let mut shuffled = h.clone();
    shuffled.swap(0, 2);
    let want = Some(is("math-shapes-1", Reason::Harder));
    assert_eq!(next_activity(&c, &kid(7, &[]), &h), want);
    assert_eq!(next_activity(&reversed, &kid(7, &[]), &shuffled), want);
    // And the same call twice is the same answer.
    assert_eq!(next_activity(&reversed, &kid(7, &[]), &shuffled), want);
}

#[test]
fn categories_compare_case_insensitively() {
    let mut c = catalog();
    for a in &mut c {
        a.category = a.category.to_uppercase();
    }
    let mut h = played(
        &catalog(),
        &[("math-addition-1", 95.0), ("math-counting-1", 95.0)],
    );
    h[0].category = "Math".into();
    assert_eq!(
        next_activity(&c, &kid(7, &[]), &h),
        Some(is("math-shapes-1", Reason::Harder))
    );
    assert_eq!(
        next_activity(&c, &kid(6, &["math"]), &[]),
        Some(is("math-addition-1", Reason::StartHere))
    );
}

#[test]
fn serializes_as_activity_id_and_a_snake_case_reason() {
    let v = serde_json::to_value(is("math-shapes-1", Reason::NewInterest)).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"activity_id": "math-shapes-1", "reason": "new_interest"})
    );
    for r in [
        Reason::StartHere,
        Reason::Harder,
        Reason::Easier,
        Reason::KeepGoing,
        Reason::NewInterest,
    ] {
        assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        assert_eq!(r.to_string(), r.as_str());
    }
}
