//! The pupils' CSV: a header `name` or `name,email` (any case, a UTF-8 byte-order mark
//! allowed), then one pupil a line, at most [`MAX_ROWS`]. Fields may be quoted as RFC 4180
//! has it (`"Smith, Jo"`, `""` for a quote). Blank lines are passed over. A row's line is the
//! line of the file it starts on (the header is line 1), as a teacher's spreadsheet numbers it.

pub const MAX_ROWS: usize = 500;

/// One pupil's line, as written.
#[derive(Debug, PartialEq)]
pub struct Row {
    pub line: usize,
    pub name: String,
    pub email: Option<String>,
}

/// A line that is no pupil, and why.
#[derive(Debug, PartialEq)]
pub struct Bad {
    pub line: usize,
    pub reason: String,
}

/// Why the whole file is refused.
#[derive(Debug, PartialEq)]
pub enum Refused {
    Header(String),
    TooManyRows,
}

/// The file's rows and the lines that could not be read as rows.
pub fn parse(text: &str) -> Result<(Vec<Row>, Vec<Bad>), Refused> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = records(text).into_iter();
    let (_, header) = records
        .find(|(_, r)| !is_blank(r))
        .ok_or_else(|| Refused::Header("the file is empty: it needs a header `name`".into()))?;
    let header: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
    let with_email = match header.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["name"] => false,
        ["name", "email"] => true,
        _ => {
            return Err(Refused::Header(
                "the header must be `name` or `name,email`".into(),
            ));
        }
    };
    let mut rows = Vec::new();
    let mut bad = Vec::new();
    for (line, fields) in records.filter(|(_, r)| !is_blank(r)) {
        if rows.len() + bad.len() == MAX_ROWS {
            return Err(Refused::TooManyRows);
        }
        let wanted = if with_email { 2 } else { 1 };
        // A missing or empty email (`Ada`, `Ada,`) is as good as none.
        if fields.len() > wanted {
            bad.push(Bad {
                line,
                reason: format!("{} fields, the header has {wanted}", fields.len()),
            });
            continue;
        }
        let mut fields = fields.into_iter();
        let name = fields.next().unwrap_or_default();
        let email = fields
            .next()
            .map(|e| e.trim().to_lowercase())
            .filter(|e| !e.is_empty());
        rows.push(Row { line, name, email });
    }
    Ok((rows, bad))
}

fn is_blank(r: &[String]) -> bool {
    r.iter().all(|f| f.trim().is_empty())
}

/// The records of the text, each with the line it starts on.
fn records(text: &str) -> Vec<(usize, Vec<String>)> {
    let mut out = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut line = 1;
    let mut start = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => {
                if c == '\n' {
                    line += 1;
                }
                field.push(c);
            }
            (false, '"') if field.trim().is_empty() => {
                field.clear();
                quoted = true;
            }
            (false, ',') => fields.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') | (false, '\r') => {
                fields.push(std::mem::take(&mut field));
                out.push((start, std::mem::take(&mut fields)));
                line += 1;
                start = line;
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !fields.is_empty() {
        fields.push(field);
        out.push((start, fields));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_keep_their_lines_and_quotes() {
        let (rows, bad) =
            parse("\u{feff}Name,Email\r\nAda,\n\n\"Smith, Jo\",JO@School.example\nBo,x,y\n")
                .unwrap();
        assert_eq!(
            rows,
            vec![
                Row {
                    line: 2,
                    name: "Ada".into(),
                    email: None
                },
                Row {
                    line: 4,
                    name: "Smith, Jo".into(),
                    email: Some("jo@school.example".into())
                },
            ]
        );
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].line, 5);
    }

    #[test]
    fn a_bad_header_or_too_many_rows_refuse_the_file() {
        assert!(matches!(
            parse("first,last\nA,B\n"),
            Err(Refused::Header(_))
        ));
        assert!(matches!(parse(""), Err(Refused::Header(_))));
        let mut text = String::from("name\n");
        for i in 0..MAX_ROWS {
            text.push_str(&format!("P{i}\n"));
        }
        assert_eq!(parse(&text).unwrap().0.len(), MAX_ROWS);
        text.push_str("One too many\n");
        assert_eq!(parse(&text), Err(Refused::TooManyRows));
    }

    #[test]
    fn a_quoted_newline_stays_in_its_field() {
        let (rows, _) = parse("name\n\"A\nB\"\nC").unwrap();
        assert_eq!(rows[0].name, "A\nB");
        assert_eq!(rows[1].line, 4);
    }
}
