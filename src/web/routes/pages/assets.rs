//! The pages' files, embedded in the binary at build time. One fixed list: a file under
//! `assets/web/` that is not named here is not served (a unit test keeps the two in step).

/// One embedded file, served at `/assets/{version}/{path}`.
pub struct Asset {
    pub path: &'static str,
    pub content_type: &'static str,
    pub body: &'static [u8],
}

/// One page for people, served at `route` with `{{v}}` in its HTML replaced by the version.
pub struct Page {
    pub route: &'static str,
    pub file: &'static str,
    pub html: &'static str,
}

macro_rules! embed {
    ($($path:literal => $ty:expr),* $(,)?) => {
        &[$(Asset {
            path: $path,
            content_type: $ty,
            body: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/web/", $path)),
        }),*]
    };
}

macro_rules! pages {
    ($($route:literal => $file:literal),* $(,)?) => {
        &[$(Page {
            route: $route,
            file: $file,
            html: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/web/", $file)),
        }),*]
    };
}

const JS: &str = "text/javascript; charset=utf-8";
const SVG: &str = "image/svg+xml";

pub const ASSETS: &[Asset] = embed![
    "app.css" => "text/css; charset=utf-8",
    "game.css" => "text/css; charset=utf-8",
    "icon.svg" => SVG,
    "moon.svg" => SVG,
    "speaker.svg" => SVG,
    "trophy.svg" => SVG,
    // Badges, one for each achievement (content/achievements.json), also at /badges/{id}.svg.
    "badges/first-steps.svg" => SVG,
    "badges/high-five.svg" => SVG,
    "badges/math-whiz.svg" => SVG,
    "badges/music-scholar.svg" => SVG,
    "badges/perfect-score.svg" => SVG,
    "badges/perfectionist.svg" => SVG,
    "badges/science-explorer.svg" => SVG,
    "badges/sharp-shooter.svg" => SVG,
    "badges/steady-learner.svg" => SVG,
    "badges/study-hour.svg" => SVG,
    "badges/study-ten-hours.svg" => SVG,
    "badges/three-day-streak.svg" => SVG,
    "badges/week-streak.svg" => SVG,
    // Pictures to count, one for each icon a question's `visual` may name (content::ICONS).
    "icons/apple.svg" => SVG,
    "icons/ball.svg" => SVG,
    "icons/balloon.svg" => SVG,
    "icons/bird.svg" => SVG,
    "icons/car.svg" => SVG,
    "icons/cat.svg" => SVG,
    "icons/cookie.svg" => SVG,
    "icons/dog.svg" => SVG,
    "icons/duck.svg" => SVG,
    "icons/fish.svg" => SVG,
    "icons/flower.svg" => SVG,
    "icons/heart.svg" => SVG,
    "icons/leaf.svg" => SVG,
    "icons/star.svg" => SVG,
    "icons/sun.svg" => SVG,
    "icons/tree.svg" => SVG,
    "js/admin.js" => JS,
    "js/admin-accounts.js" => JS,
    "js/admin-ops.js" => JS,
    "js/api.js" => JS,
    "js/chart.js" => JS,
    "js/child-device.js" => JS,
    "js/child-time.js" => JS,
    "js/class-live.js" => JS,
    "js/dom.js" => JS,
    "js/email-links.js" => JS,
    "js/family-device.js" => JS,
    "js/family-email.js" => JS,
    "js/game-answer.js" => JS,
    "js/game-extra-time.js" => JS,
    "js/game-host.js" => JS,
    "js/game-open.js" => JS,
    "js/game-report.js" => JS,
    "js/media/formula.js" => JS,
    "js/media/pictures.js" => JS,
    "js/media/question.js" => JS,
    "js/media/sound.js" => JS,
    "js/media/speech.js" => JS,
    "js/media/stave.js" => JS,
    "js/parent.js" => JS,
    "js/parent-attention.js" => JS,
    "js/parent-child.js" => JS,
    "js/parent-feed.js" => JS,
    "js/parent-live.js" => JS,
    "js/parent-profile.js" => JS,
    "js/parent-settings.js" => JS,
    "js/parent-week.js" => JS,
    "js/play.js" => JS,
    "js/play-answer.js" => JS,
    "js/play-badges.js" => JS,
    "js/play-catalog.js" => JS,
    "js/play-game.js" => JS,
    "js/play-session.js" => JS,
    "js/play-study.js" => JS,
    "js/play-time.js" => JS,
    "js/play-view.js" => JS,
    // Offline play: the grading on the device, the pack and what was played (IndexedDB), the
    // offline screens, and the service worker's caching (imported by /sw.js).
    "js/grade.js" => JS,
    "js/offline-store.js" => JS,
    "js/play-offline.js" => JS,
    "js/sw-offline.js" => JS,
    "js/podium.js" => JS,
    "js/projector.js" => JS,
    "js/projector-view.js" => JS,
    "js/shapes.js" => JS,
    "js/pupil-signin.js" => JS,
    // Web Push: the pages' opt-in, and the root service worker's part (/sw.js imports it).
    "js/push-optin.js" => JS,
    "js/sw-push.js" => JS,
    "js/shell.js" => JS,
    "js/signin.js" => JS,
    "js/socket.js" => JS,
    "js/strings.js" => JS,
    "js/teacher.js" => JS,
    "js/teacher-class.js" => JS,
    "js/teacher-pupils.js" => JS,
    // The teacher's activities and their editor.
    "js/teacher-activities.js" => JS,
    "js/activity-editor.js" => JS,
    "js/activity-model.js" => JS,
    "js/activity-preview.js" => JS,
    "js/activity-question.js" => JS,
    // abcjs 6.7.2 (MIT), loaded by js/media/stave.js when a question has a stave.
    "vendor/abcjs/abcjs-basic-min.js" => JS,
    "vendor/abcjs/LICENSE.md" => "text/markdown; charset=utf-8",
];

pub const PAGES: &[Page] = pages![
    "/" => "index.html",
    "/play" => "play.html",
    "/parent" => "parent.html",
    "/teacher" => "teacher.html",
    // A class game on the projector (its report at #report); the game is the last segment.
    "/teacher/games/{id}" => "game.html",
    // Pupils without an email sign in here (class code, name, pictures; or `?card=`).
    "/signin" => "signin.html",
    // Administrators: accounts, dead letters, backups, health and the audit log.
    "/admin" => "admin.html",
    // The links in emails: a new password, an address confirmed.
    "/reset" => "reset.html",
    "/verify" => "verify.html",
];
