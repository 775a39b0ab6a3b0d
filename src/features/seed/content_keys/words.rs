//! Reading prompts: text normalised for comparing, phrases found in it, numbers in words.

/// Lower case, accidentals in words, hyphens as spaces, single spaces, no final full stop.
pub(super) fn norm(s: &str) -> String {
    let mut t = s.trim().to_lowercase();
    for (from, to) in [
        ("♯", " sharp"),
        ("♭", " flat"),
        ("#", " sharp"),
        ("–", " "),
        ("-", " "),
    ] {
        t = t.replace(from, to);
    }
    let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
    t.trim_end_matches(['.', '?', '!']).to_string()
}

pub(super) fn after<'a>(s: &'a str, pat: &str) -> Option<&'a str> {
    s.find(pat).map(|i| &s[i + pat.len()..])
}

pub(super) fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let rest = after(s, start)?;
    rest.find(end).map(|i| &rest[..i])
}

pub(super) fn clean(s: &str) -> &str {
    s.trim().trim_end_matches(['.', '?', '!', ',']).trim()
}

pub(super) const SMALL: [&str; 21] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
];
const TENS: [&str; 10] = [
    "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
];

pub(super) fn in_words(n: i64) -> Option<String> {
    match n {
        0..=20 => Some(SMALL[n as usize].to_string()),
        21..=99 if n % 10 == 0 => Some(TENS[(n / 10) as usize].to_string()),
        21..=99 => Some(format!(
            "{}-{}",
            TENS[(n / 10) as usize],
            SMALL[(n % 10) as usize]
        )),
        _ => None,
    }
}

/// A count written as a numeral or a word (`3`, `three`, `a`).
pub(super) fn count_of(w: &str) -> Option<f64> {
    let w = clean(w);
    if let Ok(n) = w.parse::<f64>() {
        return Some(n);
    }
    match w {
        "a" | "an" => Some(1.0),
        "no" => Some(0.0),
        _ => SMALL.iter().position(|s| *s == w).map(|n| n as f64),
    }
}

pub(super) fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}
