package wasihost_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"wasihost.dev/wasihost"
)

// Two small modules that differ: two entries.
const (
	exit7WAT = `(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call $exit (i32.const 7))))`
)

var exit9WAT = strings.Replace(exit7WAT, "i32.const 7", "i32.const 9", 1)

func cacheEntries(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := filepath.Glob(filepath.Join(dir, "*.cwasm"))
	must(t, err)
	return entries
}

func newCache(t testing.TB, dir string, opts ...wasihost.CacheOption) *wasihost.Cache {
	t.Helper()
	c, err := wasihost.NewCache(dir, opts...)
	must(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// load loads wasm through c and checks the status.
func load(t testing.TB, c *wasihost.Cache, wasm string, want wasihost.CacheStatus) *wasihost.Module {
	t.Helper()
	m, status, err := c.Load(engine, []byte(wasm))
	must(t, err)
	t.Cleanup(func() { m.Close() })
	if status != want {
		t.Fatalf("status %v, want %v", status, want)
	}
	return m
}

// exitCode runs a module of exit7WAT's kind and gives its exit code.
func exitCode(t testing.TB, m *wasihost.Module) int {
	t.Helper()
	r := runWith(t, m, newConfig(t, "m"), true)
	var exit *wasihost.ExitError
	if !errors.As(r.err, &exit) {
		t.Fatalf("run: %v, want an exit", r.err)
	}
	return exit.ExitCode()
}

func TestCacheLoadMissThenHit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "c")
	c := newCache(t, dir)
	wasm, err := os.ReadFile(guests["proc"])
	must(t, err)
	m, status, err := c.Load(engine, wasm)
	must(t, err)
	m.Close()
	if status != wasihost.CacheMiss {
		t.Fatalf("first load: %v", status)
	}
	entries := cacheEntries(t, dir)
	if len(entries) != 1 {
		t.Fatalf("entries: %v", entries)
	}
	before, err := os.Stat(entries[0])
	must(t, err)
	m, status, err = c.Load(engine, wasm)
	must(t, err)
	defer m.Close()
	if status != wasihost.CacheHit {
		t.Fatalf("second load: %v", status)
	}
	if r := runWith(t, m, newConfig(t, "proc", "hello", "hit"), true); r.err != nil || r.stdout != "hello hit\n" {
		t.Fatalf("%+v", r)
	}
	after, err := os.Stat(entries[0])
	must(t, err)
	if !os.SameFile(before, after) {
		t.Fatal("a hit rewrote the entry")
	}
}

func TestCacheLoadFileMissThenHit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "c")
	c := newCache(t, dir)
	for _, want := range []wasihost.CacheStatus{wasihost.CacheMiss, wasihost.CacheHit} {
		m, status, err := c.LoadFile(engine, guests["proc"])
		must(t, err)
		if status != want {
			t.Fatalf("status %v, want %v", status, want)
		}
		if r := runWith(t, m, newConfig(t, "proc", "hello", want.String()), true); r.err != nil || r.stdout != "hello "+want.String()+"\n" {
			t.Fatalf("%+v", r)
		}
		m.Close()
	}
	// Entries are keyed by the module's bytes: Load finds LoadFile's.
	wasm, err := os.ReadFile(guests["proc"])
	must(t, err)
	m, status, err := c.Load(engine, wasm)
	must(t, err)
	m.Close()
	if status != wasihost.CacheHit || len(cacheEntries(t, dir)) != 1 {
		t.Fatalf("Load after LoadFile: %v, %v", status, cacheEntries(t, dir))
	}
	// Another engine's settings: another entry.
	m, status, err = c.LoadFile(intrEngine, guests["proc"])
	must(t, err)
	m.Close()
	if status != wasihost.CacheMiss || len(cacheEntries(t, dir)) != 2 {
		t.Fatalf("another engine: %v, %v", status, cacheEntries(t, dir))
	}
}

// The file's hash is remembered against its identity and times (once the
// file is older than the cache's 3 s stability window); a rewrite changes
// them, so the new content is loaded, never the old entry.
func TestCacheLoadFileSeesAChangedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.wat")
	must(t, os.WriteFile(path, []byte(exit7WAT), 0o600))
	time.Sleep(3500 * time.Millisecond) // past ModuleCache::STABLE_AFTER
	c := newCache(t, filepath.Join(t.TempDir(), "c"))
	step := func(wantStatus wasihost.CacheStatus, wantCode int) {
		t.Helper()
		m, status, err := c.LoadFile(engine, path)
		must(t, err)
		defer m.Close()
		if code := exitCode(t, m); status != wantStatus || code != wantCode {
			t.Fatalf("%v, exit %d; want %v, exit %d", status, code, wantStatus, wantCode)
		}
	}
	step(wasihost.CacheMiss, 7)
	step(wasihost.CacheHit, 7)
	must(t, os.WriteFile(path, []byte(exit9WAT), 0o600)) // same size, same inode
	step(wasihost.CacheMiss, 9)
	step(wasihost.CacheHit, 9)
}

func TestCacheDiskUsageAndClear(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "c")
	c := newCache(t, dir)
	if n, err := c.DiskUsage(); err != nil || n != 0 {
		t.Fatalf("no directory yet: %d, %v", n, err)
	}
	if n, err := c.Clear(); err != nil || n != 0 {
		t.Fatalf("clear of no directory: %d, %v", n, err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the directory was made: %v", err)
	}
	kept := load(t, c, exit7WAT, wasihost.CacheMiss)
	load(t, c, exit9WAT, wasihost.CacheMiss)
	usage, err := c.DiskUsage()
	must(t, err)
	var sizes int64
	for _, e := range cacheEntries(t, dir) {
		st, err := os.Stat(e)
		must(t, err)
		sizes += st.Size()
	}
	if sizes == 0 || usage < uint64(sizes) {
		t.Fatalf("usage %d for entries of %d bytes", usage, sizes)
	}
	must(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not the cache's"), 0o600))
	if n, err := c.DiskUsage(); err != nil || n != usage {
		t.Fatalf("another file is counted: %d, %v", n, err)
	}
	freed, err := c.Clear()
	must(t, err)
	if freed != usage {
		t.Fatalf("freed %d, usage was %d", freed, usage)
	}
	if n, err := c.DiskUsage(); err != nil || n != 0 {
		t.Fatalf("after Clear: %d, %v", n, err)
	}
	if e := cacheEntries(t, dir); len(e) != 0 {
		t.Fatalf("entries after Clear: %v", e)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "notes.txt")); err != nil || string(b) != "not the cache's" {
		t.Fatalf("another file: %q, %v", b, err)
	}
	// A module loaded before the clear still runs; the next load is a miss.
	if code := exitCode(t, kept); code != 7 {
		t.Fatalf("exit %d", code)
	}
	load(t, c, exit7WAT, wasihost.CacheMiss)
}

func TestCacheMaxSizeEvictsTheLeastRecentlyUsed(t *testing.T) {
	// The disk one entry takes, measured in a cache of its own.
	measure := newCache(t, filepath.Join(t.TempDir(), "measure"))
	load(t, measure, exit7WAT, wasihost.CacheMiss)
	one, err := measure.DiskUsage()
	must(t, err)
	if one == 0 {
		t.Fatal("an entry takes no disk")
	}

	dir := filepath.Join(t.TempDir(), "c")
	c := newCache(t, dir, wasihost.CacheMaxSize(one+1))
	load(t, c, exit7WAT, wasihost.CacheMiss)
	load(t, c, exit9WAT, wasihost.CacheMiss)
	// Both do not fit: the older one went.
	if e := cacheEntries(t, dir); len(e) != 1 {
		t.Fatalf("entries: %v", e)
	}
	if n, err := c.DiskUsage(); err != nil || n > one+1 {
		t.Fatalf("usage %d over the limit %d (%v)", n, one+1, err)
	}
	load(t, c, exit9WAT, wasihost.CacheHit)
	if code := exitCode(t, load(t, c, exit7WAT, wasihost.CacheMiss)); code != 7 {
		t.Fatalf("exit %d", code)
	}
}

func TestCacheEntryLargerThanTheLimitIsKept(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "c")
	c := newCache(t, dir, wasihost.CacheMaxSize(1))
	load(t, c, exit7WAT, wasihost.CacheMiss)
	load(t, c, exit7WAT, wasihost.CacheHit)
	load(t, c, exit9WAT, wasihost.CacheMiss) // evicts 7, keeps 9
	if e := cacheEntries(t, dir); len(e) != 1 {
		t.Fatalf("entries: %v", e)
	}
	load(t, c, exit9WAT, wasihost.CacheHit)
}

func TestCacheUnbounded(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "c")
	c := newCache(t, dir, wasihost.CacheMaxSize(wasihost.CacheUnbounded))
	load(t, c, exit7WAT, wasihost.CacheMiss)
	load(t, c, exit9WAT, wasihost.CacheMiss)
	if e := cacheEntries(t, dir); len(e) != 2 {
		t.Fatalf("entries: %v", e)
	}
	if wasihost.DefaultCacheMaxSize != 1<<30 {
		t.Fatalf("DefaultCacheMaxSize = %d", wasihost.DefaultCacheMaxSize)
	}
}

func TestCacheDefaultDirectory(t *testing.T) {
	def := filepath.Join(t.TempDir(), "default")
	t.Setenv("WASIHOST_CACHE_DIR", def)
	c := newCache(t, "")
	load(t, c, exit7WAT, wasihost.CacheMiss)
	if e := cacheEntries(t, def); len(e) != 1 {
		t.Fatalf("entries in the default directory: %v", e)
	}
	for _, name := range []string{"WASIHOST_CACHE_DIR", "XDG_CACHE_HOME", "HOME"} {
		t.Setenv(name, "") // the library takes an empty variable as unset
	}
	_, err := wasihost.NewCache("")
	var e *wasihost.Error
	if !errors.As(err, &e) || e.Kind != wasihost.KindInvalidArgument || !strings.Contains(e.Message, "WASIHOST_CACHE_DIR") {
		t.Fatalf("no default directory: %v", err)
	}
	// NewModuleCached compiles without the cache then, with or without a size.
	for _, opts := range [][]wasihost.CacheOption{nil, {wasihost.CacheMaxSize(1 << 20)}} {
		m, status, err := wasihost.NewModuleCached(engine, []byte(exit7WAT), "", opts...)
		must(t, err)
		m.Close()
		if status != wasihost.CacheNotStored {
			t.Fatalf("status %v", status)
		}
	}
}

func TestNewModuleCachedTakesCacheMaxSize(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "c")
	for _, wat := range []string{exit7WAT, exit9WAT} {
		m, status, err := wasihost.NewModuleCached(engine, []byte(wat), dir, wasihost.CacheMaxSize(1))
		must(t, err)
		m.Close()
		if status != wasihost.CacheMiss {
			t.Fatalf("status %v", status)
		}
	}
	if e := cacheEntries(t, dir); len(e) != 1 {
		t.Fatalf("entries: %v", e)
	}
}

func TestCacheBadArguments(t *testing.T) {
	dir := t.TempDir()
	c := newCache(t, filepath.Join(dir, "c"))
	if _, _, err := c.Load(nil, []byte(exit7WAT)); !errors.Is(err, wasihost.KindInvalidArgument) {
		t.Errorf("nil engine: %v", err)
	}
	if _, _, err := c.Load(engine, []byte("\x00asm\x01\x00\x00\x00\x99")); !errors.Is(err, wasihost.KindModule) {
		t.Errorf("invalid wasm: %v", err)
	}
	if _, _, err := c.Load(engine, nil); err == nil {
		t.Error("no bytes: no error")
	}
	missing := filepath.Join(dir, "missing.wasm")
	_, _, err := c.LoadFile(engine, missing)
	var e *wasihost.Error
	if !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &e) || e.Kind != wasihost.KindIO || !strings.Contains(e.Message, missing) {
		t.Errorf("missing file: %v", err)
	}
	if _, _, err := c.LoadFile(engine, ""); err == nil {
		t.Error("empty path: no error")
	}
	if _, err := wasihost.NewCache("a\x00b"); !errors.Is(err, wasihost.KindInvalidArgument) {
		t.Errorf("a NUL in the directory: %v", err)
	}
	if e := cacheEntries(t, filepath.Join(dir, "c")); len(e) != 0 {
		t.Errorf("entries: %v", e)
	}

	// A closed engine, a closed cache, a nil cache.
	eng, err := wasihost.NewEngine()
	must(t, err)
	eng.Close()
	if _, _, err := c.Load(eng, []byte(exit7WAT)); !errors.Is(err, wasihost.ErrClosed) {
		t.Errorf("closed engine: %v", err)
	}
	must(t, c.Close())
	must(t, c.Close()) // a no-op
	if _, _, err := c.Load(engine, []byte(exit7WAT)); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("Load after Close: %v", err)
	}
	if _, _, err := c.LoadFile(engine, guests["proc"]); !errors.Is(err, wasihost.ErrClosed) {
		t.Errorf("LoadFile after Close: %v", err)
	}
	if _, err := c.DiskUsage(); !errors.Is(err, wasihost.ErrClosed) {
		t.Errorf("DiskUsage after Close: %v", err)
	}
	if _, err := c.Clear(); !errors.Is(err, wasihost.ErrClosed) {
		t.Errorf("Clear after Close: %v", err)
	}
	var nilCache *wasihost.Cache
	if _, err := nilCache.DiskUsage(); !errors.Is(err, wasihost.KindInvalidArgument) {
		t.Errorf("nil cache: %v", err)
	}
	must(t, nilCache.Close())
}

func TestCacheSharedDirRefusedUnlessAllowed(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "shared")
	must(t, os.Mkdir(dir, 0o700))
	must(t, os.Chmod(dir, 0o777))
	c := newCache(t, dir)
	if _, _, err := c.Load(engine, []byte(exit7WAT)); !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("load: %v", err)
	}
	if _, err := c.Clear(); !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("clear: %v", err)
	}
	c = newCache(t, dir, wasihost.AllowSharedCacheDir())
	load(t, c, exit7WAT, wasihost.CacheMiss)
	if n, err := c.Clear(); err != nil || n == 0 {
		t.Fatalf("clear: %d, %v", n, err)
	}
}

// Goroutines share one cache: one entry, every load a miss or a hit.
func TestCacheGoroutines(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "c")
	c := newCache(t, dir)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, status, err := c.Load(engine, []byte(exit7WAT))
			if err == nil {
				m.Close()
				if status != wasihost.CacheMiss && status != wasihost.CacheHit {
					err = errors.New("status " + status.String())
				}
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	load(t, c, exit7WAT, wasihost.CacheHit)
	if e := cacheEntries(t, dir); len(e) != 1 {
		t.Fatalf("entries: %v", e)
	}
}
