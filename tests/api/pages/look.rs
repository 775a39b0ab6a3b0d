//! Every page state a scenario reaches is checked the same way: axe-core (vendored, see
//! `vendor/README.md`) finds no serious or critical accessibility violation, and screenshots
//! at phone and laptop sizes go to `target/screenshots/`.

use std::path::PathBuf;

use serde_json::{Value, json};

use super::browser::Browser;

const AXE: &str = include_str!("vendor/axe.min.js");

/// Phone (an iPhone 12–15's viewport in CSS pixels, as a touch device) and laptop.
pub const SIZES: [(&str, u32, u32, bool); 2] =
    [("phone", 390, 844, true), ("laptop", 1366, 768, false)];

fn screenshots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The phone's viewport (390×844 CSS pixels, a touch device), for the rest of a scenario.
pub async fn phone(b: &Browser) {
    let (_, width, height, mobile) = SIZES[0];
    b.cdp(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}),
    )
    .await;
}

/// On the phone with text at 200 %, nothing is wider than the screen (the text size is put
/// back; the phone's viewport stays).
pub async fn fits_phone_at_200(b: &Browser, name: &str) {
    phone(b).await;
    let overflow = b
        .js(r#"
            const root = document.documentElement;
            root.style.fontSize = '200%';
            const wide = [...document.querySelectorAll('body *')]
              .filter((el) => el.getBoundingClientRect().right > innerWidth + 1 && el.checkVisibility())
              .map((el) => el.tagName + '.' + el.className);
            const scroll = root.scrollWidth - innerWidth;
            root.style.fontSize = '';
            return { scroll, wide: wide.slice(0, 5) };
        "#)
        .await;
    assert!(
        overflow["scroll"].as_i64().unwrap_or(1) <= 0,
        "{name}: wider than a phone at 200 % text: {overflow}"
    );
}

/// What axe reports as serious or critical on the page as it is now (at both sizes: a
/// layout can hide or crowd things on one of them).
pub async fn check(b: &Browser, name: &str) {
    check_showing(b, name, None).await;
}

/// As [`check`], with the element `css` scrolled to the top of the screenshots.
pub async fn check_showing(b: &Browser, name: &str, css: Option<&str>) {
    for (size, width, height, mobile) in SIZES {
        // The viewport itself (a window size would include the browser's own frame).
        b.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}),
        )
        .await;
        // Animations jump to their end (axe would read colours half faded in), and the
        // layout settles at the new size.
        b.c.execute_async(
            "const done = arguments[arguments.length - 1]; \
             for (const a of document.getAnimations()) { try { a.finish(); } catch (e) {} } \
             requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
            vec![],
        )
        .await
        .unwrap();
        if let Some(css) = css {
            // A live update may be redrawing it this instant: wait until it shows again.
            b.shown(css, None).await;
            b.js_with(
                "const el = document.querySelector(arguments[0]); \
                 if (el) el.scrollIntoView({block: 'start'}); return true;",
                vec![json!(css)],
            )
            .await;
        }
        let png = b.c.screenshot().await.unwrap();
        std::fs::write(screenshots().join(format!("{name}-{size}.png")), png).unwrap();
        let found = axe(b).await;
        let bad: Vec<&Value> = found
            .iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .collect();
        assert!(
            bad.is_empty(),
            "{name} ({size}): accessibility violations: {}",
            serde_json::to_string_pretty(&bad).unwrap()
        );
        for v in &found {
            eprintln!(
                "{name} ({size}): axe {} ({}): {}",
                v["id"], v["impact"], v["help"]
            );
        }
    }
    b.cdp("Emulation.clearDeviceMetricsOverride", json!({}))
        .await;
}

/// axe-core's violations on the current page (injected when the page lacks it).
async fn axe(b: &Browser) -> Vec<Value> {
    let present = b.js("return typeof window.axe === 'object'").await;
    if present != Value::Bool(true) {
        b.js(&format!("{AXE}\n;return true;")).await;
    }
    let result =
        b.c.execute_async(
            r#"
            const done = arguments[arguments.length - 1];
            axe.run(document, { resultTypes: ['violations'] })
              .then((r) => done(r.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ') + ': ' + n.failureSummary),
              }))))
              .catch((e) => done({ error: String(e) }));
            "#,
            vec![],
        )
        .await
        .unwrap();
    assert!(result.get("error").is_none(), "axe failed: {result}");
    result.as_array().cloned().unwrap_or_default()
}
