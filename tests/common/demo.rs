//! `atzinums demo` as a running service for tests that drive it from outside (a browser,
//! schemathesis): an ephemeral port, its own data directory, stopped with SIGTERM when dropped
//! (which also stops its worker).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long the demo may take to set up (archive, index) before it serves.
const DEMO_READY: Duration = Duration::from_secs(300);

pub struct Demo {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// The status-service token the demo issued.
    pub token: String,
}

enum Said {
    Token(String),
    Listening(String),
}

impl Demo {
    /// Starts the demo on `data` with `applications` synthetic applications submitted.
    pub fn start(data: &Path, applications: usize) -> Demo {
        let mut child = Command::new(env!("CARGO_BIN_EXE_atzinums"))
            .arg("--data-dir")
            .arg(data)
            .args(["demo", "--applications", &applications.to_string()])
            .env_remove("DATABASE_URL")
            .env_remove("ATZINUMS_DATABASE_URL")
            .env("ATZINUMS_LISTEN", "127.0.0.1:0")
            .env("ATZINUMS_LOG", "error")
            .stdout(Stdio::piped())
            .spawn()
            .expect("the demo starts");
        let stdout = child.stdout.take().expect("piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let last_word = || line.split_whitespace().last().unwrap_or("").to_string();
                let said = if line.starts_with("Status service token") {
                    Said::Token(last_word())
                } else if let Some(rest) = line.strip_prefix("Atzinums listening on ") {
                    Said::Listening(rest.split_whitespace().next().unwrap_or("").to_string())
                } else {
                    continue;
                };
                let _ = tx.send(said);
            }
        });
        let mut demo = Demo {
            child,
            base: String::new(),
            token: String::new(),
        };
        while demo.base.is_empty() {
            match rx.recv_timeout(DEMO_READY) {
                Ok(Said::Token(t)) => demo.token = t,
                Ok(Said::Listening(url)) => demo.base = url,
                Err(e) => panic!("the demo did not serve within {DEMO_READY:?}: {e}"),
            }
        }
        demo
    }

    /// Signs in through the JSON API; returns the session cookie's value and its CSRF token.
    pub fn sign_in(&self, person_code: &str, role: &str) -> (String, String) {
        let address = self.base.trim_start_matches("http://");
        let body = serde_json::json!({ "person_code": person_code, "role": role }).to_string();
        let mut stream = TcpStream::connect(address).expect("the demo accepts connections");
        write!(
            stream,
            "POST /api/v1/session HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
        assert!(
            head.starts_with("HTTP/1.1 201"),
            "signing in as {role}: {head}"
        );
        let cookie = head
            .lines()
            .filter_map(|l| l.split_once(": "))
            .find(|(name, value)| {
                name.eq_ignore_ascii_case("set-cookie") && value.starts_with("atz_session=")
            })
            .and_then(|(_, value)| value.trim_start_matches("atz_session=").split(';').next())
            .expect("a session cookie")
            .to_string();
        let info: serde_json::Value = serde_json::from_str(body).expect("the session as JSON");
        (
            cookie,
            info["csrf"].as_str().expect("a CSRF token").to_string(),
        )
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        for _ in 0..100 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
