//go:build wasihost_system && !wasihost_debug

package wasihost

// With -tags wasihost_system: an installed library (`make install`), found
// by the C compiler and the linker in their default paths, or through
// CGO_CFLAGS / CGO_LDFLAGS (e.g. from `pkg-config --cflags --libs wasihost`).

// #cgo LDFLAGS: -lwasihost_core
import "C"
