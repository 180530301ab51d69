package wasihost

// The Go ends of the library's callbacks, called through the trampolines
// in trampolines.c. A file with //export may only declare C functions in
// its preamble.

// #include <stddef.h>
// #include <stdint.h>
import "C"

import (
	"io"
	"runtime/cgo"
	"runtime/debug"
	"sync"
	"unsafe"
)

// writerState is the userdata of an output callback: the writer, called by
// one instance at a time.
type writerState struct {
	stream Stream
	mu     sync.Mutex
	w      io.Writer
}

// readerState is the userdata of the stdin callback.
type readerState struct {
	mu sync.Mutex
	r  io.Reader
}

// callState is what a Go call that runs guest code (NewInstance, Run,
// Call) collects from the callbacks it runs: their panics. Only the
// goroutine making the call touches it (callbacks run on that goroutine).
type callState struct {
	panics []error
}

func (s *callState) take() []error {
	p := s.panics
	s.panics = nil
	return p
}

// recordPanic reports a recovered panic in a reader or writer to the Go
// call running the guest (see reportPanic).
func recordPanic(call C.uintptr_t, s Stream, value any) {
	reportPanic(call, &CallbackPanicError{Stream: s, Value: value, Stack: debug.Stack()})
}

// reportPanic reports a recovered panic to the Go call running the guest
// (call, a cgo.Handle of its *callState, from the thread-local set by the
// C wrappers; 0 would mean no such call, which the wrappers rule out).
func reportPanic(call C.uintptr_t, err *CallbackPanicError) {
	if call == 0 {
		return
	}
	st := cgo.Handle(call).Value().(*callState)
	st.panics = append(st.panics, err)
}

// A reader's or writer's result: 0, or the WASI errno the guest's read
// or write fails with.
const (
	callbackOK    C.int32_t = 0
	callbackError C.int32_t = C.int32_t(ErrnoIO)
	callbackPanic C.int32_t = C.int32_t(ErrnoIO)
)

//export wasihostGoWrite
func wasihostGoWrite(handle C.uintptr_t, data *C.uint8_t, n C.size_t, call C.uintptr_t) (rc C.int32_t) {
	ws := cgo.Handle(handle).Value().(*writerState)
	defer func() {
		// No panic may unwind into the library.
		if p := recover(); p != nil {
			recordPanic(call, ws.stream, p)
			rc = callbackPanic
		}
	}()
	if n == 0 {
		return callbackOK
	}
	buf := unsafe.Slice((*byte)(unsafe.Pointer(data)), int(n))
	ws.mu.Lock()
	defer ws.mu.Unlock()
	written, err := ws.w.Write(buf)
	if err != nil {
		return C.int32_t(errnoOf(err))
	}
	if written != len(buf) {
		return callbackError
	}
	return callbackOK
}

// maxEmptyReads bounds the (0, nil) results a reader may give in a row, as
// bufio does.
const maxEmptyReads = 100

//export wasihostGoRead
func wasihostGoRead(handle C.uintptr_t, buf *C.uint8_t, capacity C.size_t, nread *C.size_t, call C.uintptr_t) (rc C.int32_t) {
	rs := cgo.Handle(handle).Value().(*readerState)
	defer func() {
		if p := recover(); p != nil {
			recordPanic(call, Stdin, p)
			rc = callbackPanic
		}
	}()
	if capacity == 0 {
		*nread = 0
		return callbackOK
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(buf)), int(capacity))
	rs.mu.Lock()
	defer rs.mu.Unlock()
	for range maxEmptyReads {
		n, err := rs.r.Read(b)
		if n < 0 || n > len(b) {
			return callbackError
		}
		if n > 0 {
			// Data first; an error that came with it shows on the next read.
			*nread = C.size_t(n)
			return callbackOK
		}
		if err == io.EOF {
			*nread = 0
			return callbackOK
		}
		if err != nil {
			return C.int32_t(errnoOf(err))
		}
	}
	return callbackError // io.ErrNoProgress
}

//export wasihostGoRelease
func wasihostGoRelease(handle C.uintptr_t) {
	cgo.Handle(handle).Delete()
	liveCallbacks.Add(-1)
}
