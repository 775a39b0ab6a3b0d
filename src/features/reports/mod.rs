//! The weekly report a parent can print (PDF) or open in a spreadsheet (CSV): time per day,
//! activities with accuracy and stars, the questions to practise, achievements, and a bar
//! chart of the week.

use chrono::{Datelike, Duration, NaiveDate};
use printpdf::*;

pub mod cards;
mod fonts;

use self::fonts::{Face, Fonts};

/// What goes into one learner's week.
#[derive(Debug, Clone, Default)]
pub struct WeekReport {
    pub child_name: String,
    pub week: String,
    pub from: NaiveDate,
    /// Seconds of screen time on each of the 7 days, Monday first.
    pub screen_seconds: [i64; 7],
    pub sessions: Vec<SessionLine>,
    pub achievements: Vec<(String, NaiveDate)>,
    /// The questions missed most often this week, most first (the weekly view's
    /// `most_missed`).
    pub missed: Vec<MissedLine>,
}

/// A question to practise: what was asked, in which activity, and how often it was missed.
#[derive(Debug, Clone)]
pub struct MissedLine {
    pub activity: String,
    pub prompt: String,
    pub times: i64,
}

#[derive(Debug, Clone)]
pub struct SessionLine {
    pub date: NaiveDate,
    pub activity: String,
    pub category: String,
    pub accuracy: f64,
    pub stars: i32,
    pub duration_seconds: i64,
}

impl WeekReport {
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        (0..7).map(|i| self.from + Duration::days(i))
    }

    /// One row per day: the numbers a spreadsheet wants.
    pub fn csv(&self) -> String {
        let mut out = String::from(
            "date,weekday,screen_time_seconds,activities_completed,average_accuracy,stars\n",
        );
        for (i, day) in self.days().enumerate() {
            let done: Vec<&SessionLine> = self.sessions.iter().filter(|s| s.date == day).collect();
            let avg = if done.is_empty() {
                String::new()
            } else {
                format!(
                    "{:.1}",
                    done.iter().map(|s| s.accuracy).sum::<f64>() / done.len() as f64
                )
            };
            out.push_str(&format!(
                "{day},{},{},{},{avg},{}\n",
                day.weekday(),
                self.screen_seconds[i],
                done.len(),
                done.iter().map(|s| s.stars as i64).sum::<i64>()
            ));
        }
        out
    }

    /// A one-page (or longer) A4 PDF.
    pub fn pdf(&self) -> Vec<u8> {
        let mut doc = PdfDocument::new(&format!(
            "Weekly report - {} - {}",
            self.child_name, self.week
        ));
        let fonts = Fonts::add(
            &mut doc,
            std::iter::once(self.child_name.as_str())
                .chain(
                    self.sessions
                        .iter()
                        .flat_map(|s| [s.activity.as_str(), s.category.as_str()]),
                )
                .chain(self.achievements.iter().map(|a| a.0.as_str())),
        );
        let mut pages = Vec::new();
        let mut ops = Vec::new();
        let mut y = 275.0;
        text(
            &mut ops,
            &fonts,
            20.0,
            y,
            22.0,
            Face::Bold,
            &format!("Weekly report: {}", self.child_name),
        );
        y -= 9.0;
        let to = self.from + Duration::days(6);
        text(
            &mut ops,
            &fonts,
            20.0,
            y,
            12.0,
            Face::Regular,
            &format!(
                "Week {} ({} to {})",
                self.week,
                self.from.format("%e %b"),
                to.format("%e %b %Y")
            ),
        );
        y -= 12.0;

        // Screen time per day, as bars.
        text(
            &mut ops,
            &fonts,
            20.0,
            y,
            14.0,
            Face::Bold,
            "Screen time per day",
        );
        y -= 6.0;
        let max = self
            .screen_seconds
            .iter()
            .copied()
            .max()
            .unwrap_or(0)
            .max(60) as f32;
        let base = y - 45.0;
        for (i, day) in self.days().enumerate() {
            let x = 25.0 + i as f32 * 24.0;
            let h = 40.0 * self.screen_seconds[i] as f32 / max;
            rect(&mut ops, x, base, 14.0, h.max(0.3), (0.27, 0.51, 0.71));
            text(
                &mut ops,
                &fonts,
                x,
                base - 5.0,
                9.0,
                Face::Regular,
                &day.format("%a").to_string(),
            );
            text(
                &mut ops,
                &fonts,
                x,
                base + h + 2.0,
                9.0,
                Face::Regular,
                &format!("{} min", self.screen_seconds[i] / 60),
            );
        }
        y = base - 16.0;
        let total_min: i64 = self.screen_seconds.iter().sum::<i64>() / 60;
        text(
            &mut ops,
            &fonts,
            20.0,
            y,
            11.0,
            Face::Regular,
            &format!("Total: {} h {} min", total_min / 60, total_min % 60),
        );
        y -= 12.0;

        // Activities.
        text(&mut ops, &fonts, 20.0, y, 14.0, Face::Bold, "Activities");
        y -= 7.0;
        if self.sessions.is_empty() {
            text(
                &mut ops,
                &fonts,
                20.0,
                y,
                11.0,
                Face::Regular,
                "No activities completed this week.",
            );
            y -= 7.0;
        } else {
            for (x, head) in [
                (20.0, "Day"),
                (45.0, "Activity"),
                (135.0, "Subject"),
                (160.0, "Accuracy"),
                (183.0, "Stars"),
            ] {
                text(&mut ops, &fonts, x, y, 10.0, Face::Bold, head);
            }
            y -= 6.0;
            for s in &self.sessions {
                if y < 30.0 {
                    pages.push(PdfPage::new(Mm(210.0), Mm(297.0), std::mem::take(&mut ops)));
                    y = 275.0;
                }
                text(
                    &mut ops,
                    &fonts,
                    20.0,
                    y,
                    10.0,
                    Face::Regular,
                    &s.date.format("%a %e").to_string(),
                );
                text(
                    &mut ops,
                    &fonts,
                    45.0,
                    y,
                    10.0,
                    Face::Regular,
                    &truncate(&s.activity, 48),
                );
                text(&mut ops, &fonts, 135.0, y, 10.0, Face::Regular, &s.category);
                text(
                    &mut ops,
                    &fonts,
                    160.0,
                    y,
                    10.0,
                    Face::Regular,
                    &format!("{:.0} %", s.accuracy),
                );
                text(
                    &mut ops,
                    &fonts,
                    183.0,
                    y,
                    10.0,
                    Face::Regular,
                    &"*".repeat(s.stars.clamp(0, 3) as usize),
                );
                y -= 6.0;
            }
        }
        y -= 6.0;
        if !self.missed.is_empty() {
            if y < 50.0 {
                pages.push(PdfPage::new(Mm(210.0), Mm(297.0), std::mem::take(&mut ops)));
                y = 275.0;
            }
            text(&mut ops, &fonts, 20.0, y, 14.0, Face::Bold, "To practise");
            y -= 7.0;
            for m in &self.missed {
                if y < 30.0 {
                    pages.push(PdfPage::new(Mm(210.0), Mm(297.0), std::mem::take(&mut ops)));
                    y = 275.0;
                }
                text(
                    &mut ops,
                    &fonts,
                    20.0,
                    y,
                    10.0,
                    Face::Regular,
                    &truncate(&m.prompt, 70),
                );
                let times = if m.times == 1 {
                    "missed once".to_string()
                } else {
                    format!("missed {} times", m.times)
                };
                text(
                    &mut ops,
                    &fonts,
                    135.0,
                    y,
                    9.0,
                    Face::Regular,
                    &format!("{}, {times}", truncate(&m.activity, 28)),
                );
                y -= 6.0;
            }
            y -= 6.0;
        }
        if y < 40.0 {
            pages.push(PdfPage::new(Mm(210.0), Mm(297.0), std::mem::take(&mut ops)));
            y = 275.0;
        }
        text(&mut ops, &fonts, 20.0, y, 14.0, Face::Bold, "Achievements");
        y -= 7.0;
        if self.achievements.is_empty() {
            text(
                &mut ops,
                &fonts,
                20.0,
                y,
                11.0,
                Face::Regular,
                "None new this week - keep going!",
            );
        }
        for (title, day) in &self.achievements {
            if y < 20.0 {
                pages.push(PdfPage::new(Mm(210.0), Mm(297.0), std::mem::take(&mut ops)));
                y = 275.0;
            }
            text(
                &mut ops,
                &fonts,
                20.0,
                y,
                11.0,
                Face::Regular,
                &format!("{}  ({})", title, day.format("%a %e %b")),
            );
            y -= 6.0;
        }
        text(
            &mut ops,
            &fonts,
            20.0,
            12.0,
            8.0,
            Face::Regular,
            "studyhub weekly report",
        );
        pages.push(PdfPage::new(Mm(210.0), Mm(297.0), ops));
        doc.with_pages(pages)
            .save(&PdfSaveOptions::default(), &mut Vec::new())
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}...", s.chars().take(n - 3).collect::<String>())
    }
}

fn text(ops: &mut Vec<Op>, fonts: &Fonts, x: f32, y: f32, size: f32, face: Face, s: &str) {
    ops.extend([
        Op::StartTextSection,
        Op::SetTextCursor {
            pos: Point::new(Mm(x), Mm(y)),
        },
        Op::SetFillColor {
            col: Color::Rgb(Rgb {
                r: 0.1,
                g: 0.1,
                b: 0.1,
                icc_profile: None,
            }),
        },
    ]);
    for (font, run) in fonts.runs(face, s) {
        ops.extend([
            Op::SetFont {
                font,
                size: Pt(size),
            },
            Op::ShowText {
                items: vec![TextItem::Text(run)],
            },
        ]);
    }
    ops.push(Op::EndTextSection);
}

fn rect(ops: &mut Vec<Op>, x: f32, y: f32, w: f32, h: f32, (r, g, b): (f32, f32, f32)) {
    ops.push(Op::SetFillColor {
        col: Color::Rgb(Rgb {
            r,
            g,
            b,
            icc_profile: None,
        }),
    });
    let mut poly =
        Rect::from_xywh(Mm(x).into(), Mm(y).into(), Mm(w).into(), Mm(h).into()).to_polygon();
    poly.mode = PaintMode::Fill;
    ops.push(Op::DrawPolygon { polygon: poly });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> WeekReport {
        WeekReport {
            child_name: "Zoë".into(),
            week: "2026-W47".into(),
            from: NaiveDate::from_ymd_opt(2026, 11, 16).unwrap(),
            screen_seconds: [600, 0, 1200, 0, 0, 300, 0],
            sessions: vec![SessionLine {
                date: NaiveDate::from_ymd_opt(2026, 11, 16).unwrap(),
                activity: "Adding Up to 20".into(),
                category: "math".into(),
                accuracy: 85.7,
                stars: 2,
                duration_seconds: 240,
            }],
            achievements: vec![(
                "First Steps".into(),
                NaiveDate::from_ymd_opt(2026, 11, 16).unwrap(),
            )],
            missed: vec![MissedLine {
                activity: "Adding Up to 20".into(),
                prompt: "What is 8 + 5?".into(),
                times: 3,
            }],
        }
    }

    #[test]
    fn csv_has_a_row_per_day() {
        let csv = sample().csv();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 8);
        assert_eq!(lines[1], "2026-11-16,Mon,600,1,85.7,2");
        assert_eq!(lines[2], "2026-11-17,Tue,0,0,,0");
    }

    #[test]
    fn pdf_is_a_pdf_with_the_text() {
        let bytes = sample().pdf();
        assert!(bytes.starts_with(b"%PDF-"));
        let doc = lopdf::Document::load_mem(&bytes).unwrap();
        let text = doc.extract_text(&[1]).unwrap();
        assert!(text.contains("Weekly report: Zoë"), "{text}");
        assert!(text.contains("Adding Up to 20"));
        assert!(text.contains("First Steps"));
        assert!(text.contains("To practise"), "{text}");
        assert!(text.contains("What is 8 + 5?"), "{text}");
        assert!(text.contains("missed 3 times"), "{text}");
    }

    /// Names in any script print as written (not as `?`): Cyrillic and Greek from DejaVu,
    /// Chinese from the fallback font, in one line.
    #[test]
    fn pdf_prints_names_in_other_scripts() {
        let mut report = sample();
        report.child_name = "Мария Ελένη 王芳".into();
        let doc = lopdf::Document::load_mem(&report.pdf()).unwrap();
        let text = doc.extract_text(&[1]).unwrap();
        for part in ["Мария", "Ελένη", "王芳"] {
            assert!(text.contains(part), "{part} missing from {text}");
        }
    }
}
