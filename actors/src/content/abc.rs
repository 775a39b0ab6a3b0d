//! ABC notation, as much of it as a question's stave uses: the header (`X:`, `T:`, `M:`, `L:`,
//! `Q:`, `K:` with an optional clef), notes with accidentals, octaves and lengths, rests,
//! chords, bar lines and repeats, ties, slurs, broken rhythm, tuplets, grace notes, chord
//! symbols, decorations and inline fields. [`parse`] refuses anything else with the line and
//! column, so a stave that the page could not draw is refused when it is authored; what it
//! reads (each event's pitches and length) is what the content tests check keys against.

/// One thing that sounds (or a rest), in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// MIDI numbers, key signature and accidentals applied (`C` is middle C, 60); empty for a
    /// rest; several for a chord.
    pub pitches: Vec<u8>,
    /// In whole notes: a crotchet is 0.25.
    pub length: f64,
}

/// What a stave says.
#[derive(Debug, Clone, PartialEq)]
pub struct Tune {
    /// `M:` as written (`4/4`, `C`, `6/8`), if any.
    pub meter: Option<String>,
    /// `K:` as written (`G`, `Am`, `Bb`, `C clef=bass`).
    pub key: String,
    /// Sharps (positive) or flats (negative) of the key signature.
    pub key_accidentals: i8,
    pub events: Vec<Event>,
    /// Bar lines in the body.
    pub bars: usize,
}

/// Where and why a stave does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbcError {
    pub line: usize,
    pub column: usize,
    pub reason: String,
}

impl std::fmt::Display for AbcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.reason
        )
    }
}

/// Sharps (+) or flats (-) of a key (`G`, `F#m`, `Bbmaj`, `Ddor`, `none`), or `None`.
pub fn key_signature(key: &str) -> Option<i8> {
    let key = key.trim();
    if key.eq_ignore_ascii_case("none") || key.is_empty() {
        return Some(0);
    }
    let mut chars = key.chars().peekable();
    let letter = chars.next()?;
    // Sharps of each major key on a natural tonic.
    let mut sharps: i8 = match letter {
        'C' => 0,
        'G' => 1,
        'D' => 2,
        'A' => 3,
        'E' => 4,
        'B' => 5,
        'F' => -1,
        _ => return None,
    };
    match chars.peek() {
        Some('#') => {
            sharps += 7;
            chars.next();
        }
        Some('b') => {
            sharps -= 7;
            chars.next();
        }
        _ => {}
    }
    let mode: String = chars.collect::<String>().trim().to_ascii_lowercase();
    let shift = match mode.as_str() {
        "" | "maj" | "major" | "ion" | "ionian" => 0,
        "m" | "min" | "minor" | "aeo" | "aeolian" => -3,
        "dor" | "dorian" => -2,
        "phr" | "phrygian" => -4,
        "lyd" | "lydian" => 1,
        "mix" | "mixolydian" => -1,
        "loc" | "locrian" => -5,
        _ => return None,
    };
    let total = sharps + shift;
    (-7..=7).contains(&total).then_some(total)
}

/// The accidental the key signature gives a letter (+1 sharp, -1 flat).
fn key_accidental(sharps: i8, letter: char) -> i8 {
    const SHARPS: [char; 7] = ['F', 'C', 'G', 'D', 'A', 'E', 'B'];
    let i = |order: &[char]| order.iter().position(|c| *c == letter).unwrap_or(7) as i8;
    if sharps > 0 && i(&SHARPS) < sharps {
        1
    } else if sharps < 0 && i(&['B', 'E', 'A', 'D', 'G', 'C', 'F']) < -sharps {
        -1
    } else {
        0
    }
}

fn semitone(letter: char) -> i32 {
    match letter {
        'C' => 0,
        'D' => 2,
        'E' => 4,
        'F' => 5,
        'G' => 7,
        'A' => 9,
        _ => 11,
    }
}

struct Reader<'a> {
    chars: Vec<char>,
    at: usize,
    line: usize,
    line_start: usize,
    _text: &'a str,
}

impl Reader<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }
    fn peek_at(&self, n: usize) -> Option<char> {
        self.chars.get(self.at + n).copied()
    }
    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.at += 1;
        Some(c)
    }
    fn error(&self, reason: impl Into<String>) -> AbcError {
        AbcError {
            line: self.line,
            column: self.at - self.line_start + 1,
            reason: reason.into(),
        }
    }
    fn number(&mut self) -> Option<u32> {
        let start = self.at;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.at += 1;
        }
        (self.at > start).then(|| {
            self.chars[start..self.at]
                .iter()
                .collect::<String>()
                .parse()
                .unwrap_or(u32::MAX)
        })
    }
    /// A length multiplier: `2`, `/`, `/4`, `3/2`, `//`.
    fn length(&mut self) -> Result<f64, AbcError> {
        let mut value = f64::from(self.number().unwrap_or(1));
        while self.peek() == Some('/') {
            self.at += 1;
            value /= f64::from(self.number().unwrap_or(2));
        }
        if value <= 0.0 || value > 64.0 || !value.is_finite() {
            return Err(self.error("a note length out of range"));
        }
        Ok(value)
    }
}

/// `1/8`-style fractions (`L:`).
fn fraction(text: &str) -> Option<f64> {
    let (a, b) = text.trim().split_once('/')?;
    let (a, b): (u32, u32) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
    (a > 0 && b > 0 && b <= 256).then(|| f64::from(a) / f64::from(b))
}

fn valid_meter(m: &str) -> bool {
    let m = m.trim();
    m == "C" || m == "C|" || m.eq_ignore_ascii_case("none") || fraction(m).is_some() || {
        // Compound numerators such as `2+3/8`.
        m.split_once('/').is_some_and(|(top, bottom)| {
            bottom.trim().parse::<u32>().is_ok()
                && top.split('+').all(|p| p.trim().parse::<u32>().is_ok())
        })
    }
}

/// A key field's value without its clef and other `name=value` options.
fn key_name(value: &str) -> Result<&str, String> {
    let mut parts = value.split_whitespace();
    let name = parts.next().unwrap_or("");
    for opt in parts {
        let (k, v) = opt
            .split_once('=')
            .ok_or_else(|| format!("unknown key option {opt:?}"))?;
        let ok = match k {
            "clef" => matches!(
                v,
                "treble" | "bass" | "alto" | "tenor" | "perc" | "none" | "treble-8" | "bass3"
            ),
            "octave" | "transpose" | "middle" | "stafflines" => true,
            _ => false,
        };
        if !ok {
            return Err(format!("unknown key option {opt:?}"));
        }
    }
    Ok(name)
}

struct Body {
    events: Vec<Event>,
    bars: usize,
    unit: f64,
    sharps: i8,
    /// Accidentals met in this bar: (letter, octave) → semitone shift.
    in_bar: Vec<((char, i32), i32)>,
    /// Lengths of the next notes in a tuplet: (notes left, factor).
    tuplet: Option<(u32, f64)>,
    /// `>` or `<` after the last event: the next one takes the rest of the pair.
    broken: Option<f64>,
}

impl Body {
    fn push(&mut self, pitches: Vec<u8>, mut length: f64) {
        if let Some((left, factor)) = self.tuplet.as_mut() {
            length *= *factor;
            *left -= 1;
            if *left == 0 {
                self.tuplet = None;
            }
        }
        if let Some(other) = self.broken.take() {
            length *= other;
        }
        self.events.push(Event { pitches, length });
    }
}

/// One pitch: accidentals, letter, octave marks. `None` when the next char starts no note.
fn pitch(r: &mut Reader<'_>, body: &mut Body) -> Result<Option<u8>, AbcError> {
    let mut accidental: Option<i32> = None;
    loop {
        match r.peek() {
            Some('^') => {
                r.bump();
                accidental = Some(accidental.unwrap_or(0).max(0) + 1);
            }
            Some('_') => {
                r.bump();
                accidental = Some(accidental.unwrap_or(0).min(0) - 1);
            }
            Some('=') => {
                r.bump();
                accidental = Some(0);
            }
            _ => break,
        }
        if accidental.is_some_and(|a| a.abs() > 2) {
            return Err(r.error("at most a double sharp or flat"));
        }
    }
    let Some(c) = r
        .peek()
        .filter(|c| matches!(c.to_ascii_uppercase(), 'A'..='G'))
    else {
        return match accidental {
            Some(_) => Err(r.error("an accidental must come before a note")),
            None => Ok(None),
        };
    };
    r.bump();
    let letter = c.to_ascii_uppercase();
    let mut octave = if c.is_ascii_uppercase() { 4 } else { 5 };
    while let Some(m) = r.peek().filter(|m| *m == ',' || *m == '\'') {
        r.bump();
        octave += if m == ',' { -1 } else { 1 };
    }
    let shift = match accidental {
        Some(a) => {
            body.in_bar.retain(|(k, _)| *k != (letter, octave));
            body.in_bar.push(((letter, octave), a));
            a
        }
        None => body
            .in_bar
            .iter()
            .find(|(k, _)| *k == (letter, octave))
            .map_or(i32::from(key_accidental(body.sharps, letter)), |(_, a)| *a),
    };
    let midi = (octave + 1) * 12 + semitone(letter) + shift;
    if !(21..=108).contains(&midi) {
        return Err(r.error("a note outside A0 to C8"));
    }
    Ok(Some(midi as u8))
}

/// Skips to the closing `end`; an error if the line ends first.
fn skip_to(r: &mut Reader<'_>, end: char, what: &str) -> Result<(), AbcError> {
    while let Some(c) = r.bump() {
        if c == end {
            return Ok(());
        }
        if c == '\n' {
            break;
        }
    }
    Err(r.error(format!("{what} not closed")))
}

fn body_line(r: &mut Reader<'_>, body: &mut Body) -> Result<(), AbcError> {
    while let Some(c) = r.peek() {
        match c {
            '\n' => return Ok(()),
            '%' => {
                while r.peek().is_some_and(|c| c != '\n') {
                    r.bump();
                }
            }
            ' ' | '\t' | '`' | '\\' | '-' | ')' | 'y' => {
                r.bump();
            }
            '(' => {
                r.bump();
                if let Some(n) = r.number() {
                    if !(2..=9).contains(&n) {
                        return Err(r.error("a tuplet of 2 to 9 notes"));
                    }
                    // (3 : three in the time of two; (2 : two in the time of three.
                    let time_of = match n {
                        2 | 4 | 8 => 3,
                        3 | 6 => 2,
                        _ => 2,
                    };
                    body.tuplet = Some((n, f64::from(time_of) / f64::from(n)));
                }
            }
            '"' => {
                r.bump();
                skip_to(r, '"', "a chord symbol")?;
            }
            '!' | '+' => {
                r.bump();
                skip_to(r, c, "a decoration")?;
            }
            '{' => {
                r.bump();
                skip_to(r, '}', "grace notes")?;
            }
            '.' | '~' | 'H' | 'L' | 'M' | 'O' | 'P' | 'S' | 'T' | 'u' | 'v' => {
                r.bump();
            }
            '>' | '<' => {
                let mut n = 0;
                while r.peek() == Some(c) {
                    r.bump();
                    n += 1;
                }
                let Some(last) = body.events.last_mut() else {
                    return Err(r.error("a broken rhythm needs a note before it"));
                };
                let short = 0.5f64.powi(n);
                let (first, second) = if c == '>' {
                    (2.0 - short, short)
                } else {
                    (short, 2.0 - short)
                };
                last.length *= first;
                body.broken = Some(second);
            }
            '|' | ':' => {
                while r.peek().is_some_and(|c| matches!(c, '|' | ':' | ']')) {
                    r.bump();
                }
                r.number();
                body.bars += 1;
                body.in_bar.clear();
            }
            '[' => {
                match r.peek_at(1) {
                    Some('|') => {
                        r.bump();
                        continue;
                    }
                    Some(d) if d.is_ascii_digit() => {
                        // A first or second ending.
                        r.bump();
                        r.number();
                        continue;
                    }
                    Some(f) if f.is_ascii_alphabetic() && r.peek_at(2) == Some(':') => {
                        r.bump();
                        let start = r.at;
                        skip_to(r, ']', "an inline field")?;
                        let field: String = r.chars[start..r.at - 1].iter().collect();
                        header(r, body, &field)?;
                        continue;
                    }
                    _ => {}
                }
                r.bump();
                let mut pitches = Vec::new();
                while r.peek() != Some(']') {
                    match pitch(r, body)? {
                        Some(p) => {
                            // Lengths inside a chord are allowed; the chord's is after `]`.
                            r.length()?;
                            pitches.push(p);
                        }
                        None if r.peek() == Some('-') => {
                            r.bump();
                        }
                        None => return Err(r.error("a chord holds notes only, closed by ]")),
                    }
                }
                r.bump();
                if pitches.is_empty() {
                    return Err(r.error("an empty chord"));
                }
                let length = r.length()? * body.unit;
                body.push(pitches, length);
            }
            'z' | 'x' | 'Z' | 'X' => {
                r.bump();
                let length = r.length()?;
                // A whole-bar rest counts bars, not units.
                let length = if c.is_ascii_uppercase() {
                    length
                } else {
                    length * body.unit
                };
                body.push(Vec::new(), length);
            }
            _ => match pitch(r, body)? {
                Some(p) => {
                    let length = r.length()? * body.unit;
                    body.push(vec![p], length);
                }
                None => return Err(r.error(format!("{c:?} is not ABC notation here"))),
            },
        }
    }
    Ok(())
}

/// A header or inline field (`K:G`, `L:1/4`); fields that do not change the notes are kept
/// as they are, if their letter is known.
fn header(
    r: &Reader<'_>,
    body: &mut Body,
    field: &str,
) -> Result<Option<(char, String)>, AbcError> {
    let (name, value) = field
        .split_once(':')
        .ok_or_else(|| r.error("a field is a letter, a colon and its value"))?;
    let mut name_chars = name.chars();
    let (Some(letter), None) = (name_chars.next(), name_chars.next()) else {
        return Err(r.error(format!("{name:?} is not a field name")));
    };
    let value = value.trim().to_string();
    match letter {
        'L' => {
            body.unit =
                fraction(&value).ok_or_else(|| r.error("L: takes a fraction such as 1/8"))?;
        }
        'M' => {
            if !valid_meter(&value) {
                return Err(r.error("M: takes a time signature such as 3/4 or C"));
            }
        }
        'K' => {
            let name = key_name(&value).map_err(|e| r.error(e))?;
            body.sharps =
                key_signature(name).ok_or_else(|| r.error(format!("{name:?} is not a key")))?;
            body.in_bar.clear();
        }
        'X' | 'T' | 'C' | 'Q' | 'R' | 'O' | 'A' | 'B' | 'D' | 'F' | 'G' | 'H' | 'I' | 'N' | 'S'
        | 'W' | 'Z' | 'V' | 'P' | 'w' | 'r' | 's' | 'U' | 'm' => {}
        _ => return Err(r.error(format!("{letter}: is not an ABC field"))),
    }
    Ok(Some((letter, value)))
}

/// Reads a stave; every event's pitches and length, or where it stops making sense.
pub fn parse(text: &str) -> Result<Tune, AbcError> {
    let mut r = Reader {
        chars: text.chars().collect(),
        at: 0,
        line: 1,
        line_start: 0,
        _text: text,
    };
    let mut body = Body {
        events: Vec::new(),
        bars: 0,
        unit: 1.0 / 8.0,
        sharps: 0,
        in_bar: Vec::new(),
        tuplet: None,
        broken: None,
    };
    let (mut meter, mut key, mut in_body) = (None, None, false);
    while r.peek().is_some() {
        let starts_field =
            r.peek().is_some_and(|c| c.is_ascii_alphabetic()) && r.peek_at(1) == Some(':');
        if starts_field {
            let start = r.at;
            while r.peek().is_some_and(|c| c != '\n') {
                r.bump();
            }
            let line: String = r.chars[start..r.at].iter().collect();
            let line = line.split('%').next().unwrap_or("").to_string();
            if let Some((letter, value)) = header(&r, &mut body, &line)? {
                match letter {
                    'M' if !in_body => meter = Some(value),
                    'K' => {
                        key.get_or_insert(value);
                        in_body = true;
                    }
                    _ => {}
                }
            }
        } else if r.peek() == Some('%') || r.peek() == Some('\n') {
            while r.peek().is_some_and(|c| c != '\n') {
                r.bump();
            }
        } else if !in_body {
            return Err(r.error("the header ends with a K: field before the notes"));
        } else {
            body_line(&mut r, &mut body)?;
        }
        if r.peek() == Some('\n') {
            r.bump();
            r.line += 1;
            r.line_start = r.at;
        }
    }
    let Some(key) = key else {
        return Err(r.error("a K: field (the key) is required"));
    };
    if body.events.is_empty() {
        return Err(r.error("no notes"));
    }
    Ok(Tune {
        meter,
        key_accidentals: body.sharps,
        key,
        events: body.events,
        bars: body.bars,
    })
}

#[cfg(test)]
mod tests;
