package wasihost

// #include "wasihost.h"
import "C"

import (
	"runtime"
	"sync"
)

// Engine compiles modules: Cranelift, with the wasm features toolchains
// emit today (exception handling, tail calls, SIMD, bulk memory,
// multi-value, ...). One engine may serve any number of modules and
// goroutines; modules and instances keep what they need of it, so it may
// be closed before them.
type Engine struct {
	mu  sync.RWMutex // held for reading while ptr is in use, for writing by Close
	ptr *C.wasihost_engine_t
}

// NewEngine creates an engine.
func NewEngine() (*Engine, error) {
	var ptr *C.wasihost_engine_t
	if err := takeError(C.wasihost_engine_new(&ptr)); err != nil {
		return nil, err
	}
	e := &Engine{ptr: ptr}
	runtime.SetFinalizer(e, (*Engine).finalize)
	return e, nil
}

func (e *Engine) finalize() { C.wasihost_engine_delete(e.ptr) }

// Close frees the engine. Modules and instances made with it stay valid.
// Closing twice is a no-op.
func (e *Engine) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ptr != nil {
		C.wasihost_engine_delete(e.ptr)
		e.ptr = nil
		runtime.SetFinalizer(e, nil)
	}
	return nil
}

// use runs f with the live engine pointer, or returns ErrClosed.
func (e *Engine) use(f func(*C.wasihost_engine_t) error) error {
	if e == nil {
		return errorf(KindInvalidArgument, "engine is nil")
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.ptr == nil {
		return ErrClosed
	}
	err := f(e.ptr)
	runtime.KeepAlive(e)
	return err
}
