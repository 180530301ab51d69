package wasihost

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestHeaderInSync checks that the package's copy of the C header
// (wasihost.h, which cgo compiles against wherever the package is) is the
// repository's include/wasihost.h. Outside a checkout (a module cache, a
// vendor directory) there is nothing to compare with, and it is skipped.
func TestHeaderInSync(t *testing.T) {
	repo := filepath.Join("..", "..", "include", "wasihost.h")
	want, err := os.ReadFile(repo)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("%s not found: not in a wasihost checkout", repo)
	}
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("wasihost.h")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		line := 1 + bytes.Count(want[:commonPrefix(got, want)], []byte("\n"))
		t.Fatalf("bindings/go/wasihost.h differs from include/wasihost.h (first at line %d): "+
			"the Go package compiles against its own copy; refresh it with\n"+
			"\tcp include/wasihost.h bindings/go/wasihost.h\n"+
			"at the top of the repository, and adapt the Go code to the change", line)
	}
}

func commonPrefix(a, b []byte) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}
