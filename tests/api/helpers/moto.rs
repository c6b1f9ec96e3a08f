//! moto's S3 server: no signature checks, but CORS and lifecycle rules, which s3s-fs lacks.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct MotoServer {
    pub endpoint: String,
    child: Child,
}

impl MotoServer {
    pub async fn start() -> Self {
        let port = super::binary::free_port();
        // Started as a module, through the same Python as the other test tools: a script
        // installed by pip is not always on PATH (pyenv shims need a rehash).
        let python = std::env::var("TEST_PYTHON").unwrap_or_else(|_| "python3".into());
        let child = Command::new(&python)
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("{python} -m moto.server: {e} (pip install 'moto[server]'; scripts/test.sh does it)")
            });
        // Owned from here on, so that Drop stops the process on every path.
        let server = Self {
            endpoint: format!("http://127.0.0.1:{port}"),
            child,
        };
        for _ in 0..200 {
            if reqwest::get(&server.endpoint).await.is_ok() {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("moto_server did not start on port {port}");
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
