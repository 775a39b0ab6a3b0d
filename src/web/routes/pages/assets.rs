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

pub const ASSETS: &[Asset] = embed![
    "app.css" => "text/css; charset=utf-8",
    "icon.svg" => "image/svg+xml",
    "moon.svg" => "image/svg+xml",
    "trophy.svg" => "image/svg+xml",
    "js/api.js" => JS,
    "js/chart.js" => JS,
    "js/class-live.js" => JS,
    "js/dom.js" => JS,
    "js/game-host.js" => JS,
    "js/parent.js" => JS,
    "js/parent-child.js" => JS,
    "js/parent-live.js" => JS,
    "js/parent-settings.js" => JS,
    "js/play.js" => JS,
    "js/play-game.js" => JS,
    "js/play-session.js" => JS,
    "js/play-time.js" => JS,
    "js/play-view.js" => JS,
    "js/shell.js" => JS,
    "js/signin.js" => JS,
    "js/socket.js" => JS,
    "js/strings.js" => JS,
    "js/teacher.js" => JS,
    "js/teacher-class.js" => JS,
    // abcjs 6.7.2 (MIT), loaded by js/media/stave.js when a question has a stave.
    "vendor/abcjs/abcjs-basic-min.js" => JS,
    "vendor/abcjs/LICENSE.md" => "text/markdown; charset=utf-8",
];

pub const PAGES: &[Page] = pages![
    "/" => "index.html",
    "/play" => "play.html",
    "/parent" => "parent.html",
    "/teacher" => "teacher.html",
];
