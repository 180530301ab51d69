//go:build wasihost_debug

package main

// libProfiles are the build/lib directories where the library the tests
// link may be (with -tags wasihost_debug: the debug one).
var libProfiles = []string{"debug"}
