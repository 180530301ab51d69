//go:build !cgo

package main

// Without cgo this command cannot be built: this declaration makes the
// compiler say so, in place of "build constraints exclude all Go files".
var _ int = "wasihost needs cgo (CGO_ENABLED=1) and a C compiler"
