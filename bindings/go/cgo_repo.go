//go:build !wasihost_debug && !wasihost_system

package wasihost

// The default: the library built in this repository, build/lib/release
// (`make lib`) when it is there, else build/lib/debug (`make lib-debug`),
// for the linker and, through the rpath, at run time.

// #cgo CFLAGS: -I${SRCDIR}/../../include
// #cgo LDFLAGS: -L${SRCDIR}/../../build/lib/release -L${SRCDIR}/../../build/lib/debug
// #cgo LDFLAGS: -Wl,-rpath,${SRCDIR}/../../build/lib/release -Wl,-rpath,${SRCDIR}/../../build/lib/debug
// #cgo LDFLAGS: -lwasihost_core
import "C"
