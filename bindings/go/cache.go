package wasihost

// #include "wasihost.h"
import "C"

import (
	"math"
	"runtime"
	"sync"
)

// DefaultCacheMaxSize is the size limit of a [Cache] made without
// [CacheMaxSize]: 1 GiB of disk.
const DefaultCacheMaxSize uint64 = C.WASIHOST_CACHE_DEFAULT_MAX_SIZE

// CacheUnbounded, given to [CacheMaxSize], removes the size limit.
const CacheUnbounded uint64 = math.MaxUint64

// cacheOptions are what the [CacheOption]s of a call set.
type cacheOptions struct {
	flags      C.wasihost_cache_flags_t
	maxSize    uint64
	hasMaxSize bool
}

// CacheOption changes how a [Cache] (or [NewModuleCached]) uses its
// directory.
type CacheOption func(*cacheOptions)

// AllowSharedCacheDir makes a [Cache] (or [NewModuleCached]) use an
// existing cache directory that its group or everyone may write, or that
// another user owns, instead of refusing it. Only for a directory whose
// every writer is trusted: any of them can replace the machine code it
// holds.
func AllowSharedCacheDir() CacheOption {
	return func(o *cacheOptions) { o.flags |= C.WASIHOST_CACHE_FLAG_ALLOW_SHARED_DIR }
}

// CacheMaxSize bounds the cache to bytes of disk (default
// [DefaultCacheMaxSize]; [CacheUnbounded]: no bound). After each store,
// entries are deleted, least recently used first (a hit counts as a use),
// until the cache's files take at most that much; the entry just stored
// is kept even when it alone is larger.
func CacheMaxSize(bytes uint64) CacheOption {
	return func(o *cacheOptions) { o.maxSize, o.hasMaxSize = bytes, true }
}

func collectCacheOptions(opts []CacheOption) cacheOptions {
	var o cacheOptions
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	return o
}

// Cache is a compiled-module cache: a directory of compiled modules, with
// a size limit. [Cache.Load] and [Cache.LoadFile] give a module and what
// the cache held: a valid entry is loaded without compiling ([CacheHit]),
// a missing, corrupt or stale one is compiled and stored ([CacheMiss],
// [CacheRebuilt]). Entries are keyed by the SHA-256 of the module's bytes
// and of the engine's settings. [Cache.LoadFile] also remembers the hash
// of a module file against its device, inode, size, mtime and ctime, so a
// hit for a file seen before and unchanged since neither reads nor hashes
// it: the fast way to start a large module.
//
// The entries are machine code, so the directory must be private: what
// the cache creates is (the directory 0700, entries 0600), and an existing
// directory that its group or everyone may write, or that another user
// owns, gives an *Error of kind [KindIO] that matches [io/fs.ErrPermission]
// and names the directory and the fix; [AllowSharedCacheDir] uses it
// anyway.
//
// A Cache may be used from any number of goroutines (and processes) at
// once. Close frees the handle; the directory, its entries and the
// modules loaded through it stay.
type Cache struct {
	mu  sync.RWMutex // held for reading while ptr is in use, for writing by Close
	ptr *C.wasihost_cache_t
}

// NewCache makes a cache handle for the directory dir; "" selects the
// library's default directory: $WASIHOST_CACHE_DIR, else
// $XDG_CACHE_HOME/wasihost, else $HOME/.cache/wasihost (an *Error of kind
// [KindInvalidArgument] when none of them is set). Nothing is created or
// checked until the first load, which creates the directory (mode 0700).
// Options: [CacheMaxSize] (default [DefaultCacheMaxSize]) and
// [AllowSharedCacheDir].
func NewCache(dir string, opts ...CacheOption) (*Cache, error) {
	o := collectCacheOptions(opts)
	dp, dn := stringArg(dir)
	if dir == "" {
		dp = nil // the default directory
	}
	var ptr *C.wasihost_cache_t
	err := takeError(C.wasihost_cache_new(dp, dn, &ptr))
	runtime.KeepAlive(dir)
	if err != nil {
		return nil, err
	}
	if err = takeError(C.wasihost_cache_set_flags(ptr, o.flags)); err == nil && o.hasMaxSize {
		err = takeError(C.wasihost_cache_set_max_size(ptr, C.uint64_t(o.maxSize)))
	}
	if err != nil {
		C.wasihost_cache_delete(ptr)
		return nil, err
	}
	c := &Cache{ptr: ptr}
	runtime.SetFinalizer(c, (*Cache).finalize)
	return c, nil
}

func (c *Cache) finalize() { C.wasihost_cache_delete(c.ptr) }

// Close frees the cache handle; the directory and its entries stay, and
// so do the modules loaded through it. Closing twice is a no-op.
func (c *Cache) Close() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ptr != nil {
		C.wasihost_cache_delete(c.ptr)
		c.ptr = nil
		runtime.SetFinalizer(c, nil)
	}
	return nil
}

// use runs f with the live cache pointer, or returns ErrClosed.
func (c *Cache) use(f func(*C.wasihost_cache_t) error) error {
	if c == nil {
		return errorf(KindInvalidArgument, "cache is nil")
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.ptr == nil {
		return ErrClosed
	}
	err := f(c.ptr)
	runtime.KeepAlive(c)
	return err
}

// load runs one of the C loads with the cache and the engine.
func (c *Cache) load(engine *Engine, call func(*C.wasihost_cache_t, *C.wasihost_engine_t, *C.wasihost_cache_status_t, **C.wasihost_module_t) *C.wasihost_error_t) (*Module, CacheStatus, error) {
	var ptr *C.wasihost_module_t
	var status C.wasihost_cache_status_t
	err := c.use(func(cp *C.wasihost_cache_t) error {
		return engine.use(func(e *C.wasihost_engine_t) error {
			return takeError(call(cp, e, &status, &ptr))
		})
	})
	if err != nil {
		return nil, 0, err
	}
	return newModule(ptr, engine.flags), CacheStatus(status), nil
}

// Load gives the module in wasm (binary or WAT) compiled by engine,
// through the cache, and what the cache held. Invalid wasm gives an
// *Error of kind [KindModule]; a directory that may not be used one of
// kind [KindIO] (see [Cache]). Other cache trouble (a directory that
// cannot be created or written) does not fail the load: the status is
// [CacheNotStored].
func (c *Cache) Load(engine *Engine, wasm []byte) (*Module, CacheStatus, error) {
	return c.load(engine, func(cp *C.wasihost_cache_t, e *C.wasihost_engine_t, st *C.wasihost_cache_status_t, out **C.wasihost_module_t) *C.wasihost_error_t {
		p, n := bytesArg(wasm)
		r := C.wasihost_cache_load(cp, e, p, n, st, out)
		runtime.KeepAlive(wasm)
		return r
	})
}

// LoadFile gives the module in the file at path (binary or WAT) compiled
// by engine, through the cache, and what the cache held; on a hit for a
// file seen before and unchanged since, without reading the file. A file
// that cannot be read gives an *Error of kind [KindIO] that names it (and
// matches [io/fs.ErrNotExist] for a missing one); the rest is as for
// [Cache.Load].
func (c *Cache) LoadFile(engine *Engine, path string) (*Module, CacheStatus, error) {
	return c.load(engine, func(cp *C.wasihost_cache_t, e *C.wasihost_engine_t, st *C.wasihost_cache_status_t, out **C.wasihost_module_t) *C.wasihost_error_t {
		p, n := stringArg(path)
		r := C.wasihost_cache_load_file(cp, e, p, n, st, out)
		runtime.KeepAlive(path)
		return r
	})
}

// DiskUsage reports how many bytes of disk the cache's files take (0 when
// the directory does not exist). Files in the directory that are not the
// cache's are not counted.
func (c *Cache) DiskUsage() (uint64, error) {
	var n C.uint64_t
	err := c.use(func(cp *C.wasihost_cache_t) error {
		return takeError(C.wasihost_cache_disk_usage(cp, &n))
	})
	return uint64(n), err
}

// Clear deletes every file of the cache and reports how many bytes of
// disk they took. Files in the directory that are not the cache's stay;
// modules already loaded, in this or another process, stay valid. A
// directory that others may write is refused as for a load (unless
// [AllowSharedCacheDir]).
func (c *Cache) Clear() (freed uint64, err error) {
	var n C.uint64_t
	err = c.use(func(cp *C.wasihost_cache_t) error {
		return takeError(C.wasihost_cache_clear(cp, &n))
	})
	return uint64(n), err
}
