package wasihost_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"wasihost.dev/wasihost"
)

// A cache directory others may write is refused, with an error that names
// it; AllowSharedCacheDir uses it.
func TestSharedCacheDirNeedsAllowSharedCacheDir(t *testing.T) {
	wasm, err := os.ReadFile(guests["proc"])
	must(t, err)
	dir := filepath.Join(t.TempDir(), "shared")
	must(t, os.Mkdir(dir, 0o700))
	must(t, os.Chmod(dir, 0o777))

	_, _, err = wasihost.NewModuleCached(engine, wasm, dir)
	var e *wasihost.Error
	if !errors.As(err, &e) || e.Kind != wasihost.KindIO || !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("a 0777 cache directory: %v", err)
	}
	for _, want := range []string{`cache directory "` + dir + `"`, "mode 0777", "chmod 700"} {
		if !strings.Contains(e.Message, want) {
			t.Errorf("%q not in %q", want, e.Message)
		}
	}

	for _, want := range []wasihost.CacheStatus{wasihost.CacheMiss, wasihost.CacheHit} {
		mod, status, err := wasihost.NewModuleCached(engine, wasm, dir, wasihost.AllowSharedCacheDir())
		must(t, err)
		if status != want {
			t.Fatalf("status = %v, want %v", status, want)
		}
		r := runWith(t, mod, newConfig(t, "proc", "hello", "shared"), true)
		mod.Close()
		if r.err != nil || r.stdout != "hello shared\n" {
			t.Fatalf("%+v", r)
		}
	}
	entries, err := filepath.Glob(filepath.Join(dir, "*.cwasm"))
	must(t, err)
	if len(entries) != 1 {
		t.Fatalf("entries: %v", entries)
	}
	if st, err := os.Stat(entries[0]); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("entry: %v, %v", st, err)
	}
}
