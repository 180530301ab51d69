package wasihost

// #include "wasihost.h"
import "C"

import (
	"errors"
	"fmt"
	"io/fs"
)

// ErrorKind is the class of an [Error]: one of the Kind constants.
type ErrorKind uint32

// The kinds of [Error], as the C API's WASIHOST_ERROR_KIND_* values.
const (
	// KindInvalidArgument: an argument the library refuses (a string with a
	// NUL byte where none is allowed, a function called with the wrong
	// number or types of values, ...).
	KindInvalidArgument ErrorKind = C.WASIHOST_ERROR_KIND_INVALID_ARGUMENT
	// KindConfig: the configuration cannot be applied (a preopened
	// directory or a stdio file cannot be opened, ...).
	KindConfig ErrorKind = C.WASIHOST_ERROR_KIND_CONFIG
	// KindIO: a host file (a module file, a cache entry) cannot be read or
	// written.
	KindIO ErrorKind = C.WASIHOST_ERROR_KIND_IO
	// KindModule: the bytes are not a valid module or WAT text, or a
	// serialized module is corrupt or from another engine.
	KindModule ErrorKind = C.WASIHOST_ERROR_KIND_MODULE
	// KindLink: the module imports something the host does not provide, or
	// lacks the export a call needs (such as _start), or an export was
	// called with the wrong types.
	KindLink ErrorKind = C.WASIHOST_ERROR_KIND_LINK
	// KindEngine: the engine cannot be created.
	KindEngine ErrorKind = C.WASIHOST_ERROR_KIND_ENGINE
	// KindTrap: the guest trapped; the message says why, with a wasm
	// backtrace.
	KindTrap ErrorKind = C.WASIHOST_ERROR_KIND_TRAP
	// KindInterrupted: the guest was stopped, by a cancelled context, by
	// [Instance.Close] or by [Instance.Interrupt]. The error then matches
	// [context.Canceled] (and the context's cause) when a context stopped
	// it. Interrupts are sticky: the instance's later runs and calls fail
	// the same way.
	KindInterrupted ErrorKind = C.WASIHOST_ERROR_KIND_INTERRUPTED
	// KindPanic: a bug in wasihost (a panic caught at the C boundary).
	KindPanic ErrorKind = C.WASIHOST_ERROR_KIND_PANIC
	// KindTimeout: the guest ran past its timeout ([Config.SetTimeout],
	// [Instance.SetTimeout]) or the deadline of the context it was given,
	// also while it waited in a host call (a sleep, a read of a pipe).
	// After a context's deadline the error matches
	// [context.DeadlineExceeded] (and the context's cause). A timeout
	// applies to one entry into the guest: the instance's later runs and
	// calls start afresh.
	KindTimeout ErrorKind = C.WASIHOST_ERROR_KIND_TIMEOUT
	// KindFuelExhausted: the guest used up the fuel of [Config.SetFuel].
	KindFuelExhausted ErrorKind = C.WASIHOST_ERROR_KIND_FUEL_EXHAUSTED
	// KindMemoryLimit: the module's memories or tables, as declared, need
	// more than [Config.SetMaxMemory] or [Config.SetMaxTableElements]
	// allow, so it cannot be instantiated. (A memory.grow refused later is
	// no error: the guest sees -1; see [Instance.MemoryLimitReached].)
	KindMemoryLimit ErrorKind = C.WASIHOST_ERROR_KIND_MEMORY_LIMIT
)

var kindNames = map[ErrorKind]string{
	KindInvalidArgument: "invalid argument",
	KindConfig:          "config",
	KindIO:              "io",
	KindModule:          "module",
	KindLink:            "link",
	KindEngine:          "engine",
	KindTrap:            "trap",
	KindInterrupted:     "interrupted",
	KindPanic:           "panic",
	KindTimeout:         "timeout",
	KindFuelExhausted:   "fuel exhausted",
	KindMemoryLimit:     "memory limit",
}

// String is the kind's name, as wasihost_error_kind_name gives it ("trap",
// "config", ...).
func (k ErrorKind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("ErrorKind(%d)", uint32(k))
}

// Error makes a kind an error, to test with errors.Is: errors.Is(err,
// wasihost.KindTimeout) holds for an [*Error] of that kind. It is the
// kind's name.
func (k ErrorKind) Error() string { return k.String() }

// TrapCode says why a guest trapped: one of the Trap constants, in
// [Error.Trap] of an error of kind [KindTrap].
type TrapCode uint32

// The kinds of trap, as the C API's WASIHOST_TRAP_* values.
const (
	// TrapOther: a host error that aborted the guest, or a trap this list
	// does not name.
	TrapOther TrapCode = C.WASIHOST_TRAP_OTHER
	// TrapUnreachable: the unreachable instruction (C's abort(), Rust's
	// panic).
	TrapUnreachable TrapCode = C.WASIHOST_TRAP_UNREACHABLE
	// TrapMemoryOutOfBounds: a memory access out of bounds.
	TrapMemoryOutOfBounds TrapCode = C.WASIHOST_TRAP_MEMORY_OUT_OF_BOUNDS
	// TrapIntegerDivisionByZero: an integer division by zero.
	TrapIntegerDivisionByZero TrapCode = C.WASIHOST_TRAP_INTEGER_DIVISION_BY_ZERO
	// TrapIntegerOverflow: an integer overflow (INT_MIN / -1).
	TrapIntegerOverflow TrapCode = C.WASIHOST_TRAP_INTEGER_OVERFLOW
	// TrapBadConversionToInteger: a float to integer conversion out of
	// range.
	TrapBadConversionToInteger TrapCode = C.WASIHOST_TRAP_BAD_CONVERSION_TO_INTEGER
	// TrapStackOverflow: the call stack is exhausted.
	TrapStackOverflow TrapCode = C.WASIHOST_TRAP_STACK_OVERFLOW
	// TrapIndirectCallToNull: an indirect call to a null table entry.
	TrapIndirectCallToNull TrapCode = C.WASIHOST_TRAP_INDIRECT_CALL_TO_NULL
	// TrapBadSignature: an indirect call with the wrong signature.
	TrapBadSignature TrapCode = C.WASIHOST_TRAP_BAD_SIGNATURE
	// TrapTableOutOfBounds: a table access out of bounds.
	TrapTableOutOfBounds TrapCode = C.WASIHOST_TRAP_TABLE_OUT_OF_BOUNDS
	// TrapNullReference: a null reference was used.
	TrapNullReference TrapCode = C.WASIHOST_TRAP_NULL_REFERENCE
	// TrapHeapMisaligned: a misaligned atomic access.
	TrapHeapMisaligned TrapCode = C.WASIHOST_TRAP_HEAP_MISALIGNED
	// TrapHostPanic: a WASI method of the host panicked (a bug in
	// wasihost).
	TrapHostPanic TrapCode = C.WASIHOST_TRAP_HOST_PANIC
	// TrapHandler: a call handler trapped the guest ([Call.Trap], a
	// panic in a handler without [OnPanic], or an invalid return value).
	TrapHandler TrapCode = C.WASIHOST_TRAP_HANDLER
)

var trapNames = map[TrapCode]string{
	TrapOther:                  "other",
	TrapUnreachable:            "unreachable",
	TrapMemoryOutOfBounds:      "memory out of bounds",
	TrapIntegerDivisionByZero:  "integer division by zero",
	TrapIntegerOverflow:        "integer overflow",
	TrapBadConversionToInteger: "bad conversion to integer",
	TrapStackOverflow:          "stack overflow",
	TrapIndirectCallToNull:     "indirect call to null",
	TrapBadSignature:           "bad signature",
	TrapTableOutOfBounds:       "table out of bounds",
	TrapNullReference:          "null reference",
	TrapHeapMisaligned:         "heap misaligned",
	TrapHostPanic:              "host panic",
	TrapHandler:                "handler",
}

// String is the trap's name ("unreachable", "stack overflow", ...).
func (t TrapCode) String() string {
	if s, ok := trapNames[t]; ok {
		return s
	}
	return fmt.Sprintf("TrapCode(%d)", uint32(t))
}

// Errno is a WASI errno (the preview1 numbering, not the host's): what
// a WASI call returns to the guest. It is an error, so that a reader or
// writer given to a [Config] can fail the guest's call with a chosen errno
// (return it, or an error wrapping it); with errors.Is, [ErrnoNoent]
// matches [fs.ErrNotExist], [ErrnoPerm], [ErrnoAcces] and
// [ErrnoNotcapable] match [fs.ErrPermission], and [ErrnoExist] matches
// [fs.ErrExist].
type Errno uint16

// The WASI errnos, as wasi/api.h numbers them (__WASI_ERRNO_*).
const (
	ErrnoSuccess        Errno = 0
	Errno2big           Errno = 1
	ErrnoAcces          Errno = 2
	ErrnoAddrinuse      Errno = 3
	ErrnoAddrnotavail   Errno = 4
	ErrnoAfnosupport    Errno = 5
	ErrnoAgain          Errno = 6
	ErrnoAlready        Errno = 7
	ErrnoBadf           Errno = 8
	ErrnoBadmsg         Errno = 9
	ErrnoBusy           Errno = 10
	ErrnoCanceled       Errno = 11
	ErrnoChild          Errno = 12
	ErrnoConnaborted    Errno = 13
	ErrnoConnrefused    Errno = 14
	ErrnoConnreset      Errno = 15
	ErrnoDeadlk         Errno = 16
	ErrnoDestaddrreq    Errno = 17
	ErrnoDom            Errno = 18
	ErrnoDquot          Errno = 19
	ErrnoExist          Errno = 20
	ErrnoFault          Errno = 21
	ErrnoFbig           Errno = 22
	ErrnoHostunreach    Errno = 23
	ErrnoIdrm           Errno = 24
	ErrnoIlseq          Errno = 25
	ErrnoInprogress     Errno = 26
	ErrnoIntr           Errno = 27
	ErrnoInval          Errno = 28
	ErrnoIO             Errno = 29
	ErrnoIsconn         Errno = 30
	ErrnoIsdir          Errno = 31
	ErrnoLoop           Errno = 32
	ErrnoMfile          Errno = 33
	ErrnoMlink          Errno = 34
	ErrnoMsgsize        Errno = 35
	ErrnoMultihop       Errno = 36
	ErrnoNametoolong    Errno = 37
	ErrnoNetdown        Errno = 38
	ErrnoNetreset       Errno = 39
	ErrnoNetunreach     Errno = 40
	ErrnoNfile          Errno = 41
	ErrnoNobufs         Errno = 42
	ErrnoNodev          Errno = 43
	ErrnoNoent          Errno = 44
	ErrnoNoexec         Errno = 45
	ErrnoNolck          Errno = 46
	ErrnoNolink         Errno = 47
	ErrnoNomem          Errno = 48
	ErrnoNomsg          Errno = 49
	ErrnoNoprotoopt     Errno = 50
	ErrnoNospc          Errno = 51
	ErrnoNosys          Errno = 52
	ErrnoNotconn        Errno = 53
	ErrnoNotdir         Errno = 54
	ErrnoNotempty       Errno = 55
	ErrnoNotrecoverable Errno = 56
	ErrnoNotsock        Errno = 57
	ErrnoNotsup         Errno = 58
	ErrnoNotty          Errno = 59
	ErrnoNxio           Errno = 60
	ErrnoOverflow       Errno = 61
	ErrnoOwnerdead      Errno = 62
	ErrnoPerm           Errno = 63
	ErrnoPipe           Errno = 64
	ErrnoProto          Errno = 65
	ErrnoProtonosupport Errno = 66
	ErrnoPrototype      Errno = 67
	ErrnoRange          Errno = 68
	ErrnoRofs           Errno = 69
	ErrnoSpipe          Errno = 70
	ErrnoSrch           Errno = 71
	ErrnoStale          Errno = 72
	ErrnoTimedout       Errno = 73
	ErrnoTxtbsy         Errno = 74
	ErrnoXdev           Errno = 75
	ErrnoNotcapable     Errno = 76
)

var errnoNames = [...]string{
	"success", "2big", "acces", "addrinuse", "addrnotavail", "afnosupport", "again", "already",
	"badf", "badmsg", "busy", "canceled", "child", "connaborted", "connrefused", "connreset",
	"deadlk", "destaddrreq", "dom", "dquot", "exist", "fault", "fbig", "hostunreach", "idrm",
	"ilseq", "inprogress", "intr", "inval", "io", "isconn", "isdir", "loop", "mfile", "mlink",
	"msgsize", "multihop", "nametoolong", "netdown", "netreset", "netunreach", "nfile", "nobufs",
	"nodev", "noent", "noexec", "nolck", "nolink", "nomem", "nomsg", "noprotoopt", "nospc",
	"nosys", "notconn", "notdir", "notempty", "notrecoverable", "notsock", "notsup", "notty",
	"nxio", "overflow", "ownerdead", "perm", "pipe", "proto", "protonosupport", "prototype",
	"range", "rofs", "spipe", "srch", "stale", "timedout", "txtbsy", "xdev", "notcapable",
}

// String is the errno's WASI name ("noent", "perm", ...).
func (e Errno) String() string {
	switch {
	case int(e) < len(errnoNames):
		return errnoNames[e]
	case e == errnoExit:
		return "exit"
	case e == errnoTrap:
		return "trap"
	}
	return fmt.Sprintf("errno(%d)", uint16(e))
}

// Error is the errno's WASI name, as String.
func (e Errno) Error() string { return e.String() }

// Is reports whether the errno matches target, an io/fs error of the same
// meaning (see [Errno]).
func (e Errno) Is(target error) bool {
	switch target {
	case fs.ErrNotExist:
		return e == ErrnoNoent
	case fs.ErrPermission:
		return e == ErrnoPerm || e == ErrnoAcces || e == ErrnoNotcapable
	case fs.ErrExist:
		return e == ErrnoExist
	}
	return false
}

// errnoOf is the errno an error from a reader, a writer or the random
// source gives the guest: the Errno it is or wraps (1 to 76), else io.
func errnoOf(err error) Errno {
	var e Errno
	if errors.As(err, &e) && e > ErrnoSuccess && e <= ErrnoNotcapable {
		return e
	}
	return ErrnoIO
}

// Error is an error reported by the library: its kind, a message with the
// context to act on it, and the WASI errno that best describes it (0 when
// none does); for a trap, its [TrapCode].
//
// It works with errors.Is: its kind matches ([KindTimeout], ...); an errno
// of noent matches [fs.ErrNotExist]; perm, acces and notcapable match
// [fs.ErrPermission]; exist matches [fs.ErrExist]. An error of kind
// [KindInterrupted] caused by a cancelled context also matches
// [context.Canceled], one of kind [KindTimeout] caused by a context's
// deadline [context.DeadlineExceeded], and both the context's cause.
type Error struct {
	Kind    ErrorKind
	Errno   Errno
	Message string
	// Trap says why the guest trapped, for an error of kind [KindTrap]
	// ([TrapOther], 0, for any other kind).
	Trap   TrapCode
	causes []error
}

// Error formats the error as "wasihost: KIND: MESSAGE".
func (e *Error) Error() string {
	s := "wasihost: " + e.Kind.String() + ": " + e.Message
	if len(e.causes) > 0 {
		s += " (" + e.causes[0].Error() + ")"
	}
	return s
}

// Is reports whether the error matches target: an io/fs error of the same
// meaning (see [Error]).
func (e *Error) Is(target error) bool {
	if k, ok := target.(ErrorKind); ok {
		return e.Kind == k
	}
	return e.Errno != ErrnoSuccess && e.Errno.Is(target)
}

// Unwrap gives what caused an interruption or a timeout: the context's
// error and cause, when a context did.
func (e *Error) Unwrap() []error { return e.causes }

// ExitError is what a guest that exited with a nonzero code gives
// ([Instance.Run]), or a guest that called proc_exit with any code during
// [Instance.Call] or [NewInstance]. The host process never exits. (A
// guest that exits with a nonzero code after a memory.grow was refused
// may have failed for want of memory: see [Instance.MemoryLimitReached].)
type ExitError struct {
	// Code is the code the guest passed to proc_exit (or returned from
	// main).
	Code uint32
}

// Error formats the error as "wasihost: guest exited with code N".
func (e *ExitError) Error() string {
	return fmt.Sprintf("wasihost: guest exited with code %d", e.Code)
}

// ExitCode is the guest's exit code, as an int.
func (e *ExitError) ExitCode() int { return int(e.Code) }

// CallbackPanicError reports a panic in Go code the library called back:
// an [io.Writer] or [io.Reader] given to a [Config], a call handler
// ([Config.HandleCalls]), a trace function, a clock or a random source.
// The panic does not cross into the library: a reader's or writer's call
// fails with errno io and the run goes on; a handler's guest traps (or
// gets the errno of [OnPanic]); a clock's or random source's call fails
// with errno io; a trace function's call is not affected. The Go call
// that ran the guest ([NewInstance], [Instance.Run], [Instance.Call])
// then returns this error (joined with its own, if any).
type CallbackPanicError struct {
	// Stream is the stream whose reader or writer panicked (when Callback
	// is "").
	Stream Stream
	// Callback names the callback that panicked when it is not a reader or
	// writer: "handler of path_open", "trace function", "clock",
	// "random source".
	Callback string
	// Value is what was passed to panic.
	Value any
	// Stack is the goroutine's stack at the panic.
	Stack []byte
}

// Error formats the error with the callback (or stream) and the panic
// value.
func (e *CallbackPanicError) Error() string {
	if e.Callback != "" {
		return fmt.Sprintf("wasihost: panic in the %s: %v", e.Callback, e.Value)
	}
	what := "writer"
	if e.Stream == Stdin {
		what = "reader"
	}
	return fmt.Sprintf("wasihost: panic in the %s %s: %v", e.Stream, what, e.Value)
}

// Unwrap gives the panic value when it is an error.
func (e *CallbackPanicError) Unwrap() error {
	if err, ok := e.Value.(error); ok {
		return err
	}
	return nil
}

type closedError struct{}

func (closedError) Error() string        { return "wasihost: use of a closed handle" }
func (closedError) Is(target error) bool { return target == fs.ErrClosed }

// ErrClosed is returned by every method of a handle after its Close (and
// by functions given a closed handle). It matches [fs.ErrClosed].
var ErrClosed error = closedError{}

// takeError converts an owned C error into a Go error and frees it: nil for
// NULL, an *ExitError for kind exit, else an *Error.
func takeError(e *C.wasihost_error_t) error {
	if e == nil {
		return nil
	}
	defer C.wasihost_error_delete(e)
	kind := ErrorKind(C.wasihost_error_kind(e))
	if kind == C.WASIHOST_ERROR_KIND_EXIT {
		var code C.uint32_t
		if C.wasihost_error_exit_code(e, &code) {
			return &ExitError{Code: uint32(code)}
		}
	}
	err := &Error{
		Kind:    kind,
		Errno:   Errno(C.wasihost_error_errno(e)),
		Message: C.GoString(C.wasihost_error_message(e)),
	}
	var trap C.wasihost_trap_code_t
	if C.wasihost_error_trap_code(e, &trap) {
		err.Trap = TrapCode(trap)
	}
	return err
}

// errorf is an *Error made on the Go side (an argument refused before any
// C call).
func errorf(kind ErrorKind, format string, args ...any) error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// joinErrors joins the panics of callbacks with the call's own error.
func joinErrors(panics []error, err error) error {
	if len(panics) == 0 {
		return err
	}
	return errors.Join(append(panics, err)...)
}
