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
	"unsafe"
)

// Instance is a module instantiated with a config: its memory, its WASI
// state (open files, preopened directories), its captured output. It runs
// one call at a time: its methods wait for each other, except
// [Instance.Interrupt] and [Instance.Close], which stop a call in progress.
type Instance struct {
	mu      sync.Mutex // held while ptr is in use
	ptr     *C.wasihost_instance_t
	running atomic.Bool // a call into the guest is in progress
	closing atomic.Bool

	call       *callState // what the callbacks of the call in progress report
	callHandle cgo.Handle // of call, passed to C for the callbacks

	intrMu sync.Mutex // guards intr, which Interrupt uses from any goroutine
	intr   *C.wasihost_interrupt_handle_t
}

// NewInstance instantiates module with what config grants (a nil config
// grants nothing): it opens the preopened directories and stdio files,
// makes fresh capture buffers, and runs the module's start function, if it
// has one (not _start). The module and the config may be closed afterwards.
//
// A missing preopened directory or stdin file gives an *Error that matches
// [fs.ErrNotExist]. A trap in the start function gives an *Error of kind
// [KindTrap], a proc_exit there an *ExitError (with any code, 0 included).
func NewInstance(module *Module, config *Config) (*Instance, error) {
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
	err := module.use(func(mp *C.wasihost_module_t) error {
		return config.use(func(cp *C.wasihost_config_t) error {
			return takeError(C.wasihost_go_instance_new(mp, cp, &ptr, C.uintptr_t(h)))
		})
	})
	if err == nil {
		var intr *C.wasihost_interrupt_handle_t
		err = takeError(C.wasihost_instance_interrupt_handle(ptr, &intr))
		if err == nil {
			inst := &Instance{ptr: ptr, call: state, callHandle: h, intr: intr}
			runtime.SetFinalizer(inst, (*Instance).finalize)
			if panics := state.take(); len(panics) > 0 {
				inst.Close()
				return nil, joinErrors(panics, nil)
			}
			return inst, nil
		}
		C.wasihost_instance_delete(ptr)
	}
	h.Delete()
	return nil, joinErrors(state.take(), err)
}

func (i *Instance) finalize() {
	C.wasihost_instance_delete(i.ptr)
	C.wasihost_interrupt_handle_delete(i.intr)
	i.callHandle.Delete()
}

// Close frees the instance: its memory, its open files and directories,
// its captures. A call in progress on another goroutine is interrupted
// first, and Close waits for it to return (a guest blocked in a read from
// an io.Reader stops when the Read returns). Closing twice is a no-op.
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
// iteration or function entry, and later calls fail the same way. A no-op
// after Close.
func (i *Instance) Interrupt() {
	i.intrMu.Lock()
	C.wasihost_interrupt_handle_interrupt(i.intr) // NULL (after Close) is a no-op
	i.intrMu.Unlock()
}

// enter runs f, a call into the guest, with the live instance pointer and
// the handle its callbacks report to, while ctx is watched: when it is
// done, the guest is interrupted and the error says why.
func (i *Instance) enter(ctx context.Context, f func(*C.wasihost_instance_t, C.uintptr_t) error) error {
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
	if ctx.Err() != nil {
		return &Error{
			Kind:    KindInterrupted,
			Message: "the context was done before the guest started",
			causes:  contextCauses(ctx),
		}
	}
	var stop func() bool
	if ctx.Done() != nil {
		// Runs i.Interrupt on a goroutine of its own once ctx is done.
		stop = context.AfterFunc(ctx, i.Interrupt)
	}
	err := f(i.ptr, C.uintptr_t(i.callHandle))
	runtime.KeepAlive(i)
	if stop != nil {
		stop()
	}
	var e *Error
	if errors.As(err, &e) && e.Kind == KindInterrupted && ctx.Err() != nil {
		e.causes = contextCauses(ctx)
	}
	return joinErrors(i.call.take(), err)
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

// Run runs the module's _start (a WASI command's main) and returns nil when
// the guest returns from it or exits with code 0, an *ExitError for another
// exit code, or an *Error: of kind [KindTrap] when the guest traps (the
// message says why, with a wasm backtrace), [KindInterrupted] when ctx is
// done (the error then matches ctx.Err() with errors.Is), [KindLink] when
// the module has no _start. A reader or writer that panicked during the
// run adds a [*CallbackPanicError] (joined with errors.Join).
func (i *Instance) Run(ctx context.Context) error {
	return i.enter(ctx, func(p *C.wasihost_instance_t, call C.uintptr_t) error {
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

// Call calls the exported function name with args and returns its results;
// nresults, the number of results, and the types of args must match the
// function's type exactly (else an *Error of kind [KindLink] says what the
// function takes). A guest that calls proc_exit gives an *ExitError, with
// any code, 0 included; traps, interrupts and panics in callbacks are as
// for [Instance.Run].
func (i *Instance) Call(ctx context.Context, name string, nresults int, args ...Value) ([]Value, error) {
	if nresults < 0 {
		return nil, errorf(KindInvalidArgument, "nresults %d is negative", nresults)
	}
	cargs := make([]C.wasihost_val_t, len(args))
	for k, a := range args {
		a.toC(&cargs[k])
	}
	cres := make([]C.wasihost_val_t, nresults)
	err := i.enter(ctx, func(p *C.wasihost_instance_t, call C.uintptr_t) error {
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
	results := make([]Value, nresults)
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
