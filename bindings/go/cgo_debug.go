//go:build wasihost_debug

package wasihost

// With -tags wasihost_debug: the library `make lib-debug` builds in this
// repository (build/lib/debug), as the tests use it, with an rpath into
// the checkout (see cgo_dev.go).

// #cgo LDFLAGS: -L${SRCDIR}/../../build/lib/debug -Wl,-rpath,${SRCDIR}/../../build/lib/debug -lwasihost_core
import "C"
