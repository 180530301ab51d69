#!/usr/bin/env bash
# Checks scripts/install.sh and the installed library:
#
#   tests/cli/install_check.sh PREFIX LIBDIR INCDIR
#
# 1. installs into PREFIX (emptied first) and checks the layout and links;
# 2. compiles examples-c/embed.c the way examples-c/README.md says, with
#    `pkg-config --cflags --libs wasihost` (shared), and once more against
#    libwasihost_core.a with `pkg-config --static` (Libs.private), and
#    examples-c/limits.c and examples-c/hooks.c (shared), which it runs
#    (hooks on build/guests/hostdemo.wasm, built by `make guests`);
# 3. runs tests/cli/check.py against the installed bin/wasihost-run and both
#    embed builds;
# 4. stages an install with DESTDIR and checks it names the final prefix.
# Scratch files go to PREFIX.work.
set -euo pipefail

die() {
    echo "install_check: FAIL: $*" >&2
    exit 1
}

[ $# -eq 3 ] || die "usage: install_check.sh PREFIX LIBDIR INCDIR"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$1"
PREFIX=$(cd "$1" && pwd)
LIBDIR=$2
INCDIR=$3
WORK=$PREFIX.work
CC=${CC:-cc}
PYTHON=${PYTHON:-python3}
VERSION=$(sed -n '/^\[package\]/,/^\[/s/^version *= *"\([^"]*\)".*/\1/p' "$ROOT/Cargo.toml" | head -1)

rm -rf "$PREFIX" "$WORK"
mkdir -p "$WORK"
"$ROOT/scripts/install.sh" "$PREFIX" "$LIBDIR" "$INCDIR"

# 1. Layout.
for f in "lib/libwasihost_core.so.$VERSION" lib/libwasihost_core.a include/wasihost.h \
    lib/pkgconfig/wasihost.pc lib/pkgconfig/wasihost-static.pc bin/wasihost-run; do
    [ -f "$PREFIX/$f" ] || die "$PREFIX/$f is missing"
done
[ "$(readlink "$PREFIX/lib/libwasihost_core.so.0")" = "libwasihost_core.so.$VERSION" ] ||
    die "lib/libwasihost_core.so.0 does not point to libwasihost_core.so.$VERSION"
[ "$(readlink "$PREFIX/lib/libwasihost_core.so")" = "libwasihost_core.so.0" ] ||
    die "lib/libwasihost_core.so does not point to libwasihost_core.so.0"
cmp -s "$INCDIR/wasihost.h" "$PREFIX/include/wasihost.h" || die "the installed header differs"
readelf -d "$PREFIX/bin/wasihost-run" | grep -q 'R.*PATH.*\[\$ORIGIN/\.\./lib\]' ||
    die "bin/wasihost-run lacks the rpath \$ORIGIN/../lib"

export PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig
[ "$(pkg-config --modversion wasihost)" = "$VERSION" ] || die "pkg-config --modversion"
grep -qx "prefix=$PREFIX" "$PREFIX/lib/pkgconfig/wasihost.pc" || die "wasihost.pc: prefix"

# Installed without debug info.
for f in "lib/libwasihost_core.so.$VERSION" lib/libwasihost_core.a; do
    if readelf -S "$PREFIX/$f" | grep -q '\.debug_'; then
        die "$f carries debug info"
    fi
done

# 2. embed.c with pkg-config, as in the README (shared library): it runs
# without LD_LIBRARY_PATH (wasihost.pc's rpath) ...
# shellcheck disable=SC2046 # pkg-config output is meant to be split
"$CC" -std=c11 -O2 -Wall -Wextra -Werror -pedantic -o "$WORK/embed" \
    "$ROOT/examples-c/embed.c" $(pkg-config --cflags --libs wasihost)
readelf -d "$WORK/embed" | grep -q 'NEEDED.*\[libwasihost_core\.so\.0\]' ||
    die "embed (shared) does not need libwasihost_core.so.0"
resolved=$(env -u LD_LIBRARY_PATH ldd "$WORK/embed")
case $resolved in
*"libwasihost_core.so.0 => $PREFIX/lib/"*) ;;
*) die "embed (shared) does not find the library in $PREFIX/lib through its rpath: $resolved" ;;
esac
# ... with wasihost-static.pc: a program that needs no wasihost library ...
# shellcheck disable=SC2046
"$CC" -std=c11 -O2 -Wall -Wextra -Werror -pedantic -o "$WORK/embed-static-pc" \
    "$ROOT/examples-c/embed.c" $(pkg-config --cflags --libs wasihost-static)
if readelf -d "$WORK/embed-static-pc" | grep -q 'NEEDED.*wasihost'; then
    die "embed built with wasihost-static.pc needs a shared wasihost"
fi
# ... and statically: the archive, then what Libs.private names.
static_libs=$(pkg-config --static --libs-only-l wasihost | tr ' ' '\n' |
    grep -v -x -e -lwasihost_core -e '' | tr '\n' ' ')
# shellcheck disable=SC2046,SC2086
"$CC" -std=c11 -O2 -Wall -Wextra -Werror -pedantic -o "$WORK/embed-static" \
    "$ROOT/examples-c/embed.c" $(pkg-config --cflags wasihost) \
    "$PREFIX/lib/libwasihost_core.a" $static_libs
if readelf -d "$WORK/embed-static" | grep -q 'NEEDED.*wasihost'; then
    die "embed-static needs a shared wasihost"
fi

# ... and limits.c (it starts a thread), run once.
# shellcheck disable=SC2046
"$CC" -std=c11 -O2 -Wall -Wextra -Werror -pedantic -pthread -o "$WORK/limits" \
    "$ROOT/examples-c/limits.c" $(pkg-config --cflags --libs wasihost)
env -u LD_LIBRARY_PATH "$WORK/limits" >/dev/null ||
    die "limits (built with pkg-config) did not end as expected"
# shellcheck disable=SC2046
"$CC" -std=c11 -O2 -Wall -Wextra -Werror -pedantic -o "$WORK/hooks" \
    "$ROOT/examples-c/hooks.c" $(pkg-config --cflags --libs wasihost)
env -u LD_LIBRARY_PATH "$WORK/hooks" "$ROOT/build/guests/hostdemo.wasm" >/dev/null ||
    die "hooks (built with pkg-config) did not end as expected"

# The README's "Getting started in C": its hello.c, as the README says to
# build it (shared, then static), run with no LD_LIBRARY_PATH.
awk '/^\/\* hello\.c:/{on=1} on&&/^```/{exit} on{print}' "$ROOT/README.md" >"$WORK/hello.c"
[ -s "$WORK/hello.c" ] || die "README.md has no hello.c in Getting started in C"
for pc in wasihost wasihost-static; do
    # shellcheck disable=SC2046
    "$CC" -std=c11 -Wall -Wextra -Werror -o "$WORK/hello-$pc" "$WORK/hello.c" \
        $(pkg-config --cflags --libs $pc)
    got=$(cd / && env -u LD_LIBRARY_PATH "$WORK/hello-$pc")
    [ "$got" = "hello from wasm" ] || die "hello.c with $pc.pc printed '$got'"
done

# 3. The checks through the installed copies (the shared embed finds the
# library through the rpath wasihost.pc gave it).
env -u LD_LIBRARY_PATH "$PYTHON" "$ROOT/tests/cli/check.py" --cli "$PREFIX/bin/wasihost-run" \
    --embed "$WORK/embed" --embed "$WORK/embed-static" --embed "$WORK/embed-static-pc"

# 4. DESTDIR: staged under it, naming the final prefix.
DESTDIR=$WORK/stage "$ROOT/scripts/install.sh" /opt/wasihost "$LIBDIR" "$INCDIR" >/dev/null
[ -f "$WORK/stage/opt/wasihost/lib/libwasihost_core.so.$VERSION" ] || die "DESTDIR: no library"
grep -qx "prefix=/opt/wasihost" "$WORK/stage/opt/wasihost/lib/pkgconfig/wasihost.pc" ||
    die "DESTDIR: wasihost.pc does not name prefix=/opt/wasihost"
"$WORK/stage/opt/wasihost/bin/wasihost-run" --help >/dev/null ||
    die "DESTDIR: the staged wasihost-run does not run"

rm -rf "$WORK"
echo "install_check: ok (installed $VERSION into $PREFIX, embed built with pkg-config)"
