//! Reading staves: pitches, lengths, and what a page could not draw.

use super::*;

fn pitches(abc: &str) -> Vec<Vec<u8>> {
    parse(abc)
        .unwrap()
        .events
        .into_iter()
        .map(|e| e.pitches)
        .collect()
}

#[test]
fn octaves_accidentals_and_the_key_signature() {
    assert_eq!(
        pitches("K:C\nC c C, c' ^F _B =B"),
        [
            vec![60],
            vec![72],
            vec![48],
            vec![84],
            vec![66],
            vec![70],
            vec![71]
        ]
    );
    // G major sharpens every F; an accidental lasts to the bar line.
    assert_eq!(
        pitches("K:G\nF =F F | F"),
        [vec![66], vec![65], vec![65], vec![66]]
    );
    assert_eq!(pitches("K:Bb\nB E A"), [vec![70], vec![63], vec![69]]);
    assert_eq!(pitches("K:Am\n[ACE]2"), [vec![69, 60, 64]]);
    assert_eq!(key_signature("F#m"), Some(3));
    assert_eq!(key_signature("Eb"), Some(-3));
    assert_eq!(key_signature("Ddor"), Some(0));
    assert_eq!(key_signature("H"), None);
}

#[test]
fn lengths_follow_the_unit_and_broken_rhythm() {
    let tune = parse("X:1\nM:4/4\nL:1/4\nK:C\nC2 D/ E/ F3/2 G/ | A>B z4|]").unwrap();
    let lengths: Vec<f64> = tune.events.iter().map(|e| e.length).collect();
    assert_eq!(
        lengths,
        [0.5, 0.125, 0.125, 0.375, 0.125, 0.375, 0.125, 1.0]
    );
    assert_eq!(tune.meter.as_deref(), Some("4/4"));
    assert_eq!(tune.bars, 2);
    let triplet = parse("L:1/8\nK:C\n(3CDE").unwrap();
    assert!(
        triplet
            .events
            .iter()
            .all(|e| (e.length - 1.0 / 12.0).abs() < 1e-9)
    );
}

#[test]
fn what_a_page_could_not_draw_is_refused_with_its_place() {
    for (abc, reason) in [
        ("C D E", "the header ends with a K: field before the notes"),
        ("K:C\nC D $", "'$' is not ABC notation here"),
        ("K:H\nC", "\"H\" is not a key"),
        (
            "M:4/x\nK:C\nC",
            "M: takes a time signature such as 3/4 or C",
        ),
        ("K:C\n\"Am C", "a chord symbol not closed"),
        ("K:C\n[CEG", "a chord holds notes only, closed by ]"),
        ("K:C\nC,,,,,,", "a note outside A0 to C8"),
        ("K:C\n", "no notes"),
        ("X:1\nT:t", "a K: field (the key) is required"),
    ] {
        assert_eq!(parse(abc).unwrap_err().reason, reason, "{abc}");
    }
    let e = parse("K:C\nCDE\nC D &").unwrap_err();
    assert_eq!((e.line, e.column), (3, 5));
}

#[test]
fn the_rest_of_the_notation_is_read_and_skipped() {
    let tune = parse(
        "X:1\nT:Ode\nM:C\nL:1/8\nQ:1/4=100\nK:D clef=bass\n\
         |: !p! \"D\"f2 {g}f>e (d2 e2) | [K:G] .d~c TB- B2 z2 :|1 [d2f2] x2 ||\n%c\nw: la la\n",
    )
    .unwrap();
    assert_eq!(tune.key, "D clef=bass");
    assert_eq!(tune.events.len(), 12);
}
