//go:build wasihost_static && !wasihost_debug && !wasihost_dev && !wasihost_ldflags

package wasihost

// With -tags wasihost_static: the static library of an installed prefix
// (libwasihost_core.a and the system libraries it needs), through
// pkg-config's wasihost-static.pc. The program carries the library: it
// depends on no file of the prefix or of the repository, only on the
// system's libc, libm, libgcc_s.

// #cgo pkg-config: wasihost-static
import "C"
