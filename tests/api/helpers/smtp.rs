//! A real SMTP server (aiosmtpd) that the test can stop and start again.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::binary::free_port;

pub struct SmtpSink {
    pub port: u16,
    pub dir: PathBuf,
    child: Option<Child>,
}

impl SmtpSink {
    pub fn start(dir: &Path) -> Self {
        let mut sink = Self {
            port: free_port(),
            dir: dir.to_path_buf(),
            child: None,
        };
        sink.resume();
        sink
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Starts the server (again) on the same port.
    pub fn resume(&mut self) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_sink.py");
        let python = std::env::var("TEST_PYTHON").unwrap_or_else(|_| "python3".into());
        let child = Command::new(python)
            .arg(script)
            .arg(self.port.to_string())
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 with aiosmtpd (pip install aiosmtpd; scripts/test.sh does it)");
        self.child = Some(child);
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("the SMTP sink did not start on port {}", self.port);
    }

    /// Stops the server: connections are refused until [`Self::resume`].
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn messages(&self) -> Vec<String> {
        super::read_emails(&self.dir)
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}
