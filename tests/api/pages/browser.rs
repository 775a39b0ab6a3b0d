//! A real browser for the page tests: Debian's `chromium`, headless, driven through its
//! `chromedriver` (one per test, on a free port, in a process group of its own so that every
//! browser it started goes with it) with fantoccini.
//!
//! Without chromium or chromedriver a test prints why and passes, except under `CI=true`,
//! where it fails: CI must run them (`.ci/run` installs both).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// How long a page gets to show what a test waits for.
const WITHIN: Duration = Duration::from_secs(20);

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| PathBuf::from(dir).join(name))
        .find(|p| p.is_file())
}

pub struct Driver {
    port: u16,
    chromium: PathBuf,
    child: Child,
}

impl Driver {
    /// A running chromedriver, or `None` (the test skips) when chromium is not installed.
    pub async fn start(test: &str) -> Option<Driver> {
        let chromium = ["chromium", "chromium-browser", "google-chrome"]
            .iter()
            .find_map(|n| on_path(n));
        let driver = on_path("chromedriver");
        let (Some(chromium), Some(driver)) = (chromium, driver) else {
            let why = "chromium and chromedriver are not installed (apt-get install chromium chromium-driver)";
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{test}: {why}; CI=true requires them"
            );
            eprintln!("{test}: skipped: {why}");
            return None;
        };
        // A port that was free a moment ago; taken meanwhile, chromedriver exits and we try again.
        for _ in 0..5 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let mut cmd = Command::new(&driver);
            cmd.arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
            let mut child = cmd.spawn().expect("chromedriver starts");
            let status = format!("http://127.0.0.1:{port}/status");
            let client = awc::Client::default();
            let deadline = std::time::Instant::now() + Duration::from_secs(15);
            let mut every = tokio::time::interval(Duration::from_millis(50));
            loop {
                every.tick().await;
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                if let Ok(mut res) = client.get(&status).send().await
                    && res.status().is_success()
                    && res
                        .json::<Value>()
                        .await
                        .is_ok_and(|v| v["value"]["ready"] == true)
                {
                    return Some(Driver {
                        port,
                        chromium,
                        child,
                    });
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "chromedriver did not answer"
                );
            }
        }
        panic!("chromedriver would not start");
    }

    /// A new browser (its own profile: cookies and storage of its own) looking at `base`.
    pub async fn browser(&self, base: &str, name: &'static str) -> Browser {
        self.browser_with_prefs(base, name, json!({})).await
    }

    /// As [`Driver::browser`], with these Chrome preferences set in its profile.
    pub async fn browser_with_prefs(
        &self,
        base: &str,
        name: &'static str,
        prefs: Value,
    ) -> Browser {
        let caps = json!({
            "browserName": "chrome",
            "goog:loggingPrefs": {"browser": "ALL", "performance": "ALL"},
            "goog:chromeOptions": {
                "binary": self.chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--no-first-run", "--disable-extensions", "--lang=en-US",
                    "--window-size=1366,768", "--hide-scrollbars", "--force-device-scale-factor=1",
                ],
                "prefs": prefs,
            },
        });
        let Value::Object(caps) = caps else {
            unreachable!()
        };
        let c = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a browser session");
        Browser {
            c,
            base: base.to_string(),
            driver: self.port,
            name,
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The whole group: chromedriver and every chromium it started.
        // SAFETY: kill(2) on a process group this test created.
        unsafe {
            libc::kill(-(self.child.id() as i32), libc::SIGKILL);
        }
        let _ = self.child.wait();
    }
}

pub struct Browser {
    pub c: Client,
    base: String,
    driver: u16,
    pub name: &'static str,
}

impl Browser {
    pub async fn goto(&self, path: &str) {
        self.c
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("{}: open {path}: {e}", self.name));
    }

    pub async fn path(&self) -> String {
        let url = self.c.current_url().await.unwrap();
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    }

    /// Waits until `check` holds, asking the browser every 100 ms.
    pub async fn until<F, Fut>(&self, what: &str, mut check: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = tokio::time::Instant::now() + WITHIN;
        let mut every = tokio::time::interval(Duration::from_millis(100));
        loop {
            every.tick().await;
            if check().await {
                return;
            }
            if tokio::time::Instant::now() >= deadline {
                self.fail(what).await;
            }
        }
    }

    /// Fails the test with what the page shows and logged: the errors the page shows and its
    /// last frames first (CI keeps only the head of a long failure), then its text.
    async fn fail(&self, what: &str) -> ! {
        let problems = self.log().await;
        let frames = self.socket_frames().await;
        let shown = self
            .js("return JSON.stringify({view: document.body.dataset, focus: document.activeElement?.id, value: document.activeElement?.value, \
                 dialogs: [...document.querySelectorAll('dialog[open]')].map((d) => d.id), \
                 errors: [...document.querySelectorAll('.form-error, .notice, [role=alert]')] \
                   .map((e) => e.textContent.trim()).filter(Boolean)});")
            .await;
        let body = self.js("return document.body.innerText").await;
        let last = &frames[frames.len().saturating_sub(12)..];
        panic!(
            "{}: {what}: not within {WITHIN:?}\npage: {} {shown}\nconsole: {problems:?}\nlast frames: {last:?}\ntext: {}",
            self.name,
            self.path().await,
            body.as_str()
                .unwrap_or("")
                .chars()
                .take(1200)
                .collect::<String>()
        );
    }

    /// Runs `script` in the page (a function body; `arguments` are `args`).
    pub async fn js_with(&self, script: &str, args: Vec<Value>) -> Value {
        self.c
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("{}: script failed: {e}\n{script}", self.name))
    }

    pub async fn js(&self, script: &str) -> Value {
        self.js_with(script, vec![]).await
    }

    /// Waits for the JavaScript expression `expr` to be truthy.
    pub async fn wait_js(&self, what: &str, expr: &str) {
        let script = format!("return !!({expr});");
        self.until(what, || async {
            self.c
                .execute(&script, vec![])
                .await
                .is_ok_and(|v| v == Value::Bool(true))
        })
        .await;
    }

    /// The first element matching `css` that is shown now (and, with `text`, whose text
    /// contains it).
    pub async fn find_shown(&self, css: &str, text: Option<&str>) -> Option<Element> {
        for el in self.c.find_all(Locator::Css(css)).await.ok()? {
            if !el.is_displayed().await.unwrap_or(false) {
                continue;
            }
            if let Some(want) = text {
                let Ok(have) = el.text().await else { continue };
                if !have.contains(want) {
                    continue;
                }
            }
            return Some(el);
        }
        None
    }

    /// The first shown element matching `css` (and `text`), once there is one.
    pub async fn shown(&self, css: &str, text: Option<&str>) -> Element {
        let deadline = tokio::time::Instant::now() + WITHIN;
        let mut every = tokio::time::interval(Duration::from_millis(100));
        loop {
            every.tick().await;
            if let Some(el) = self.find_shown(css, text).await {
                return el;
            }
            if tokio::time::Instant::now() >= deadline {
                let what = format!("{css} {} shown", text.unwrap_or(""));
                self.fail(&what).await;
            }
        }
    }

    /// Clicks the shown element matching `css` (and `text`) once it is enabled.
    pub async fn click(&self, css: &str, text: Option<&str>) {
        let what = format!("click {css} {}", text.unwrap_or(""));
        self.until(&what, || async {
            match self.find_shown(css, text).await {
                Some(el) => el.is_enabled().await.unwrap_or(false) && el.click().await.is_ok(),
                None => false,
            }
        })
        .await;
    }

    pub async fn fill(&self, css: &str, value: &str) {
        let el = self.shown(css, None).await;
        el.clear().await.unwrap();
        el.send_keys(value).await.unwrap();
    }

    pub async fn text(&self, css: &str) -> String {
        self.shown(css, None).await.text().await.unwrap()
    }

    /// Waits for the shown element `css` to contain `text`.
    pub async fn wait_text(&self, css: &str, text: &str) {
        self.shown(css, Some(text)).await;
    }

    /// What the page logged as errors: script errors and content security policy violations
    /// (failed loads while the network is cut are expected and left out).
    pub async fn console(&self) -> Vec<String> {
        self.log()
            .await
            .into_iter()
            .filter(|(level, m)| {
                level == "SEVERE"
                    && (m.contains("Content Security Policy")
                        || m.contains("Uncaught")
                        || m.contains("SyntaxError")
                        || m.contains("TypeError"))
            })
            .map(|(_, m)| m)
            .collect()
    }

    /// Sends a Chrome DevTools command through chromedriver (`goog/cdp/execute`).
    pub async fn cdp(&self, cmd: &str, params: Value) -> Value {
        let session = self.c.session_id().await.unwrap().unwrap();
        let url = format!(
            "http://127.0.0.1:{}/session/{session}/goog/cdp/execute",
            self.driver
        );
        let mut res = awc::Client::default()
            .post(url)
            .send_json(&json!({"cmd": cmd, "params": params}))
            .await
            .unwrap_or_else(|e| panic!("{}: {cmd}: {e}", self.name));
        let body: Value = res.json().limit(1 << 20).await.unwrap();
        assert!(res.status().is_success(), "{}: {cmd}: {body}", self.name);
        body["value"].clone()
    }

    /// The websocket traffic the browser saw (from its performance log), for failures.
    async fn socket_frames(&self) -> Vec<String> {
        let entries = self.log_of("performance").await;
        let mut frames: Vec<String> = entries
            .iter()
            .filter_map(|(_, m)| serde_json::from_str::<Value>(m).ok())
            .filter_map(|v| {
                let msg = &v["message"];
                let dir = match msg["method"].as_str()? {
                    "Network.webSocketFrameReceived" => "<-",
                    "Network.webSocketFrameSent" => "->",
                    "Network.webSocketClosed" => return Some("closed".to_string()),
                    "Network.webSocketCreated" => {
                        return Some(format!(
                            "open {}",
                            msg["params"]["url"].as_str()?.split('?').next()?
                        ));
                    }
                    _ => return None,
                };
                Some(format!(
                    "{dir} {}",
                    msg["params"]["response"]["payloadData"].as_str()?
                ))
            })
            .collect();
        let keep = frames.len().saturating_sub(40);
        frames.drain(..keep);
        frames
    }

    /// The browser's log since the last look: (level, message).
    pub async fn log(&self) -> Vec<(String, String)> {
        self.log_of("browser").await
    }

    async fn log_of(&self, kind: &str) -> Vec<(String, String)> {
        let Ok(Some(session)) = self.c.session_id().await else {
            return vec![];
        };
        let url = format!("http://127.0.0.1:{}/session/{session}/se/log", self.driver);
        let mut res = match awc::Client::default()
            .post(url)
            .send_json(&json!({"type": kind}))
            .await
        {
            Ok(res) => res,
            Err(e) => return vec![("ERROR".into(), format!("reading the log: {e}"))],
        };
        let body: Value = match res.json().limit(8 << 20).await {
            Ok(body) => body,
            Err(e) => return vec![("ERROR".into(), format!("reading the log: {e}"))],
        };
        if std::env::var_os("PAGES_DEBUG").is_some() {
            eprintln!("log: {body}");
        }
        body["value"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| {
                let text = |k: &str| e[k].as_str().unwrap_or("").to_string();
                (text("level"), text("message"))
            })
            .collect()
    }

    /// Fails the test if the page logged a script error or a policy violation.
    pub async fn no_console_errors(&self) {
        let problems = self.console().await;
        assert!(
            problems.is_empty(),
            "{}: console errors: {problems:#?}",
            self.name
        );
    }

    pub async fn quit(self) {
        self.no_console_errors().await;
        let _ = self.c.close().await;
    }
}
