//go:build !wasihost_debug && !wasihost_dev && !wasihost_ldflags && !wasihost_static

package wasihost

// The default: the shared library of an installed prefix (`make install`,
// scripts/install.sh), found through pkg-config's wasihost.pc (set
// PKG_CONFIG_PATH=PREFIX/lib/pkgconfig for a prefix pkg-config does not
// search). Its Libs carry an rpath to PREFIX/lib, so the program finds the
// library at run time without LD_LIBRARY_PATH, for as long as the prefix
// stays where it is. The header is the package's own copy (wasihost.h).

// #cgo pkg-config: wasihost
import "C"
