//! Integration tests: the real application on port 0, against SQLite + local storage by
//! default or PostgreSQL + an S3-compatible server with `TEST_BACKEND=postgres-s3`
//! (see `scripts/test.sh`, which starts both).

mod helpers;

mod accounts;
mod appointments;
mod arrangement;
mod authorization;
mod backup;
mod camera;
mod cli;
mod clients;
mod crash;
mod direct;
pub(crate) mod downloads;
mod guests;
mod health;
mod identity;
mod integration;
mod jobs;
mod lifecycle;
mod links;
mod lists;
mod mail;
pub(crate) mod media;
mod memory;
mod metrics;
mod newsletter;
mod nodes;
pub(crate) mod pages;
mod portfolio;
mod schema;
mod selections;
mod session;
mod storage;
mod storage_setup;
mod studio;
mod system;
mod timeouts;
mod tokens;
mod transfers;
mod trash;
mod tus;
mod tus_reliability;
mod upload_links;
mod video;
