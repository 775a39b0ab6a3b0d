//! Music keys: reads what a question shows and plays, then tries each rule in turn.

mod chords;
mod instruments;
mod intervals;
mod key_questions;
mod keys;
mod melody;
mod notes;
mod reading;
mod rhythm;
mod stave;
mod terms;
mod view;

use studyhub_actors::content::Question;

use super::expect::Found;
use super::facts::{MUSIC_FACTS, fact};
use notes::parse_pitch;
use view::View;

pub(super) fn music_expect(q: &Question) -> Found {
    if let Some(f) = fact(MUSIC_FACTS, q) {
        return f;
    }
    let v = View::new(q)?;
    let rules: [fn(&View, &Question) -> Option<Found>; 10] = [
        terms::italian,
        instruments::instruments,
        melody::forms,
        melody::melody,
        key_questions::keys,
        chords::cadences,
        chords::triads,
        intervals::intervals,
        rhythm::rhythm,
        reading::reading,
    ];
    for rule in rules {
        if let Some(found) = rule(&v, q) {
            return found;
        }
    }
    Err("a music question the checker cannot read: give it a prompt form the checker knows or a line in one of its tables".into())
}

/// Whether a stave's text for screen readers says the answer outright.
pub(super) fn gives_away(alt: &str, key: &str) -> bool {
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect()
    };
    // A note name (`C`, `F-sharp`) is a word in its own case; anything longer in any case.
    let (alt, key) = if key.len() <= 2 || parse_pitch(key).is_some() {
        (words(alt), words(key))
    } else {
        (words(&alt.to_lowercase()), words(&key.to_lowercase()))
    };
    !key.is_empty() && alt.windows(key.len()).any(|w| w == key.as_slice())
}
