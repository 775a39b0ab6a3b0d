//! Two nodes behind nginx, as the nodes bench and the chaos soak run them: each node's
//! command (shared Redis, shared secrets, behind a proxy) and nginx from the sample
//! configuration (`deploy/nginx/studyhub.conf`) with its ports replaced.

use std::path::Path;
use std::process::{Command, Stdio};

use super::{Server, free_port, studyhub, wait_for_port};

/// The secrets both nodes share, so a token one node issued is good on the other (and the
/// soak can mint its own: `benches/support/tokens.rs`).
pub(crate) const JWT_SECRET: &str = "bench-secret-bench-secret-bench-secret!";

/// A node's command: `studyhub` on `database_url` and `redis` (a namespace `prefix`), on
/// `port`, trusting the proxy's forwarded address, with the shared secrets.
pub(crate) fn node_command(
    bin: &Path,
    database_url: &str,
    redis: &str,
    prefix: &str,
    data: &Path,
    port: u16,
) -> Command {
    let mut cmd = studyhub(bin, database_url, port, data);
    cmd.env("REDIS_URL", redis)
        .env("STUDYHUB_REDIS_PREFIX", prefix)
        .env("STUDYHUB_TRUST_PROXY", "true")
        .env("STUDYHUB_ENCRYPTION_KEY", "11".repeat(32))
        .env("STUDYHUB_JWT_SECRET", JWT_SECRET);
    cmd
}

/// nginx from the sample configuration in front of `nodes`, four workers, each under the
/// open-file limit; with `access_log`, every request's status and upstream go to
/// `dir/access.log` (the soak counts the 500s there).
pub(crate) fn nginx(nodes: [u16; 2], dir: &Path, access_log: bool) -> (Server, u16) {
    let port = free_port();
    let sample = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/deploy/nginx/studyhub.conf"
    ))
    .unwrap();
    let site = sample
        .replace(
            "server 127.0.0.1:8081",
            &format!("server 127.0.0.1:{}", nodes[0]),
        )
        .replace(
            "server 127.0.0.1:8082",
            &format!("server 127.0.0.1:{}", nodes[1]),
        )
        .replace(
            "listen 80;",
            &format!("listen 127.0.0.1:{port} reuseport backlog=4096;"),
        );
    let d = dir.display();
    std::fs::write(dir.join("studyhub.conf"), site).unwrap();
    let log = if access_log {
        format!(
            "log_format soak '$status $request_method $uri $upstream_addr $upstream_status';\n  \
             access_log {d}/access.log soak;"
        )
    } else {
        "access_log off;".to_string()
    };
    let main = format!(
        "daemon off;\nuser root;\nworker_processes 4;\nworker_rlimit_nofile 19000;\npid {d}/nginx.pid;\n\
         error_log {d}/error.log warn;\nevents {{ worker_connections 18000; }}\n\
         http {{\n  {log}\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
         fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
         include {d}/studyhub.conf;\n}}\n"
    );
    std::fs::write(dir.join("nginx.conf"), main).unwrap();
    let child = Command::new("/usr/sbin/nginx")
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .arg("-e")
        .arg(dir.join("error.log"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nginx (apt-get install nginx)");
    wait_for_port(port);
    (Server(child), port)
}
