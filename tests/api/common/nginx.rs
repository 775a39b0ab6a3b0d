//! nginx (Debian's package) in front of test nodes, configured from the sample
//! `deploy/nginx/studyhub.conf` with its ports replaced: its own prefix, pid, logs and temp
//! folders in a temporary folder, one process (no root needed), a free port.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tempfile::TempDir;

use super::Api;

pub struct Nginx {
    child: Child,
    pub port: u16,
    dir: TempDir,
}

fn binary() -> Option<String> {
    ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .map(str::to_string)
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

impl Nginx {
    /// nginx balancing over `nodes` (two ports), answering `/health` before this returns;
    /// `None` (skip) when nginx is not installed, which fails under `CI=true`.
    pub async fn start(nodes: [u16; 2]) -> Option<Self> {
        let Some(bin) = binary() else {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true needs nginx (apt-get install nginx; .ci/run does)"
            );
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let sample = std::fs::read_to_string("deploy/nginx/studyhub.conf").unwrap();
        let mut site = sample.clone();
        for (from, to) in [
            (
                "server 127.0.0.1:8081",
                format!("server 127.0.0.1:{}", nodes[0]),
            ),
            (
                "server 127.0.0.1:8082",
                format!("server 127.0.0.1:{}", nodes[1]),
            ),
            ("listen 80;", format!("listen 127.0.0.1:{port};")),
        ] {
            assert!(site.contains(from), "the sample has `{from}`");
            site = site.replace(from, &to);
        }
        let d = dir.path().display();
        std::fs::write(dir.path().join("studyhub.conf"), site).unwrap();
        let main = format!(
            "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
             events {{ worker_connections 1024; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
             fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
             include {d}/studyhub.conf;\n}}\n"
        );
        let conf = dir.path().join("nginx.conf");
        std::fs::write(&conf, main).unwrap();
        let child = Command::new(bin)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&conf)
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx starts");
        let nginx = Nginx { child, port, dir };
        let api = nginx.api();
        super::wait::poll_until(Duration::from_secs(10), "nginx answers", || async {
            api.client
                .get(api.url("/health"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
        })
        .await;
        Some(nginx)
    }

    pub fn api(&self) -> Api {
        Api::new(self.port)
    }

    /// nginx's error log (for a failing test's message).
    pub fn errors(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
