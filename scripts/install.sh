#!/usr/bin/env bash
# Installs the wasihost C library for C programs.
#
#   scripts/install.sh PREFIX LIBDIR INCDIR
#
#   PREFIX  where it goes, e.g. /usr/local (a relative path is taken from
#           the current directory); with DESTDIR set in the environment,
#           files are staged under $DESTDIR$PREFIX but name PREFIX
#   LIBDIR  the staged library (build/lib/release after `make lib`)
#   INCDIR  the directory of wasihost.h (include)
#
# Installs
#   PREFIX/lib/libwasihost_core.so.VERSION  the shared library (VERSION from
#                                           Cargo.toml), and the links
#   PREFIX/lib/libwasihost_core.so.0        (its SONAME) and
#   PREFIX/lib/libwasihost_core.so          (for -lwasihost_core)
#   PREFIX/lib/libwasihost_core.a           the static library
#   PREFIX/include/wasihost.h
#   PREFIX/lib/pkgconfig/wasihost.pc        from scripts/wasihost.pc.in (its
#                                           Libs carry an rpath to lib/)
#   PREFIX/lib/pkgconfig/wasihost-static.pc from scripts/wasihost-static.pc.in
#
# Both libraries are installed without debug info (strip --strip-debug;
# the symbols a debugger and a backtrace need stay). With
# WASIHOST_INSTALL_DEBUG=1 the shared library's debug info goes to
# PREFIX/lib/debug/libwasihost_core.so.VERSION.debug, linked to it by a
# .gnu_debuglink section, for gdb.
#   PREFIX/bin/wasihost-run                 examples-c/wasihost-run.c, built
#                                           with $CC (default cc) against the
#                                           installed library, found through
#                                           the rpath $ORIGIN/../lib
set -euo pipefail

die() {
    echo "install.sh: $*" >&2
    exit 1
}

[ $# -eq 3 ] || die "usage: install.sh PREFIX LIBDIR INCDIR"
PREFIX=$1
LIBDIR=$2
INCDIR=$3
case $PREFIX in
/*) ;;
*) PREFIX=$PWD/$PREFIX ;;
esac
PREFIX=${PREFIX%/}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEST=${DESTDIR:-}$PREFIX

SO=$LIBDIR/libwasihost_core.so
A=$LIBDIR/libwasihost_core.a
H=$INCDIR/wasihost.h
for f in "$SO" "$A" "$H"; do
    [ -e "$f" ] || die "$f is missing (run \`make lib\` first?)"
done

# The version: [package] version in Cargo.toml.
VERSION=$(sed -n '/^\[package\]/,/^\[/s/^version *= *"\([^"]*\)".*/\1/p' "$ROOT/Cargo.toml" | head -1)
[ -n "$VERSION" ] || die "no [package] version in $ROOT/Cargo.toml"
REAL=libwasihost_core.so.$VERSION
# The name the dynamic linker looks for: the library's SONAME.
SONAME=libwasihost_core.so.${VERSION%%.*}
if command -v readelf >/dev/null 2>&1; then
    found=$(readelf -d "$SO" | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')
    [ "$found" = "$SONAME" ] || die "$SO has SONAME '$found', expected $SONAME"
fi

STRIP=${STRIP:-strip}
OBJCOPY=${OBJCOPY:-objcopy}
install -d "$DEST/lib" "$DEST/lib/pkgconfig" "$DEST/include" "$DEST/bin"
install -m 0755 "$SO" "$DEST/lib/$REAL"
if [ "${WASIHOST_INSTALL_DEBUG:-0}" = 1 ]; then
    install -d "$DEST/lib/debug"
    "$OBJCOPY" --only-keep-debug "$DEST/lib/$REAL" "$DEST/lib/debug/$REAL.debug"
    chmod 0644 "$DEST/lib/debug/$REAL.debug"
fi
"$STRIP" --strip-debug "$DEST/lib/$REAL"
if [ "${WASIHOST_INSTALL_DEBUG:-0}" = 1 ]; then
    (cd "$DEST/lib" && "$OBJCOPY" --add-gnu-debuglink="debug/$REAL.debug" "$REAL")
fi
ln -sfn "$REAL" "$DEST/lib/$SONAME"
ln -sfn "$SONAME" "$DEST/lib/libwasihost_core.so"
install -m 0644 "$A" "$DEST/lib/libwasihost_core.a"
"$STRIP" --strip-debug "$DEST/lib/libwasihost_core.a"
install -m 0644 "$H" "$DEST/include/wasihost.h"
for pc in wasihost wasihost-static; do
    sed -e "s|@PREFIX@|$PREFIX|g" -e "s|@VERSION@|$VERSION|g" \
        "$ROOT/scripts/$pc.pc.in" >"$DEST/lib/pkgconfig/$pc.pc"
    chmod 0644 "$DEST/lib/pkgconfig/$pc.pc"
done

# wasihost-run, linked against the installed copy. $ORIGIN keeps it working
# wherever the tree ends up (under DESTDIR too).
# shellcheck disable=SC2016 # $ORIGIN is for the dynamic linker
"${CC:-cc}" -std=c11 -O2 -Wall -Wextra -pedantic -I"$DEST/include" \
    -o "$DEST/bin/wasihost-run" "$ROOT/examples-c/wasihost-run.c" \
    -L"$DEST/lib" -lwasihost_core -Wl,-rpath,'$ORIGIN/../lib'

echo "install.sh: installed wasihost $VERSION into ${DESTDIR:+$DESTDIR}$PREFIX"
