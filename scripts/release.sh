#!/usr/bin/env bash
# Builds what an install needs, with no Rust, Node or C toolchain on the target machine:
#   dist/relais-<version>-x86_64-linux.tar.gz  the binary (web pages and migrations inside),
#                                             the systemd unit, the configuration template
#   dist/relais_<version>_amd64.deb            the same as a Debian package: /usr/bin/relais,
#                                             the unit, /etc/relais/relais.toml, a `relais`
#                                             system user and /var/lib/relais
# The binary links nothing but the C library (checked below), so it runs on any x86_64
# Debian or Ubuntu whose glibc is at least the one printed at the end.
# PROFILE=dev packages a debug build instead (the tests do, to spare a release build).
set -euo pipefail
cd "$(dirname "$0")/.."

profile="${PROFILE:-release}"
case "$profile" in
  release) dir=release ;;
  dev) dir=debug ;;
  *) echo "release.sh: PROFILE must be release or dev (got $profile)" >&2; exit 2 ;;
esac
version=$(cargo pkgid -p relais | sed 's/.*[#@]//')
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
out="${DIST_DIR:-$PWD/dist}"
mkdir -p "$out"

echo "== building relais $version ($profile)"
cargo build --locked --profile "$profile" --bin relais
bin="$target_dir/$dir/relais"

# Self-contained: only the C library, libm and libgcc_s (in every Debian and Ubuntu).
unexpected=$(ldd "$bin" | awk '{print $1}' | grep -Ev '^(linux-vdso\.so\.1|libc\.so\.6|libm\.so\.6|libgcc_s\.so\.1|/lib64/ld-linux-x86-64\.so\.2)$' || true)
if [ -n "$unexpected" ]; then
  echo "release.sh: the binary links libraries a plain Debian may lack: $unexpected" >&2
  exit 1
fi
glibc=$(objdump -T "$bin" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The tarball.
name="relais-$version-x86_64-linux"
mkdir -p "$work/$name"
install -m 0755 "$bin" "$work/$name/relais"
[ "$profile" = release ] && strip --strip-debug "$work/$name/relais"
install -m 0644 packaging/relais.service packaging/relais.toml README.md "$work/$name/"
tar -C "$work" -czf "$out/$name.tar.gz" "$name"

# The Debian package, assembled with dpkg-deb (no packaging toolchain needed).
root="$work/deb"
install -D -m 0755 "$work/$name/relais" "$root/usr/bin/relais"
install -D -m 0644 packaging/relais.service "$root/lib/systemd/system/relais.service"
install -D -m 0640 packaging/relais.toml "$root/etc/relais/relais.toml"
install -D -m 0644 README.md "$root/usr/share/doc/relais/README.md"
mkdir -p "$root/DEBIAN"
install -m 0755 packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm "$root/DEBIAN/"
install -m 0644 packaging/debian/conffiles "$root/DEBIAN/"
size_kib=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@GLIBC@/$glibc/" -e "s/@SIZE_KIB@/$size_kib/" \
  packaging/debian/control.in > "$root/DEBIAN/control"
deb="$out/relais_${version}_amd64.deb"
compress=-Zxz; [ "$profile" = dev ] && compress="-Zgzip -z1"
# shellcheck disable=SC2086
dpkg-deb --root-owner-group $compress --build "$root" "$deb" >/dev/null

echo "== built"
echo "  $out/$name.tar.gz"
echo "  $deb"
echo "  needs glibc $glibc or newer (Debian 12, Ubuntu 22.04 and later)"
