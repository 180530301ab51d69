package wasihost_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"wasihost.dev/wasihost"
)

// hooksWAT makes single WASI calls and returns their errno and result, so
// that the tests see exactly what the guest got.
const hooksWAT = `(module
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 256) "hello, world\n")
  ;; now(id) -> (errno, time); the time's slot at 8 holds -1 before the call
  (func (export "now") (param $id i32) (result i32 i64)
    (i64.store (i32.const 8) (i64.const -1))
    (call $clock (local.get $id) (i64.const 1) (i32.const 8))
    (i64.load (i32.const 8)))
  ;; rand(n) -> (errno, the first 8 of n random bytes at 16, zeroed before)
  (func (export "rand") (param $n i32) (result i32 i64)
    (i64.store (i32.const 16) (i64.const 0))
    (call $random (i32.const 16) (local.get $n))
    (i64.load (i32.const 16)))
  ;; write() -> (errno, nwritten): "hello, " and "world\n", two iovecs, to
  ;; fd 1; nwritten's slot at 32 holds -1 before the call
  (func (export "write") (result i32 i32)
    (i32.store (i32.const 40) (i32.const 256)) (i32.store (i32.const 44) (i32.const 7))
    (i32.store (i32.const 48) (i32.const 263)) (i32.store (i32.const 52) (i32.const 6))
    (i32.store (i32.const 32) (i32.const -1))
    (call $write (i32.const 1) (i32.const 40) (i32.const 2) (i32.const 32))
    (i32.load (i32.const 32)))
  ;; read() -> (errno, nread): up to 16 bytes of fd 0 at 512
  (func (export "read") (result i32 i32)
    (i32.store (i32.const 40) (i32.const 512)) (i32.store (i32.const 44) (i32.const 16))
    (i32.store (i32.const 32) (i32.const -1))
    (call $read (i32.const 0) (i32.const 40) (i32.const 1) (i32.const 32))
    (i32.load (i32.const 32)))
  (func (export "load64") (param i32) (result i64) (i64.load (local.get 0)))
  (func (export "exit") (param i32) (call $exit (local.get 0)))
  (func (export "_start")))`

var (
	hooksModOnce sync.Once
	hooksMod     *wasihost.Module
)

// hooksInstance is an instance of hooksWAT with cfg, closed when the test
// ends.
func hooksInstance(t *testing.T, cfg *wasihost.Config) *wasihost.Instance {
	t.Helper()
	inst, err := wasihost.NewInstance(hooksMod0(), cfg)
	if err != nil {
		t.Fatalf("NewInstance: %v", err)
	}
	t.Cleanup(func() { inst.Close() })
	return inst
}

// call2 calls an export of hooksWAT that returns (errno, value).
func call2(t *testing.T, inst *wasihost.Instance, name string, args ...wasihost.Value) (wasihost.Errno, int64, error) {
	t.Helper()
	res, err := inst.Call(context.Background(), name, args...)
	if err != nil {
		return 0, 0, err
	}
	v := res[1].I64()
	if res[1].Kind() == wasihost.ValI32 {
		v = int64(res[1].I32())
	}
	return wasihost.Errno(res[0].I32()), v, nil
}

// mustCall2 is call2 that fails the test on an error.
func mustCall2(t *testing.T, inst *wasihost.Instance, name string, args ...wasihost.Value) (wasihost.Errno, int64) {
	t.Helper()
	e, v, err := call2(t, inst, name, args...)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return e, v
}

// demoDir is a directory with a.txt (6 bytes) and secret.key (7 bytes).
func demoDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "a.txt"), []byte("hello\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "secret.key"), []byte("hunter2"), 0o644))
	return dir
}

// runDemo runs hostdemo with args, dir preopened at /d (when not ""),
// after configure.
func runDemo(t *testing.T, dir string, configure func(*wasihost.Config), args ...string) result {
	t.Helper()
	return runGuest(t, "hostdemo", func(cfg *wasihost.Config) {
		if dir != "" {
			must(t, cfg.PreopenDir(dir, "/d"))
		}
		if configure != nil {
			configure(cfg)
		}
	}, args...)
}

// TestHandlerPolicy: a handler denies some path_open calls and lets the
// built-in implementation answer the others.
func TestHandlerPolicy(t *testing.T) {
	dir := demoDir(t)
	var seen []string
	var mu sync.Mutex
	r := runDemo(t, dir, func(cfg *wasihost.Config) {
		must(t, cfg.HandleCalls("path_open", func(c *wasihost.Call) wasihost.Errno {
			path, e := c.Path()
			if e != wasihost.ErrnoSuccess {
				return e
			}
			mu.Lock()
			seen = append(seen, c.Name()+" "+string(path))
			mu.Unlock()
			if strings.HasSuffix(string(path), ".key") {
				return wasihost.ErrnoAcces
			}
			return c.Default()
		}))
	}, "open", "/d/a.txt", "/d/secret.key", "/d/missing")
	if r.err != nil {
		t.Fatal(r.err)
	}
	want := "/d/a.txt: 6 bytes\n/d/secret.key: error Permission denied\n/d/missing: error No such file or directory\n"
	if r.stdout != want {
		t.Fatalf("stdout %q, want %q", r.stdout, want)
	}
	if got := strings.Join(seen, ","); got != "path_open a.txt,path_open secret.key,path_open missing" {
		t.Fatalf("the handler saw %q", got)
	}
}

// TestCallArgs: names, kinds, values and bytes of the arguments, by index
// and by name; results before and after the default.
func TestCallArgs(t *testing.T) {
	dir := demoDir(t)
	type seen struct {
		name                string
		args, kinds         []string
		fd                  uint64
		fdOK                bool
		path                string
		pathLen             uint64
		bytesNotPath        wasihost.Errno
		resultBefore        uint64
		results             []string
		openedFD, openedIdx uint64
		errno               wasihost.Errno
		badIndex            bool
	}
	var s seen
	r := runDemo(t, dir, func(cfg *wasihost.Config) {
		must(t, cfg.HandleCalls("path_open", func(c *wasihost.Call) wasihost.Errno {
			s.name = c.Name()
			for i := range c.NumArgs() {
				s.args = append(s.args, c.ArgName(i))
				s.kinds = append(s.kinds, c.ArgKind(i).String())
			}
			s.fd, s.fdOK = c.NamedArg("fd")
			i := c.ArgIndex("path")
			b, e := c.Bytes(i)
			if e != wasihost.ErrnoSuccess {
				t.Errorf("Bytes(path): %v", e)
			}
			s.path = string(b)
			s.pathLen = c.Arg(i + 1)
			_, s.bytesNotPath = c.Bytes(0)
			s.resultBefore = c.Result(0)
			for i := range c.NumResults() {
				s.results = append(s.results, c.ResultName(i))
			}
			s.badIndex = c.ArgIndex("nope") == -1 && c.ArgName(99) == "" && c.Arg(99) == 0 && c.Arg(-1) == 0 &&
				!c.SetArg(99, 1) && c.ResultName(5) == "" && c.ResultBytes(5) == nil && c.ResultIndex("x") == -1
			s.errno = c.Default()
			s.openedFD, _ = c.NamedResult("opened_fd")
			s.openedIdx = c.Result(c.ResultIndex("opened_fd"))
			return s.errno
		}))
	}, "open", "/d/a.txt")
	if r.err != nil || r.stdout != "/d/a.txt: 6 bytes\n" {
		t.Fatalf("%+v", r)
	}
	wantArgs := "fd,dirflags,path,path_len,oflags,fs_rights_base,fs_rights_inherting,fdflags" // sic, as the witx spells it
	if s.name != "path_open" || strings.Join(s.args, ",") != wantArgs {
		t.Errorf("name %q, args %q", s.name, s.args)
	}
	if got := strings.Join(s.kinds, ","); got != "fd,flags,path,len,flags,flags,flags,flags" {
		t.Errorf("kinds %q", got)
	}
	if s.fd != 3 || !s.fdOK || s.path != "a.txt" || s.pathLen != 5 || s.bytesNotPath != wasihost.ErrnoInval {
		t.Errorf("fd %d %v, path %q (%d), Bytes(0) %v", s.fd, s.fdOK, s.path, s.pathLen, s.bytesNotPath)
	}
	if s.resultBefore != 0 || strings.Join(s.results, ",") != "opened_fd" || s.errno != 0 || s.openedFD < 4 || s.openedIdx != s.openedFD {
		t.Errorf("results %q: before %d, after %d/%d, errno %v", s.results, s.resultBefore, s.openedFD, s.openedIdx, s.errno)
	}
	if !s.badIndex {
		t.Error("an index or name past the last gave something")
	}
}

// TestHandlerResults: results set by a handler reach the guest on success
// only; SetArg changes what the default does.
func TestHandlerResults(t *testing.T) {
	cfg := newConfig(t)
	var mode atomic.Int32
	must(t, cfg.HandleCalls("clock_time_get", func(c *wasihost.Call) wasihost.Errno {
		switch mode.Load() {
		case 0: // a result, and success
			if !c.SetResult(0, 1234) {
				t.Error("SetResult(0) refused")
			}
			return wasihost.ErrnoSuccess
		case 1: // a result, and an errno: not written
			c.SetNamedResult("time", 1234)
			return wasihost.ErrnoNotsup
		case 2: // the default for another clock
			if !c.SetNamedArg("id", uint64(wasihost.ClockRealtime)) {
				t.Error("SetNamedArg(id) refused")
			}
			return c.Default()
		default: // the default, then a changed result
			if e := c.Default(); e != wasihost.ErrnoSuccess {
				return e
			}
			c.SetResult(0, c.Result(0)+1)
			return wasihost.ErrnoSuccess
		}
	}))
	inst := hooksInstance(t, cfg)
	mono := wasihost.I32(int32(wasihost.ClockMonotonic))
	if e, v := mustCall2(t, inst, "now", mono); e != 0 || v != 1234 {
		t.Errorf("set result: errno %v, time %d", e, v)
	}
	mode.Store(1)
	if e, v := mustCall2(t, inst, "now", mono); e != wasihost.ErrnoNotsup || v != -1 {
		t.Errorf("an errno: errno %v, time %d (want the slot untouched, -1)", e, v)
	}
	mode.Store(2)
	if e, v := mustCall2(t, inst, "now", mono); e != 0 || v < 1.6e18 {
		t.Errorf("realtime for monotonic: errno %v, time %d", e, v)
	}
	mode.Store(3)
	if e, v := mustCall2(t, inst, "now", mono); e != 0 || v <= 0 {
		t.Errorf("default + 1: errno %v, time %d", e, v)
	}
}

// TestHandlerBuffers: a handler reads the iovecs of fd_write, fills those
// of fd_read and the buffer of random_get, and writes guest memory.
func TestHandlerBuffers(t *testing.T) {
	cfg := newConfig(t)
	var written bytes.Buffer
	must(t, cfg.HandleCalls("fd_write,fd_read,random_get", func(c *wasihost.Call) wasihost.Errno {
		switch c.Name() {
		case "fd_write":
			bufs, e := c.Iovecs(c.ArgIndex("iovs"))
			if e != 0 {
				return e
			}
			n := 0
			for _, b := range bufs {
				written.Write(b)
				n += len(b)
			}
			if _, e := c.Iovec(1, 2); e != wasihost.ErrnoInval {
				t.Errorf("Iovec past the count: %v", e)
			}
			if _, e := c.Iovecs(0); e != wasihost.ErrnoInval {
				t.Errorf("Iovecs of an fd: %v", e)
			}
			c.SetNamedResult("nwritten", uint64(n))
			return 0
		case "fd_read":
			b, e := c.Iovec(1, 0)
			if e != 0 {
				return e
			}
			n := copy(b, "from Go")
			c.SetResult(0, uint64(n))
			return 0
		default: // random_get: its buffer, and memory
			b, e := c.Bytes(0)
			if e != 0 {
				return e
			}
			for i := range b {
				b[i] = 0xab
			}
			mem := c.Memory()
			if len(mem) != 65536 {
				t.Errorf("memory: %d bytes", len(mem))
			}
			copy(mem[1024:], "via Memory")
			return 0
		}
	}))
	inst := hooksInstance(t, cfg)
	if e, n := mustCall2(t, inst, "write"); e != 0 || n != 13 || written.String() != "hello, world\n" {
		t.Errorf("write: errno %v, nwritten %d, %q", e, n, written.String())
	}
	if e, n := mustCall2(t, inst, "read"); e != 0 || n != 7 {
		t.Errorf("read: errno %v, nread %d", e, n)
	}
	if got := loadString(t, inst, 512, 7); got != "from Go" {
		t.Errorf("read filled %q", got)
	}
	if e, v := mustCall2(t, inst, "rand", wasihost.I32(4)); e != 0 || uint64(v) != 0xabababab {
		t.Errorf("rand: errno %v, %#x", e, v)
	}
	if got := loadString(t, inst, 1024, 10); got != "via Memory" {
		t.Errorf("memory %q", got)
	}
}

// loadString reads n (<= 16) bytes of the instance's memory at off.
func loadString(t *testing.T, inst *wasihost.Instance, off, n int) string {
	t.Helper()
	var b []byte
	for k := 0; k < n; k += 8 {
		res, err := inst.Call(context.Background(), "load64", wasihost.I32(int32(off+k)))
		if err != nil {
			t.Fatal(err)
		}
		v := uint64(res[0].I64())
		for j := 0; j < 8; j++ {
			b = append(b, byte(v>>(8*j)))
		}
	}
	return string(b[:n])
}

// TestHandlerExitAndTrap: a handler ends the guest with an exit code or a
// trap; a value that is no errno traps it.
func TestHandlerExitAndTrap(t *testing.T) {
	cfg := newConfig(t)
	var verdict atomic.Int32
	must(t, cfg.HandleCalls("clock", func(c *wasihost.Call) wasihost.Errno {
		switch verdict.Load() {
		case 0:
			return c.Exit(7)
		case 1:
			return c.Trap("no clocks here")
		default:
			return wasihost.Errno(200)
		}
	}))
	mono := wasihost.I32(1)
	_, _, err := call2(t, hooksInstance(t, cfg), "now", mono)
	var exit *wasihost.ExitError
	if !errors.As(err, &exit) || exit.Code != 7 {
		t.Fatalf("exit: %v", err)
	}
	verdict.Store(1)
	_, _, err = call2(t, hooksInstance(t, cfg), "now", mono)
	var e *wasihost.Error
	if !errors.As(err, &e) || e.Kind != wasihost.KindTrap || e.Trap != wasihost.TrapHandler || !strings.Contains(e.Message, "no clocks here") {
		t.Fatalf("trap: %v", err)
	}
	verdict.Store(2)
	_, _, err = call2(t, hooksInstance(t, cfg), "now", mono)
	if !errors.As(err, &e) || e.Kind != wasihost.KindTrap || e.Trap != wasihost.TrapHandler || !strings.Contains(e.Message, "200") {
		t.Fatalf("errno 200: %v", err)
	}
	// Run: an exit with code 0 is no error, another an *ExitError.
	verdict.Store(0)
	r := runDemo(t, t.TempDir(), func(cfg *wasihost.Config) {
		must(t, cfg.HandleCalls("clock_time_get", func(c *wasihost.Call) wasihost.Errno { return c.Exit(0) }))
	}, "time", "/d")
	if r.err != nil || r.stdout != "" {
		t.Fatalf("exit 0: %+v", r)
	}
}

// TestHandlerPanic: a panic traps the guest, or gives it the errno of
// OnPanic; either way the call that ran the guest reports it.
func TestHandlerPanic(t *testing.T) {
	cfg := newConfig(t)
	must(t, cfg.HandleCalls("clock_time_get", func(c *wasihost.Call) wasihost.Errno { panic("handler bug") }))
	_, _, err := call2(t, hooksInstance(t, cfg), "now", wasihost.I32(1))
	var pe *wasihost.CallbackPanicError
	var e *wasihost.Error
	if !errors.As(err, &pe) || pe.Callback != "handler of clock_time_get" || pe.Value != "handler bug" || len(pe.Stack) == 0 {
		t.Fatalf("err = %v, want a CallbackPanicError", err)
	}
	if !errors.As(err, &e) || e.Kind != wasihost.KindTrap || e.Trap != wasihost.TrapHandler || !strings.Contains(e.Message, "handler bug") {
		t.Fatalf("err = %v, want a trap too", err)
	}
	if !strings.Contains(pe.Error(), "panic in the handler of clock_time_get: handler bug") {
		t.Errorf("message %q", pe.Error())
	}

	// OnPanic: the guest gets the errno and goes on; each call reports
	// its own panic.
	cfg2 := newConfig(t)
	var n atomic.Int32
	must(t, cfg2.HandleCalls("clock_time_get", func(c *wasihost.Call) wasihost.Errno {
		if n.Add(1) == 1 {
			panic(fs.ErrClosed)
		}
		return c.Default()
	}, wasihost.OnPanic(wasihost.ErrnoIO)))
	inst := hooksInstance(t, cfg2)
	res, err := inst.Call(context.Background(), "now", wasihost.I32(1))
	if !errors.As(err, &pe) || !errors.Is(err, fs.ErrClosed) || errors.As(err, &e) || res != nil {
		t.Fatalf("OnPanic: %v, %v", res, err)
	}
	// The errno the guest got is not seen through Call's error: ask again
	// with a guest that keeps it.
	if e, v := mustCall2(t, inst, "now", wasihost.I32(1)); e != 0 || v < 0 {
		t.Fatalf("after the panic: errno %v, %d", e, v)
	}
	n.Store(0)
	r := runDemo(t, t.TempDir(), func(cfg *wasihost.Config) {
		must(t, cfg.SetDeterministic(0)) // no real sleep
		must(t, cfg.HandleCalls("random_get", func(c *wasihost.Call) wasihost.Errno { panic("rng") }, wasihost.OnPanic(wasihost.ErrnoNosys)))
	}, "time", "/d")
	if !errors.As(r.err, &pe) || errors.As(r.err, &e) || !strings.Contains(r.stdout, "random: error Function not implemented\n") {
		t.Fatalf("OnPanic(nosys) in Run: %+v", r)
	}
	for _, bad := range []wasihost.Errno{wasihost.ErrnoSuccess, 77} {
		err := cfg.HandleCalls("clock", func(*wasihost.Call) wasihost.Errno { return 0 }, wasihost.OnPanic(bad))
		if !errors.Is(err, wasihost.KindInvalidArgument) {
			t.Errorf("OnPanic(%d): %v", bad, err)
		}
	}
}

// TestHandleCallsSets: names and groups, replacing part of a handler's
// calls, removing a handler, and the errors for bad lists.
func TestHandleCallsSets(t *testing.T) {
	cfg := newConfig(t)
	tag := func(v uint64) wasihost.CallHandler {
		return func(c *wasihost.Call) wasihost.Errno {
			if c.Name() == "random_get" {
				b, _ := c.Bytes(0)
				for i := range b {
					b[i] = byte(v)
				}
				return 0
			}
			c.SetResult(0, v)
			return 0
		}
	}
	must(t, cfg.HandleCalls(" clock , random ", tag(1)))
	must(t, cfg.HandleCalls("random_get", tag(2)))
	inst := hooksInstance(t, cfg)
	if _, v := mustCall2(t, inst, "now", wasihost.I32(1)); v != 1 {
		t.Errorf("clock: %d, want the first handler's 1", v)
	}
	if _, v := mustCall2(t, inst, "rand", wasihost.I32(1)); v != 2 {
		t.Errorf("random: %d, want the second handler's 2", v)
	}
	// Removing the handler of the clock calls: instances made afterwards
	// get the built-in clock; the instance made before keeps its handler.
	must(t, cfg.HandleCalls("clock", nil))
	if _, v := mustCall2(t, hooksInstance(t, cfg), "now", wasihost.I32(1)); v == 1 {
		t.Errorf("clock after removal: %d", v)
	}
	if _, v := mustCall2(t, hooksInstance(t, cfg), "rand", wasihost.I32(1)); v != 2 {
		t.Errorf("random after removing the clock's handler: %d", v)
	}
	if _, v := mustCall2(t, inst, "now", wasihost.I32(1)); v != 1 {
		t.Errorf("the earlier instance: %d", v)
	}
	must(t, cfg.HandleCalls("all", nil))
	if _, v := mustCall2(t, hooksInstance(t, cfg), "rand", wasihost.I32(8)); v == 0x0202020202020202 {
		t.Error("random_get still handled after removing all")
	}
	for _, bad := range []string{"", ",", "nope", "fs,path_opn"} {
		err := cfg.HandleCalls(bad, tag(3))
		var e *wasihost.Error
		if !errors.As(err, &e) || e.Kind != wasihost.KindInvalidArgument || !strings.Contains(e.Message, "calls: ") {
			t.Errorf("HandleCalls(%q): %v", bad, err)
		}
		if bad == "fs,path_opn" && !strings.Contains(e.Message, "path_opn") {
			t.Errorf("the message does not name the word: %q", e.Message)
		}
	}
	closed, _ := wasihost.NewConfig()
	closed.Close()
	if err := closed.HandleCalls("all", tag(1)); !errors.Is(err, wasihost.ErrClosed) {
		t.Errorf("on a closed config: %v", err)
	}
}

// TestHandlerShared: one handler serves many instances of a config running
// at once; each run's panics go to that run.
func TestHandlerShared(t *testing.T) {
	cfg := newConfig(t)
	var calls atomic.Int64
	must(t, cfg.HandleCalls("clock_time_get", func(c *wasihost.Call) wasihost.Errno {
		calls.Add(1)
		if c.Arg(0) == uint64(wasihost.ClockProcessCPUTime) {
			panic("cpu")
		}
		return c.Default()
	}, wasihost.OnPanic(wasihost.ErrnoNotsup)))
	const workers, rounds = 8, 20
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			inst, err := wasihost.NewInstance(hooksMod0(), cfg)
			if err != nil {
				errs <- err
				return
			}
			defer inst.Close()
			for k := range rounds {
				id := int32(wasihost.ClockMonotonic)
				panics := w%2 == 0 && k == 3
				if panics {
					id = int32(wasihost.ClockProcessCPUTime)
				}
				res, err := inst.Call(context.Background(), "now", wasihost.I32(id))
				var pe *wasihost.CallbackPanicError
				if panics != errors.As(err, &pe) || (!panics && (err != nil || res[0].I32() != 0)) {
					errs <- fmt.Errorf("worker %d round %d: %v, %v", w, k, res, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if calls.Load() != workers*rounds {
		t.Errorf("%d calls, want %d", calls.Load(), workers*rounds)
	}
}

// hooksMod0 is the hooksWAT module (compiled once).
func hooksMod0() *wasihost.Module {
	hooksModOnce.Do(func() {
		var err error
		if hooksMod, err = wasihost.NewModuleFromWAT(engine, hooksWAT); err != nil {
			panic(err)
		}
	})
	return hooksMod
}

// TestCallKept: a *Call kept after its handler returned reads as empty and
// changes nothing.
func TestCallKept(t *testing.T) {
	cfg := newConfig(t)
	var kept *wasihost.Call
	must(t, cfg.HandleCalls("clock_time_get", func(c *wasihost.Call) wasihost.Errno {
		kept = c
		return c.Default()
	}))
	mustCall2(t, hooksInstance(t, cfg), "now", wasihost.I32(1))
	if kept == nil {
		t.Fatal("the handler did not run")
	}
	_, be := kept.Bytes(0)
	if kept.Name() != "" || kept.NumArgs() != 0 || kept.Memory() != nil || kept.Default() != wasihost.ErrnoNosys ||
		kept.SetArg(0, 1) || kept.SetResult(0, 1) || be != wasihost.ErrnoInval || kept.ResultBytes(0) != nil {
		t.Fatal("a kept Call still reaches the call")
	}
}

// TestProcExitHandler: the default proc_exit, run by a handler, ends the
// guest when the handler returns.
func TestProcExitHandler(t *testing.T) {
	cfg := newConfig(t)
	var after atomic.Bool
	must(t, cfg.HandleCalls("proc", func(c *wasihost.Call) wasihost.Errno {
		e := c.Default()
		after.Store(true)
		return e
	}))
	_, err := hooksInstance(t, cfg).Call(context.Background(), "exit", wasihost.I32(42))
	var exit *wasihost.ExitError
	if !errors.As(err, &exit) || exit.Code != 42 || !after.Load() {
		t.Fatalf("%v (handler went on: %v)", err, after.Load())
	}
}

// TestTraceFunc: the structured events (arguments, errno, results,
// exits, traps) and their JSON, with a filter.
func TestTraceFunc(t *testing.T) {
	cfg := newConfig(t)
	var mu sync.Mutex
	var events []*wasihost.TraceEvent
	must(t, cfg.SetTraceFunc(func(ev *wasihost.TraceEvent) {
		mu.Lock()
		events = append(events, ev)
		mu.Unlock()
	}, "clock, proc_exit,random_get"))
	must(t, cfg.HandleCalls("random_get", func(c *wasihost.Call) wasihost.Errno {
		if c.Arg(1) == 3 {
			return c.Trap("three")
		}
		return wasihost.ErrnoNosys
	}))
	inst := hooksInstance(t, cfg)
	mustCall2(t, inst, "now", wasihost.I32(1))
	mustCall2(t, inst, "now", wasihost.I32(9)) // no such clock
	mustCall2(t, inst, "write")                // not traced
	mustCall2(t, inst, "rand", wasihost.I32(4))
	if _, _, err := call2(t, inst, "rand", wasihost.I32(3)); !errors.Is(err, wasihost.KindTrap) {
		t.Fatalf("rand(3): %v", err)
	}
	inst2 := hooksInstance(t, cfg)
	if _, err := inst2.Call(context.Background(), "exit", wasihost.I32(5)); err == nil {
		t.Fatal("exit: no error")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(events) != 5 {
		for _, ev := range events {
			t.Log(ev.JSON)
		}
		t.Fatalf("%d events, want 5", len(events))
	}
	for _, ev := range events {
		var m map[string]any
		if err := json.Unmarshal([]byte(ev.JSON), &m); err != nil || m["call"] != ev.Call || m["instance"] != float64(ev.Instance) {
			t.Errorf("JSON %q: %v", ev.JSON, err)
		}
		if ev.Duration < 0 {
			t.Errorf("%s: duration %v", ev.Call, ev.Duration)
		}
	}
	now := events[0]
	if now.Call != "clock_time_get" || now.Instance == 0 || now.Errno != 0 || now.Exited || now.Trapped ||
		len(now.Args) != 2 || now.Args[0].Name != "id" || now.Args[0].Kind != wasihost.ArgEnum || now.Args[0].Value != 1 || now.Args[0].Bytes != nil ||
		now.Args[1].Name != "precision" || len(now.Results) != 1 || now.Results[0].Name != "time" ||
		now.Results[0].Value == 0 || len(now.Results[0].Bytes) != 8 {
		t.Errorf("clock_time_get: %+v", now)
	}
	if bad := events[1]; bad.Errno != wasihost.ErrnoInval || bad.Results != nil || !strings.Contains(bad.JSON, `"errno":"inval"`) {
		t.Errorf("a bad clock: %+v", bad)
	}
	if r := events[2]; r.Call != "random_get" || r.Errno != wasihost.ErrnoNosys || r.Args[0].Kind != wasihost.ArgBuf || r.Args[1].Value != 4 {
		t.Errorf("random_get: %+v", r)
	}
	if tr := events[3]; !tr.Trapped || tr.TrapMessage != "three" || !strings.Contains(tr.JSON, `"trap":"three"`) {
		t.Errorf("trap: %+v", tr)
	}
	if ex := events[4]; ex.Call != "proc_exit" || !ex.Exited || ex.ExitCode != 5 || ex.Instance == now.Instance {
		t.Errorf("exit: %+v (first instance %d)", ex, now.Instance)
	}
}

// TestTracePaths: the path of a traced call, as bytes and as text.
func TestTracePaths(t *testing.T) {
	dir := demoDir(t)
	var paths []string
	var jsons []string
	r := runDemo(t, dir, func(cfg *wasihost.Config) {
		must(t, cfg.SetTraceFunc(func(ev *wasihost.TraceEvent) {
			for _, a := range ev.Args {
				if a.Kind == wasihost.ArgPath {
					paths = append(paths, a.Name+"="+string(a.Bytes)+":"+ev.Errno.String())
				}
			}
			jsons = append(jsons, ev.JSON)
		}, "path"))
	}, "open", "/d/a.txt", "/d/nope")
	if r.err != nil {
		t.Fatal(r.err)
	}
	if got := strings.Join(paths, ","); got != "path=a.txt:success,path=nope:noent" {
		t.Fatalf("paths %q", got)
	}
	if !strings.Contains(jsons[0], `"path":"a.txt"`) || !strings.Contains(jsons[0], `"results":{"opened_fd":`) {
		t.Fatalf("JSON %q", jsons[0])
	}
}

// TestTraceFile: one JSON line per call, filtered; the lines of an
// instance are in the file once it is closed.
func TestTraceFile(t *testing.T) {
	dir := demoDir(t)
	trace := filepath.Join(t.TempDir(), "trace.jsonl")
	cfg := newConfig(t, "hostdemo", "open", "/d/a.txt", "/d/nope")
	must(t, cfg.PreopenDir(dir, "/d"))
	must(t, cfg.SetTraceFile(trace, "path_open,fd_close"))
	r := runWith(t, guestModule(t, "hostdemo"), cfg, true)
	if r.err != nil {
		t.Fatal(r.err)
	}
	b, err := os.ReadFile(trace)
	must(t, err)
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	var calls []string
	for _, l := range lines {
		var rec struct {
			Instance uint64
			Call     string
			Args     map[string]any
			Errno    string
		}
		if err := json.Unmarshal([]byte(l), &rec); err != nil || rec.Instance == 0 {
			t.Fatalf("line %q: %v", l, err)
		}
		calls = append(calls, fmt.Sprint(rec.Call, " ", rec.Args["path"], " ", rec.Errno))
	}
	if got := strings.Join(calls, ","); got != "path_open a.txt success,fd_close <nil> success,path_open nope noent" {
		t.Fatalf("calls %q", got)
	}
	// Errors: a bad filter, a file that cannot be created.
	for _, c := range []struct{ path, filter, want string }{
		{trace, "bogus", "filter: unknown call or group `bogus`"},
		{trace, ",", "filter: "},
		{filepath.Join(t.TempDir(), "no", "such", "dir"), "", "trace file"},
	} {
		err := cfg.SetTraceFile(c.path, c.filter)
		var e *wasihost.Error
		if !errors.As(err, &e) || !strings.Contains(e.Message, c.want) {
			t.Errorf("SetTraceFile(%q, %q): %v", c.path, c.filter, err)
		}
	}
	if err := cfg.SetTraceFunc(func(*wasihost.TraceEvent) {}, "nope"); !errors.Is(err, wasihost.KindInvalidArgument) {
		t.Errorf("SetTraceFunc with a bad filter: %v", err)
	}
}

// TestTraceReplacedAndRemoved: a new trace replaces the old one; a nil
// function removes it; a panic in one is reported and the guest goes on.
func TestTraceReplacedAndRemoved(t *testing.T) {
	cfg := newConfig(t)
	var first, second atomic.Int32
	must(t, cfg.SetTraceFunc(func(*wasihost.TraceEvent) { first.Add(1) }, ""))
	must(t, cfg.SetTraceFunc(func(*wasihost.TraceEvent) { second.Add(1) }, "clock"))
	mustCall2(t, hooksInstance(t, cfg), "now", wasihost.I32(1))
	mustCall2(t, hooksInstance(t, cfg), "write")
	if first.Load() != 0 || second.Load() != 1 {
		t.Fatalf("first %d, second %d", first.Load(), second.Load())
	}
	must(t, cfg.SetTraceFunc(nil, ""))
	mustCall2(t, hooksInstance(t, cfg), "now", wasihost.I32(1))
	if second.Load() != 1 {
		t.Fatal("traced after the removal")
	}
	must(t, cfg.SetTraceFunc(func(*wasihost.TraceEvent) { panic("tracer bug") }, ""))
	inst := hooksInstance(t, cfg)
	res, err := inst.Call(context.Background(), "now", wasihost.I32(1))
	var pe *wasihost.CallbackPanicError
	if !errors.As(err, &pe) || pe.Callback != "trace function" || errors.Is(err, wasihost.KindTrap) {
		t.Fatalf("%v %v", res, err)
	}
}

// TestDeterministic: two runs print the same; the wall clock is frozen,
// the monotonic clock advances by the sleeps only, the seed picks the
// random bytes.
func TestDeterministic(t *testing.T) {
	dir := demoDir(t)
	run := func(seed uint64) string {
		r := runDemo(t, dir, func(cfg *wasihost.Config) { must(t, cfg.SetDeterministic(seed)) }, "time", "/d")
		if r.err != nil {
			t.Fatal(r.err)
		}
		return r.stdout
	}
	a, b, other := run(7), run(7), run(8)
	if a != b {
		t.Fatalf("two runs differ:\n%s\n%s", a, b)
	}
	if !strings.HasPrefix(a, "wall: 946684800 s\nmonotonic: 0 ns\nmonotonic after sleeping 1.5 s: 1500000000 ns (+1500000000)\nrandom: ") {
		t.Fatalf("output:\n%s", a)
	}
	randomLine := func(s string) string { return strings.Split(s, "\n")[3] }
	if randomLine(a) == randomLine(other) || other[:strings.Index(other, "random")] != a[:strings.Index(a, "random")] {
		t.Fatalf("seed 7 and 8:\n%s\n%s", a, other)
	}
	// SetRandom replaces the preset's random bytes only.
	r := runDemo(t, dir, func(cfg *wasihost.Config) {
		must(t, cfg.SetDeterministic(7))
		must(t, cfg.SetRandom(bytes.NewReader(bytes.Repeat([]byte{0x5a}, 64))))
	}, "time", "/d")
	if r.err != nil || randomLine(r.stdout) != "random: 5a5a5a5a5a5a5a5a" || !strings.HasPrefix(r.stdout, "wall: 946684800 s\n") {
		t.Fatalf("%+v", r)
	}
}

// TestSetClock: the guest's clocks and sleeps come from Go functions;
// their errnos reach the guest; a panic gives it io.
func TestSetClock(t *testing.T) {
	dir := demoDir(t)
	var mu sync.Mutex
	var mono time.Duration
	var slept []time.Duration
	now := func(id wasihost.ClockID) (uint64, wasihost.Errno) {
		mu.Lock()
		defer mu.Unlock()
		switch id {
		case wasihost.ClockRealtime:
			return uint64(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC).UnixNano()), 0
		case wasihost.ClockMonotonic:
			return uint64(mono), 0
		case wasihost.ClockThreadCPUTime:
			panic("no threads")
		}
		return 0, wasihost.ErrnoNotsup
	}
	sleep := func(d time.Duration) wasihost.Errno {
		mu.Lock()
		defer mu.Unlock()
		slept = append(slept, d)
		mono += d
		return 0
	}
	r := runDemo(t, dir, func(cfg *wasihost.Config) { must(t, cfg.SetClock(now, sleep)) }, "time", "/d")
	want := fmt.Sprintf("wall: %d s\nmonotonic: 0 ns\nmonotonic after sleeping 1.5 s: 1500000000 ns (+1500000000)\n",
		time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC).Unix())
	if r.err != nil || !strings.HasPrefix(r.stdout, want) || len(slept) != 1 || slept[0] != 1500*time.Millisecond {
		t.Fatalf("%+v, slept %v", r, slept)
	}
	cfg := newConfig(t)
	must(t, cfg.SetClock(now, nil))
	inst := hooksInstance(t, cfg)
	if e, _ := mustCall2(t, inst, "now", wasihost.I32(2)); e != wasihost.ErrnoNotsup {
		t.Errorf("process clock: %v", e)
	}
	res, err := inst.Call(context.Background(), "now", wasihost.I32(3))
	var pe *wasihost.CallbackPanicError
	if !errors.As(err, &pe) || pe.Callback != "clock" || res != nil {
		t.Errorf("panic: %v %v", res, err)
	}
	// The guest got io: a handler sees what the clock returned.
	must(t, cfg.HandleCalls("clock_time_get", func(c *wasihost.Call) wasihost.Errno {
		e := c.Default()
		if e != wasihost.ErrnoIO {
			t.Errorf("the default after a panicking clock: %v", e)
		}
		return e
	}))
	if _, _, err := call2(t, hooksInstance(t, cfg), "now", wasihost.I32(3)); !errors.As(err, &pe) {
		t.Errorf("panic through the default: %v", err)
	}
	if err := cfg.SetClock(nil, sleep); !errors.Is(err, wasihost.KindInvalidArgument) {
		t.Errorf("SetClock(nil): %v", err)
	}
}

// errReader fails with err.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// countReader gives the bytes 0, 1, 2, ...
type countReader struct{ n byte }

func (r *countReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.n
		r.n++
	}
	return len(p), nil
}

// TestSetRandom: the guest's random bytes come from a reader, shared by
// the config's instances; a reader's errno reaches the guest; a panic
// gives it io.
func TestSetRandom(t *testing.T) {
	cfg := newConfig(t)
	must(t, cfg.SetRandom(&countReader{}))
	if e, got := mustCall2(t, hooksInstance(t, cfg), "rand", wasihost.I32(8)); e != 0 || got != 0x0706050403020100 {
		t.Fatalf("errno %v, %#x", e, got)
	}
	if e, got := mustCall2(t, hooksInstance(t, cfg), "rand", wasihost.I32(3)); e != 0 || got != 0x0a0908 {
		t.Fatalf("second instance: errno %v, %#x", e, got)
	}
	for _, c := range []struct {
		r    io.Reader
		want wasihost.Errno
	}{
		{errReader{wasihost.ErrnoNosys}, wasihost.ErrnoNosys},
		{errReader{fmt.Errorf("wrapped: %w", wasihost.ErrnoBusy)}, wasihost.ErrnoBusy},
		{errReader{errors.New("plain")}, wasihost.ErrnoIO},
		{strings.NewReader("abc"), wasihost.ErrnoIO}, // short: io.ErrUnexpectedEOF
	} {
		cfg := newConfig(t)
		must(t, cfg.SetRandom(c.r))
		if e, _ := mustCall2(t, hooksInstance(t, cfg), "rand", wasihost.I32(8)); e != c.want {
			t.Errorf("%v: errno %v, want %v", c.r, e, c.want)
		}
	}
	cfg = newConfig(t)
	must(t, cfg.SetRandom(readerFunc(func([]byte) (int, error) { panic("rng bug") })))
	_, _, err := call2(t, hooksInstance(t, cfg), "rand", wasihost.I32(8))
	var pe *wasihost.CallbackPanicError
	if !errors.As(err, &pe) || pe.Callback != "random source" {
		t.Fatalf("panic: %v", err)
	}
	if err := cfg.SetRandom(nil); !errors.Is(err, wasihost.KindInvalidArgument) {
		t.Errorf("SetRandom(nil): %v", err)
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// TestStdioErrno: a writer or reader fails the guest's call with the
// Errno it returns (or wraps); another error gives io.
func TestStdioErrno(t *testing.T) {
	for _, c := range []struct {
		err  error
		want wasihost.Errno
	}{
		{wasihost.ErrnoNospc, wasihost.ErrnoNospc},
		{fmt.Errorf("quota: %w", wasihost.ErrnoDquot), wasihost.ErrnoDquot},
		{errors.New("disk on fire"), wasihost.ErrnoIO},
		{wasihost.ErrnoSuccess, wasihost.ErrnoIO}, // an error, but no errno
	} {
		cfg := newConfig(t)
		must(t, cfg.SetStdout(writerFunc(func([]byte) (int, error) { return 0, c.err })))
		must(t, cfg.SetStdin(errReader{c.err}))
		inst := hooksInstance(t, cfg)
		if e, _ := mustCall2(t, inst, "write"); e != c.want {
			t.Errorf("writer %v: errno %v, want %v", c.err, e, c.want)
		}
		if e, _ := mustCall2(t, inst, "read"); e != c.want {
			t.Errorf("reader %v: errno %v, want %v", c.err, e, c.want)
		}
	}
	// A short write without an error is io.
	cfg := newConfig(t)
	must(t, cfg.SetStdout(writerFunc(func(p []byte) (int, error) { return len(p) - 1, nil })))
	if e, _ := mustCall2(t, hooksInstance(t, cfg), "write"); e != wasihost.ErrnoIO {
		t.Errorf("short write: %v", e)
	}
}

// TestErrno: names, errors.Is, and what an *Error matches.
func TestErrno(t *testing.T) {
	if wasihost.ErrnoNotcapable != 76 || wasihost.Errno2big != 1 || wasihost.ErrnoNospc.Error() != "nospc" {
		t.Fatal("errno constants")
	}
	if !errors.Is(wasihost.ErrnoNoent, fs.ErrNotExist) || !errors.Is(fmt.Errorf("x: %w", wasihost.ErrnoAcces), fs.ErrPermission) ||
		errors.Is(wasihost.ErrnoIO, fs.ErrNotExist) || !errors.Is(wasihost.ErrnoExist, fs.ErrExist) {
		t.Fatal("errors.Is")
	}
	if (&wasihost.Error{Errno: 0}).Is(fs.ErrNotExist) {
		t.Fatal("an error without an errno matches")
	}
	if wasihost.TrapHandler.String() != "handler" || wasihost.ArgIovs.String() != "iovs" || wasihost.ClockMonotonic.String() != "monotonic" {
		t.Fatal("names")
	}
}

// TestHandlerInStartFunction: a handler runs for the calls of a module's
// start function too; its panic is reported by NewInstance.
func TestHandlerInStartFunction(t *testing.T) {
	mod := watModule(t, `(module
	  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
	  (memory (export "memory") 1)
	  (func $start (drop (call $clock (i32.const 1) (i64.const 1) (i32.const 0))))
	  (start $start)
	  (func (export "_start")))`)
	cfg := newConfig(t)
	var calls atomic.Int32
	must(t, cfg.HandleCalls("clock", func(c *wasihost.Call) wasihost.Errno {
		if calls.Add(1) == 2 {
			panic("in start")
		}
		return c.Default()
	}))
	inst, err := wasihost.NewInstance(mod, cfg)
	if err != nil || calls.Load() != 1 {
		t.Fatalf("first: %v, %d calls", err, calls.Load())
	}
	inst.Close()
	inst, err = wasihost.NewInstance(mod, cfg)
	var pe *wasihost.CallbackPanicError
	if inst != nil || !errors.As(err, &pe) || pe.Value != "in start" || !errors.Is(err, wasihost.KindTrap) {
		t.Fatalf("second: %v, %v", inst, err)
	}
}
