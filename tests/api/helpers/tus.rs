//! A small tus client for the protocol tests: every request carries `Tus-Resumable` and a
//! bearer token.

use base64::Engine;
use reqwest::Method;

use super::{Answer, TestApp};

pub struct Tus<'a> {
    pub app: &'a TestApp,
    pub token: String,
}

pub fn meta(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k} {}", base64::engine::general_purpose::STANDARD.encode(v)))
        .collect::<Vec<_>>()
        .join(",")
}

impl<'a> Tus<'a> {
    /// A client with an account and a token.
    pub async fn client(app: &'a TestApp, email: &str) -> (Tus<'a>, relais::db::users::User) {
        let user = app.create_active_client(email, "correct horse battery").await;
        let (_, token) = relais::accounts::issue_token(&app.state, user.id, "tus")
            .await
            .expect("token");
        (Tus { app, token }, user)
    }

    /// A studio account with a token.
    pub async fn studio(app: &'a TestApp, email: &str) -> (Tus<'a>, relais::db::users::User) {
        let (account, _) = app.create_studio(email, "correct horse battery").await;
        let (_, token) = relais::accounts::issue_token(&app.state, account.user.id, "studio")
            .await
            .expect("token");
        (Tus { app, token }, account.user)
    }

    /// A JSON API call; the answer read whole.
    pub async fn call(&self, method: Method, path: &str, body: Option<serde_json::Value>) -> Answer {
        let request = self.request(method, path);
        let request = match body {
            Some(body) => request.json(&body),
            None => request,
        };
        Answer::of(request.send().await.expect("request")).await
    }

    /// Uploads `data` as one file into `transfer` (the caller's default one when `None`);
    /// returns the upload's path.
    pub async fn upload(&self, name: &str, data: &[u8], transfer: Option<&str>) -> String {
        let mut pairs = vec![("filename", name)];
        if let Some(t) = transfer {
            pairs.push(("transfer", t));
        }
        let path = self.create(data.len() as u64, &meta(&pairs)).await;
        self.send_all(&path, data, data.len().max(1)).await;
        path
    }

    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.app
            .http
            .request(method, self.app.url(path))
            .bearer_auth(&self.token)
            .header("tus-resumable", "1.0.0")
    }

    /// Creates an upload of `len` bytes; returns its path.
    pub async fn create(&self, len: u64, metadata: &str) -> String {
        let answer = Answer::of(
            self.request(Method::POST, "/api/v1/uploads")
                .header("upload-length", len)
                .header("upload-metadata", metadata)
                .send()
                .await
                .expect("request"),
        )
        .await;
        assert_eq!(answer.status, 201, "{:?}", answer.body);
        answer.header("location").expect("Location").to_owned()
    }

    pub async fn patch(&self, path: &str, offset: u64, bytes: &[u8]) -> Answer {
        Answer::of(
            self.request(Method::PATCH, path)
                .header("upload-offset", offset)
                .header("content-type", "application/offset+octet-stream")
                .body(bytes.to_vec())
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    pub async fn head(&self, path: &str) -> Answer {
        Answer::of(self.request(Method::HEAD, path).send().await.expect("request")).await
    }

    pub async fn offset(&self, path: &str) -> u64 {
        let head = self.head(path).await;
        assert_eq!(head.status, 200, "HEAD {path}");
        head.header("upload-offset")
            .expect("Upload-Offset")
            .parse()
            .expect("number")
    }

    /// Sends `data` in PATCHes of `chunk` bytes from offset 0.
    pub async fn send_all(&self, path: &str, data: &[u8], chunk: usize) {
        let mut offset = 0;
        for piece in data.chunks(chunk) {
            let answer = self.patch(path, offset, piece).await;
            assert_eq!(answer.status, 204, "PATCH at {offset}: {:?}", answer.body);
            offset += piece.len() as u64;
            assert_eq!(answer.header("upload-offset"), Some(offset.to_string().as_str()));
        }
    }

    /// The ids of the caller's transfers, newest first (a client's default inbound
    /// transfer is the only one unless the test made others).
    pub async fn transfer_ids(&self) -> Vec<String> {
        let answer = Answer::of(
            self.request(Method::GET, "/api/v1/transfers")
                .send()
                .await
                .expect("request"),
        )
        .await;
        assert_eq!(answer.status, 200, "{:?}", answer.body);
        answer
            .body
            .as_array()
            .expect("list")
            .iter()
            .map(|t| t["id"].as_str().expect("id").to_owned())
            .collect()
    }

    /// Every file of every transfer the caller sees.
    pub async fn all_files(&self) -> Vec<serde_json::Value> {
        let mut all = Vec::new();
        for id in self.transfer_ids().await {
            all.extend(self.files(&id).await);
        }
        all
    }

    /// The files of a transfer, as the API lists them.
    pub async fn files(&self, transfer: &str) -> Vec<serde_json::Value> {
        let answer = Answer::of(
            self.request(Method::GET, &format!("/api/v1/transfers/{transfer}"))
                .send()
                .await
                .expect("request"),
        )
        .await;
        assert_eq!(answer.status, 200, "{:?}", answer.body);
        answer.body["files"].as_array().cloned().unwrap_or_default()
    }
}

pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

pub fn pattern(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}
