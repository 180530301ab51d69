package wasihost

// The Go ends of the programmable host's callbacks (call handlers, trace
// functions, clocks, random sources), called through the trampolines in
// trampolines.c. As in callbacks.go, no panic unwinds into the library:
// each is recovered, reported to the Go call that ran the guest, and
// turned into what the guest sees (a trap or an errno).

// #include "wasihost.h"
import "C"

import (
	"fmt"
	"io"
	"math"
	"runtime/cgo"
	"runtime/debug"
	"time"
	"unsafe"
)

//export wasihostGoHandle
func wasihostGoHandle(handle C.uintptr_t, call *C.wasihost_call_t, cur C.uintptr_t) (rc C.int32_t) {
	hs := cgo.Handle(handle).Value().(*handlerState)
	c := &Call{ptr: call}
	defer func() {
		// The call is valid only during the callback: a *Call kept
		// beyond it reads as a call without arguments (the C functions
		// take NULL).
		c.ptr = nil
		if p := recover(); p != nil {
			name := staticString(C.wasihost_call_name(call))
			reportPanic(cur, &CallbackPanicError{Callback: "handler of " + name, Value: p, Stack: debug.Stack()})
			if hs.panicSet {
				rc = C.int32_t(hs.panicErrno)
				return
			}
			msg := fmt.Sprintf("the handler of %s panicked: %v", name, p)
			mp, mn := stringArg(msg)
			rc = C.wasihost_call_set_trap(call, mp, mn)
		}
	}()
	switch e := hs.h(c); e {
	case errnoExit:
		return C.WASIHOST_CALL_EXIT
	case errnoTrap:
		return C.WASIHOST_CALL_TRAP
	default:
		// Past 76 the library traps the guest, naming the value.
		return C.int32_t(e)
	}
}

//export wasihostGoTrace
func wasihostGoTrace(handle C.uintptr_t, call *C.wasihost_call_t, json *C.char, n C.size_t, cur C.uintptr_t) {
	ts := cgo.Handle(handle).Value().(*traceState)
	defer func() {
		if p := recover(); p != nil {
			reportPanic(cur, &CallbackPanicError{Callback: "trace function", Value: p, Stack: debug.Stack()})
		}
	}()
	ts.fn(newTraceEvent(call, json, n))
}

//export wasihostGoClockNow
func wasihostGoClockNow(handle C.uintptr_t, id C.uint32_t, out *C.uint64_t, cur C.uintptr_t) (rc C.int32_t) {
	cs := cgo.Handle(handle).Value().(*clockState)
	defer func() {
		if p := recover(); p != nil {
			reportPanic(cur, &CallbackPanicError{Callback: "clock", Value: p, Stack: debug.Stack()})
			rc = C.int32_t(ErrnoIO)
		}
	}()
	t, e := cs.now(ClockID(id))
	if e != ErrnoSuccess {
		return C.int32_t(e)
	}
	*out = C.uint64_t(t)
	return 0
}

//export wasihostGoClockSleep
func wasihostGoClockSleep(handle C.uintptr_t, ns C.uint64_t, cur C.uintptr_t) (rc C.int32_t) {
	cs := cgo.Handle(handle).Value().(*clockState)
	defer func() {
		if p := recover(); p != nil {
			reportPanic(cur, &CallbackPanicError{Callback: "clock", Value: p, Stack: debug.Stack()})
			rc = C.int32_t(ErrnoIO)
		}
	}()
	return C.int32_t(cs.sleep(time.Duration(min(uint64(ns), math.MaxInt64))))
}

//export wasihostGoRandom
func wasihostGoRandom(handle C.uintptr_t, buf *C.uint8_t, n C.size_t, cur C.uintptr_t) (rc C.int32_t) {
	rs := cgo.Handle(handle).Value().(*readerState)
	defer func() {
		if p := recover(); p != nil {
			reportPanic(cur, &CallbackPanicError{Callback: "random source", Value: p, Stack: debug.Stack()})
			rc = C.int32_t(ErrnoIO)
		}
	}()
	if n == 0 {
		return 0
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(buf)), int(n))
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if _, err := io.ReadFull(rs.r, b); err != nil {
		return C.int32_t(errnoOf(err))
	}
	return 0
}
