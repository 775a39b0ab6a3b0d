//! Pupils' sign-in cards, eight to an A4 page (cut along the lines): the pupil's name, the
//! class, their two pictures in order, and a QR code of the address that signs them in.

use printpdf::*;
use qrcode::{Color as QrColor, EcLevel, QrCode};

use super::fonts::{Face, Fonts};
use super::{rect, text};

/// One card to print.
pub struct Card {
    pub name: String,
    pub pictures: [String; 2],
    /// The address the QR code holds (`…/signin?card=TOKEN`).
    pub url: String,
}

const PER_PAGE: usize = 8;
const W: f32 = 90.0;
const H: f32 = 65.0;
const LEFT: f32 = 12.0;
const TOP: f32 = 285.0;
const GAP: f32 = 6.0;
const QR: f32 = 38.0;

/// The class's cards as a PDF (one page with a line of text when there are none).
pub fn pdf(class_name: &str, cards: &[Card]) -> Vec<u8> {
    let mut doc = PdfDocument::new(&format!("Sign-in cards - {class_name}"));
    let fonts = Fonts::add(
        &mut doc,
        std::iter::once(class_name).chain(cards.iter().map(|c| c.name.as_str())),
    );
    let mut pages = Vec::new();
    if cards.is_empty() {
        let mut ops = Vec::new();
        let line = format!("{class_name}: no pupils to print cards for yet.");
        text(&mut ops, &fonts, 20.0, 270.0, 14.0, Face::Regular, &line);
        pages.push(PdfPage::new(Mm(210.0), Mm(297.0), ops));
    }
    for chunk in cards.chunks(PER_PAGE) {
        let mut ops = Vec::new();
        for (i, card) in chunk.iter().enumerate() {
            let x = LEFT + (i % 2) as f32 * (W + GAP);
            let y = TOP - (i / 2) as f32 * (H + 4.0) - H;
            one_card(&mut ops, &fonts, x, y, class_name, card);
        }
        pages.push(PdfPage::new(Mm(210.0), Mm(297.0), ops));
    }
    doc.with_pages(pages)
        .save(&PdfSaveOptions::default(), &mut Vec::new())
}

/// One card with its lower-left corner at (x, y).
fn one_card(ops: &mut Vec<Op>, fonts: &Fonts, x: f32, y: f32, class_name: &str, card: &Card) {
    let line = (0.6, 0.6, 0.6);
    rect(ops, x, y, W, 0.3, line);
    rect(ops, x, y + H, W, 0.3, line);
    rect(ops, x, y, 0.3, H, line);
    rect(ops, x + W, y, 0.3, H + 0.3, line);
    let name = super::truncate(&card.name, 22);
    text(ops, fonts, x + 4.0, y + H - 10.0, 16.0, Face::Bold, &name);
    let class_line = super::truncate(class_name, 30);
    text(
        ops,
        fonts,
        x + 4.0,
        y + H - 16.0,
        9.0,
        Face::Regular,
        &class_line,
    );
    text(
        ops,
        fonts,
        x + 4.0,
        y + H - 28.0,
        10.0,
        Face::Regular,
        "My pictures:",
    );
    for (i, p) in card.pictures.iter().enumerate() {
        let label = format!("{}. {p}", i + 1);
        let ty = y + H - 36.0 - i as f32 * 7.0;
        text(ops, fonts, x + 6.0, ty, 13.0, Face::Bold, &label);
    }
    text(
        ops,
        fonts,
        x + 4.0,
        y + 5.0,
        8.0,
        Face::Regular,
        "Scan to sign in",
    );
    qr(ops, x + W - QR - 3.0, y + 4.0, &card.url);
}

/// The QR code of `data` in a `QR` mm square at (x, y), dark modules as filled runs.
fn qr(ops: &mut Vec<Op>, x: f32, y: f32, data: &str) {
    let Ok(code) = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M) else {
        tracing::warn!("a sign-in card's address does not fit a QR code");
        return;
    };
    let n = code.width();
    // Four modules of quiet zone round the code, as readers need.
    let module = QR / (n + 8) as f32;
    let colors = code.to_colors();
    for row in 0..n {
        let mut col = 0;
        while col < n {
            if colors[row * n + col] != QrColor::Dark {
                col += 1;
                continue;
            }
            let start = col;
            while col < n && colors[row * n + col] == QrColor::Dark {
                col += 1;
            }
            let mx = x + (start + 4) as f32 * module;
            let my = y + QR - (row + 5) as f32 * module;
            // A hair wider than the module, so runs touch without white seams.
            let w = (col - start) as f32 * module;
            rect(ops, mx, my, w, module + 0.02, (0.0, 0.0, 0.0));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cards(n: usize) -> Vec<Card> {
        (0..n)
            .map(|i| Card {
                name: format!("Pupil {i}"),
                pictures: ["cat".into(), "sun".into()],
                url: format!("http://127.0.0.1:8080/signin?card=token{i}"),
            })
            .collect()
    }

    #[test]
    fn eight_cards_a_page_with_each_name() {
        let bytes = pdf("Class 1A", &cards(9));
        let doc = lopdf::Document::load_mem(&bytes).unwrap();
        assert_eq!(doc.get_pages().len(), 2);
        let first = doc.extract_text(&[1]).unwrap();
        assert!(
            first.contains("Pupil 0") && first.contains("Pupil 7"),
            "{first}"
        );
        assert!(doc.extract_text(&[2]).unwrap().contains("Pupil 8"));
    }

    #[test]
    fn no_pupils_is_one_page_that_says_so() {
        let doc = lopdf::Document::load_mem(&pdf("Class 1A", &[])).unwrap();
        assert_eq!(doc.get_pages().len(), 1);
    }
}
