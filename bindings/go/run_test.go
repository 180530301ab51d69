package wasihost_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"wasihost.dev/wasihost"
)

func TestExitCodes(t *testing.T) {
	cases := []struct {
		args []string
		code int // 0: Run returns nil
	}{
		{[]string{"return", "0"}, 0},
		{[]string{"return", "7"}, 7},
		{[]string{"exit", "0"}, 0},
		{[]string{"exit", "3"}, 3},
		{[]string{"exit", "300"}, 300}, // not truncated to 8 bits: no process exits
		{[]string{"libc_exit", "5"}, 5},
	}
	for _, c := range cases {
		r := runGuest(t, "proc", nil, c.args...)
		if c.code == 0 {
			if r.err != nil {
				t.Errorf("%v: %v", c.args, r.err)
			}
			continue
		}
		var ee *wasihost.ExitError
		if !errors.As(r.err, &ee) || ee.ExitCode() != c.code || ee.Code != uint32(c.code) {
			t.Errorf("%v: err = %v, want exit code %d", c.args, r.err, c.code)
		}
	}
	r := runGuest(t, "proc", nil, "libc_exit", "5")
	if r.stdout != "buffered before exit\n" || r.stderr != "stderr before exit\n" {
		t.Errorf("output before exit: %q, %q", r.stdout, r.stderr)
	}
}

func TestTraps(t *testing.T) {
	for _, mode := range []string{"trap", "div0", "oob", "stack"} {
		r := runGuest(t, "proc", nil, mode)
		var e *wasihost.Error
		if !errors.As(r.err, &e) || e.Kind != wasihost.KindTrap || e.Message == "" {
			t.Errorf("%s: err = %v, want a trap", mode, r.err)
			continue
		}
		if r.stdout != "before "+mode+"\n" {
			t.Errorf("%s: stdout = %q", mode, r.stdout)
		}
		if !strings.HasPrefix(e.Error(), "wasihost: trap: ") {
			t.Errorf("%s: Error() = %q", mode, e.Error())
		}
	}
	// The Go program goes on after a trap: run something afterwards.
	if r := runGuest(t, "proc", nil, "hello", "again"); r.err != nil || r.stdout != "hello again\n" {
		t.Fatalf("after the traps: %+v", r)
	}
}

func TestInvalidModules(t *testing.T) {
	var e *wasihost.Error
	_, err := wasihost.NewModule(engine, []byte("\x00asm\x01\x00\x00\x00garbage"))
	if !errors.As(err, &e) || e.Kind != wasihost.KindModule {
		t.Errorf("invalid binary: %v", err)
	}
	_, err = wasihost.NewModule(engine, nil)
	if !errors.As(err, &e) || e.Kind != wasihost.KindModule {
		t.Errorf("no bytes: %v", err)
	}
	_, err = wasihost.NewModuleFromWAT(engine, "(module\n  (func (export \"f\") (result i32)\n    i32.const))")
	if !errors.As(err, &e) || e.Kind != wasihost.KindModule || !strings.Contains(e.Message, ":3:") {
		t.Errorf("WAT syntax error: %v", err)
	}
	_, err = wasihost.NewModuleFromFile(engine, filepath.Join(t.TempDir(), "missing.wasm"))
	if !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &e) || e.Kind != wasihost.KindIO {
		t.Errorf("missing file: %v", err)
	}
	// WAT through NewModule and a file.
	path := filepath.Join(t.TempDir(), "m.wat")
	must(t, os.WriteFile(path, []byte(`(module (func (export "_start")))`), 0o644))
	mod, err := wasihost.NewModuleFromFile(engine, path)
	must(t, err)
	defer mod.Close()
	if !mod.HasExport("_start") || mod.HasExport("main") {
		t.Error("HasExport")
	}
}

func TestLinkErrors(t *testing.T) {
	var e *wasihost.Error
	noStart := watModule(t, `(module (func (export "f")))`)
	inst, err := wasihost.NewInstance(noStart, nil)
	must(t, err)
	defer inst.Close()
	if err := inst.Run(context.Background()); !errors.As(err, &e) || e.Kind != wasihost.KindLink {
		t.Errorf("Run without _start: %v", err)
	}
	unknownImport := watModule(t, `(module (import "env" "nope" (func)) (func (export "_start")))`)
	if _, err := wasihost.NewInstance(unknownImport, nil); !errors.As(err, &e) || e.Kind != wasihost.KindLink {
		t.Errorf("unknown import: %v", err)
	}
}

const exportsWAT = `(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (global $n (mut i32) (i32.const 0))
  (func (export "add_i32") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "add_i64") (param i64 i64) (result i64) (i64.add (local.get 0) (local.get 1)))
  (func (export "mul_f32") (param f32 f32) (result f32) (f32.mul (local.get 0) (local.get 1)))
  (func (export "div_f64") (param f64 f64) (result f64) (f64.div (local.get 0) (local.get 1)))
  (func (export "swap") (param i64 i32) (result i32 i64) (local.get 1) (local.get 0))
  (func (export "count") (result i32)
    (global.set $n (i32.add (global.get $n) (i32.const 1))) (global.get $n))
  (func (export "exit") (param i32) (call $exit (local.get 0)))
  (func (export "trap") unreachable)
  (func (export "spin") (loop $l (br $l))))`

func TestCall(t *testing.T) {
	inst, err := wasihost.NewInstance(watModule(t, exportsWAT), nil)
	must(t, err)
	defer inst.Close()
	ctx := context.Background()
	check := func(name string, args []wasihost.Value, want ...wasihost.Value) {
		t.Helper()
		got, err := inst.Call(ctx, name, args...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(got) != len(want) || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s%v = %v, want %v", name, args, got, want)
		}
		for k := range got {
			if got[k] != want[k] {
				t.Fatalf("%s: result %d = %#v, want %#v", name, k, got[k], want[k])
			}
		}
	}
	v := func(vals ...wasihost.Value) []wasihost.Value { return vals }
	check("add_i32", v(wasihost.I32(40), wasihost.I32(2)), wasihost.I32(42))
	check("add_i32", v(wasihost.I32(math.MaxInt32), wasihost.I32(1)), wasihost.I32(math.MinInt32))
	check("add_i64", v(wasihost.I64(1<<40), wasihost.I64(-1)), wasihost.I64(1<<40-1))
	check("mul_f32", v(wasihost.F32(1.5), wasihost.F32(-4)), wasihost.F32(-6))
	check("div_f64", v(wasihost.F64(1), wasihost.F64(4)), wasihost.F64(0.25))
	check("swap", v(wasihost.I64(-7), wasihost.I32(9)), wasihost.I32(9), wasihost.I64(-7))
	check("count", nil, wasihost.I32(1))
	check("count", nil, wasihost.I32(2)) // the instance keeps its state

	got, err := inst.Call(ctx, "div_f64", wasihost.F64(1), wasihost.F64(0))
	if err != nil || !math.IsInf(got[0].F64(), 1) || got[0].Kind() != wasihost.ValF64 {
		t.Fatalf("1/0 = %v, %v", got, err)
	}

	// Checked before the call: the message names the function's type (as
	// Python's Instance.call does) and what was passed.
	var e *wasihost.Error
	for _, c := range []struct {
		name string
		args []wasihost.Value
		want string
	}{
		{"add_i32", v(wasihost.I32(1)), // too few args
			`function "add_i32" has type (i32, i32) -> (i32), but was called with 1 argument (i32)`},
		{"add_i32", v(wasihost.I32(1), wasihost.I32(2), wasihost.I32(3)), // too many
			`function "add_i32" has type (i32, i32) -> (i32), but was called with 3 arguments (i32, i32, i32)`},
		{"count", v(wasihost.I32(1)),
			`function "count" has type () -> (i32), but was called with 1 argument (i32)`},
		{"add_i64", v(wasihost.I64(1)),
			`function "add_i64" has type (i64, i64) -> (i64), but was called with 1 argument (i64)`},
		{"add_i32", v(wasihost.I64(1), wasihost.I32(1)), // wrong kind
			`function "add_i32" has type (i32, i32) -> (i32), but was called with (i64, i32): argument 0 is an i64, not an i32`},
		{"swap", v(wasihost.I64(1), wasihost.F32(1)),
			`function "swap" has type (i64, i32) -> (i32, i64), but was called with (i64, f32): argument 1 is an f32, not an i32`},
		{"add_i64", v(wasihost.I32(1), wasihost.I32(2)), // an I32 is not widened
			`argument 0 is an i32, not an i64`},
		{"missing", nil, `the module exports no function named "missing"`}, // no such export
		{"memory", nil, `the module exports no function named "memory"`},   // not a function
	} {
		_, err := inst.Call(ctx, c.name, c.args...)
		if !errors.As(err, &e) || e.Kind != wasihost.KindLink || !strings.Contains(e.Message, c.want) {
			t.Errorf("Call(%s, %v) = %v, want a link error with %q", c.name, c.args, err, c.want)
		}
	}
	check("count", nil, wasihost.I32(3)) // errors before the call ran nothing

	if _, err := inst.Call(ctx, "trap"); !errors.As(err, &e) || e.Kind != wasihost.KindTrap {
		t.Errorf("trap: %v", err)
	}
	var ee *wasihost.ExitError
	for _, code := range []int32{0, 9} {
		inst, err := wasihost.NewInstance(watModule(t, exportsWAT), nil)
		must(t, err)
		_, err = inst.Call(ctx, "exit", wasihost.I32(code))
		if !errors.As(err, &ee) || ee.ExitCode() != int(code) {
			t.Errorf("exit(%d) in a call: %v", code, err)
		}
		inst.Close()
	}
}

func TestValue(t *testing.T) {
	var zero wasihost.Value
	if zero.Kind() != wasihost.ValI32 || zero.I32() != 0 || zero.String() != "i32:0" {
		t.Fatalf("zero Value = %v", zero)
	}
	nan := math.Float32frombits(0x7fc00123)
	if got := math.Float32bits(wasihost.F32(nan).F32()); got != 0x7fc00123 {
		t.Fatalf("NaN payload: %#x", got)
	}
	for _, c := range []struct {
		v    wasihost.Value
		want string
	}{{wasihost.I32(-1), "i32:-1"}, {wasihost.I64(5), "i64:5"}, {wasihost.F32(0.5), "f32:0.5"}, {wasihost.F64(-2), "f64:-2"}} {
		if c.v.String() != c.want {
			t.Errorf("%v != %s", c.v, c.want)
		}
	}
}

// cancelAfter runs the endless loop of run, cancels it after 50 ms through
// cancel, and checks that it returns an interrupt that matches want.
func cancelCase(t *testing.T, name string, run func(ctx context.Context) error, ctx context.Context, cancel func(), want error) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		latency := time.Since(start)
		t.Logf("%s: returned %v after the cancel", name, latency)
		var e *wasihost.Error
		if !errors.Is(err, want) || !errors.As(err, &e) || e.Kind != wasihost.KindInterrupted {
			t.Fatalf("%s: err = %v, want an interrupt matching %v", name, err, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: still running 10 s after the cancel", name)
	}
}

func TestCancelRun(t *testing.T) {
	inst, err := wasihost.NewInstance(guestModuleOn(t, intrEngine, "gotest"), newConfig(t, "gotest", "loop"))
	must(t, err)
	defer inst.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancelCase(t, "Run", inst.Run, ctx, cancel, context.Canceled)
	// Interrupts are sticky: later calls fail the same way.
	var e *wasihost.Error
	if err := inst.Run(context.Background()); !errors.As(err, &e) || e.Kind != wasihost.KindInterrupted {
		t.Fatalf("Run after the interrupt: %v", err)
	}
}

func TestCancelCall(t *testing.T) {
	inst, err := wasihost.NewInstance(watModuleOn(t, intrEngine, exportsWAT), nil)
	must(t, err)
	defer inst.Close()
	ctx, cancel := context.WithCancelCause(context.Background())
	myCause := errors.New("my cause")
	cancelCase(t, "Call", func(ctx context.Context) error {
		_, err := inst.Call(ctx, "spin")
		return err
	}, ctx, func() { cancel(myCause) }, context.Canceled)
	if _, err := inst.Call(ctx, "spin"); !errors.Is(err, myCause) || !errors.Is(err, context.Canceled) {
		t.Fatalf("the cause: %v", err)
	}
}

func TestDeadline(t *testing.T) {
	inst, err := wasihost.NewInstance(guestModuleOn(t, intrEngine, "gotest"), newConfig(t, "gotest", "loop"))
	must(t, err)
	defer inst.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = inst.Run(ctx)
	t.Logf("a 100 ms deadline: returned after %v", time.Since(start))
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, wasihost.KindTimeout) {
		t.Fatalf("err = %v, want a timeout matching DeadlineExceeded", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatal("took more than 10 s")
	}
}

func TestContextDoneBeforeRun(t *testing.T) {
	inst, err := wasihost.NewInstance(watModuleOn(t, intrEngine, exportsWAT), nil)
	must(t, err)
	defer inst.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := inst.Call(ctx, "count"); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	// Nothing ran, and the instance was not interrupted.
	got, err := inst.Call(context.Background(), "count")
	if err != nil || got[0].I32() != 1 {
		t.Fatalf("count = %v, %v", got, err)
	}
	// A nil context is allowed, as Background.
	//lint:ignore SA1012 documented
	if _, err := inst.Call(nil, "count"); err != nil { //nolint:staticcheck
		t.Fatal(err)
	}
}

func TestInterruptAndCloseWhileRunning(t *testing.T) {
	for _, how := range []string{"Interrupt", "Close"} {
		inst, err := wasihost.NewInstance(guestModuleOn(t, intrEngine, "gotest"), newConfig(t, "gotest", "loop"))
		must(t, err)
		done := make(chan error, 1)
		go func() { done <- inst.Run(context.Background()) }()
		time.Sleep(50 * time.Millisecond)
		if how == "Interrupt" {
			inst.Interrupt()
		} else {
			must(t, inst.Close()) // interrupts the run and waits for it
		}
		select {
		case err := <-done:
			var e *wasihost.Error
			if !errors.As(err, &e) || e.Kind != wasihost.KindInterrupted {
				t.Fatalf("%s: %v", how, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: still running after 10 s", how)
		}
		inst.Close()
	}
}

func TestUseAfterClose(t *testing.T) {
	eng, err := wasihost.NewEngine()
	must(t, err)
	mod, err := wasihost.NewModuleFromWAT(eng, exportsWAT)
	must(t, err)
	cfg, err := wasihost.NewConfig()
	must(t, err)
	inst, err := wasihost.NewInstance(mod, cfg)
	must(t, err)

	// Closing the engine, module and config leaves the instance working.
	must(t, eng.Close())
	must(t, mod.Close())
	must(t, cfg.Close())
	if got, err := inst.Call(context.Background(), "add_i32", wasihost.I32(1), wasihost.I32(2)); err != nil || got[0].I32() != 3 {
		t.Fatalf("instance after closing its engine, module and config: %v, %v", got, err)
	}
	must(t, inst.Close())

	closed := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, wasihost.ErrClosed) || !errors.Is(err, fs.ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", what, err)
		}
	}
	closed("NewModule", func() error { _, err := wasihost.NewModule(eng, []byte("(module)")); return err }())
	closed("NewModuleFromWAT", func() error { _, err := wasihost.NewModuleFromWAT(eng, "(module)"); return err }())
	closed("NewModuleFromFile", func() error { _, err := wasihost.NewModuleFromFile(eng, "x.wasm"); return err }())
	closed("NewModuleCached", func() error { _, _, err := wasihost.NewModuleCached(eng, nil, t.TempDir()); return err }())
	closed("DeserializeModule", func() error { _, err := wasihost.DeserializeModule(eng, nil); return err }())
	closed("Serialize", func() error { _, err := mod.Serialize(); return err }())
	closed("NewInstance (module)", func() error { _, err := wasihost.NewInstance(mod, nil); return err }())
	closed("NewInstance (config)", func() error { _, err := wasihost.NewInstance(guestModule(t, "gotest"), cfg); return err }())
	closed("AddArgs", cfg.AddArgs("x"))
	closed("SetEnv", cfg.SetEnv("A", "B"))
	closed("PreopenDir", cfg.PreopenDir(".", "/"))
	closed("SetStdin", cfg.SetStdin(strings.NewReader("x")))
	closed("SetStdout", cfg.SetStdout(&bytes.Buffer{}))
	closed("CaptureOutput", cfg.CaptureOutput(wasihost.Stdout, 1))
	closed("Run", inst.Run(context.Background()))
	closed("Call", func() error { _, err := inst.Call(context.Background(), "count"); return err }())
	closed("Capture", func() error { _, err := inst.Capture(wasihost.Stdout); return err }())
	if mod.HasExport("add_i32") {
		t.Error("HasExport after Close")
	}
	inst.Interrupt() // a no-op
	for _, c := range []interface{ Close() error }{eng, mod, cfg, inst} {
		must(t, c.Close()) // idempotent
	}
	// nil handles are refused, not dereferenced.
	if _, err := wasihost.NewModule(nil, nil); err == nil {
		t.Error("NewModule(nil engine)")
	}
	if _, err := wasihost.NewInstance(nil, nil); err == nil {
		t.Error("NewInstance(nil module)")
	}
}

func TestSerialize(t *testing.T) {
	mod := guestModule(t, "proc")
	b, err := mod.Serialize()
	must(t, err)
	again, err := wasihost.DeserializeModule(engine, b)
	must(t, err)
	defer again.Close()
	r := runWith(t, again, newConfig(t, "proc", "hello", "deserialized"), true)
	if r.err != nil || r.stdout != "hello deserialized\n" {
		t.Fatalf("%+v", r)
	}
	bad := bytes.Clone(b)
	bad[len(bad)/2] ^= 1
	var e *wasihost.Error
	if _, err := wasihost.DeserializeModule(engine, bad); !errors.As(err, &e) || e.Kind != wasihost.KindModule {
		t.Fatalf("a changed byte: %v", err)
	}
	if _, err := wasihost.DeserializeModule(engine, []byte("not serialized")); !errors.As(err, &e) || e.Kind != wasihost.KindModule {
		t.Fatalf("garbage: %v", err)
	}
}

func TestModuleCache(t *testing.T) {
	wasm, err := os.ReadFile(guests["proc"])
	must(t, err)
	dir := t.TempDir()
	load := func(dir string, want wasihost.CacheStatus) {
		t.Helper()
		mod, status, err := wasihost.NewModuleCached(engine, wasm, dir)
		must(t, err)
		defer mod.Close()
		if status != want {
			t.Fatalf("status = %v, want %v", status, want)
		}
		r := runWith(t, mod, newConfig(t, "proc", "hello", "cached"), true)
		if r.err != nil || r.stdout != "hello cached\n" {
			t.Fatalf("%+v", r)
		}
	}
	load(dir, wasihost.CacheMiss)
	load(dir, wasihost.CacheHit)
	// Corrupt every entry: rebuilt.
	must(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			return os.WriteFile(path, []byte("corrupt"), 0o644)
		}
		return err
	}))
	load(dir, wasihost.CacheRebuilt)
	load(dir, wasihost.CacheHit)
	// A directory that cannot be made: not stored, the module is fine.
	file := filepath.Join(t.TempDir(), "file")
	must(t, os.WriteFile(file, nil, 0o644))
	load(filepath.Join(file, "sub"), wasihost.CacheNotStored)
	// The default directory.
	def := t.TempDir()
	t.Setenv("WASIHOST_CACHE_DIR", def)
	load("", wasihost.CacheMiss)
	load("", wasihost.CacheHit)
	if entries, _ := os.ReadDir(def); len(entries) == 0 {
		t.Fatal("nothing in $WASIHOST_CACHE_DIR")
	}
	if s := wasihost.CacheNotStored.String(); s != "not stored" {
		t.Fatal(s)
	}
}

func TestWriterPanic(t *testing.T) {
	boom := errors.New("boom")
	var stderr bytes.Buffer
	cfg := newConfig(t, "gotest", "write_status")
	must(t, cfg.SetStdout(panicWriter{boom}))
	must(t, cfg.SetStderr(&stderr))
	r := runWith(t, guestModule(t, "gotest"), cfg, false)
	var pe *wasihost.CallbackPanicError
	if !errors.As(r.err, &pe) || pe.Stream != wasihost.Stdout || pe.Value != boom || len(pe.Stack) == 0 {
		t.Fatalf("err = %v, want a CallbackPanicError", r.err)
	}
	if !errors.Is(r.err, boom) {
		t.Fatalf("err = %v does not wrap the panic value", r.err)
	}
	// The guest saw an I/O error and went on.
	if stderr.String() != "stdout errno=29\n" {
		t.Fatalf("stderr = %q", stderr.String())
	}
	t.Logf("the error: %v", r.err)

	// A panic with a non-error value, in a reader, with the guest's exit.
	cfg = newConfig(t, "gotest", "stdin")
	must(t, cfg.SetStdin(panicReader{}))
	r = runWith(t, guestModule(t, "gotest"), cfg, true)
	var ee *wasihost.ExitError
	if !errors.As(r.err, &pe) || pe.Stream != wasihost.Stdin || pe.Value != "reader panic" || !errors.As(r.err, &ee) {
		t.Fatalf("err = %v, stdout = %q, stderr = %q", r.err, r.stdout, r.stderr)
	}
	if r.stderr != "read errno=29\n" {
		t.Fatalf("stderr = %q", r.stderr)
	}
}

type panicWriter struct{ value any }

func (w panicWriter) Write([]byte) (int, error) { panic(w.value) }

type panicReader struct{}

func (panicReader) Read([]byte) (int, error) { panic("reader panic") }

// goroutineID is the current goroutine's number, from its stack header
// ("goroutine 42 [running]:").
func goroutineID() string {
	b := make([]byte, 64)
	b = b[:runtime.Stack(b, false)]
	return strings.Fields(string(b))[1]
}

// gidPanicWriter panics with the number of the goroutine it runs on.
type gidPanicWriter struct{}

func (gidPanicWriter) Write([]byte) (int, error) { panic(goroutineID()) }

// TestPanicGoesToItsRun: instances of one config run at once, and the
// shared writer panics on every write; each run reports exactly the
// panics of its own guest's writes.
func TestPanicGoesToItsRun(t *testing.T) {
	cfg := newConfig(t, "stdio", "writes") // three writes to stdout
	must(t, cfg.SetStdout(gidPanicWriter{}))
	mod := guestModule(t, "stdio")
	var wg sync.WaitGroup
	errs := make(chan error, 8*5)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			me := goroutineID()
			for range 5 {
				inst, err := wasihost.NewInstance(mod, cfg)
				if err != nil {
					errs <- err
					return
				}
				err = inst.Run(context.Background())
				inst.Close()
				var got []string
				for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
					var pe *wasihost.CallbackPanicError
					if errors.As(e, &pe) {
						got = append(got, pe.Value.(string))
					}
				}
				if fmt.Sprint(got) != fmt.Sprint([]string{me, me, me}) {
					errs <- fmt.Errorf("goroutine %s got the panics of %v", me, got)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestConcurrentInstances runs 8 goroutines at once, instantiating one
// module with one config and writing to one shared writer.
func TestConcurrentInstances(t *testing.T) {
	mod := guestModule(t, "stdio")
	cfg := newConfig(t, "stdio", "chunks", "100", "200", "300")
	var shared bytes.Buffer // the binding calls it from one goroutine at a time
	must(t, cfg.SetStdout(&shared))
	must(t, cfg.CaptureOutput(wasihost.Stderr, 1<<10))
	const goroutines, runs = 8, 5
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*runs)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range runs {
				inst, err := wasihost.NewInstance(mod, cfg)
				if err != nil {
					errs <- err
					return
				}
				err = inst.Run(context.Background())
				c, cerr := inst.Capture(wasihost.Stderr)
				inst.Close()
				want := "chunk 0 errno=0 n=100\nchunk 1 errno=0 n=200\nchunk 2 errno=0 n=300\n"
				if err != nil || cerr != nil || string(c.Data) != want {
					errs <- fmt.Errorf("goroutine %d: %v, %v, %q", g, err, cerr, c.Data)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := shared.Len(); n != goroutines*runs*600 {
		t.Fatalf("shared writer got %d bytes, want %d", n, goroutines*runs*600)
	}
	for _, c := range []byte("ABC") {
		if n := bytes.Count(shared.Bytes(), []byte{c}); n != goroutines*runs*100*int(c-'A'+1) {
			t.Fatalf("%d x %c", n, c)
		}
	}
}

// TestConcurrentEngineAndModules compiles and runs on separate engines and
// on one shared engine at once.
func TestConcurrentEngines(t *testing.T) {
	var wg sync.WaitGroup
	for k := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			eng := engine
			if k%2 == 0 {
				e, err := wasihost.NewEngine()
				if err != nil {
					t.Error(err)
					return
				}
				defer e.Close()
				eng = e
			}
			mod, err := wasihost.NewModuleFromWAT(eng, exportsWAT)
			if err != nil {
				t.Error(err)
				return
			}
			defer mod.Close()
			inst, err := wasihost.NewInstance(mod, nil)
			if err != nil {
				t.Error(err)
				return
			}
			defer inst.Close()
			for i := range 100 {
				got, err := inst.Call(context.Background(), "add_i32", wasihost.I32(int32(k)), wasihost.I32(int32(i)))
				if err != nil || got[0].I32() != int32(k+i) {
					t.Errorf("add: %v, %v", got, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestErrorIs(t *testing.T) {
	e := &wasihost.Error{Kind: wasihost.KindConfig, Errno: wasihost.ErrnoNotcapable, Message: "m"}
	if !errors.Is(e, fs.ErrPermission) || errors.Is(e, fs.ErrNotExist) {
		t.Fatal("notcapable")
	}
	e.Errno = wasihost.ErrnoExist
	if !errors.Is(e, fs.ErrExist) || e.Error() != "wasihost: config: m" || e.Errno.String() != "exist" {
		t.Fatalf("%v %v", e, e.Errno)
	}
	if wasihost.KindTrap.String() != "trap" || wasihost.Errno(999).String() != "errno(999)" {
		t.Fatal("names")
	}
}

// TestStartFunctionOutcomes: a trap or proc_exit in the module's start
// function (run by NewInstance) should be a trap and an exit, as in Run.
func TestStartFunctionOutcomes(t *testing.T) {
	trap := watModule(t, `(module (func $s unreachable) (start $s) (func (export "_start")))`)
	exit := watModule(t, `(module
	  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
	  (func $s (call $exit (i32.const 5))) (start $s) (func (export "_start")))`)
	_, trapErr := wasihost.NewInstance(trap, nil)
	_, exitErr := wasihost.NewInstance(exit, nil)
	// (Before 8942fac the library reported both as kind link.)
	var e *wasihost.Error
	var ee *wasihost.ExitError
	if !errors.As(trapErr, &e) || e.Kind != wasihost.KindTrap {
		t.Errorf("trap in the start function: %v, want kind trap", trapErr)
	}
	if !errors.As(exitErr, &ee) || ee.ExitCode() != 5 {
		t.Errorf("proc_exit(5) in the start function: %v, want an *ExitError with code 5", exitErr)
	}
}

// TestInterruptIsolation: interrupting one instance leaves the others of
// the same engine and module running.
func TestInterruptIsolation(t *testing.T) {
	mod := watModuleOn(t, intrEngine, exportsWAT)
	looping, err := wasihost.NewInstance(mod, nil)
	must(t, err)
	defer looping.Close()
	other, err := wasihost.NewInstance(mod, nil)
	must(t, err)
	defer other.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := looping.Call(ctx, "spin")
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("the looping instance: %v", err)
	}
	for i := range 3 {
		got, err := other.Call(context.Background(), "count")
		if err != nil || got[0].I32() != int32(i+1) {
			t.Fatalf("the other instance: %v, %v", got, err)
		}
	}
	fresh, err := wasihost.NewInstance(mod, nil)
	must(t, err)
	defer fresh.Close()
	if _, err := fresh.Call(context.Background(), "count"); err != nil {
		t.Fatalf("a new instance: %v", err)
	}
}

const typesWAT = `(module
  (memory (export "memory") 1)
  (global (export "g") i32 (i32.const 0))
  (func (export "mixed") (param i32 i64 f32 f64) (result f64 i32)
    (f64.add (f64.convert_i64_s (local.get 1)) (local.get 3)) (local.get 0))
  (func (export "none"))
  (func (export "vec") (param i32 v128) (result i32) (local.get 0))
  (func (export "vec_out") (result v128) (v128.const i64x2 0 0))
  (func (export "ref") (param funcref)))`

func TestExportType(t *testing.T) {
	mod := watModule(t, typesWAT)
	inst, err := wasihost.NewInstance(mod, nil)
	must(t, err)
	defer inst.Close()
	queries := map[string]func(string) (wasihost.FuncType, error){
		"Module":   mod.ExportType,
		"Instance": inst.ExportType,
	}
	for what, exportType := range queries {
		ft, err := exportType("mixed")
		must(t, err)
		want := wasihost.FuncType{
			Params:  []wasihost.ValueKind{wasihost.ValI32, wasihost.ValI64, wasihost.ValF32, wasihost.ValF64},
			Results: []wasihost.ValueKind{wasihost.ValF64, wasihost.ValI32},
		}
		if !reflect.DeepEqual(ft, want) {
			t.Errorf("%s.ExportType(mixed) = %#v, want %#v", what, ft, want)
		}
		if got := ft.String(); got != "(i32, i64, f32, f64) -> (f64, i32)" {
			t.Errorf("%s: String() = %q", what, got)
		}
		ft, err = exportType("none")
		must(t, err)
		if len(ft.Params) != 0 || len(ft.Results) != 0 || ft.String() != "() -> ()" {
			t.Errorf("%s.ExportType(none) = %#v, %q", what, ft, ft)
		}

		var e *wasihost.Error
		for _, c := range []struct{ name, want string }{
			{"nope", `the module exports no function named "nope"`},
			{"memory", `the module exports no function named "memory"`},
			{"g", `the module exports no function named "g"`},
			{"vec", `export "vec" takes or returns a v128`},
			{"vec_out", `export "vec_out" takes or returns a v128`},
			{"ref", `export "ref" takes or returns a (ref null func)`},
		} {
			_, err := exportType(c.name)
			if !errors.As(err, &e) || e.Kind != wasihost.KindLink || !strings.Contains(e.Message, c.want) {
				t.Errorf("%s.ExportType(%s) = %v, want a link error with %q", what, c.name, err, c.want)
			}
		}
	}
	// Call refuses what it cannot pass, naming the type, before running
	// anything.
	var e *wasihost.Error
	if _, err := inst.Call(context.Background(), "vec", wasihost.I32(1)); !errors.As(err, &e) || e.Kind != wasihost.KindLink || !strings.Contains(e.Message, "v128") {
		t.Errorf("Call(vec) = %v, want a link error naming v128", err)
	}

	// What ExportType returns is the caller's: changing it changes
	// neither a later answer nor Call.
	ft, err := inst.ExportType("mixed")
	must(t, err)
	ft.Params[0] = wasihost.ValF64
	ft.Results = ft.Results[:0]
	again, err := inst.ExportType("mixed")
	must(t, err)
	if again.String() != "(i32, i64, f32, f64) -> (f64, i32)" {
		t.Errorf("the instance's type changed with the caller's copy: %v", again)
	}
	got, err := inst.Call(context.Background(), "mixed", wasihost.I32(7), wasihost.I64(2), wasihost.F32(0), wasihost.F64(0.5))
	if err != nil || fmt.Sprint(got) != "[f64:2.5 i32:7]" {
		t.Errorf("Call(mixed) = %v, %v", got, err)
	}

	must(t, mod.Close())
	if _, err := mod.ExportType("mixed"); !errors.Is(err, wasihost.ErrClosed) {
		t.Errorf("Module.ExportType after Close: %v, want ErrClosed", err)
	}
	must(t, inst.Close())
	if _, err := inst.ExportType("mixed"); !errors.Is(err, wasihost.ErrClosed) {
		t.Errorf("Instance.ExportType after Close: %v, want ErrClosed (also for a type it looked up)", err)
	}
	if _, err := inst.Call(context.Background(), "mixed", wasihost.I32(1)); !errors.Is(err, wasihost.ErrClosed) {
		t.Errorf("Call with wrong arguments after Close: %v, want ErrClosed", err)
	}
}

// An instance learns its exports' types itself: after its module is
// closed, Call and ExportType work for functions never looked up before.
func TestCallAfterModuleClose(t *testing.T) {
	mod := watModule(t, exportsWAT)
	inst, err := wasihost.NewInstance(mod, nil)
	must(t, err)
	defer inst.Close()
	must(t, mod.Close())
	ctx := context.Background()

	got, err := inst.Call(ctx, "swap", wasihost.I64(-7), wasihost.I32(9))
	if err != nil || fmt.Sprint(got) != "[i32:9 i64:-7]" {
		t.Fatalf("swap after the module's Close = %v, %v", got, err)
	}
	got, err = inst.Call(ctx, "count")
	if err != nil || len(got) != 1 || got[0] != wasihost.I32(1) {
		t.Fatalf("count after the module's Close = %v, %v", got, err)
	}
	ft, err := inst.ExportType("mul_f32")
	if err != nil || ft.String() != "(f32, f32) -> (f32)" {
		t.Fatalf("ExportType(mul_f32) after the module's Close = %v, %v", ft, err)
	}
	got, err = inst.Call(ctx, "exit_not_there")
	var e *wasihost.Error
	if !errors.As(err, &e) || e.Kind != wasihost.KindLink || !strings.Contains(e.Message, `"exit_not_there"`) {
		t.Fatalf("missing export after the module's Close = %v, %v", got, err)
	}
	_, err = inst.Call(ctx, "add_i64", wasihost.I64(1))
	if !errors.As(err, &e) || e.Kind != wasihost.KindLink || !strings.Contains(e.Message, "(i64, i64) -> (i64)") {
		t.Fatalf("wrong argument count after the module's Close = %v", err)
	}
}

// Goroutines share one instance: its type cache is guarded (run with -race),
// and a cached type does not wait for a call in progress.
func TestExportTypeConcurrent(t *testing.T) {
	eng, err := wasihost.NewEngine(wasihost.Interruptible())
	must(t, err)
	defer eng.Close()
	inst, err := wasihost.NewInstance(watModuleOn(t, eng, exportsWAT), nil)
	must(t, err)
	defer inst.Close()
	names := []string{"add_i32", "add_i64", "mul_f32", "div_f64", "swap", "count"}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 20; k++ {
				name := names[(g+k)%len(names)]
				if _, err := inst.ExportType(name); err != nil {
					errs <- err
					return
				}
				if got, err := inst.Call(context.Background(), "add_i32", wasihost.I32(int32(g)), wasihost.I32(int32(k))); err != nil || got[0].I32() != int32(g+k) {
					errs <- fmt.Errorf("add_i32(%d, %d) = %v, %v", g, k, got, err)
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

	// While a call runs (holding the instance), a known type comes at once.
	if _, err := inst.ExportType("spin"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := inst.Call(ctx, "spin"); done <- err }()
	asked := make(chan struct{})
	go func() {
		defer close(asked)
		for k := 0; k < 20; k++ { // several times, most during the call
			if ft, err := inst.ExportType("spin"); err != nil || ft.String() != "() -> ()" {
				t.Errorf("ExportType(spin) during a call = %v, %v", ft, err)
			}
			time.Sleep(time.Millisecond)
		}
	}()
	select {
	case <-asked:
	case <-time.After(10 * time.Second):
		t.Error("ExportType of a known type waited for the call in progress")
	}
	cancel()
	<-asked
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("spin, cancelled: %v", err)
	}
}
