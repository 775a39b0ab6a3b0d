//! A child plays, on a phone, an activity a teacher wrote with every kind of question media:
//! the introduction and each prompt are read aloud (narration is on in the child's
//! settings), a stave is drawn, a chord plays from the Play button, apples are counted, a
//! recording plays with its picture, several answers are picked at once and a sum of
//! fractions is drawn as maths. Each state
//! passes axe-core, fits the phone at 200 % text, and is photographed.
//!
//! Headless Chromium has no speakers and no voices: the test checks what the page asked
//! for instead. Speech goes through a spy on `speechSynthesis.speak` (the text and volume
//! of each utterance), recordings through one on `HTMLMediaElement.play` (which file, at
//! what volume, and that it started); synthesized sound is checked twice: `data-played` once the Play button scheduled
//! the chord, and the page's own synthesizer rendered into an `OfflineAudioContext`, whose
//! samples carry exactly the chord's three pitches (and a melody's notes in turn).

use serde_json::{Value, json};

use super::actions::sign_in;
use super::browser::{Browser, Driver};
use super::look::{check, fits_phone_at_200, phone};
use crate::common::spawn_app;

/// axe and the screenshots (`look::check`), then back on the phone: it fits at 200 % text.
async fn look(b: &Browser, name: &str) {
    check(b, name).await;
    fits_phone_at_200(b, name).await;
}

const INTRODUCTION: &str = "Look, listen and count. Tap Play to hear the sounds.";
const STAVE_ALT: &str = "Four crotchets on a treble stave in G major: G, A, B and C.";
const STAVE_PROMPT: &str = "Which key is this tune in?";
const LISTEN_PROMPT: &str = "Listen. Is this chord major or minor?";
const COUNT_PROMPT: &str = "How many apples are there?";
const RECORD_PROMPT: &str = "Play the recording. Is it a hum?";
const NARRATION: &str = "/v1/content/test/narration.wav";
const HUM: &str = "/v1/content/test/hum.wav";
const DOT: &str = "/v1/content/test/dot.png";
const DOT_ALT: &str = "A small red square";

/// Half a second of a 440 Hz tone: a WAV file (8 kHz, 16-bit, mono).
fn tone_wav() -> Vec<u8> {
    let rate = 8000u32;
    let data: Vec<u8> = (0..rate / 2)
        .flat_map(|i| {
            let t = f64::from(i) / f64::from(rate);
            (((t * 440.0 * std::f64::consts::TAU).sin() * 8000.0) as i16).to_le_bytes()
        })
        .collect();
    let mut wav = b"RIFF".to_vec();
    wav.extend((36 + data.len() as u32).to_le_bytes());
    wav.extend(b"WAVEfmt ");
    wav.extend(16u32.to_le_bytes());
    wav.extend(1u16.to_le_bytes()); // PCM
    wav.extend(1u16.to_le_bytes()); // mono
    wav.extend(rate.to_le_bytes());
    wav.extend((rate * 2).to_le_bytes());
    wav.extend(2u16.to_le_bytes());
    wav.extend(16u16.to_le_bytes());
    wav.extend(b"data");
    wav.extend((data.len() as u32).to_le_bytes());
    wav.extend(data);
    wav
}

/// An 8×8 PNG.
const DOT_PNG: &[u8] = b"\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x08\x00\x00\x00\x08\x08\x02\x00\x00\x00\x4b\x6d\x29\xdc\x00\x00\x00\x11\x49\x44\x41\x54\x78\x9c\x63\xb0\xb6\xdf\x86\x15\x31\x0c\x2d\x09\x00\x93\xbb\x4c\x01\x48\xb6\x74\x36\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82";

fn activity(slug: &str) -> Value {
    json!({
        "id": slug,
        "title": "Look, listen and count",
        "description": "Staves, sounds, pictures and sums.",
        "category": "music",
        "difficulty": 1,
        "age_min": 5,
        "age_max": 10,
        "introduction": INTRODUCTION,
        "questions": [
            {"id": "stave", "prompt": STAVE_PROMPT, "answer_type": "multiple_choice",
             "options": ["G major", "F major", "D minor"], "correct_answer": "G major",
             "notation": "X:1\nM:4/4\nL:1/4\nK:G\nG A B c |]", "notation_alt": STAVE_ALT},
            {"id": "listen", "prompt": LISTEN_PROMPT, "answer_type": "multiple_choice",
             "options": ["Major", "Minor"], "correct_answer": "Major",
             "audio": {"notes": ["C4", "E4", "G4"], "durations": [2, 2, 2], "play": "harmonic", "tempo_bpm": 40}},
            {"id": "count", "prompt": COUNT_PROMPT, "answer_type": "number", "correct_answer": 7,
             "visual": {"kind": "count", "icon": "apple", "count": 7}},
            {"id": "record", "prompt": RECORD_PROMPT, "answer_type": "true_false", "correct_answer": true,
             "narration_url": NARRATION, "audio": {"url": HUM}, "image_url": DOT, "image_alt": DOT_ALT},
            {"id": "even", "prompt": "Which numbers are even?", "answer_type": "multi_select",
             "options": ["2", "3", "4", "7", "8"], "correct_answer": ["2", "4", "8"]},
            {"id": "sum", "prompt": "Add the fractions.", "answer_type": "multiple_choice",
             "options": ["7/8", "4/12", "1"], "correct_answer": "7/8", "formula": "3/4 + 1/8 = ?"}
        ]
    })
}

/// What the page asked the browser to say, in order: `[{text, volume}]`.
async fn spoken(b: &Browser) -> Vec<Value> {
    b.js("return window.__spoken || []")
        .await
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Waits for the page to have said `text` (the last thing said) at `volume`.
async fn said(b: &Browser, text: &str, volume: f64) {
    b.until(&format!("{text:?} read aloud"), || async {
        let all = spoken(b).await;
        all.last().is_some_and(|u| {
            u["text"] == text && (u["volume"].as_f64().unwrap_or(0.0) - volume).abs() < 1e-6
        })
    })
    .await;
    let body = b
        .js("return [document.body.dataset.spoken, document.body.dataset.spokenVolume]")
        .await;
    assert_eq!(body, json!([text, volume.to_string()]));
}

async fn verdict_right(b: &Browser) {
    b.wait_text("[data-screen=question] .feedback.right .verdict", "right")
        .await;
}

#[actix_web::test]
async fn a_child_reads_listens_counts_and_picks_on_a_phone() {
    let Some(driver) = Driver::start("pages::media").await else {
        return;
    };
    let app = spawn_app().await;

    // The recordings and the picture are in the content store.
    for (path, bytes, kind) in [
        (NARRATION, tone_wav(), "audio/wav"),
        (HUM, tone_wav(), "audio/wav"),
        (DOT, DOT_PNG.to_vec(), "image/png"),
    ] {
        app.state
            .storage
            .put(
                path.strip_prefix("/v1/").unwrap(),
                bytes::Bytes::from(bytes),
                kind,
            )
            .await
            .unwrap();
    }

    // A teacher writes the activity and makes a class; the parent puts the child in it and
    // leaves narration on, at a volume of their choosing.
    let teacher = app.register("teacher").await;
    let slug = format!("media-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let res = app
        .post("/v1/activities", Some(&teacher.access), &activity(&slug))
        .await;
    assert_eq!(res.status.as_u16(), 201, "{}", res.body);
    let class = app
        .post(
            "/v1/classes",
            Some(&teacher.access),
            &json!({"name": "Class 2"}),
        )
        .await;
    assert_eq!(class.status.as_u16(), 201, "{}", class.body);
    let (parent, child) = app.parent_with_child("Mia").await;
    let joined = app
        .post(
            &format!("/v1/children/{child}/classes"),
            Some(&parent.access),
            &json!({"join_code": class.body["join_code"]}),
        )
        .await;
    assert!(joined.status.is_success(), "{}", joined.body);
    let settings = app
        .put(
            &format!("/v1/children/{child}/settings"),
            Some(&parent.access),
            &json!({"narration_enabled": true, "volume": 0.6}),
        )
        .await;
    assert!(settings.status.is_success(), "{}", settings.body);

    // On the phone the parent signs in and picks Mia.
    let b = driver.browser(&app.address, "child").await;
    phone(&b).await;
    sign_in(&b, &parent.email, "/play").await;
    b.click("#children .child", Some("Mia")).await;
    b.wait_text("#hello-name", "Mia").await;
    // Headless Chromium has no voices or speakers: spies note each utterance and each
    // recording played (and whether it started), then let them through.
    b.js(r#"
        window.__spoken = [];
        const synth = window.speechSynthesis;
        const speak = synth.speak.bind(synth);
        synth.speak = (u) => { window.__spoken.push({ text: u.text, volume: u.volume }); speak(u); };
        window.__played = [];
        const play = HTMLMediaElement.prototype.play;
        HTMLMediaElement.prototype.play = function () {
          const entry = { src: new URL(this.src).pathname, volume: this.volume, started: null };
          window.__played.push(entry);
          const going = play.call(this);
          going.then(() => { entry.started = true; }, (e) => { entry.started = e.name; });
          return going;
        };
        return true;
    "#)
    .await;
    b.click(&format!("#catalog .activity[data-activity='{slug}']"), None)
        .await;

    // The introduction first, read aloud at the child's volume.
    b.wait_text("[data-screen=intro] .intro-text", INTRODUCTION)
        .await;
    said(&b, INTRODUCTION, 0.6).await;
    look(&b, "play-intro").await;
    b.click("#intro-start", None).await;

    // A stave: drawn (an svg in the element that says what it shows), the prompt read out,
    // and read again from the button.
    b.wait_text("[data-screen=question] .prompt", STAVE_PROMPT)
        .await;
    b.wait_js(
        "the stave is drawn",
        "document.querySelector('.stave[role=img]')?.dataset.drawn === 'yes' && document.querySelector('.stave svg') !== null",
    )
    .await;
    let stave = b
        .js("const s = document.querySelector('.stave'); return [s.getAttribute('aria-label'), s.querySelectorAll('svg path').length > 10, s.querySelector('svg').getAttribute('aria-hidden')]")
        .await;
    assert_eq!(stave, json!([STAVE_ALT, true, "true"]));
    said(&b, STAVE_PROMPT, 0.6).await;
    let before = spoken(&b).await.len();
    b.click(".read-aloud", Some("Read it to me")).await;
    b.until("the button reads the prompt again", || async {
        spoken(&b).await.len() == before + 1
    })
    .await;
    look(&b, "play-stave").await;
    b.click("[data-screen=question] .answer", Some("G major"))
        .await;
    verdict_right(&b).await;
    b.click("#next", None).await;

    // A chord to listen to: nothing played until the child presses Play.
    b.wait_text("[data-screen=question] .prompt", LISTEN_PROMPT)
        .await;
    said(&b, LISTEN_PROMPT, 0.6).await;
    assert_eq!(
        b.js("return document.querySelector('.listen').dataset.played ?? null")
            .await,
        Value::Null
    );
    // With reduced motion asked for, the playing note does not pulse.
    b.cdp(
        "Emulation.setEmulatedMedia",
        json!({"features": [{"name": "prefers-reduced-motion", "value": "reduce"}]}),
    )
    .await;
    b.click(".listen .play-sound", Some("Play")).await;
    b.wait_js(
        "the chord was played",
        "document.querySelector('.listen').dataset.played === 'C4 E4 G4'",
    )
    .await;
    const LISTEN: &str = "const l = document.querySelector('.listen'); return [l.dataset.style, l.dataset.plays, l.querySelector('.play-sound').textContent, l.classList.contains('sounding'), getComputedStyle(l.querySelector('.play-icon')).animationName]";
    assert_eq!(
        b.js(LISTEN).await,
        json!(["harmonic", "1", "▶Play again", true, "none"])
    );
    // Motion allowed, the note pulses while the chord sounds (3 s: 2 beats at 40 bpm).
    b.cdp("Emulation.setEmulatedMedia", json!({"features": []}))
        .await;
    b.click(".listen .play-sound", Some("Play again")).await;
    b.wait_js(
        "the chord was played again",
        "document.querySelector('.listen').dataset.plays === '2'",
    )
    .await;
    assert_eq!(
        b.js(LISTEN).await,
        json!(["harmonic", "2", "▶Play again", true, "beat"])
    );
    look(&b, "play-listen").await;
    synthesizer_sounds_the_notes(&b).await;
    b.click("[data-screen=question] .answer", Some("Major"))
        .await;
    verdict_right(&b).await;
    b.click("#next", None).await;

    // Seven apples to count, read as one picture; the child counts them and types 7.
    b.wait_text("[data-screen=question] .prompt", COUNT_PROMPT)
        .await;
    b.wait_js(
        "seven apples are shown",
        "[...document.querySelectorAll('.count-grid img')].filter((i) => i.complete && i.naturalWidth > 0).length === 7",
    )
    .await;
    let grid = b
        .js("const g = document.querySelector('.count-grid'); return [g.getAttribute('role'), g.getAttribute('aria-label'), g.querySelectorAll('img').length, [...g.querySelectorAll('img')].every((i) => i.alt === '' && i.src.endsWith('/icons/apple.svg'))]")
        .await;
    assert_eq!(grid, json!(["img", "7 apples", 7, true]));
    said(&b, COUNT_PROMPT, 0.6).await;
    look(&b, "play-count").await;
    b.fill("[data-screen=question] .typed-answer input", "7")
        .await;
    b.click("[data-screen=question] .typed-answer button", None)
        .await;
    verdict_right(&b).await;
    b.click("#next", None).await;

    // A recording: the prompt's own narration plays (not the browser's voice), the picture
    // has its words, and Play plays the file; each at the child's volume.
    b.wait_text("[data-screen=question] .prompt", RECORD_PROMPT)
        .await;
    let voices = spoken(&b).await.len();
    b.wait_js(
        "the narration is playing",
        &format!("window.__played.some((p) => p.src === '{NARRATION}' && Math.abs(p.volume - 0.6) < 1e-6 && p.started === true)"),
    )
    .await;
    assert_eq!(
        b.js("return document.body.dataset.spoken").await,
        json!(RECORD_PROMPT)
    );
    b.wait_js(
        "the picture is shown",
        &format!("(() => {{ const i = document.querySelector('img.question-image'); return i && i.complete && i.naturalWidth === 8 && i.alt === '{DOT_ALT}'; }})()"),
    )
    .await;
    b.click(".listen .play-sound", Some("Play")).await;
    b.wait_js(
        "the recording was played",
        &format!("document.querySelector('.listen').dataset.played === '{HUM}' && window.__played.some((p) => p.src === '{HUM}' && Math.abs(p.volume - 0.6) < 1e-6 && p.started === true)"),
    )
    .await;
    assert_eq!(spoken(&b).await.len(), voices, "a recording, not the voice");
    b.click("[data-screen=question] .answer", Some("True"))
        .await;
    verdict_right(&b).await;
    b.click("#next", None).await;

    // Several answers: nothing chosen is not sent; the three even numbers are right.
    b.shown("[data-screen=question] .multi-answer", None).await;
    look(&b, "play-multi").await;
    b.click(".multi-answer button[type=submit]", Some("Check"))
        .await;
    b.wait_text(".multi-answer .pick-hint.form-error", "at least one")
        .await;
    for n in ["2", "4", "8"] {
        b.click(".multi-answer label.pick", Some(n)).await;
    }
    let chosen = b
        .js("return [...document.querySelectorAll('.multi-answer input:checked')].map((i) => i.value)")
        .await;
    assert_eq!(chosen, json!(["2", "4", "8"]));
    b.click(".multi-answer button[type=submit]", Some("Check"))
        .await;
    verdict_right(&b).await;
    b.click("#next", None).await;

    // A sum of fractions drawn as MathML.
    b.wait_text("[data-screen=question] .prompt", "Add the fractions")
        .await;
    let maths = b
        .js("const m = document.querySelector('math.formula'); return [m.namespaceURI, m.querySelectorAll('mfrac').length, [...m.querySelectorAll('mfrac > mn')].map((n) => n.textContent), m.querySelector('mi.unknown')?.textContent, m.getAttribute('alttext')]")
        .await;
    assert_eq!(
        maths,
        json!([
            "http://www.w3.org/1998/Math/MathML",
            2,
            ["3", "4", "1", "8"],
            "?",
            "3/4 + 1/8 = ?"
        ])
    );
    look(&b, "play-formula").await;
    b.click("[data-screen=question] .answer", Some("7/8")).await;
    verdict_right(&b).await;
    b.click("#next", Some("stars")).await;

    // All six right, and the first achievement's badge is shown with the celebration.
    b.wait_text("[data-screen=done] .score", "6 of 6 right")
        .await;
    b.wait_text("#celebration", "First Steps").await;
    b.wait_js(
        "the badge is shown",
        "(() => { const i = document.querySelector('#celebration-badge img'); return i && i.complete && i.naturalWidth > 0 && new URL(i.src).pathname === '/badges/first-steps.svg'; })()",
    )
    .await;
    look(&b, "play-badge").await;
    b.click("#celebration-close", None).await;
    b.quit().await;
}

/// The page's synthesizer rendered offline: a harmonic C major chord holds C4, E4 and G4
/// (and not the notes between), without clipping; a melody plays its notes in turn, each
/// for its beats at the tempo.
async fn synthesizer_sounds_the_notes(b: &Browser) {
    let result =
        b.c.execute_async(
            r#"
            const done = arguments[arguments.length - 1];
            (async () => {
              const base = [...document.scripts].find((s) => s.type === 'module').src;
              const { schedule, frequencyOf, midiOf } = await import(new URL('media/sound.js', base));
              const rate = 22050;
              // Energy of `f` Hz in samples [from, to) seconds (Goertzel).
              const power = (data, f, from, to) => {
                const k = 2 * Math.cos((2 * Math.PI * f) / rate);
                let a = 0, b = 0;
                for (let i = Math.floor(from * rate); i < Math.floor(to * rate); i += 1) {
                  const c = data[i] + k * a - b; b = a; a = c;
                }
                return a * a + b * b - k * a * b;
              };
              const peakOf = (data) => data.reduce((top, x) => Math.max(top, Math.abs(x)), 0);
              const render = async (audio, seconds) => {
                const ctx = new OfflineAudioContext(1, Math.ceil(rate * seconds), rate);
                const plan = schedule(ctx, audio, { volume: 1, at: 0 });
                return { plan, data: (await ctx.startRendering()).getChannelData(0) };
              };
              const chord = await render({ notes: ['C4', 'E4', 'G4'], durations: [2, 2, 2], play: 'harmonic', tempo_bpm: 60 }, 2.5);
              const at = (n) => power(chord.data, frequencyOf(midiOf(n)), 0.3, 1.3);
              const melody = await render({ notes: ['C4', 'r', 'G4'], play: 'melodic', tempo_bpm: 120 }, 2);
              const m = (n, from, to) => power(melody.data, frequencyOf(midiOf(n)), from, to);
              done({
                a4: frequencyOf(69), c4: midiOf('C4'), bb2: midiOf('Bb2'), rest: midiOf('r'),
                chord: { notes: chord.plan.notes, end: chord.plan.end,
                         c: at('C4'), e: at('E4'), g: at('G4'), d: at('D4'), fs: at('F#4'),
                         peak: peakOf(chord.data) },
                melody: { notes: melody.plan.notes, end: melody.plan.end,
                          c1: m('C4', 0.05, 0.4), g1: m('G4', 0.05, 0.4),
                          c2: m('C4', 1.1, 1.4), g2: m('G4', 1.1, 1.4),
                          quiet: peakOf(melody.data.subarray(Math.floor(0.7 * rate), Math.floor(0.95 * rate))) },
              });
            })().catch((e) => done({ error: String(e) }));
            "#,
            vec![],
        )
        .await
        .unwrap();
    assert!(result.get("error").is_none(), "{result}");
    assert_eq!(result["a4"], json!(440));
    assert_eq!(result["c4"], json!(60));
    assert_eq!(result["bb2"], json!(46));
    assert_eq!(result["rest"], Value::Null);
    let chord = &result["chord"];
    assert_eq!(chord["notes"], json!(["C4", "E4", "G4"]), "{result}");
    assert_eq!(chord["end"].as_f64(), Some(2.0), "{result}");
    let f = |k: &str| chord[k].as_f64().unwrap();
    let between = f("d").max(f("fs"));
    for note in ["c", "e", "g"] {
        assert!(
            f(note) > 50.0 * between,
            "{note} too weak in the chord: {result}"
        );
    }
    assert!(f("peak") > 0.05 && f("peak") <= 1.0, "{result}");
    // The melody: C4 for a beat (0.5 s at 120 bpm), a rest, then G4.
    let melody = &result["melody"];
    let m = |k: &str| melody[k].as_f64().unwrap();
    assert_eq!(melody["notes"], json!(["C4", "G4"]), "{result}");
    assert_eq!(melody["end"].as_f64(), Some(1.5), "{result}");
    assert!(m("c1") > 50.0 * m("g1"), "{result}");
    assert!(m("g2") > 50.0 * m("c2"), "{result}");
    assert!(m("quiet") < 1e-3, "the rest is silent: {result}");
}
