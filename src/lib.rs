//! Relais: file transfer and client portal for creative studios.

#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod accounts;
pub mod activity;
pub mod app;
pub mod appointments;
pub mod auth;
pub mod backup;
pub mod billing;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod digest;
pub mod disk;
pub mod domain;
pub mod downloads;
pub mod gdpr;
pub mod guests;
pub mod http;
pub mod i18n;
pub mod integration;
pub mod jobs;
pub mod mail;
pub mod media;
pub mod memory;
pub mod metrics;
pub mod newsletter;
pub mod portfolio;
pub mod profile;
pub mod selections;
pub mod setup;
pub mod state;
pub mod studio;
pub mod system;
pub mod telemetry;
pub mod texts;
pub mod transfers;
pub mod trash;
pub mod uploads;
