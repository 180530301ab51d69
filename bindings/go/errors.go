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
	// [Instance.Close] or by [Instance.Interrupt].
	KindInterrupted ErrorKind = C.WASIHOST_ERROR_KIND_INTERRUPTED
	// KindPanic: a bug in wasihost (a panic caught at the C boundary).
	KindPanic ErrorKind = C.WASIHOST_ERROR_KIND_PANIC
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
}

// String is the kind's name, as wasihost_error_kind_name gives it ("trap",
// "config", ...).
func (k ErrorKind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("ErrorKind(%d)", uint32(k))
}

// Errno is a WASI errno (the preview1 numbering, not the host's).
type Errno uint16

// The WASI errnos that [Error.Is] maps to the io/fs errors.
const (
	ErrnoAcces      Errno = 2
	ErrnoExist      Errno = 20
	ErrnoInval      Errno = 28
	ErrnoIO         Errno = 29
	ErrnoNoent      Errno = 44
	ErrnoNotdir     Errno = 54
	ErrnoPerm       Errno = 63
	ErrnoNotcapable Errno = 76
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
	if int(e) < len(errnoNames) {
		return errnoNames[e]
	}
	return fmt.Sprintf("errno(%d)", uint16(e))
}

// Error is an error reported by the library: its kind, a message with the
// context to act on it, and the WASI errno that best describes it (0 when
// none does).
//
// It works with errors.Is: an errno of noent matches [fs.ErrNotExist];
// perm, acces and notcapable match [fs.ErrPermission]; exist matches
// [fs.ErrExist]. An error of kind [KindInterrupted] caused by a context
// also matches the context's error ([context.Canceled] or
// [context.DeadlineExceeded]) and its cause.
type Error struct {
	Kind    ErrorKind
	Errno   Errno
	Message string
	causes  []error
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
	switch target {
	case fs.ErrNotExist:
		return e.Errno == ErrnoNoent
	case fs.ErrPermission:
		return e.Errno == ErrnoPerm || e.Errno == ErrnoAcces || e.Errno == ErrnoNotcapable
	case fs.ErrExist:
		return e.Errno == ErrnoExist
	}
	return false
}

// Unwrap gives what caused an interruption (the context's error and cause).
func (e *Error) Unwrap() []error { return e.causes }

// ExitError is what a guest that exited with a nonzero code gives
// ([Instance.Run]), or a guest that called proc_exit with any code during
// [Instance.Call] or [NewInstance]. The host process never exits.
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

// CallbackPanicError reports a panic in an [io.Writer] or [io.Reader] given
// to a [Config]. The panic does not cross into the library: the guest's
// write or read fails with errno io, the run goes on, and the call that
// ran the guest returns this error (joined with its own, if any).
type CallbackPanicError struct {
	// Stream is the stream whose reader or writer panicked.
	Stream Stream
	// Value is what was passed to panic.
	Value any
	// Stack is the goroutine's stack at the panic.
	Stack []byte
}

// Error formats the error with the stream and the panic value.
func (e *CallbackPanicError) Error() string {
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
