package wasihost

// The programmable host: call handlers with fall-through to the default
// implementation, the trace stream, and the guest's clocks and random
// bytes (the embedder's, or the deterministic preset).

// #include "wasihost_go.h"
import "C"

import (
	"bytes"
	"encoding/json"
	"io"
	"runtime"
	"strconv"
	"sync"
	"time"
	"unsafe"
)

// What a handler returns, through [Call.Exit] and [Call.Trap], to end the
// guest instead of returning an errno (outside the WASI range).
const (
	errnoExit Errno = 0xffff
	errnoTrap Errno = 0xfffe
)

// ArgKind says how to read an argument of a [Call].
type ArgKind uint32

// The kinds of argument, as the C API's WASIHOST_ARG_* values.
const (
	// ArgFD: a file descriptor.
	ArgFD ArgKind = C.WASIHOST_ARG_FD
	// ArgInt: an unsigned number (a size, an offset, a timestamp).
	ArgInt ArgKind = C.WASIHOST_ARG_INT
	// ArgSigned: a signed number; its value is the two's complement (cast
	// it to int64).
	ArgSigned ArgKind = C.WASIHOST_ARG_SIGNED
	// ArgFlags: a set of flags.
	ArgFlags ArgKind = C.WASIHOST_ARG_FLAGS
	// ArgEnum: an enumeration value.
	ArgEnum ArgKind = C.WASIHOST_ARG_ENUM
	// ArgPtr: an offset into guest memory (a structure or an array).
	ArgPtr ArgKind = C.WASIHOST_ARG_PTR
	// ArgPath: bytes the call reads, such as a path ([Call.Bytes]); the
	// next argument is their length.
	ArgPath ArgKind = C.WASIHOST_ARG_PATH
	// ArgBuf: bytes the call fills ([Call.Bytes], writable); the next
	// argument is their length.
	ArgBuf ArgKind = C.WASIHOST_ARG_BUF
	// ArgIovs: an array of iovecs ([Call.Iovecs]); the next argument is
	// their count.
	ArgIovs ArgKind = C.WASIHOST_ARG_IOVS
	// ArgLen: the length or count of the argument before.
	ArgLen ArgKind = C.WASIHOST_ARG_LEN
)

var argKindNames = [...]string{"fd", "int", "signed", "flags", "enum", "ptr", "path", "buf", "iovs", "len"}

// String is the kind's name ("fd", "path", ...).
func (k ArgKind) String() string {
	if int(k) < len(argKindNames) {
		return argKindNames[k]
	}
	return "ArgKind(" + strconv.FormatUint(uint64(k), 10) + ")"
}

// ClockID names a WASI clock.
type ClockID uint32

// The WASI clocks.
const (
	ClockRealtime       ClockID = 0
	ClockMonotonic      ClockID = 1
	ClockProcessCPUTime ClockID = 2
	ClockThreadCPUTime  ClockID = 3
)

// String is the clock's WASI name ("realtime", "monotonic", ...).
func (id ClockID) String() string {
	switch id {
	case ClockRealtime:
		return "realtime"
	case ClockMonotonic:
		return "monotonic"
	case ClockProcessCPUTime:
		return "process_cputime_id"
	case ClockThreadCPUTime:
		return "thread_cputime_id"
	}
	return "ClockID(" + strconv.FormatUint(uint64(id), 10) + ")"
}

// staticStrings caches the library's static strings (call, argument and
// result names) as Go strings, by address: a handler asking for a name
// does not allocate.
var staticStrings sync.Map // unsafe.Pointer -> string

func staticString(p *C.char) string {
	if p == nil {
		return ""
	}
	if s, ok := staticStrings.Load(unsafe.Pointer(p)); ok {
		return s.(string)
	}
	s := C.GoString(p)
	staticStrings.Store(unsafe.Pointer(p), s)
	return s
}

// Call is one WASI call of the guest in flight, as a [CallHandler] gets
// it: its name, its arguments (read and changed by index or by name), the
// guest's memory, its results, and [Call.Default], the built-in
// implementation.
//
// A Call, and every slice it gives (the bytes of a path, an iovec's
// buffer, the memory, a result's bytes), point into the guest's memory or
// the library's, and are valid only until the handler returns: do not keep
// them (copy what you need). A Call kept after its handler returns reads
// as a call with no arguments and no results.
type Call struct {
	ptr *C.wasihost_call_t
}

// Name is the call's name, e.g. "path_open".
func (c *Call) Name() string { return staticString(C.wasihost_call_name(c.ptr)) }

// Instance is the number of the instance that made the call (see
// [Instance.Number]).
func (c *Call) Instance() uint64 { return uint64(C.wasihost_call_instance(c.ptr)) }

// NumArgs is the number of the call's arguments (the out-pointers of its
// results are not arguments).
func (c *Call) NumArgs() int { return int(C.wasihost_call_arg_count(c.ptr)) }

// ArgName is the name of argument i as the witx spells it ("fd",
// "path", "oflags"); "" past the last.
func (c *Call) ArgName(i int) string {
	if i < 0 {
		return ""
	}
	return staticString(C.wasihost_call_arg_name(c.ptr, C.size_t(i)))
}

// ArgIndex is the index of the argument called name, or -1.
func (c *Call) ArgIndex(name string) int {
	np, nn := stringArg(name)
	i := int(C.wasihost_call_arg_index(c.ptr, np, nn))
	runtime.KeepAlive(name)
	return i
}

// ArgKind says how to read argument i ([ArgInt] past the last).
func (c *Call) ArgKind(i int) ArgKind {
	if i < 0 {
		return ArgInt
	}
	return ArgKind(C.wasihost_call_arg_kind(c.ptr, C.size_t(i)))
}

// Arg is argument i: a pointer is an offset into guest memory, a signed
// value its two's complement, flags their bits; 0 past the last.
func (c *Call) Arg(i int) uint64 {
	if i < 0 {
		return 0
	}
	return uint64(C.wasihost_call_arg(c.ptr, C.size_t(i)))
}

// NamedArg is the argument called name, and whether the call has one.
func (c *Call) NamedArg(name string) (uint64, bool) {
	i := c.ArgIndex(name)
	if i < 0 {
		return 0, false
	}
	return c.Arg(i), true
}

// SetArg sets argument i for a later [Call.Default] (a value that does
// not fit the argument's type makes the default answer [ErrnoInval]).
// False past the last argument.
func (c *Call) SetArg(i int, v uint64) bool {
	if i < 0 {
		return false
	}
	return bool(C.wasihost_call_set_arg(c.ptr, C.size_t(i), C.uint64_t(v)))
}

// SetNamedArg sets the argument called name, as SetArg; false when the
// call has none.
func (c *Call) SetNamedArg(name string, v uint64) bool {
	i := c.ArgIndex(name)
	return i >= 0 && c.SetArg(i, v)
}

// Bytes gives the bytes of argument i when it is an [ArgPath] (read them)
// or an [ArgBuf] (fill them): its offset and the length that follows it,
// in guest memory. The errno is [ErrnoSuccess], or what the default
// implementation would meet: [ErrnoFault] when they lie outside guest
// memory, [ErrnoInval] for another kind of argument. The slice is valid
// until the handler returns.
func (c *Call) Bytes(i int) ([]byte, Errno) {
	if i < 0 {
		return nil, ErrnoInval
	}
	var data *C.uint8_t
	var n C.size_t
	if e := C.wasihost_call_arg_bytes(c.ptr, C.size_t(i), &data, &n); e != 0 {
		return nil, Errno(e)
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(data)), int(n)), ErrnoSuccess
}

// Path gives the bytes of the call's first [ArgPath] argument (the path
// of path_open, the old path of path_rename), as [Call.Bytes]; [ErrnoInval]
// for a call without one.
func (c *Call) Path() ([]byte, Errno) {
	for i, n := 0, c.NumArgs(); i < n; i++ {
		if c.ArgKind(i) == ArgPath {
			return c.Bytes(i)
		}
	}
	return nil, ErrnoInval
}

// Iovec gives the buffer of iovec k of argument i, an [ArgIovs], in guest
// memory: the guest's data for fd_write, fd_pwrite and sock_send, the
// buffer to fill for fd_read, fd_pread and sock_recv. The errno is
// [ErrnoSuccess], [ErrnoFault] when the iovec or its buffer lies outside
// guest memory, or [ErrnoInval] for k past the count (the argument after
// i) or another kind of argument. The slice is valid until the handler
// returns.
func (c *Call) Iovec(i, k int) ([]byte, Errno) {
	if i < 0 || k < 0 || uint64(k) > uint64(^C.uint32_t(0)) {
		return nil, ErrnoInval
	}
	var data *C.uint8_t
	var n C.size_t
	if e := C.wasihost_call_iovec(c.ptr, C.size_t(i), C.uint32_t(k), &data, &n); e != 0 {
		return nil, Errno(e)
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(data)), int(n)), ErrnoSuccess
}

// Iovecs gives the buffers of all the iovecs of argument i, an
// [ArgIovs], as [Call.Iovec]: the first errno met stops it.
func (c *Call) Iovecs(i int) ([][]byte, Errno) {
	if c.ArgKind(i) != ArgIovs {
		return nil, ErrnoInval
	}
	count := c.Arg(i + 1)
	bufs := make([][]byte, 0, min(count, 64))
	for k := uint64(0); k < count; k++ {
		b, e := c.Iovec(i, int(k))
		if e != ErrnoSuccess {
			return nil, e
		}
		bufs = append(bufs, b)
	}
	return bufs, ErrnoSuccess
}

// Memory is the guest's linear memory, writable, valid until the handler
// returns (nil after it).
func (c *Call) Memory() []byte {
	var n C.size_t
	p := C.wasihost_call_memory(c.ptr, &n)
	if p == nil {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(p)), int(n))
}

// Default runs the built-in implementation of the call with its current
// arguments (see [Call.SetArg]), which fills its results, and returns its
// errno; it may run any number of times. A handler that only wraps the
// call returns it: return c.Default(). For proc_exit it records the exit,
// which happens when the handler returns.
func (c *Call) Default() Errno {
	return Errno(C.wasihost_call_default(c.ptr))
}

// NumResults is the number of the call's results, which the guest gets
// (through its out-pointers) when the handler returns [ErrnoSuccess].
func (c *Call) NumResults() int { return int(C.wasihost_call_result_count(c.ptr)) }

// ResultName is the name of result i ("opened_fd", "nread"); "" past the
// last.
func (c *Call) ResultName(i int) string {
	if i < 0 {
		return ""
	}
	return staticString(C.wasihost_call_result_name(c.ptr, C.size_t(i)))
}

// ResultIndex is the index of the result called name, or -1.
func (c *Call) ResultIndex(name string) int {
	for i, n := 0, c.NumResults(); i < n; i++ {
		if c.ResultName(i) == name {
			return i
		}
	}
	return -1
}

// Result is result i as a number (set by [Call.Default] or
// [Call.SetResult]; a structure result gives its first 8 bytes, see
// [Call.ResultBytes]); 0 past the last.
func (c *Call) Result(i int) uint64 {
	if i < 0 {
		return 0
	}
	return uint64(C.wasihost_call_result(c.ptr, C.size_t(i)))
}

// NamedResult is the result called name, and whether the call has one.
func (c *Call) NamedResult(name string) (uint64, bool) {
	i := c.ResultIndex(name)
	if i < 0 {
		return 0, false
	}
	return c.Result(i), true
}

// SetResult sets result i to v (truncated to its size). False for a
// structure result (fdstat, filestat, prestat: write them through
// [Call.ResultBytes]) and past the last.
func (c *Call) SetResult(i int, v uint64) bool {
	if i < 0 {
		return false
	}
	return bool(C.wasihost_call_set_result(c.ptr, C.size_t(i), C.uint64_t(v)))
}

// SetNamedResult sets the result called name, as SetResult; false when
// the call has none (or it is a structure).
func (c *Call) SetNamedResult(name string, v uint64) bool {
	i := c.ResultIndex(name)
	return i >= 0 && c.SetResult(i, v)
}

// ResultBytes is result i in the layout of guest memory (a filestat as
// __wasi_filestat_t of wasi/api.h), writable, valid until the handler
// returns; nil past the last.
func (c *Call) ResultBytes(i int) []byte {
	if i < 0 {
		return nil
	}
	var n C.size_t
	p := C.wasihost_call_result_bytes(c.ptr, C.size_t(i), &n)
	if p == nil {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(p)), int(n))
}

// Exit asks for the guest to end as if it called proc_exit(code): the
// handler returns what Exit returns (return c.Exit(3)). [Instance.Run]
// then returns an [*ExitError] (nil for code 0).
func (c *Call) Exit(code uint32) Errno {
	C.wasihost_call_set_exit(c.ptr, C.uint32_t(code))
	return errnoExit
}

// Trap asks for the guest to trap with msg: the handler returns what Trap
// returns (return c.Trap("denied")). The run then fails with an [*Error]
// of kind [KindTrap] and trap code [TrapHandler], whose message holds msg.
func (c *Call) Trap(msg string) Errno {
	mp, mn := stringArg(msg)
	C.wasihost_call_set_trap(c.ptr, mp, mn)
	runtime.KeepAlive(msg)
	return errnoTrap
}

// CallHandler handles the WASI calls it was registered for
// ([Config.HandleCalls]) in place of the built-in implementation, which it
// may run through [Call.Default]. It returns the errno the guest gets
// ([ErrnoSuccess]: the call's results are written to the guest), or what
// [Call.Exit] or [Call.Trap] return. Any other value (past 76) traps the
// guest.
//
// It runs on the goroutine that runs the guest (in [Instance.Run],
// [Instance.Call], [NewInstance]), concurrently when instances of one
// config run on several goroutines, so it must be safe for concurrent use.
// It must not use the instance that is running (which waits for the
// handler: a deadlock), nor call runtime.Goexit (t.FailNow). A panic does
// not cross into the library: see [OnPanic].
type CallHandler func(c *Call) Errno

// HandlerOption changes how [Config.HandleCalls] treats its handler.
type HandlerOption func(*handlerState)

// OnPanic makes the guest get errno e (1 to 76, such as [ErrnoIO]) from a
// call whose handler panicked, and go on, instead of trapping (the
// default). Either way the Go call that ran the guest returns a
// [*CallbackPanicError] with the panic.
func OnPanic(e Errno) HandlerOption {
	return func(hs *handlerState) { hs.panicErrno, hs.panicSet = e, true }
}

// handlerState is the userdata of a call handler.
type handlerState struct {
	h CallHandler
	// panicErrno is what the guest gets after a panic, when panicSet;
	// else it traps.
	panicErrno Errno
	panicSet   bool
}

// HandleCalls routes the WASI calls named by calls through h, in every
// instance made from the config afterwards. calls is a comma-separated
// list of call names ("path_open") and groups: args, clock, fd, path,
// poll, proc, random, sock; fs (fd and path); all. h replaces a handler set
// before for any of them; a nil h removes theirs (they go back to the
// built-in implementation). A call without a handler costs nothing extra.
//
// An unknown name is an *Error of kind [KindInvalidArgument] that names
// it. See [CallHandler] and [Call].
func (c *Config) HandleCalls(calls string, h CallHandler, opts ...HandlerOption) error {
	hs := &handlerState{h: h}
	for _, o := range opts {
		if o != nil {
			o(hs)
		}
	}
	if hs.panicSet && (hs.panicErrno == ErrnoSuccess || hs.panicErrno > ErrnoNotcapable) {
		return errorf(KindInvalidArgument, "OnPanic(%d): not a WASI errno (1 to 76)", uint16(hs.panicErrno))
	}
	set := func(p *C.wasihost_config_t, handle C.uintptr_t) *C.wasihost_error_t {
		cp, cn := stringArg(calls)
		err := C.wasihost_go_set_call_handler(p, cp, cn, handle)
		runtime.KeepAlive(calls)
		return err
	}
	if h == nil {
		return c.set(func(p *C.wasihost_config_t) *C.wasihost_error_t { return set(p, 0) })
	}
	return c.setCallback(hs, set)
}

// TraceEvent is one finished WASI call, as a trace function
// ([Config.SetTraceFunc]) gets it. It holds copies: it may be kept.
type TraceEvent struct {
	// Instance is the number of the instance that made the call (unique
	// in the process, from 1).
	Instance uint64
	// Call is the call's name ("path_open").
	Call string
	// Args are the call's arguments, in order.
	Args []TraceArg
	// Errno is what the call returned, when it neither exited nor
	// trapped.
	Errno Errno
	// Exited says the call ended the guest (proc_exit, or a handler's
	// [Call.Exit]) with ExitCode.
	Exited   bool
	ExitCode uint32
	// Trapped says the call trapped the guest (a handler's [Call.Trap] or
	// panic), with TrapMessage.
	Trapped     bool
	TrapMessage string
	// Results are the call's results when Errno is [ErrnoSuccess] (and
	// it did not exit or trap), else nil.
	Results []TraceResult
	// Duration is how long the host took over the call (a handler
	// included).
	Duration time.Duration
	// JSON is the event as one line of JSON, without the newline, as
	// [Config.SetTraceFile] writes it: paths as text, flags by name, the
	// errno by name.
	JSON string
}

// TraceArg is an argument of a traced call.
type TraceArg struct {
	Name  string
	Kind  ArgKind
	Value uint64
	// Bytes are the bytes of an [ArgPath] argument (a copy); nil for other
	// kinds, and when they lie outside guest memory.
	Bytes []byte
}

// TraceResult is a result of a traced call.
type TraceResult struct {
	Name string
	// Value is the result as a number (a structure's first 8 bytes).
	Value uint64
	// Bytes is the result in the layout of guest memory (a copy).
	Bytes []byte
}

// newTraceEvent reads a traced call (valid during the trace callback).
func newTraceEvent(call *C.wasihost_call_t, js *C.char, n C.size_t) *TraceEvent {
	c := &Call{ptr: call}
	ev := &TraceEvent{
		Instance: uint64(C.wasihost_call_instance(call)),
		Call:     c.Name(),
		Duration: time.Duration(C.wasihost_call_duration_ns(call)),
		JSON:     C.GoStringN(js, C.int(n)),
	}
	nargs := c.NumArgs()
	ev.Args = make([]TraceArg, nargs)
	for i := range nargs {
		a := TraceArg{Name: c.ArgName(i), Kind: c.ArgKind(i), Value: c.Arg(i)}
		if a.Kind == ArgPath {
			if b, e := c.Bytes(i); e == ErrnoSuccess {
				a.Bytes = append([]byte{}, b...)
			}
		}
		ev.Args[i] = a
	}
	switch rc := C.wasihost_call_errno(call); rc {
	case C.WASIHOST_CALL_EXIT:
		ev.Exited = true
		ev.ExitCode = uint32(C.wasihost_call_exit_code(call))
	case C.WASIHOST_CALL_TRAP:
		ev.Trapped = true
		var rec struct {
			Trap string `json:"trap"`
		}
		if json.Unmarshal([]byte(ev.JSON), &rec) == nil {
			ev.TrapMessage = rec.Trap
		}
	default:
		ev.Errno = Errno(rc)
		if ev.Errno == ErrnoSuccess {
			nres := c.NumResults()
			ev.Results = make([]TraceResult, nres)
			for i := range nres {
				ev.Results[i] = TraceResult{Name: c.ResultName(i), Value: c.Result(i), Bytes: bytes.Clone(c.ResultBytes(i))}
			}
		}
	}
	return ev
}

// traceState is the userdata of a trace function.
type traceState struct {
	fn func(*TraceEvent)
}

// SetTraceFile traces the WASI calls of every instance made from the
// config afterwards to the file at path, created or truncated now: one
// JSON object per line,
//
//	{"instance":1,"call":"path_open","args":{"fd":3,"path":"a.txt",...},"errno":"success","results":{"opened_fd":4},"ns":5120}
//
// with paths as text and flags by name (a call that ends the guest has
// "exit":CODE, one that traps it "trap":"MESSAGE", in place of "errno"
// and "results"). filter chooses the calls, as the list of
// [Config.HandleCalls]; "" traces every call. All instances of the config
// write to the file (their lines tell them apart by "instance"); an
// instance's lines are all in it once the instance is closed. It replaces
// a trace set before (by SetTraceFile or SetTraceFunc).
func (c *Config) SetTraceFile(path, filter string) error {
	return c.set(func(p *C.wasihost_config_t) *C.wasihost_error_t {
		pp, pn := stringArg(path)
		fp, fn := stringArg(filter)
		err := C.wasihost_config_set_trace_file(p, pp, pn, fp, fn)
		runtime.KeepAlive(path)
		runtime.KeepAlive(filter)
		return err
	})
}

// SetTraceFunc traces the WASI calls chosen by filter (as for
// [Config.SetTraceFile]; "" for all) of every instance made from the
// config afterwards to fn, called after each call with a [TraceEvent],
// on the goroutine that runs the guest (concurrently when instances of
// the config run on several goroutines). A nil fn removes the trace. It
// replaces a trace set before. A panic in fn is reported as a
// [*CallbackPanicError] by the Go call that ran the guest; the guest goes
// on.
func (c *Config) SetTraceFunc(fn func(*TraceEvent), filter string) error {
	set := func(p *C.wasihost_config_t, handle C.uintptr_t) *C.wasihost_error_t {
		fp, fl := stringArg(filter)
		err := C.wasihost_go_set_trace(p, fp, fl, handle)
		runtime.KeepAlive(filter)
		return err
	}
	if fn == nil {
		return c.set(func(p *C.wasihost_config_t) *C.wasihost_error_t { return set(p, 0) })
	}
	return c.setCallback(&traceState{fn: fn}, set)
}

// SetDeterministic makes time and randomness reproducible for every
// instance made from the config afterwards: the wall clock frozen at
// 2000-01-01T00:00:00Z, a monotonic clock that starts at 0 and advances
// only by what the guest sleeps (at once, without waiting), and random
// bytes from seed. Two runs of a guest with the same inputs then give the
// same output. It replaces a clock or random source set before, as
// [Config.SetClock] and [Config.SetRandom] replace its clock or its
// random bytes.
func (c *Config) SetDeterministic(seed uint64) error {
	return c.set(func(p *C.wasihost_config_t) *C.wasihost_error_t {
		return C.wasihost_config_set_deterministic(p, C.uint64_t(seed))
	})
}

// clockState is the userdata of a clock.
type clockState struct {
	now   func(ClockID) (uint64, Errno)
	sleep func(time.Duration) Errno
}

// SetClock gives the guest's clocks: now reads clock id in nanoseconds
// ([ClockRealtime]: since the Unix epoch; the others: since any fixed
// point) or returns an errno for the guest ([ErrnoInval] for a clock it
// does not have). sleep, when not nil, makes the guest's waits
// (poll_oneoff's clock subscriptions: sleeps, timeouts) pass on that clock
// (a virtual clock advances, a real one waits) and returns [ErrnoSuccess]
// or an errno; with a nil sleep they are real sleeps.
//
// Both are shared by every instance made from the config afterwards and
// called on the goroutines that run them, concurrently when several run
// at once: they must be safe for concurrent use. A panic gives the
// guest's call errno io, and is reported as a [*CallbackPanicError] by the
// Go call that ran the guest. SetClock replaces the clock of
// [Config.SetDeterministic] (its random bytes stay).
func (c *Config) SetClock(now func(id ClockID) (uint64, Errno), sleep func(d time.Duration) Errno) error {
	if now == nil {
		return errorf(KindInvalidArgument, "SetClock: now is nil")
	}
	withSleep := C.int(0)
	if sleep != nil {
		withSleep = 1
	}
	return c.setCallback(&clockState{now: now, sleep: sleep}, func(p *C.wasihost_config_t, h C.uintptr_t) *C.wasihost_error_t {
		return C.wasihost_go_set_clock(p, h, withSleep)
	})
}

// SetRandom makes the guest's random bytes (random_get) come from r, read
// with io.ReadFull by the instances made from the config afterwards, one
// at a time: crypto/rand.Reader, or a seeded generator such as
// math/rand/v2's ChaCha8 for reproducible runs. An error fails the
// guest's call with the [Errno] it is or wraps, else with errno io; a
// panic with errno io, reported as a [*CallbackPanicError] by the Go call
// that ran the guest. It replaces the random bytes of
// [Config.SetDeterministic] (its clock stays).
func (c *Config) SetRandom(r io.Reader) error {
	if r == nil {
		return errorf(KindInvalidArgument, "SetRandom: the reader is nil")
	}
	return c.setCallback(&readerState{r: r}, func(p *C.wasihost_config_t, h C.uintptr_t) *C.wasihost_error_t {
		return C.wasihost_go_set_random(p, h)
	})
}
