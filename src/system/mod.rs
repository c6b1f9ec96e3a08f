//! What the studio's system page and `relais check` say about this installation.

pub mod check;
