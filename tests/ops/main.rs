//! Operations, tested once per run because they do not depend on the backend pair: the
//! Debian package on this machine and on a minimal Debian, the reverse proxies of the
//! README in front of the real binary, and the DNS checks of `relais check`.
//! `scripts/test.sh` builds the package and the chroot first and runs these with
//! `cargo test --test ops` (they are not part of the default `cargo test`).

mod dns;
mod package;
mod proxy;
mod support;
