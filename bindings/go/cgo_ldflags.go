//go:build wasihost_ldflags && !wasihost_debug && !wasihost_dev

package wasihost

// With -tags wasihost_ldflags the package adds no compiler or linker flag
// of its own and runs no pkg-config: CGO_LDFLAGS names the library, e.g.
//
//	CGO_LDFLAGS="-L/opt/wasihost/lib -Wl,-rpath,/opt/wasihost/lib -lwasihost_core"
//	CGO_LDFLAGS="/opt/wasihost/lib/libwasihost_core.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc"
//
// (the second a static build). The header is the package's own copy.

import "C"
