package wasihost

// #include "wasihost_go.h"
import "C"

import (
	"context"
	"errors"
	"runtime"
	"runtime/cgo"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// Instance is a module instantiated with a config: its memory, its WASI
// state (open files, preopened directories), its captured output. It runs
// one call at a time: its methods wait for each other, except
// [Instance.Interrupt] and [Instance.Close], which stop a call in progress
// (on an engine made with [Interruptible]).
type Instance struct {
	mu      sync.Mutex // held while ptr is in use
	ptr     *C.wasihost_instance_t
	running atomic.Bool // a call into the guest is in progress
	closing atomic.Bool

	call       *callState // what the callbacks of the call in progress report
	callHandle cgo.Handle // of call, passed to C for the callbacks

	// timeout is the instance's own timeout per entry (0: none), from the
	// config or SetTimeout; a context's deadline may shorten it for one
	// entry. Guarded by mu.
	timeout time.Duration

	intrMu sync.Mutex // guards intr, which Interrupt uses from any goroutine
	// intr stops the instance; nil on an engine without interruption.
	intr *C.wasihost_interrupt_handle_t

	// types are the export types looked up so far (by ExportType and
	// Call), by name. Read under typesMu alone, so that a known type
	// does not wait for a call in progress; written and cleared under mu
	// and typesMu (mu first), while ptr is live.
	typesMu sync.Mutex
	types   map[string]FuncType
}

// NewInstance instantiates module with what config grants (a nil config
// grants nothing): it opens the preopened directories and stdio files,
// makes fresh capture buffers, and runs the module's start function, if it
// has one (not _start). The module and the config may be closed afterwards.
// It is [NewInstanceContext] with context.Background().
//
// A missing preopened directory or stdin file gives an *Error that matches
// [fs.ErrNotExist]. A trap in the start function gives an *Error of kind
// [KindTrap], a proc_exit there an *ExitError (with any code, 0 included);
// a timeout or fuel limit of the config, as for [Instance.Run]. Memories
// that exceed [Config.SetMaxMemory] as declared give an *Error of kind
// [KindMemoryLimit]. A config that sets a timeout (or fuel) for a module
// whose engine was made without [Interruptible] (or [Fuel]) gives an
// *Error of kind [KindConfig] before anything runs.
func NewInstance(module *Module, config *Config) (*Instance, error) {
	return NewInstanceContext(context.Background(), module, config)
}

// NewInstanceContext is [NewInstance] under ctx: when ctx is cancelled, or
// reaches its deadline, while the module's start function runs, the start
// function is stopped and the call returns an *Error of kind
// [KindInterrupted] that matches [context.Canceled] (or of kind
// [KindTimeout] that matches [context.DeadlineExceeded]), and the
// context's cause. ctx only bounds the instantiation: pass a context to
// each [Instance.Run] and [Instance.Call] too.
//
// A context that can be done (ctx.Done() != nil) needs a module compiled
// by an engine made with [Interruptible]; with another engine it is an
// *Error of kind [KindConfig], before anything runs. A nil ctx is
// context.Background().
func NewInstanceContext(ctx context.Context, module *Module, config *Config) (*Instance, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if config == nil {
		c, err := NewConfig()
		if err != nil {
			return nil, err
		}
		defer c.Close()
		config = c
	}
	state := &callState{}
	h := cgo.NewHandle(state)
	var ptr *C.wasihost_instance_t
	var intr *C.wasihost_interrupt_handle_t
	var timeout time.Duration
	// stopped: the context interrupted the instantiation (or was about to).
	stopped := false
	err := module.use(func(mp *C.wasihost_module_t) error {
		return config.use(func(cp *C.wasihost_config_t) error {
			if err := checkEngine(module.flags, config.timeout, config.fuel, ctx, "NewInstanceContext"); err != nil {
				return err
			}
			if ctx.Err() != nil {
				return contextError(ctx, "the context was done before the instantiation started")
			}
			timeout = config.timeout
			if module.flags&C.WASIHOST_ENGINE_INTERRUPTIBLE != 0 {
				if err := takeError(C.wasihost_interrupt_handle_new(&intr)); err != nil {
					return err
				}
			}
			var stop func() bool
			fired := make(chan struct{})
			if ctx.Done() != nil {
				stop = context.AfterFunc(ctx, func() {
					C.wasihost_interrupt_handle_interrupt(intr)
					close(fired)
				})
			}
			err := takeError(C.wasihost_go_instance_new(mp, cp, intr, &ptr, C.uintptr_t(h)))
			if stop != nil && !stop() {
				<-fired // the interrupt is in: the instance would be stopped for good
				stopped = true
			}
			return err
		})
	})
	if stopped {
		if err == nil {
			C.wasihost_instance_delete(ptr)
		}
		if err == nil || isKind(err, KindInterrupted) {
			err = contextError(ctx, "the context was done during the instantiation")
		}
	}
	if err == nil && !stopped {
		inst := &Instance{ptr: ptr, call: state, callHandle: h, intr: intr, timeout: timeout}
		runtime.SetFinalizer(inst, (*Instance).finalize)
		if panics := state.take(); len(panics) > 0 {
			inst.Close()
			return nil, joinErrors(panics, nil)
		}
		return inst, nil
	}
	C.wasihost_interrupt_handle_delete(intr)
	h.Delete()
	return nil, joinErrors(state.take(), err)
}

// checkEngine refuses, before anything runs, what an engine of flags
// cannot do: a timeout, a context that can be done, fuel.
func checkEngine(flags C.wasihost_engine_flags_t, timeout time.Duration, fuel bool, ctx context.Context, what string) error {
	const fix = "create the engine with wasihost.NewEngine(wasihost.Interruptible())"
	if flags&C.WASIHOST_ENGINE_INTERRUPTIBLE == 0 {
		if timeout > 0 {
			return errorf(KindConfig, "the config sets a timeout (%v), and the module's engine cannot interrupt its guests: %s", timeout, fix)
		}
		if ctx.Done() != nil {
			return errorf(KindConfig, "%s was given a context that can be cancelled or reach a deadline, and the module's engine cannot interrupt its guests, so it would not stop them: %s (or pass a context that is never done, such as context.Background())", what, fix)
		}
	}
	if fuel && flags&C.WASIHOST_ENGINE_FUEL == 0 {
		return errorf(KindConfig, "the config sets a fuel limit, and the module's engine does not meter fuel: create the engine with wasihost.NewEngine(wasihost.Fuel())")
	}
	return nil
}

// isKind reports whether err is an *Error of kind k.
func isKind(err error, k ErrorKind) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == k
}

func (i *Instance) finalize() {
	C.wasihost_instance_delete(i.ptr)
	C.wasihost_interrupt_handle_delete(i.intr)
	i.callHandle.Delete()
}

// Close frees the instance: its memory, its open files and directories,
// its captures. A call in progress on another goroutine is interrupted
// first (on an engine made with [Interruptible]; on another, the guest
// runs on), and Close waits for it to return (a guest blocked in a read
// from an io.Reader stops when the Read returns). Closing twice is a
// no-op.
func (i *Instance) Close() error {
	i.closing.Store(true)
	if i.running.Load() {
		i.Interrupt()
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.ptr == nil {
		return nil
	}
	C.wasihost_instance_delete(i.ptr)
	i.ptr = nil
	i.typesMu.Lock()
	i.types = nil
	i.typesMu.Unlock()
	i.intrMu.Lock()
	C.wasihost_interrupt_handle_delete(i.intr)
	i.intr = nil
	i.intrMu.Unlock()
	i.callHandle.Delete()
	runtime.SetFinalizer(i, nil)
	return nil
}

// Interrupt stops the instance from any goroutine: the call in progress
// ends with an *Error of kind [KindInterrupted] at the guest's next loop
// iteration or function entry, or at once when it waits in a host call (a
// sleep, a read of a pipe; not a Read of a Go io.Reader), and later calls
// fail the same way. A no-op after Close, and on an engine made without
// [Interruptible] (see [Instance.Interruptible]).
func (i *Instance) Interrupt() {
	i.intrMu.Lock()
	C.wasihost_interrupt_handle_interrupt(i.intr) // NULL (no interruption, or after Close) is a no-op
	i.intrMu.Unlock()
}

// Interruptible reports whether the instance can be stopped: whether its
// module's engine was made with [Interruptible] (false after Close).
func (i *Instance) Interruptible() bool {
	i.intrMu.Lock()
	defer i.intrMu.Unlock()
	return i.intr != nil
}

// SetTimeout sets how long each later run and call of the instance may take
// (0: no limit); the config's timeout is the one it starts with. It waits
// for a call in progress. A timeout on an engine made without
// [Interruptible] is an *Error of kind [KindConfig].
func (i *Instance) SetTimeout(d time.Duration) error {
	if d < 0 {
		return errorf(KindInvalidArgument, "timeout %v is negative", d)
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.ptr == nil {
		return ErrClosed
	}
	if d > 0 && i.intr == nil {
		return errorf(KindConfig, "a timeout needs an engine that can interrupt its guests, and this instance's cannot: create the engine with wasihost.NewEngine(wasihost.Interruptible())")
	}
	if err := takeError(C.wasihost_instance_set_timeout_ns(i.ptr, C.uint64_t(d))); err != nil {
		return err
	}
	i.timeout = d
	runtime.KeepAlive(i)
	return nil
}

// MemoryLimitReached reports whether a memory.grow (or table.grow) of the
// guest was refused because of [Config.SetMaxMemory] (or
// [Config.SetMaxTableElements]): the guest saw -1 (C's malloc returned
// NULL) and may have gone on, or failed for want of memory. False after
// Close.
func (i *Instance) MemoryLimitReached() bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.ptr == nil {
		return false
	}
	r := bool(C.wasihost_instance_memory_limit_reached(i.ptr))
	runtime.KeepAlive(i)
	return r
}

// Number gives the instance's number: unique in the process, from 1. Its
// trace records ([TraceEvent].Instance) and its calls ([Call].Instance)
// carry it. 0 after Close.
func (i *Instance) Number() uint64 {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.ptr == nil {
		return 0
	}
	n := uint64(C.wasihost_instance_number(i.ptr))
	runtime.KeepAlive(i)
	return n
}

// FuelLeft gives the fuel the instance has left, and true, on an engine
// made with [Fuel] (without [Config.SetFuel] the instance starts with
// math.MaxUint64); 0 and false on another engine, or after Close.
func (i *Instance) FuelLeft() (uint64, bool) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.ptr == nil {
		return 0, false
	}
	var fuel C.uint64_t
	ok := bool(C.wasihost_instance_fuel_left(i.ptr, &fuel))
	runtime.KeepAlive(i)
	if !ok {
		return 0, false
	}
	return uint64(fuel), true
}

// enter runs f, a call into the guest, with the live instance pointer and
// the handle its callbacks report to, under ctx: its deadline shortens the
// instance's timeout for this call (a timeout does not stop the instance
// for good, an interrupt does); when it is cancelled, the guest is
// interrupted. The error then says why.
func (i *Instance) enter(ctx context.Context, what string, f func(*C.wasihost_instance_t, C.uintptr_t) error) error {
	if ctx == nil {
		ctx = context.Background()
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.ptr == nil {
		return ErrClosed
	}
	// Close sets closing, then reads running; this sets running, then
	// reads closing: one of them sees the other.
	i.running.Store(true)
	defer i.running.Store(false)
	if i.closing.Load() {
		return ErrClosed
	}
	if i.intr == nil && ctx.Done() != nil {
		return checkEngine(0, 0, false, ctx, what)
	}
	if ctx.Err() != nil {
		return contextError(ctx, "the context was done before the guest started")
	}
	// A deadline nearer than the instance's own timeout becomes the
	// timeout of this call.
	deadline := false
	dl, hasDeadline := ctx.Deadline()
	if hasDeadline {
		left := time.Until(dl)
		if left <= 0 {
			return contextError(ctx, "the context's deadline passed before the guest started")
		}
		if i.timeout == 0 || left < i.timeout {
			if err := takeError(C.wasihost_instance_set_timeout_ns(i.ptr, C.uint64_t(left))); err != nil {
				return err
			}
			deadline = true
			defer func() { _ = takeError(C.wasihost_instance_set_timeout_ns(i.ptr, C.uint64_t(i.timeout))) }()
		}
	}
	var stop func() bool
	if ctx.Done() != nil {
		// Runs on a goroutine of its own once ctx is done: an interrupt,
		// unless ctx reached its deadline, which the library's timer
		// takes care of (armed with the deadline, or with the instance's
		// own timeout when that is nearer).
		stop = context.AfterFunc(ctx, func() {
			if hasDeadline && errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return
			}
			i.Interrupt()
		})
	}
	err := f(i.ptr, C.uintptr_t(i.callHandle))
	runtime.KeepAlive(i)
	if stop != nil {
		stop()
	}
	var e *Error
	if errors.As(err, &e) {
		switch {
		case e.Kind == KindTimeout && deadline:
			e.Message = "the guest ran past the context's deadline"
			e.causes = deadlineCauses(ctx)
		case e.Kind == KindInterrupted && ctx.Err() != nil:
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				e.Kind = KindTimeout
				e.Message = "the guest ran past the context's deadline"
			}
			e.causes = contextCauses(ctx)
		}
	}
	return joinErrors(i.call.take(), err)
}

// contextError is the error of a call that ctx, done, stopped: of kind
// [KindTimeout] after its deadline, else [KindInterrupted].
func contextError(ctx context.Context, msg string) *Error {
	kind := KindInterrupted
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		kind = KindTimeout
	}
	return &Error{Kind: kind, Message: msg, causes: contextCauses(ctx)}
}

// contextCauses is what a done context's error wraps: ctx.Err(), and its
// cause when that differs.
func contextCauses(ctx context.Context) []error {
	causes := []error{ctx.Err()}
	if c := context.Cause(ctx); c != nil && c != ctx.Err() {
		causes = append(causes, c)
	}
	return causes
}

// deadlineCauses is what a timeout set from ctx's deadline wraps: the
// library's timer may fire a moment before ctx is done.
func deadlineCauses(ctx context.Context) []error {
	if ctx.Err() != nil {
		return contextCauses(ctx)
	}
	return []error{context.DeadlineExceeded}
}

// Run runs the module's _start (a WASI command's main) and returns nil when
// the guest returns from it or exits with code 0, an *ExitError for another
// exit code, or an *Error: of kind [KindTrap] when the guest traps (the
// message says why, with a wasm backtrace, and [Error.Trap] gives the
// kind of trap), [KindInterrupted] when ctx is cancelled (the error then
// matches [context.Canceled] with errors.Is) or the instance interrupted,
// [KindTimeout] when ctx reaches its deadline (the error then matches
// [context.DeadlineExceeded]) or the guest runs past the instance's
// timeout, [KindFuelExhausted] when it uses up its fuel, [KindLink] when
// the module has no _start. A reader or writer that panicked during the
// run adds a [*CallbackPanicError] (joined with errors.Join).
//
// A ctx that can be done (ctx.Done() != nil) needs an engine made with
// [Interruptible]: with another engine, Run returns an *Error of kind
// [KindConfig] and runs nothing. A nil ctx is context.Background().
func (i *Instance) Run(ctx context.Context) error {
	return i.enter(ctx, "Run", func(p *C.wasihost_instance_t, call C.uintptr_t) error {
		var code C.uint32_t
		if err := takeError(C.wasihost_go_instance_run(p, &code, call)); err != nil {
			return err
		}
		if code != 0 {
			return &ExitError{Code: uint32(code)}
		}
		return nil
	})
}

// Call calls the exported function name with args and returns its
// results, as many as the function returns, of its result kinds (an empty
// slice for none). The function's type comes from the instance
// ([Instance.ExportType], looked up once per name and kept), so Call
// works after the module was closed. Before anything runs, args must
// match the function's parameters in number and kinds ([I64] for an i64
// parameter, ...): else an *Error of kind [KindLink] names the function's
// type, e.g. `function "add" has type (i64, i64) -> (i64), but was called
// with 1 argument (i64)`; so does a name that is no exported function, or
// a function that takes or returns a type Call cannot pass (v128,
// references). A guest that calls proc_exit gives an *ExitError, with
// any code, 0 included; traps, interrupts, timeouts, fuel, panics in
// callbacks and what ctx may be are as for [Instance.Run].
func (i *Instance) Call(ctx context.Context, name string, args ...Value) ([]Value, error) {
	t, err := i.exportType(name)
	if err != nil {
		return nil, err
	}
	if err := t.checkArgs(name, args); err != nil {
		return nil, err
	}
	cargs := make([]C.wasihost_val_t, len(args))
	for k, a := range args {
		a.toC(&cargs[k])
	}
	cres := make([]C.wasihost_val_t, len(t.Results))
	err = i.enter(ctx, "Call", func(p *C.wasihost_instance_t, call C.uintptr_t) error {
		np, nn := stringArg(name)
		var ap, rp *C.wasihost_val_t
		if len(cargs) > 0 {
			ap = &cargs[0]
		}
		if len(cres) > 0 {
			rp = &cres[0]
		}
		e := C.wasihost_go_instance_call(p, np, nn, ap, C.size_t(len(cargs)), rp, C.size_t(len(cres)), call)
		runtime.KeepAlive(name)
		runtime.KeepAlive(cargs)
		runtime.KeepAlive(cres)
		return takeError(e)
	})
	if err != nil {
		return nil, err
	}
	results := make([]Value, len(cres))
	for k := range cres {
		results[k] = valueFromC(&cres[k])
	}
	return results, nil
}

// Capture is what the guest wrote to a stream captured with
// [Config.CaptureOutput].
type Capture struct {
	// Data is the bytes kept (at most the limit), a copy.
	Data []byte
	// TotalWritten counts the bytes the guest wrote in all, kept or
	// dropped.
	TotalWritten uint64
	// Truncated says whether bytes were dropped because the guest wrote
	// more than the limit.
	Truncated bool
}

// Capture gives what the guest has written so far to s ([Stdout] or
// [Stderr]), which the config captured; an *Error for a stream that is not
// captured.
func (i *Instance) Capture(s Stream) (Capture, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.ptr == nil {
		return Capture{}, ErrClosed
	}
	var c C.wasihost_capture_t
	if err := takeError(C.wasihost_instance_capture(i.ptr, C.wasihost_stream_t(s), &c)); err != nil {
		return Capture{}, err
	}
	// The bytes belong to the instance: copy them before anything else
	// touches it.
	out := Capture{
		Data:         append([]byte{}, unsafe.Slice((*byte)(unsafe.Pointer(c.data)), int(c.len))...),
		TotalWritten: uint64(c.total_written),
		Truncated:    bool(c.truncated),
	}
	runtime.KeepAlive(i)
	return out, nil
}
