//! The server's own peak memory, read from `/proc`, while it is handed the pictures that
//! once took it to gigabytes: a PNG announcing 256 megapixels in a few hundred bytes, a
//! 24 MP progressive JPEG, and four 12 MP posters sent at once (the budget lets three
//! decode together). Run against
//! the real binary, so that the figure is the server's alone.

use std::time::Duration;

use crate::helpers::backend::{Backend, env_for};
use crate::helpers::binary::{self, Server, start};
use crate::helpers::tus::meta;
use relais::config::Config;

const MIB: u64 = 1024 * 1024;
/// PRODUCT §6: the bar for these files.
const PEAK_RSS_LIMIT: u64 = 512 * MIB;

struct Client<'a> {
    server: &'a Server,
    token: String,
    http: reqwest::Client,
}

impl Client<'_> {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.base)
    }

    async fn upload(&self, name: &str, data: &[u8]) {
        let created = self
            .http
            .post(self.url("/api/v1/uploads"))
            .bearer_auth(&self.token)
            .header("tus-resumable", "1.0.0")
            .header("upload-length", data.len())
            .header("upload-metadata", meta(&[("filename", name)]))
            .send()
            .await
            .expect("create");
        assert_eq!(created.status(), 201);
        let location = created.headers()["location"].to_str().expect("location").to_owned();
        let sent = self
            .http
            .patch(self.url(&location))
            .bearer_auth(&self.token)
            .header("tus-resumable", "1.0.0")
            .header("upload-offset", 0)
            .header("content-type", "application/offset+octet-stream")
            .body(data.to_vec())
            .send()
            .await
            .expect("patch");
        assert_eq!(sent.status(), 204);
    }

    async fn get(&self, path: &str) -> serde_json::Value {
        let answer = self
            .http
            .get(self.url(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("get");
        assert_eq!(answer.status(), 200, "GET {path}");
        answer.json().await.expect("json")
    }

    async fn files(&self) -> Vec<serde_json::Value> {
        let mut all = Vec::new();
        for transfer in self.get("/api/v1/transfers").await.as_array().expect("list") {
            let id = transfer["id"].as_str().expect("id");
            let shown = self.get(&format!("/api/v1/transfers/{id}")).await;
            all.extend(shown["files"].as_array().cloned().unwrap_or_default());
        }
        all
    }

    /// The file named `name` once its processing has ended (ready or failed).
    async fn processed(&self, name: &str) -> serde_json::Value {
        // Decoding a 24 MP photo on a busy 2-core machine: allow for it, without a fixed sleep.
        for _ in 0..1200 {
            let file = self.files().await.into_iter().find(|f| f["name"] == name);
            if let Some(file) = file.filter(|f| f["status"] == "ready" || f["status"] == "failed") {
                return file;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{name} was never processed");
    }
}

fn uniform_png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb([40, 90, 160]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).expect("png");
    out.into_inner()
}

#[tokio::test]
async fn decode_bombs_and_big_pictures_at_once_keep_the_server_under_512_mib() {
    let dir = tempfile::tempdir().expect("dir");
    let mut cfg = Config::defaults_in(dir.path()).expect("defaults");
    let _resources = Backend::from_env().prepare(&mut cfg, dir.path()).await;
    let env = env_for(&cfg);
    let token = binary::anne_with_token(&env);

    let bomb = crate::media::png_bomb(16_000, 16_000);
    let photo = crate::media::jpeg(6000, 4000, true, None);
    let poster = uniform_png(4000, 3000);
    assert!(
        poster.len() < 2 * MIB as usize,
        "a poster bomb is small: {}",
        poster.len()
    );

    let server = start(&env).await;
    let anne = Client {
        server: &server,
        token,
        http: reqwest::Client::new(),
    };
    anne.upload("bombe.png", &bomb).await;
    anne.upload("progressive.jpg", &photo).await;
    anne.upload("film.mp4", b"0123456789").await;
    let film = anne
        .files()
        .await
        .into_iter()
        .find(|f| f["name"] == "film.mp4")
        .expect("film");
    let film = film["id"].as_str().expect("id").to_owned();

    // Four posters at once, while the photos are being processed.
    let posters = (0..4).map(|_| {
        anne.http
            .put(anne.url(&format!("/api/v1/files/{film}/poster")))
            .bearer_auth(&anne.token)
            .header("content-type", "image/png")
            .body(poster.clone())
            .send()
    });
    for answer in futures_util::future::join_all(posters).await {
        let answer = answer.expect("poster");
        assert!(answer.status().is_success(), "{}", answer.status());
    }
    let bomb = anne.processed("bombe.png").await;
    assert_eq!(bomb["status"], "failed", "{bomb}");
    let photo = anne.processed("progressive.jpg").await;
    assert_eq!(photo["status"], "ready", "{photo}");

    let peak = server.peak_rss();
    eprintln!("peak RSS of the server: {} MiB", peak / MIB);
    assert!(
        peak < PEAK_RSS_LIMIT,
        "the server peaked at {} MiB with these pictures",
        peak / MIB
    );
}
