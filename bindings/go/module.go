package wasihost

// #include "wasihost.h"
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"unsafe"
)

// Module is a compiled module, ready to instantiate any number of times,
// from any number of goroutines. Instances keep what they need of it, so
// it may be closed before them.
type Module struct {
	mu    sync.RWMutex // held for reading while ptr is in use, for writing by Close
	ptr   *C.wasihost_module_t
	flags C.wasihost_engine_flags_t // of the engine that compiled it
}

func newModule(ptr *C.wasihost_module_t, flags C.wasihost_engine_flags_t) *Module {
	m := &Module{ptr: ptr, flags: flags}
	runtime.SetFinalizer(m, (*Module).finalize)
	return m
}

func (m *Module) finalize() { C.wasihost_module_delete(m.ptr) }

// Close frees the module. Instances made from it stay valid. Closing twice
// is a no-op.
func (m *Module) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ptr != nil {
		C.wasihost_module_delete(m.ptr)
		m.ptr = nil
		runtime.SetFinalizer(m, nil)
	}
	return nil
}

// use runs f with the live module pointer, or returns ErrClosed.
func (m *Module) use(f func(*C.wasihost_module_t) error) error {
	if m == nil {
		return errorf(KindInvalidArgument, "module is nil")
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.ptr == nil {
		return ErrClosed
	}
	err := f(m.ptr)
	runtime.KeepAlive(m)
	return err
}

// NewModule compiles a module from its binary form or from WAT text.
// Invalid wasm gives an *Error of kind [KindModule] that says what is wrong
// and where.
func NewModule(engine *Engine, wasm []byte) (*Module, error) {
	var ptr *C.wasihost_module_t
	err := engine.use(func(e *C.wasihost_engine_t) error {
		p, n := bytesArg(wasm)
		err := takeError(C.wasihost_module_new(e, p, n, &ptr))
		runtime.KeepAlive(wasm)
		return err
	})
	if err != nil {
		return nil, err
	}
	return newModule(ptr, engine.flags), nil
}

// NewModuleFromWAT compiles WAT text; a syntax error names its line and
// column.
func NewModuleFromWAT(engine *Engine, wat string) (*Module, error) {
	var ptr *C.wasihost_module_t
	err := engine.use(func(e *C.wasihost_engine_t) error {
		p, n := stringArg(wat)
		err := takeError(C.wasihost_module_from_wat(e, p, n, &ptr))
		runtime.KeepAlive(wat)
		return err
	})
	if err != nil {
		return nil, err
	}
	return newModule(ptr, engine.flags), nil
}

// NewModuleFromFile compiles the module (binary or WAT) in the file at
// path. A missing file gives an *Error that matches [fs.ErrNotExist].
func NewModuleFromFile(engine *Engine, path string) (*Module, error) {
	var ptr *C.wasihost_module_t
	err := engine.use(func(e *C.wasihost_engine_t) error {
		p, n := stringArg(path)
		err := takeError(C.wasihost_module_from_file(e, p, n, &ptr))
		runtime.KeepAlive(path)
		return err
	})
	if err != nil {
		return nil, err
	}
	return newModule(ptr, engine.flags), nil
}

// CacheStatus is what a cached load ([Cache.Load], [Cache.LoadFile],
// [NewModuleCached]) found in the cache.
type CacheStatus uint32

// The outcomes of a cached load, as the C API's WASIHOST_CACHE_* values.
const (
	// CacheHit: a valid entry was loaded; nothing was compiled.
	CacheHit CacheStatus = C.WASIHOST_CACHE_HIT
	// CacheMiss: there was no entry; the module was compiled and stored.
	CacheMiss CacheStatus = C.WASIHOST_CACHE_MISS
	// CacheRebuilt: the entry was corrupt or stale; it was ignored, and the
	// module was compiled and stored again.
	CacheRebuilt CacheStatus = C.WASIHOST_CACHE_REBUILT
	// CacheNotStored: the module was compiled but could not be stored (the
	// directory is not writable, ...); the module is fine.
	CacheNotStored CacheStatus = C.WASIHOST_CACHE_NOT_STORED
)

// String is "hit", "miss", "rebuilt" or "not stored".
func (s CacheStatus) String() string {
	switch s {
	case CacheHit:
		return "hit"
	case CacheMiss:
		return "miss"
	case CacheRebuilt:
		return "rebuilt"
	case CacheNotStored:
		return "not stored"
	}
	return fmt.Sprintf("CacheStatus(%d)", uint32(s))
}

// NewModuleCached loads a module (binary or WAT) through the
// compiled-module cache in cacheDir: a valid entry is loaded without
// compiling, a missing, corrupt or stale one is (re)compiled and stored.
// Entries are keyed by the SHA-256 of wasm and of the engine's settings.
// Cache trouble (a directory that cannot be created or written, a corrupt
// entry) does not fail the call; the status says what happened.
//
// An empty cacheDir selects the library's default directory:
// $WASIHOST_CACHE_DIR, else $XDG_CACHE_HOME/wasihost, else
// $HOME/.cache/wasihost; with none of them set, the module is compiled and
// the status is [CacheNotStored].
//
// The entries are machine code, so the directory must be private: what
// the cache creates is (0700, entries 0600), and an existing directory
// that its group or everyone may write, or that another user owns, gives
// an *Error of kind [KindIO] that matches [io/fs.ErrPermission] and names the
// directory and the fix; [AllowSharedCacheDir] uses it anyway. The cache
// is bounded to [DefaultCacheMaxSize], or to what [CacheMaxSize] says.
//
// NewModuleCached is a [Cache] used once: to load many modules, or a
// module file (without reading it on a hit), keep a [Cache].
func NewModuleCached(engine *Engine, wasm []byte, cacheDir string, opts ...CacheOption) (*Module, CacheStatus, error) {
	o := collectCacheOptions(opts)
	if o.hasMaxSize {
		cache, err := NewCache(cacheDir, opts...)
		if err != nil {
			if cacheDir == "" && errors.Is(err, KindInvalidArgument) {
				// No default directory: compiled, not stored.
				m, err := NewModule(engine, wasm)
				if err != nil {
					return nil, 0, err
				}
				return m, CacheNotStored, nil
			}
			return nil, 0, err
		}
		defer cache.Close()
		return cache.Load(engine, wasm)
	}
	flags := o.flags
	var ptr *C.wasihost_module_t
	var status C.wasihost_cache_status_t
	err := engine.use(func(e *C.wasihost_engine_t) error {
		p, n := bytesArg(wasm)
		dp, dn := stringArg(cacheDir)
		if cacheDir == "" {
			dp = nil // the default directory
		}
		err := takeError(C.wasihost_module_new_cached_flags(e, p, n, dp, dn, flags, &status, &ptr))
		runtime.KeepAlive(wasm)
		runtime.KeepAlive(cacheDir)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return newModule(ptr, engine.flags), CacheStatus(status), nil
}

// Serialize gives the compiled form of the module, for [DeserializeModule]
// with an engine of the same settings and library version.
func (m *Module) Serialize() ([]byte, error) {
	var out []byte
	err := m.use(func(mp *C.wasihost_module_t) error {
		var b C.wasihost_bytes_t
		if err := takeError(C.wasihost_module_serialize(mp, &b)); err != nil {
			return err
		}
		out = append([]byte{}, unsafe.Slice((*byte)(unsafe.Pointer(b.data)), int(b.len))...)
		C.wasihost_bytes_delete(&b)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeserializeModule makes a module from the output of [Module.Serialize].
// The bytes are checked (header, engine settings, library version,
// checksum) before any of them is used: anything else, or a changed byte,
// gives an *Error of kind [KindModule], never code that runs. Still, load
// only bytes that only trusted users could have written.
func DeserializeModule(engine *Engine, serialized []byte) (*Module, error) {
	var ptr *C.wasihost_module_t
	err := engine.use(func(e *C.wasihost_engine_t) error {
		p, n := bytesArg(serialized)
		err := takeError(C.wasihost_module_deserialize(e, p, n, &ptr))
		runtime.KeepAlive(serialized)
		return err
	})
	if err != nil {
		return nil, err
	}
	return newModule(ptr, engine.flags), nil
}

// HasExport reports whether the module exports a function named name
// (false after Close).
func (m *Module) HasExport(name string) bool {
	var has bool
	_ = m.use(func(mp *C.wasihost_module_t) error {
		p, n := stringArg(name)
		has = bool(C.wasihost_module_has_export(mp, p, n))
		runtime.KeepAlive(name)
		return nil
	})
	return has
}
