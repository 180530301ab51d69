package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"wasihost.dev/wasihost/internal/testguest"
)

// TestDriver runs the benchmark guest briefly in each mode, with and
// without the pass-through handler: one ns_per_call line each time.
func TestDriver(t *testing.T) {
	src := testguest.RepoFile("bench/hooks/calls.c")
	if _, err := os.Stat(src); err != nil {
		t.Skipf("no benchmark guest: %v", err)
	}
	dir := t.TempDir()
	wasm := filepath.Join(dir, "calls.wasm")
	if err := testguest.Compile(src, wasm); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "f"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`^ns_per_call=[0-9]+\.[0-9]{2}\n$`)
	for _, mode := range []string{"clock", "open"} {
		for _, handler := range []string{"none", "passthrough"} {
			var stdout, stderr bytes.Buffer
			if rc := run([]string{wasm, data, mode, "200", handler}, &stdout, &stderr); rc != 0 || !line.MatchString(stdout.String()) {
				t.Errorf("%s %s: status %d, stdout %q, stderr %q", mode, handler, rc, stdout.String(), stderr.String())
			}
		}
	}
	// Without the file f, path_open fails: the guest exits 1.
	var stdout, stderr bytes.Buffer
	if rc := run([]string{wasm, dir + "/nonexistent-is-refused", "open", "10", "none"}, &stdout, &stderr); rc != 2 {
		t.Errorf("a missing DIR: status %d, stderr %q", rc, stderr.String())
	}
	stderr.Reset()
	if rc := run([]string{wasm, t.TempDir(), "open", "10", "passthrough"}, &stdout, &stderr); rc != 1 || !strings.Contains(stderr.String(), "path_open: errno 44") {
		t.Errorf("no file f: status %d, stderr %q", rc, stderr.String())
	}
	for _, args := range [][]string{
		nil,
		{wasm, data, "clock", "10"},
		{wasm, data, "spin", "10", "none"},
		{wasm, data, "clock", "0", "none"},
		{wasm, data, "clock", "10", "all"},
	} {
		stderr.Reset()
		if rc := run(args, &stdout, &stderr); rc != 2 || !strings.Contains(stderr.String(), "usage: ") {
			t.Errorf("%q: status %d, stderr %q", args, rc, stderr.String())
		}
	}
}
