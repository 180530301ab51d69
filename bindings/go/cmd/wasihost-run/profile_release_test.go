//go:build wasihost_dev && !wasihost_debug

package main

// libProfiles are the build/lib directories where the library the tests
// link may be, in the order the package's rpath searches them.
var libProfiles = []string{"release", "debug"}
