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
//
// An engine made by NewEngine() compiles guest code as it is: the fastest,
// but its guests cannot be stopped from outside (no cancellable context,
// no timeout, no [Instance.Interrupt]) nor metered. The options
// [Interruptible] and [Fuel] compile checks into guest code that make
// those possible, at a cost in speed (interruption: a counter checked at
// every loop iteration and function entry, as the wasmtime CLI's
// -W timeout; fuel: a counter updated in every basic block, more costly).
// Modules compiled by engines of different options are different code.
type Engine struct {
	mu    sync.RWMutex // held for reading while ptr is in use, for writing by Close
	ptr   *C.wasihost_engine_t
	flags C.wasihost_engine_flags_t // fixed at creation
}

// EngineOption asks [NewEngine] for a capability of its guests.
type EngineOption func(*C.wasihost_engine_flags_t)

// Interruptible makes the engine's guests stoppable: by a context given to
// [NewInstanceContext], [Instance.Run] or [Instance.Call] that is
// cancelled or reaches its deadline, by a timeout ([Config.SetTimeout],
// [Instance.SetTimeout]), and by [Instance.Interrupt] or [Instance.Close]
// while they run.
func Interruptible() EngineOption {
	return func(f *C.wasihost_engine_flags_t) { *f |= C.WASIHOST_ENGINE_INTERRUPTIBLE }
}

// Fuel makes the engine meter the instructions its guests run, so that
// [Config.SetFuel] can bound them and [Instance.FuelLeft] tell what is
// left.
func Fuel() EngineOption {
	return func(f *C.wasihost_engine_flags_t) { *f |= C.WASIHOST_ENGINE_FUEL }
}

// NewEngine creates an engine: without options, one whose guests run at
// full speed and cannot be interrupted or metered; with [Interruptible]
// and/or [Fuel], one whose guests can.
func NewEngine(opts ...EngineOption) (*Engine, error) {
	var flags C.wasihost_engine_flags_t
	for _, o := range opts {
		if o != nil {
			o(&flags)
		}
	}
	var ptr *C.wasihost_engine_t
	if err := takeError(C.wasihost_engine_new_with_flags(flags, &ptr)); err != nil {
		return nil, err
	}
	e := &Engine{ptr: ptr, flags: C.wasihost_engine_flags(ptr)}
	runtime.SetFinalizer(e, (*Engine).finalize)
	return e, nil
}

func (e *Engine) finalize() { C.wasihost_engine_delete(e.ptr) }

// Interruptible reports whether the engine was made with [Interruptible]
// (also after Close).
func (e *Engine) Interruptible() bool {
	return e != nil && e.flags&C.WASIHOST_ENGINE_INTERRUPTIBLE != 0
}

// Fuel reports whether the engine was made with [Fuel] (also after
// Close).
func (e *Engine) Fuel() bool {
	return e != nil && e.flags&C.WASIHOST_ENGINE_FUEL != 0
}

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
