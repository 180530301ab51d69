//go:build !wasihost_dev && !wasihost_debug

package main

// libProfiles is empty when the tests link an installed library (the
// default, wasihost_static, wasihost_ldflags): the C CLI is then compiled
// with `pkg-config --cflags --libs wasihost`.
var libProfiles []string
