//! The layer rule, kept by a test: `web` (and the command line) may use everything, `features`
//! may use `features` and `infra`, `infra` only itself. A file is in the layer of the folder
//! it sits in; an arrow is any `crate::<layer>` path outside comments.

use std::path::{Path, PathBuf};

/// Higher uses lower, never the other way.
fn rank(layer: &str) -> Option<u8> {
    match layer {
        "infra" => Some(0),
        "features" => Some(1),
        "web" | "cli" => Some(2),
        _ => None,
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The text without `//` comments (doc comments name other layers in prose).
fn code(text: &str) -> String {
    text.lines()
        .map(|l| l.split_once("//").map_or(l, |(code, _)| code))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Each `crate::<first segment>` the code names.
fn arrows(code: &str) -> Vec<&str> {
    code.match_indices("crate::")
        .filter(|(at, _)| {
            // `studyhub_crate::` or `my_crate::` are not this crate.
            !code[..*at].ends_with(|c: char| c.is_alphanumeric() || c == '_')
        })
        .map(|(at, m)| {
            let rest = &code[at + m.len()..];
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            &rest[..end]
        })
        .collect()
}

/// Every arrow that points up, as "file -> layer".
fn violations(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut found = Vec::new();
    for file in files {
        let rel = file.strip_prefix(src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let here = rank(first.trim_end_matches(".rs")).unwrap_or(2);
        let text = std::fs::read_to_string(&file).unwrap();
        for target in arrows(&code(&text)) {
            if rank(target).is_some_and(|there| there > here) {
                found.push(format!("{} -> crate::{target}", rel.display()));
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

#[test]
fn arrows_point_down_only() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let up = violations(&src);
    assert!(
        up.is_empty(),
        "these files use a layer above their own (docs/architecture.md):\n{}",
        up.join("\n")
    );
}

#[test]
fn the_check_sees_an_upward_arrow() {
    let dir = tempfile::tempdir().unwrap();
    let infra = dir.path().join("infra");
    std::fs::create_dir(&infra).unwrap();
    std::fs::write(
        infra.join("db.rs"),
        "// crate::web in a comment is prose\nuse crate::infra::time;\nuse crate::features::audit;\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("cli.rs"), "use crate::web::app;\n").unwrap();
    assert_eq!(violations(dir.path()), ["infra/db.rs -> crate::features"]);
}
