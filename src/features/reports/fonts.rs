//! The report's fonts, embedded in the binary so a child's name prints as it is written:
//! DejaVu Sans for most scripts, Droid Sans Fallback for what DejaVu lacks (Chinese,
//! Japanese, Korean). A PDF carries only the glyphs it uses (printpdf subsets on save).

use std::sync::LazyLock;

use printpdf::{FontId, ParsedFont, PdfDocument, PdfFontHandle};

static REGULAR: LazyLock<Option<ParsedFont>> =
    LazyLock::new(|| parse(include_bytes!("../../../assets/fonts/DejaVuSans.ttf")));
static BOLD: LazyLock<Option<ParsedFont>> =
    LazyLock::new(|| parse(include_bytes!("../../../assets/fonts/DejaVuSans-Bold.ttf")));
static FALLBACK: LazyLock<Option<ParsedFont>> = LazyLock::new(|| {
    parse(include_bytes!(
        "../../../assets/fonts/DroidSansFallbackFull.ttf"
    ))
});

fn parse(bytes: &[u8]) -> Option<ParsedFont> {
    let font = ParsedFont::from_bytes(bytes, 0, &mut Vec::new());
    if font.is_none() {
        tracing::error!(
            "an embedded report font does not parse; the report falls back to Helvetica"
        );
    }
    font
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    Regular,
    Bold,
}

/// The fonts added to one document.
pub struct Fonts {
    regular: Option<FontId>,
    bold: Option<FontId>,
    /// Added only when some text needs it (it is the large one).
    fallback: Option<FontId>,
}

impl Fonts {
    /// Adds the fonts `texts` need to `doc`.
    pub fn add<'a>(doc: &mut PdfDocument, texts: impl IntoIterator<Item = &'a str>) -> Self {
        let regular = REGULAR.as_ref().map(|f| doc.add_font(f));
        let bold = BOLD.as_ref().map(|f| doc.add_font(f));
        let needs_fallback = texts
            .into_iter()
            .flat_map(str::chars)
            .any(|c| !has(REGULAR.as_ref(), c) && has(FALLBACK.as_ref(), c));
        let fallback = if needs_fallback {
            FALLBACK.as_ref().map(|f| doc.add_font(f))
        } else {
            None
        };
        Fonts {
            regular,
            bold,
            fallback,
        }
    }

    /// `s` cut into runs, each with the font that can draw it.
    pub fn runs(&self, face: Face, s: &str) -> Vec<(PdfFontHandle, String)> {
        let (main, main_font) = match face {
            Face::Regular => (&self.regular, REGULAR.as_ref()),
            Face::Bold => (&self.bold, BOLD.as_ref()),
        };
        let Some(main) = main else {
            let builtin = match face {
                Face::Regular => printpdf::BuiltinFont::Helvetica,
                Face::Bold => printpdf::BuiltinFont::HelveticaBold,
            };
            return vec![(PdfFontHandle::Builtin(builtin), s.to_owned())];
        };
        let mut runs: Vec<(bool, String)> = Vec::new();
        for c in s.chars() {
            let c = if c.is_control() { ' ' } else { c };
            let alt = self.fallback.is_some() && !has(main_font, c) && has(FALLBACK.as_ref(), c);
            match runs.last_mut() {
                Some((a, run)) if *a == alt => run.push(c),
                _ => runs.push((alt, c.to_string())),
            }
        }
        runs.into_iter()
            .map(|(alt, run)| {
                let id = match (&self.fallback, alt) {
                    (Some(f), true) => f.clone(),
                    _ => main.clone(),
                };
                (PdfFontHandle::External(id), run)
            })
            .collect()
    }
}

fn has(font: Option<&ParsedFont>, c: char) -> bool {
    font.is_some_and(|f| f.lookup_glyph_index(c as u32).is_some())
}
