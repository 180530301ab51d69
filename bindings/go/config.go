package wasihost

// #include "wasihost_go.h"
import "C"

import (
	"io"
	"io/fs"
	"os"
	"runtime"
	"runtime/cgo"
	"sync"
	"sync/atomic"
	"time"
)

// Config describes what a guest is granted and the limits it runs under.
// A new config grants nothing: no arguments, no environment, no
// directories, stdin at end of file, stdout and stderr discarded, at most
// 1024 open fds; and sets no timeout and no fuel limit, at most 4 GiB in
// all memories and 10 million table elements.
//
// A config is reusable: any number of instances may be made from it, from
// any number of goroutines at once (its setters wait for them). Instances
// keep what they need of it, so it may be closed before them. Readers and
// writers given to a config are shared by all its instances; the package
// calls each of them from one goroutine at a time.
type Config struct {
	mu  sync.RWMutex // held for writing by setters and Close, for reading by NewInstance
	ptr *C.wasihost_config_t
	// What the engine must support, known before instantiating (guarded
	// by mu).
	timeout time.Duration
	fuel    bool
}

// NewConfig creates a config that grants nothing.
func NewConfig() (*Config, error) {
	ptr := C.wasihost_config_new()
	if ptr == nil {
		return nil, errorf(KindPanic, "wasihost_config_new failed")
	}
	c := &Config{ptr: ptr}
	runtime.SetFinalizer(c, (*Config).finalize)
	return c, nil
}

func (c *Config) finalize() { C.wasihost_config_delete(c.ptr) }

// Close frees the config. Instances made from it stay valid (the readers
// and writers they use are released when the last of them is closed).
// Closing twice is a no-op.
func (c *Config) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ptr != nil {
		C.wasihost_config_delete(c.ptr)
		c.ptr = nil
		runtime.SetFinalizer(c, nil)
	}
	return nil
}

// set runs f, which changes the config, with the live config pointer.
func (c *Config) set(f func(*C.wasihost_config_t) *C.wasihost_error_t) error {
	if c == nil {
		return errorf(KindInvalidArgument, "config is nil")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ptr == nil {
		return ErrClosed
	}
	err := takeError(f(c.ptr))
	runtime.KeepAlive(c)
	return err
}

// use runs f, which only reads the config, with the live config pointer.
func (c *Config) use(f func(*C.wasihost_config_t) error) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.ptr == nil {
		return ErrClosed
	}
	err := f(c.ptr)
	runtime.KeepAlive(c)
	return err
}

// liveCallbacks counts the readers and writers the library holds (for the
// tests: each is released exactly once).
var liveCallbacks atomic.Int64

// setCallback registers a reader or writer: f gets a cgo.Handle of state,
// which the library owns from the call on (it releases the handle through
// the finalizer callback, also when the call fails).
func (c *Config) setCallback(state any, f func(*C.wasihost_config_t, C.uintptr_t) *C.wasihost_error_t) error {
	h := cgo.NewHandle(state)
	liveCallbacks.Add(1)
	given := false
	err := c.set(func(p *C.wasihost_config_t) *C.wasihost_error_t {
		given = true
		return f(p, C.uintptr_t(h))
	})
	if !given {
		h.Delete()
		liveCallbacks.Add(-1)
	}
	return err
}

// AddArgs appends arguments to the guest's argv; the first argument of
// all is the program name, argv[0]. An argument with a NUL byte is
// refused.
func (c *Config) AddArgs(args ...string) error {
	for _, a := range args {
		err := c.set(func(p *C.wasihost_config_t) *C.wasihost_error_t {
			ap, an := stringArg(a)
			return C.wasihost_config_push_arg(p, ap, an)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// SetEnv sets the guest environment variable name to value, replacing an
// earlier setting of the same name. The name may not be empty or hold '='
// or NUL, the value may not hold NUL.
func (c *Config) SetEnv(name, value string) error {
	return c.set(func(p *C.wasihost_config_t) *C.wasihost_error_t {
		np, nn := stringArg(name)
		vp, vn := stringArg(value)
		err := C.wasihost_config_set_env(p, np, nn, vp, vn)
		runtime.KeepAlive(name)
		runtime.KeepAlive(value)
		return err
	})
}

// InheritEnv copies the host process's whole environment, as it is now,
// into the guest's; later SetEnv calls override it.
func (c *Config) InheritEnv() error {
	return c.set(func(p *C.wasihost_config_t) *C.wasihost_error_t {
		return C.wasihost_config_inherit_env(p)
	})
}

// InheritEnvVar copies the host environment variable name, as it is now,
// into the guest's; nothing happens if the host does not have it.
//
// The library reads the environment of the C library, which os.Setenv
// also sets (with cgo), so variables set by the Go program are seen.
func (c *Config) InheritEnvVar(name string) error {
	return c.set(func(p *C.wasihost_config_t) *C.wasihost_error_t {
		np, nn := stringArg(name)
		err := C.wasihost_config_inherit_env_var(p, np, nn)
		runtime.KeepAlive(name)
		return err
	})
}

// PreopenDir grants the guest the host directory hostPath, read-write, at
// the guest path guestPath (e.g. "/data"). Preopens get guest fds 3, 4, ...
// in the order they are added. The directory is checked now (a missing one
// gives an error that matches [fs.ErrNotExist]) and opened anew for each
// instance. The guest reaches nothing outside it: "..", absolute paths and
// symlinks that lead out fail with errno perm.
func (c *Config) PreopenDir(hostPath, guestPath string) error {
	return c.preopen(hostPath, guestPath, 0)
}

// PreopenDirReadOnly is [Config.PreopenDir], read-only: every change
// through it fails with errno notcapable.
func (c *Config) PreopenDirReadOnly(hostPath, guestPath string) error {
	return c.preopen(hostPath, guestPath, C.WASIHOST_PREOPEN_READONLY)
}

func (c *Config) preopen(hostPath, guestPath string, flags C.uint32_t) error {
	return c.set(func(p *C.wasihost_config_t) *C.wasihost_error_t {
		hp, hn := stringArg(hostPath)
		gp, gn := stringArg(guestPath)
		err := C.wasihost_config_preopen_dir(p, hp, hn, gp, gn, flags)
		runtime.KeepAlive(hostPath)
		runtime.KeepAlive(guestPath)
		return err
	})
}

// SetMaxOpenFDs sets the most fds the guest may hold open at once, stdio
// and preopens included (default 1024); opening more fails with errno
// mfile.
func (c *Config) SetMaxOpenFDs(n int) error {
	if n < 0 {
		return errorf(KindInvalidArgument, "max open fds %d is negative", n)
	}
	return c.set(func(p *C.wasihost_config_t) *C.wasihost_error_t {
		return C.wasihost_config_set_max_open_fds(p, C.size_t(n))
	})
}

// SetTimeout sets how long each entry into the guest may take (0, the
// default: no limit): instantiation (the module's start function), then
// each [Instance.Run] and each [Instance.Call], each with the whole
// timeout anew. A guest past it ends with an *Error of kind [KindTimeout],
// also while it waits in a host call (a sleep, a read of stdin or of a
// pipe; not a Read of a Go io.Reader given to [Config.SetStdin]). It
// needs an engine made with [Interruptible]: instantiating a module of
// another engine with it fails with an error of kind [KindConfig].
func (c *Config) SetTimeout(d time.Duration) error {
	if d < 0 {
		return errorf(KindInvalidArgument, "timeout %v is negative", d)
	}
	return c.set(func(p *C.wasihost_config_t) *C.wasihost_error_t {
		err := C.wasihost_config_set_timeout_ns(p, C.uint64_t(d))
		if err == nil {
			c.timeout = d
		}
		return err
	})
}

// SetFuel bounds the instructions each instance of the config may run over
// its whole life, in fuel units (about one per wasm instruction); a guest
// that uses them up ends with an *Error of kind [KindFuelExhausted]. It
// needs an engine made with [Fuel]: instantiating a module of another
// engine with it fails with an error of kind [KindConfig]. (There is no
// way back to "no limit" but a new config; math.MaxUint64 is as good.)
func (c *Config) SetFuel(n uint64) error {
	return c.set(func(p *C.wasihost_config_t) *C.wasihost_error_t {
		err := C.wasihost_config_set_fuel(p, C.uint64_t(n))
		if err == nil {
			c.fuel = true
		}
		return err
	})
}

// SetMaxMemory sets the most bytes all the guest's linear memories may
// hold together (default 4 GiB). A memory.grow beyond it returns -1 to the
// guest, as wasm does when memory cannot grow (C's malloc returns NULL;
// [Instance.MemoryLimitReached] tells it happened); a module whose
// memories, as declared, start larger cannot be instantiated: an *Error of
// kind [KindMemoryLimit].
func (c *Config) SetMaxMemory(bytes uint64) error {
	return c.set(func(p *C.wasihost_config_t) *C.wasihost_error_t {
		return C.wasihost_config_set_max_memory(p, C.uint64_t(bytes))
	})
}

// SetMaxTableElements sets the most elements all the guest's tables may
// hold together (default 10 million); a table.grow beyond it returns -1,
// and a module whose tables start larger cannot be instantiated (an *Error
// of kind [KindMemoryLimit]).
func (c *Config) SetMaxTableElements(n uint64) error {
	return c.set(func(p *C.wasihost_config_t) *C.wasihost_error_t {
		return C.wasihost_config_set_max_table_elements(p, C.uint64_t(n))
	})
}

// SetStdin sets what the guest reads on fd 0:
//
//   - nil: end of file (the default);
//   - an *os.File: its fd, duplicated now (the file may be closed
//     afterwards); all instances share the duplicate's file position. Its
//     Fd method puts the file in blocking mode. The library waits on the
//     fd itself, so a guest waiting for input (from a pipe, a terminal)
//     is stopped at once by a cancelled context, a timeout or
//     [Instance.Interrupt];
//   - any other io.Reader: read as the guest reads, by instances of this
//     config one at a time. A Read that returns an error other than io.EOF,
//     or panics, fails the guest's read with errno io (a panic is also
//     reported by the call that ran the guest: see [CallbackPanicError]).
//     A Read cannot be interrupted: a guest waiting in one is stopped
//     (by a context, a timeout, an interrupt) only once the Read returns.
//     To keep such waits interruptible, give the *os.File itself (an
//     os.Pipe's reader, not a wrapper around it).
func (c *Config) SetStdin(r io.Reader) error {
	switch r := r.(type) {
	case nil:
		return c.set(func(p *C.wasihost_config_t) *C.wasihost_error_t {
			return C.wasihost_config_stdin_null(p)
		})
	case *os.File:
		fd, err := fileFd(r, Stdin)
		if err != nil {
			return err
		}
		return c.set(func(p *C.wasihost_config_t) *C.wasihost_error_t {
			err := C.wasihost_config_stdin_fd(p, fd)
			runtime.KeepAlive(r)
			return err
		})
	default:
		return c.setCallback(&readerState{r: r}, func(p *C.wasihost_config_t, h C.uintptr_t) *C.wasihost_error_t {
			return C.wasihost_go_stdin_reader(p, h)
		})
	}
}

// fileFd is the fd of f, for the library to duplicate; an error that
// matches [fs.ErrClosed] for a closed (or nil) file.
func fileFd(f *os.File, s Stream) (C.int32_t, error) {
	fd := f.Fd() // also puts the file in blocking mode
	if fd == ^uintptr(0) {
		return 0, &Error{Kind: KindInvalidArgument, Message: s.String() + ": the *os.File is closed", causes: []error{fs.ErrClosed}}
	}
	return C.int32_t(fd), nil
}

// SetStdinBytes makes the guest read b (copied now), then end of file;
// every instance reads it from the start.
func (c *Config) SetStdinBytes(b []byte) error {
	return c.set(func(p *C.wasihost_config_t) *C.wasihost_error_t {
		bp, bn := bytesArg(b)
		err := C.wasihost_config_stdin_bytes(p, bp, bn)
		runtime.KeepAlive(b)
		return err
	})
}

// SetStdinFile makes the guest read the host file at path, opened for each
// instance (a missing file fails NewInstance with an error that matches
// [fs.ErrNotExist]).
func (c *Config) SetStdinFile(path string) error {
	return c.set(func(p *C.wasihost_config_t) *C.wasihost_error_t {
		pp, pn := stringArg(path)
		err := C.wasihost_config_stdin_file(p, pp, pn)
		runtime.KeepAlive(path)
		return err
	})
}

// InheritStdin makes the guest read the host process's own stdin.
func (c *Config) InheritStdin() error {
	return c.set(func(p *C.wasihost_config_t) *C.wasihost_error_t {
		return C.wasihost_config_stdin_inherit(p)
	})
}

// SetStdout is SetOutput(Stdout, w).
func (c *Config) SetStdout(w io.Writer) error { return c.SetOutput(Stdout, w) }

// SetStderr is SetOutput(Stderr, w).
func (c *Config) SetStderr(w io.Writer) error { return c.SetOutput(Stderr, w) }

// SetOutput sets where the guest's stream s ([Stdout] or [Stderr]) goes:
//
//   - nil: discarded (the default); the guest's writes succeed;
//   - an *os.File: its fd, duplicated now (the file may be closed
//     afterwards). Its Fd method puts the file in blocking mode;
//   - any other io.Writer: called once per buffer the guest writes, in
//     order, by instances of this config one at a time. The buffer is valid
//     only during the call (as the io.Writer contract says). A Write that
//     returns an error or writes less, or panics, fails the guest's write
//     with errno io and the run goes on (a panic is also reported by the
//     call that ran the guest: see [CallbackPanicError]).
func (c *Config) SetOutput(s Stream, w io.Writer) error {
	switch w := w.(type) {
	case nil:
		return c.set(func(p *C.wasihost_config_t) *C.wasihost_error_t {
			return C.wasihost_config_output_null(p, C.wasihost_stream_t(s))
		})
	case *os.File:
		fd, err := fileFd(w, s)
		if err != nil {
			return err
		}
		return c.set(func(p *C.wasihost_config_t) *C.wasihost_error_t {
			err := C.wasihost_config_output_fd(p, C.wasihost_stream_t(s), fd)
			runtime.KeepAlive(w)
			return err
		})
	default:
		return c.setCallback(&writerState{stream: s, w: w}, func(p *C.wasihost_config_t, h C.uintptr_t) *C.wasihost_error_t {
			return C.wasihost_go_output_writer(p, C.wasihost_stream_t(s), h)
		})
	}
}

// SetOutputFile sends the guest's stream s to the host file at path,
// created (mode 0666 minus the umask) or truncated for each instance.
func (c *Config) SetOutputFile(s Stream, path string) error {
	return c.outputFile(s, path, 0)
}

// AppendOutputFile is [Config.SetOutputFile], appending to the file
// instead of truncating it.
func (c *Config) AppendOutputFile(s Stream, path string) error {
	return c.outputFile(s, path, C.WASIHOST_OUTPUT_APPEND)
}

func (c *Config) outputFile(s Stream, path string, flags C.uint32_t) error {
	return c.set(func(p *C.wasihost_config_t) *C.wasihost_error_t {
		pp, pn := stringArg(path)
		err := C.wasihost_config_output_file(p, C.wasihost_stream_t(s), pp, pn, flags)
		runtime.KeepAlive(path)
		return err
	})
}

// InheritOutput sends the guest's stream s to the host process's own
// stdout or stderr (fd 1 or 2, not the os.Stdout variable), unbuffered.
func (c *Config) InheritOutput(s Stream) error {
	return c.set(func(p *C.wasihost_config_t) *C.wasihost_error_t {
		return C.wasihost_config_output_inherit(p, C.wasihost_stream_t(s))
	})
}

// CaptureOutput keeps the guest's stream s in memory, up to limit bytes per
// instance; read it with [Instance.Capture]. Writes past the limit still
// succeed for the guest, and the capture reports that it was truncated.
func (c *Config) CaptureOutput(s Stream, limit int) error {
	if limit < 0 {
		return errorf(KindInvalidArgument, "capture limit %d is negative", limit)
	}
	return c.set(func(p *C.wasihost_config_t) *C.wasihost_error_t {
		return C.wasihost_config_output_capture(p, C.wasihost_stream_t(s), C.size_t(limit))
	})
}
