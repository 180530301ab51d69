//go:build wasihost_dev && !wasihost_debug

package wasihost

// With -tags wasihost_dev: the shared library built in this repository,
// build/lib/release (`make lib`) when it is there, else build/lib/debug
// (`make lib-debug`), for the linker and, through an rpath into the
// checkout, at run time: such binaries work only while the checkout and
// its build/lib stay where they are. Only for a build of the package in
// its checkout (bindings/go, or a module whose go.work or replace points
// there).

// #cgo LDFLAGS: -L${SRCDIR}/../../build/lib/release -L${SRCDIR}/../../build/lib/debug
// #cgo LDFLAGS: -Wl,-rpath,${SRCDIR}/../../build/lib/release -Wl,-rpath,${SRCDIR}/../../build/lib/debug
// #cgo LDFLAGS: -lwasihost_core
import "C"
