//! What a music question shows and plays (stave and sound, checked to agree) as notes and chords.

use studyhub_actors::content::{Audio, PlayStyle, Question};

use super::notes::{Note, sci};
use super::stave::{Stave, read_stave, sorted};

/// The notes an `audio` plays (`None` a rest).
pub(super) struct Sound {
    notes: Vec<Option<Note>>,
    pub(super) durations: Vec<f64>,
    harmonic: bool,
    pub(super) tempo: u32,
}

impl Sound {
    /// The audio's notes, split at its rests.
    pub(super) fn phrases(&self) -> Vec<Vec<Note>> {
        self.notes
            .split(Option::is_none)
            .map(|p| p.iter().flatten().copied().collect::<Vec<_>>())
            .filter(|p| !p.is_empty())
            .collect()
    }
}

/// What a music question shows and plays.
pub(super) struct View {
    pub(super) p: String,
    pub(super) stave: Option<Stave>,
    pub(super) sound: Option<Sound>,
}

impl View {
    pub(super) fn new(q: &Question) -> Result<View, String> {
        let stave = q.media.notation.as_deref().map(read_stave).transpose()?;
        let sound = match &q.media.audio {
            None => None,
            Some(Audio::File { .. }) => return Err("a recording the checker cannot hear".into()),
            Some(Audio::Notes(n)) => {
                let notes: Option<Vec<Option<Note>>> = n
                    .notes
                    .iter()
                    .map(|s| {
                        if s == "r" {
                            Some(None)
                        } else {
                            sci(s).map(Some)
                        }
                    })
                    .collect();
                Some(Sound {
                    notes: notes.ok_or("a note the checker cannot read")?,
                    durations: n
                        .durations
                        .clone()
                        .unwrap_or_else(|| vec![1.0; n.notes.len()]),
                    harmonic: n.play == PlayStyle::Harmonic,
                    tempo: n.tempo_bpm,
                })
            }
        };
        let view = View {
            p: q.prompt.to_lowercase(),
            stave,
            sound,
        };
        if let (Some(st), Some(so)) = (&view.stave, &view.sound)
            && !view.p.contains("played differently")
        {
            let written: Vec<i32> = view.stave_line(st).iter().map(|n| n.midi).collect();
            let played: Vec<i32> = view.sound_line(so).iter().map(|n| n.midi).collect();
            if written != played {
                return Err(format!(
                    "the audio does not play the stave: {played:?} against {written:?}"
                ));
            }
        }
        Ok(view)
    }
    pub(super) fn stave_line(&self, st: &Stave) -> Vec<Note> {
        st.events.iter().flat_map(|e| sorted(&e.notes)).collect()
    }
    pub(super) fn sound_line(&self, so: &Sound) -> Vec<Note> {
        let notes: Vec<Note> = so.notes.iter().flatten().copied().collect();
        if so.harmonic { sorted(&notes) } else { notes }
    }
    /// Every note, in order (a chord low to high): from the stave, else from the audio.
    pub(super) fn line(&self) -> Option<Vec<Note>> {
        match (&self.stave, &self.sound) {
            (Some(st), _) => Some(self.stave_line(st)),
            (None, Some(so)) => Some(self.sound_line(so)),
            _ => None,
        }
    }
    /// Chords: each stave event with notes; the audio at once (harmonic) or split at rests.
    pub(super) fn chords(&self) -> Option<Vec<Vec<Note>>> {
        match (&self.stave, &self.sound) {
            (Some(st), _) => Some(
                st.events
                    .iter()
                    .filter(|e| !e.notes.is_empty())
                    .map(|e| e.notes.clone())
                    .collect(),
            ),
            (None, Some(so)) if so.harmonic => Some(vec![self.sound_line(so)]),
            (None, Some(so)) => Some(so.phrases()),
            _ => None,
        }
    }
    /// Two notes, for an interval.
    pub(super) fn two(&self) -> Result<(Note, Note), String> {
        match self.line().as_deref() {
            Some([a, b]) => Ok((*a, *b)),
            _ => Err("an interval question needs exactly two notes".into()),
        }
    }
    /// One chord of three or more notes, for a triad.
    pub(super) fn one_chord(&self) -> Result<Vec<Note>, String> {
        match self.chords().as_deref() {
            Some([one]) if one.len() >= 3 => Ok(one.clone()),
            _ => Err("a triad question needs one chord (or one broken chord)".into()),
        }
    }
}
