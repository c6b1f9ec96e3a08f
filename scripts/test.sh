#!/usr/bin/env bash
# Runs the whole test suite: the Rust tests twice (SQLite + local storage, then
# PostgreSQL + an S3-compatible server), then the pages end to end in Chromium. Installs
# and starts what it needs when it is missing: PostgreSQL and Chromium (Debian packages),
# s3s-fs (crates.io), aiosmtpd, tuspy and moto (PyPI), tus-js-client and playwright-core
# (npm).
# Extra arguments go to `cargo test` (e.g. a test name filter).
set -euo pipefail
cd "$(dirname "$0")/.."

S3_PORT="${TEST_S3_PORT:-19457}"
S3_KEY=relais-test
S3_SECRET=relais-test-secret
PG_URL="postgres://relais_test:relais_test@127.0.0.1:5432/postgres"
work="$(mktemp -d)"
s3_pid=""
cleanup() {
  [ -n "$s3_pid" ] && kill "$s3_pid" 2>/dev/null || true
  # The minimal Debian inside holds root's files.
  if [ "$(id -u)" = 0 ]; then rm -rf "$work"; else sudo -n rm -rf "$work" 2>/dev/null || rm -rf "$work"; fi
}
trap cleanup EXIT

say() { printf '\n== %s\n' "$*"; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# --- PostgreSQL ----------------------------------------------------------------------
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  say "installing PostgreSQL"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql >/dev/null
fi
cluster=$(pg_lsclusters --no-header | awk 'NR==1 {print $1" "$2}')
if [ -z "$cluster" ]; then
  say "creating a PostgreSQL cluster"
  as_root pg_createcluster 15 main >/dev/null
  cluster="15 main"
fi
if ! pg_lsclusters --no-header | awk 'NR==1 {print $4}' | grep -q online; then
  say "starting PostgreSQL ($cluster)"
  as_root pg_ctlcluster $cluster start
fi
as_root su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='relais_test'\"" | grep -q 1 ||
  as_root su postgres -c "psql -qc \"CREATE ROLE relais_test LOGIN CREATEDB PASSWORD 'relais_test'\""

# --- unzip, an independent reader for the archive tests ------------------------------
if ! command -v unzip >/dev/null 2>&1; then
  say "installing unzip"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq unzip >/dev/null
fi

# --- S3: s3s-fs, a real S3 implementation that checks every signature ----------------
if ! command -v s3s-fs >/dev/null 2>&1; then
  say "installing s3s-fs (a few minutes, once)"
  cargo install --locked s3s-fs@0.14.1 --features binary
fi
mkdir -p "$work/s3"
s3s-fs --host 127.0.0.1 --port "$S3_PORT" --access-key "$S3_KEY" --secret-key "$S3_SECRET" "$work/s3" \
  >"$work/s3s.log" 2>&1 &
s3_pid=$!
for _ in $(seq 100); do
  (echo >/dev/tcp/127.0.0.1/"$S3_PORT") 2>/dev/null && break
  sleep 0.1
done

# --- SMTP sink: aiosmtpd -------------------------------------------------------------
PYTHON="${TEST_PYTHON:-python3}"
if ! "$PYTHON" -c 'import aiosmtpd' 2>/dev/null; then
  say "installing aiosmtpd"
  "$PYTHON" -m pip install -q aiosmtpd
fi

# --- Third-party tus clients: tuspy (PyPI) and tus-js-client (npm) --------------------
if ! "$PYTHON" -c 'import tusclient' 2>/dev/null; then
  say "installing tuspy"
  "$PYTHON" -m pip install -q tuspy
fi
if [ ! -d tests/clients/node_modules/tus-js-client ]; then
  say "installing tus-js-client"
  (cd tests/clients && npm ci --no-audit --no-fund --loglevel=error)
fi

# --- libheif's tools for HEIC photos (heif-convert decodes them, heif-enc makes the tests') --
if ! command -v heif-convert >/dev/null 2>&1 || ! command -v heif-enc >/dev/null 2>&1; then
  say "installing libheif-examples"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq libheif-examples >/dev/null
fi

# --- ffmpeg for the media pipeline's video posters and durations ----------------------
if ! command -v ffmpeg >/dev/null 2>&1 || ! command -v ffprobe >/dev/null 2>&1; then
  say "installing ffmpeg"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq ffmpeg >/dev/null
fi

# --- A real browser for the pages: Debian's Chromium, driven by playwright-core --------
if ! command -v chromium >/dev/null 2>&1; then
  say "installing Chromium"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium >/dev/null
fi
if [ ! -d tests/browser/node_modules/playwright-core ]; then
  say "installing playwright-core"
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
fi

# --- The quote site's signer: the official standardwebhooks library (PyPI) ----------
if ! "$PYTHON" -c 'import standardwebhooks' 2>/dev/null; then
  say "installing standardwebhooks"
  "$PYTHON" -m pip install -q standardwebhooks
fi

# --- iCalendar: appointments' .ics files and feeds are read by an independent parser --
if ! "$PYTHON" -c 'import icalendar' 2>/dev/null; then
  say "installing icalendar"
  "$PYTHON" -m pip install -q icalendar
fi

# --- DKIM: openssl makes test keys, dkimpy (PyPI) verifies the signatures ------------
if ! command -v openssl >/dev/null 2>&1; then
  say "installing openssl"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq openssl >/dev/null
fi
if ! "$PYTHON" -c 'import dkim' 2>/dev/null; then
  say "installing dkimpy"
  "$PYTHON" -m pip install -q dkimpy
fi

# --- An independent check of the OpenAPI document (PyPI) -----------------------------
if ! "$PYTHON" -c 'import openapi_spec_validator' 2>/dev/null; then
  say "installing openapi-spec-validator"
  "$PYTHON" -m pip install -q openapi-spec-validator
fi

# --- Operations tests: nginx and Caddy (the README's proxies), dnsmasq (Debian) -----
# Only their binaries are used: the packages' own services must not start (nginx and
# Caddy would both want port 80), so a policy-rc.d refuses them during the install.
missing=""
command -v nginx >/dev/null 2>&1 || missing="$missing nginx"
command -v caddy >/dev/null 2>&1 || missing="$missing caddy"
command -v dnsmasq >/dev/null 2>&1 || missing="$missing dnsmasq-base"
if [ -n "$missing" ]; then
  say "installing$missing"
  policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null
    as_root chmod 755 /usr/sbin/policy-rc.d
    policy=made
  fi
  as_root apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq $missing >/dev/null
  [ "$policy" = made ] && as_root rm -f /usr/sbin/policy-rc.d
fi

# --- systemd-analyze checks the packaged unit ----------------------------------------
if ! command -v systemd-analyze >/dev/null 2>&1; then
  say "installing systemd (for systemd-analyze verify)"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq systemd >/dev/null
fi

# --- Metrics are read by an independent parser: prometheus_client's OpenMetrics one --
if ! "$PYTHON" -c 'import prometheus_client' 2>/dev/null; then
  say "installing prometheus_client"
  "$PYTHON" -m pip install -q prometheus_client
fi

# --- S3 with CORS and lifecycle rules: moto's server (for `relais storage setup`) -----
if ! "$PYTHON" -c 'import moto.server, flask' 2>/dev/null; then
  say "installing moto[server]"
  "$PYTHON" -m pip install -q 'moto[server]'
fi

export TEST_DATABASE_URL="$PG_URL"
export TEST_S3_ENDPOINT="http://127.0.0.1:$S3_PORT"
export TEST_S3_ACCESS_KEY="$S3_KEY"
export TEST_S3_SECRET_KEY="$S3_SECRET"
export TEST_PYTHON="$PYTHON"

started=$(date +%s)
log="$work/cargo-test.log"
status=0
say "tests on SQLite + local storage"
TEST_BACKEND=sqlite-local cargo test --workspace "$@" 2>&1 | tee -a "$log" || status=1

say "tests on PostgreSQL + S3 (s3s-fs)"
TEST_BACKEND=postgres-s3 cargo test --workspace "$@" 2>&1 | tee -a "$log" || status=1

say "both backend pairs done in $(( $(date +%s) - started )) s"

say "pages end to end in Chromium"
browser_log="$work/browser.log"
locked=""; [[ " $* " == *" --locked "* ]] && locked="--locked"
cargo build $locked --bin relais 2>&1 | tail -1
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
(cd tests/browser && TEST_RELAIS_BIN="${TEST_RELAIS_BIN:-$target_dir/debug/relais}" node --test --test-concurrency=1) \
  2>&1 | tee "$browser_log" || status=1

say "operations, once: the Debian package here and on a minimal Debian"
# A minimal Debian 12 without any toolchain, made once and kept as a tarball.
chroot_cache=/var/cache/relais-tests/bookworm-minbase.tar.gz
if [ ! -f "$chroot_cache" ]; then
  say "making a minimal Debian 12 with debootstrap (once)"
  command -v debootstrap >/dev/null 2>&1 || {
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq debootstrap >/dev/null
  }
  as_root mkdir -p "$(dirname "$chroot_cache")"
  as_root debootstrap --variant=minbase bookworm "$work/minbase" http://deb.debian.org/debian >/dev/null
  as_root tar -C "$work/minbase" -czf "$chroot_cache" .
  as_root rm -rf "$work/minbase"
fi
as_root mkdir -p "$work/chroot"
as_root tar -C "$work/chroot" -xzf "$chroot_cache"
# The package of a debug build: the same packaging as a release, without its long build.
if PROFILE=dev DIST_DIR="$work/dist" bash scripts/release.sh >"$work/release.log" 2>&1; then
  tail -3 "$work/release.log"
  TEST_DEB=$(ls "$work"/dist/relais_*_amd64.deb) TEST_CHROOT="$work/chroot" \
    cargo test $locked --test ops 2>&1 | tee -a "$log" || status=1
else
  cat "$work/release.log"
  echo "test result: FAILED. 0 passed; 1 failed (scripts/release.sh)" | tee -a "$log"
  status=1
fi

# One closing line for every run together.
{
  awk '/^test result:/ { p += $4; f += $6 } END { print p, f }' "$log"
  awk '/^# pass / { p += $3 } /^# (fail|cancelled) / { f += $3 } END { print p + 0, f + 0 }' "$browser_log"
} | awk '{ p += $1; f += $2 } END { printf "\ntotal: %d passed, %d failed\n", p, f }'
exit "$status"
