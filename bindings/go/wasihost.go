// Package wasihost runs WebAssembly modules that import
// wasi_snapshot_preview1 in a sandbox, through the C API of the wasihost
// library (include/wasihost.h).
//
// An [Engine] compiles [Module]s; a [Config] says what a guest is granted
// (arguments, environment, preopened directories, where its stdio goes);
// [NewInstance] makes an [Instance] of a module with a config, which runs
// the module's _start ([Instance.Run]) or calls its exports
// ([Instance.Call]):
//
//	engine, _ := wasihost.NewEngine()
//	module, _ := wasihost.NewModuleFromFile(engine, "prog.wasm")
//	cfg, _ := wasihost.NewConfig()
//	cfg.AddArgs("prog", "--fast")
//	cfg.PreopenDirReadOnly("./data", "/data")
//	cfg.SetStdout(os.Stdout)
//	inst, _ := wasihost.NewInstance(module, cfg)
//	err := inst.Run(context.Background()) // nil, an *ExitError, or an *Error (a trap, ...)
//
// Every handle has a Close method, which is idempotent and also runs from a
// finalizer when a handle is dropped without it; after Close, methods
// return [ErrClosed]. Engines, modules and configs may be used from any
// number of goroutines at once; an instance runs one call at a time (its
// methods wait for each other).
//
// Errors from the library are [*Error] values, which work with errors.Is
// and the io/fs errors. A guest's proc_exit ends the guest, never the Go
// program: it is an [*ExitError].
//
// # Limits
//
// NewEngine() makes an engine whose guests run at full speed and cannot be
// stopped from outside. NewEngine([Interruptible]()) makes one whose
// guests stop when the context given to [NewInstanceContext],
// [Instance.Run] or [Instance.Call] is cancelled ([KindInterrupted],
// matching [context.Canceled]) or reaches its deadline ([KindTimeout],
// matching [context.DeadlineExceeded]), or after a [Config.SetTimeout];
// [Fuel]() adds an instruction budget ([Config.SetFuel]). A context that
// can be done, or a timeout, given for a plain engine is an error of kind
// [KindConfig], never ignored. [Config.SetMaxMemory] caps all the guest's
// memories (on any engine):
//
//	engine, _ := wasihost.NewEngine(wasihost.Interruptible())
//	cfg.SetMaxMemory(64 << 20)
//	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
//	defer cancel()
//	inst, err := wasihost.NewInstanceContext(ctx, module, cfg)
//	err = inst.Run(ctx) // errors.Is(err, context.DeadlineExceeded) after 5 s
//
// # The programmable host
//
// [Config.HandleCalls] answers chosen WASI calls with Go, which may run the
// built-in implementation ([Call.Default]) and change its arguments and
// results, or end the guest ([Call.Exit], [Call.Trap]);
// [Config.SetTraceFile] and [Config.SetTraceFunc] trace the calls;
// [Config.SetDeterministic] makes runs reproducible, and
// [Config.SetClock] and [Config.SetRandom] take time and random bytes
// from Go:
//
//	cfg.HandleCalls("path_open", func(c *wasihost.Call) wasihost.Errno {
//		if p, _ := c.Path(); strings.HasSuffix(string(p), ".key") {
//			return wasihost.ErrnoAcces
//		}
//		return c.Default()
//	})
//	cfg.SetTraceFile("trace.jsonl", "fs,clock")
//	cfg.SetDeterministic(42)
//
// A panic in any of them is recovered, and reported after the run as for
// readers and writers ([CallbackPanicError]).
//
// # Linking
//
// The package compiles against its own copy of the C header (wasihost.h)
// and links the library libwasihost_core chosen by a build tag:
//
//   - no tag: an installed library (make install), through pkg-config
//     (wasihost.pc; PKG_CONFIG_PATH for a prefix of one's own), found at
//     run time through the rpath wasihost.pc gives;
//   - -tags wasihost_static: the installed static library, through
//     wasihost-static.pc: a self-contained binary;
//   - -tags wasihost_ldflags: no flags and no pkg-config: CGO_LDFLAGS names
//     the library;
//   - -tags wasihost_dev: the library built in the checkout
//     (build/lib/release, else build/lib/debug), with an rpath into it;
//   - -tags wasihost_debug: the checkout's build/lib/debug (make
//     lib-debug), as the tests use it.
//
// Without cgo (CGO_ENABLED=0) the package does not compile.
package wasihost

// #include <stdlib.h>
// #include "wasihost.h"
import "C"

import (
	"strconv"
	"unsafe"
)

// Version is the library's version, "MAJOR.MINOR.PATCH".
func Version() string { return C.GoString(C.wasihost_version()) }

// Stream names one of the guest's standard streams.
type Stream uint32

// The guest's standard streams (fds 0, 1 and 2).
const (
	Stdin  Stream = C.WASIHOST_STDIN
	Stdout Stream = C.WASIHOST_STDOUT
	Stderr Stream = C.WASIHOST_STDERR
)

// String is "stdin", "stdout" or "stderr".
func (s Stream) String() string {
	switch s {
	case Stdin:
		return "stdin"
	case Stdout:
		return "stdout"
	case Stderr:
		return "stderr"
	}
	return "stream(" + strconv.FormatUint(uint64(s), 10) + ")"
}

// bytesArg is a (pointer, length) pair for a byte string argument. The
// pointer is to Go memory without pointers, which cgo lets C read during
// the call (the library copies it).
func bytesArg(b []byte) (*C.uint8_t, C.size_t) {
	if len(b) == 0 {
		return nil, 0
	}
	return (*C.uint8_t)(unsafe.Pointer(&b[0])), C.size_t(len(b))
}

// stringArg is bytesArg for a string, without copying it.
func stringArg(s string) (*C.uint8_t, C.size_t) {
	if len(s) == 0 {
		return nil, 0
	}
	return (*C.uint8_t)(unsafe.Pointer(unsafe.StringData(s))), C.size_t(len(s))
}
