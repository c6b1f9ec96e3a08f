//! The HTTP side of the metrics: one middleware counts each request, its duration and the
//! bytes of both bodies as they stream.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;

use crate::metrics::{RequestLabels, RouteLabels, SharedMetrics};

/// The tus route whose PATCH requests carry the uploads.
const UPLOAD_ROUTE: &str = "/api/v1/uploads/{id}";

pub async fn count(State(metrics): State<SharedMetrics>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().clone();
    let upload =
        (method == Method::PATCH && route == UPLOAD_ROUTE).then(|| InProgress::start(&metrics.uploads_in_progress));
    let request = request.map(|body| Body::new(Counted::new(body, metrics.received_bytes.clone())));
    let response = next.run(request).await;
    let elapsed = started.elapsed().as_secs_f64();
    let method = method_label(&method).to_owned();
    metrics
        .requests
        .get_or_create(&RequestLabels {
            route: route.clone(),
            method: method.clone(),
            status: response.status().as_u16(),
        })
        .inc();
    metrics
        .request_seconds
        .get_or_create(&RouteLabels { route, method })
        .observe(elapsed);
    if upload.is_some() {
        metrics.patch_seconds.observe(elapsed);
    }
    drop(upload);
    response.map(|body| Body::new(Counted::new(body, metrics.sent_bytes.clone())))
}

/// The method as a label: the standard ones by name, anything else as `other`. HTTP
/// lets a client invent methods, and each new label would be a new series kept forever.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Counts one upload in progress for as long as it lives (a dropped request included).
struct InProgress(Gauge);

impl InProgress {
    fn start(gauge: &Gauge) -> Self {
        gauge.inc();
        Self(gauge.clone())
    }
}

impl Drop for InProgress {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// A body that adds the length of each data frame to a counter as it passes.
struct Counted {
    inner: Body,
    counter: Counter,
}

impl Counted {
    fn new(inner: Body, counter: Counter) -> Self {
        Self { inner, counter }
    }
}

impl http_body::Body for Counted {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled
            && let Some(data) = frame.data_ref()
        {
            self.counter.inc_by(data.len() as u64);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
