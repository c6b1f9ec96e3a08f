//! A time limit on a whole request (body and handler), so that a client trickling its
//! body, or a handler stuck on a dependency, does not hold a connection, a database
//! connection or a lease for ever. Resumable uploads are not held to one (5 GB take hours
//! on a slow line): their reader ends a PATCH that stops making progress instead
//! (`uploads::reader`). Response bodies (downloads, ZIPs) start within the limit and then
//! stream for as long as the client reads.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::http::error::AppError;

#[derive(Debug, Clone, Copy)]
pub struct Deadline(pub Duration);

pub async fn within(State(Deadline(limit)): State<Deadline>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        // Dropping the handler's future rolls back its transaction and frees what it held.
        Err(_) => AppError::RequestTimeout {
            after_secs: limit.as_secs(),
        }
        .into_response(),
    }
}
