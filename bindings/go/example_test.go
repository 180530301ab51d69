package wasihost_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"wasihost.dev/wasihost"
)

// A guest that writes "hello, world" to stdout (the library accepts WAT
// text as well as wasm binaries).
const helloWAT = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello, world\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))  ;; iovec.buf
    (i32.store (i32.const 4) (i32.const 13))  ;; iovec.len
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))`

// Run a WASI command with its stdout going to a Go writer.
func Example() {
	engine, err := wasihost.NewEngine()
	if err != nil {
		log.Fatal(err)
	}
	defer engine.Close()
	module, err := wasihost.NewModuleFromWAT(engine, helloWAT)
	if err != nil {
		log.Fatal(err)
	}
	defer module.Close()

	cfg, err := wasihost.NewConfig()
	if err != nil {
		log.Fatal(err)
	}
	defer cfg.Close()
	var out bytes.Buffer
	if err := cfg.AddArgs("hello"); err != nil {
		log.Fatal(err)
	}
	if err := cfg.SetStdout(&out); err != nil {
		log.Fatal(err)
	}

	inst, err := wasihost.NewInstance(module, cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer inst.Close()
	if err := inst.Run(context.Background()); err != nil {
		log.Fatal(err)
	}
	fmt.Print(out.String())
	// Output: hello, world
}

// A guest's proc_exit is an *ExitError; the Go program goes on.
func ExampleExitError() {
	engine, _ := wasihost.NewEngine()
	defer engine.Close()
	module, _ := wasihost.NewModuleFromWAT(engine, `(module
	  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
	  (func (export "_start") (call $exit (i32.const 3))))`)
	defer module.Close()
	inst, _ := wasihost.NewInstance(module, nil) // a nil config grants nothing
	defer inst.Close()

	err := inst.Run(context.Background())
	var exit *wasihost.ExitError
	if errors.As(err, &exit) {
		fmt.Println("exit code", exit.ExitCode())
	}
	// Output: exit code 3
}

// A trap is an *Error of kind KindTrap, whose message says why.
func ExampleError() {
	engine, _ := wasihost.NewEngine()
	defer engine.Close()
	module, _ := wasihost.NewModuleFromWAT(engine, `(module (func (export "_start") unreachable))`)
	defer module.Close()
	inst, _ := wasihost.NewInstance(module, nil)
	defer inst.Close()

	err := inst.Run(context.Background())
	var e *wasihost.Error
	if errors.As(err, &e) {
		fmt.Println(e.Kind, strings.Contains(e.Message, "unreachable"))
	}
	// Output: trap true
}

// Errors about files work with errors.Is and the io/fs errors.
func ExampleError_is() {
	cfg, _ := wasihost.NewConfig()
	defer cfg.Close()
	err := cfg.PreopenDir("/no/such/dir", "/data")
	fmt.Println(errors.Is(err, os.ErrNotExist))
	// Output: true
}

// Call exported functions with typed values.
func ExampleInstance_Call() {
	engine, _ := wasihost.NewEngine()
	defer engine.Close()
	module, _ := wasihost.NewModuleFromWAT(engine, `(module
	  (func (export "add") (param i64 i64) (result i64)
	    (i64.add (local.get 0) (local.get 1)))
	  (func (export "divmod") (param i32 i32) (result i32 i32)
	    (i32.div_u (local.get 0) (local.get 1))
	    (i32.rem_u (local.get 0) (local.get 1))))`)
	defer module.Close()
	inst, _ := wasihost.NewInstance(module, nil)
	defer inst.Close()

	ctx := context.Background()
	sum, err := inst.Call(ctx, "add", wasihost.I64(40), wasihost.I64(2))
	if err != nil {
		log.Fatal(err)
	}
	qr, err := inst.Call(ctx, "divmod", wasihost.I32(17), wasihost.I32(5))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sum[0].I64(), qr[0].I32(), qr[1].I32(), qr)

	// Arguments that do not match the function's type are refused before
	// anything runs, with an error that names the type.
	_, err = inst.Call(ctx, "add", wasihost.I64(40))
	fmt.Println(errors.Is(err, wasihost.KindLink))
	fmt.Println(err)
	// Output:
	// 42 3 2 [i32:3 i32:2]
	// true
	// wasihost: link: function "add" has type (i64, i64) -> (i64), but was called with 1 argument (i64)
}

// An export's type: the kinds of its parameters and results. An instance
// knows the types of its exports even after its module is closed.
func ExampleInstance_ExportType() {
	engine, _ := wasihost.NewEngine()
	defer engine.Close()
	module, _ := wasihost.NewModuleFromWAT(engine, `(module
	  (memory (export "memory") 1)
	  (func (export "scale") (param f64 i32) (result f64)
	    (f64.mul (local.get 0) (f64.convert_i32_s (local.get 1)))))`)
	inst, _ := wasihost.NewInstance(module, nil)
	defer inst.Close()

	t, _ := module.ExportType("scale")
	fmt.Println(t, t.Params[0] == wasihost.ValF64)
	module.Close()
	t, _ = inst.ExportType("scale")
	fmt.Println(t)
	_, err := inst.ExportType("memory")
	fmt.Println(err)
	// Output:
	// (f64, i32) -> (f64) true
	// (f64, i32) -> (f64)
	// wasihost: link: the module exports no function named "memory"
}

// A context's deadline stops a guest, even one in an endless loop; the
// engine must be made interruptible for that (a plain engine refuses a
// context that can be done).
func ExampleInstance_Run_timeout() {
	engine, _ := wasihost.NewEngine(wasihost.Interruptible())
	defer engine.Close()
	module, _ := wasihost.NewModuleFromWAT(engine, `(module
	  (func (export "_start") (loop $forever (br $forever))))`)
	defer module.Close()
	inst, _ := wasihost.NewInstance(module, nil)
	defer inst.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := inst.Run(ctx)
	fmt.Println(errors.Is(err, context.DeadlineExceeded), errors.Is(err, wasihost.KindTimeout))
	// Output: true true
}

// The limits of a config: a timeout for each entry into the guest, a fuel
// budget, a cap on its memory. The engine compiles the checks that the
// timeout and the fuel need.
func ExampleConfig_SetTimeout() {
	engine, _ := wasihost.NewEngine(wasihost.Interruptible(), wasihost.Fuel())
	defer engine.Close()
	module, _ := wasihost.NewModuleFromWAT(engine, `(module
	  (memory 1)
	  (func (export "_start") (loop $forever (br $forever)))
	  (func (export "grow") (result i32) (memory.grow (i32.const 100))))`)
	defer module.Close()
	cfg, _ := wasihost.NewConfig()
	defer cfg.Close()
	cfg.SetTimeout(50 * time.Millisecond)
	cfg.SetFuel(1_000_000_000)
	cfg.SetMaxMemory(1 << 20) // 16 pages of 64 KiB

	inst, _ := wasihost.NewInstance(module, cfg)
	defer inst.Close()
	err := inst.Run(context.Background())
	fmt.Println(errors.Is(err, wasihost.KindTimeout))
	// A timeout ends one call: the instance can be called again.
	got, _ := inst.Call(context.Background(), "grow")
	fmt.Println(got[0], inst.MemoryLimitReached())
	// Output:
	// true
	// i32:-1 true
}

// Grant a directory read-only, pass arguments and environment variables,
// and keep the guest's output in memory with a cap.
func ExampleConfig() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "input.txt"), []byte("some data"), 0o644)

	cfg, _ := wasihost.NewConfig()
	defer cfg.Close()
	for _, err := range []error{
		cfg.AddArgs("prog", "/data/input.txt"),
		cfg.SetEnv("LANG", "C"),
		cfg.InheritEnvVar("HOME"),
		cfg.PreopenDirReadOnly(dir, "/data"),
		cfg.SetStdin(strings.NewReader("input for the guest\n")),
		cfg.CaptureOutput(wasihost.Stdout, 1<<20),
		cfg.SetStderr(os.Stderr),
	} {
		if err != nil {
			log.Fatal(err)
		}
	}
	// wasihost.NewInstance(module, cfg), any number of times.
	fmt.Println("configured")
	// Output: configured
}

// Read what the guest wrote to a captured stream.
func ExampleInstance_Capture() {
	engine, _ := wasihost.NewEngine()
	defer engine.Close()
	module, _ := wasihost.NewModuleFromWAT(engine, helloWAT)
	defer module.Close()
	cfg, _ := wasihost.NewConfig()
	defer cfg.Close()
	cfg.CaptureOutput(wasihost.Stdout, 5) // keep at most 5 bytes

	inst, _ := wasihost.NewInstance(module, cfg)
	defer inst.Close()
	if err := inst.Run(context.Background()); err != nil {
		log.Fatal(err)
	}
	c, _ := inst.Capture(wasihost.Stdout)
	fmt.Printf("%q of %d bytes, truncated: %v\n", c.Data, c.TotalWritten, c.Truncated)
	// Output: "hello" of 13 bytes, truncated: true
}

// A panic in a writer does not cross into the library: the guest's write
// fails, and Run reports the panic.
func ExampleCallbackPanicError() {
	engine, _ := wasihost.NewEngine()
	defer engine.Close()
	module, _ := wasihost.NewModuleFromWAT(engine, helloWAT)
	defer module.Close()
	cfg, _ := wasihost.NewConfig()
	defer cfg.Close()
	cfg.SetStdout(writerFunc(func([]byte) (int, error) { panic("oops") }))

	inst, _ := wasihost.NewInstance(module, cfg)
	defer inst.Close()
	err := inst.Run(context.Background())
	var p *wasihost.CallbackPanicError
	if errors.As(err, &p) {
		fmt.Println(p.Stream, p.Value)
	}
	// Output: stdout oops
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// Compiled modules can be cached on disk: the second load skips the
// compiler.
func ExampleNewModuleCached() {
	dir, _ := os.MkdirTemp("", "cache")
	defer os.RemoveAll(dir)
	engine, _ := wasihost.NewEngine()
	defer engine.Close()
	for range 2 {
		module, status, err := wasihost.NewModuleCached(engine, []byte(helloWAT), dir)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(status)
		module.Close()
	}
	// Output:
	// miss
	// hit
}

// A Cache keeps compiled modules on disk, bounded in size: loading a file
// again is a hit, which neither compiles nor reads the file. DiskUsage and
// Clear report and free the space.
func ExampleCache() {
	tmp, _ := os.MkdirTemp("", "cache")
	defer os.RemoveAll(tmp)
	path := filepath.Join(tmp, "hello.wat")
	os.WriteFile(path, []byte(helloWAT), 0o600)
	engine, _ := wasihost.NewEngine()
	defer engine.Close()
	cache, err := wasihost.NewCache(filepath.Join(tmp, "cache"), wasihost.CacheMaxSize(256<<20))
	if err != nil {
		log.Fatal(err)
	}
	defer cache.Close()
	for range 2 {
		module, status, err := cache.LoadFile(engine, path)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(status)
		module.Close()
	}
	used, _ := cache.DiskUsage()
	freed, _ := cache.Clear()
	left, _ := cache.DiskUsage()
	fmt.Println(used > 0, freed == used, left)
	// Output:
	// miss
	// hit
	// true true 0
}

// A compiled module can be saved and loaded again by an engine of the same
// settings and library version.
func ExampleModule_Serialize() {
	engine, _ := wasihost.NewEngine()
	defer engine.Close()
	module, _ := wasihost.NewModuleFromWAT(engine, helloWAT)
	defer module.Close()
	saved, err := module.Serialize()
	if err != nil {
		log.Fatal(err)
	}
	loaded, err := wasihost.DeserializeModule(engine, saved)
	if err != nil {
		log.Fatal(err)
	}
	defer loaded.Close()
	fmt.Println(loaded.HasExport("_start"))
	// Output: true
}

// An *os.File is passed to the guest as its fd: no Go code runs per write.
func ExampleConfig_SetStdout() {
	engine, _ := wasihost.NewEngine()
	defer engine.Close()
	module, _ := wasihost.NewModuleFromWAT(engine, helloWAT)
	defer module.Close()
	cfg, _ := wasihost.NewConfig()
	defer cfg.Close() // also closes the config's duplicate of the fd
	if err := cfg.SetStdout(os.Stdout); err != nil {
		log.Fatal(err)
	}
	inst, _ := wasihost.NewInstance(module, cfg)
	defer inst.Close()
	if err := inst.Run(context.Background()); err != nil {
		log.Fatal(err)
	}
	// Output: hello, world
}
