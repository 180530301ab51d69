package wasihost

import (
	"bytes"
	"context"
	"runtime"
	"strings"
	"testing"
	"time"
)

const helloWAT = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 6))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))`

// TestCallbacksReleasedOnce: the library releases each reader and writer
// once no config or instance uses it, through the finalizer callback.
func TestCallbacksReleasedOnce(t *testing.T) {
	base := liveCallbacks.Load()
	live := func() int64 { return liveCallbacks.Load() - base }
	eng, err := NewEngine()
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	mod, err := NewModuleFromWAT(eng, helloWAT)
	if err != nil {
		t.Fatal(err)
	}
	defer mod.Close()

	cfg, _ := NewConfig()
	var out bytes.Buffer
	if err := cfg.SetStdout(&out); err != nil {
		t.Fatal(err)
	}
	if err := cfg.SetStdin(strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	if n := live(); n != 2 {
		t.Fatalf("live callbacks = %d, want 2", n)
	}
	// Replacing a callback releases the old one.
	if err := cfg.SetStdout(&out); err != nil {
		t.Fatal(err)
	}
	if n := live(); n != 2 {
		t.Fatalf("after replacing stdout: %d, want 2", n)
	}
	// A refused callback is released at once.
	if err := cfg.SetOutput(Stdin, &out); err == nil {
		t.Fatal("SetOutput(Stdin) accepted")
	}
	if n := live(); n != 2 {
		t.Fatalf("after a refused callback: %d, want 2", n)
	}
	inst, err := NewInstance(mod, cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Close()
	if n := live(); n != 2 {
		t.Fatalf("after closing the config, with an instance: %d, want 2", n)
	}
	if err := inst.Run(context.Background()); err != nil || out.String() != "hello\n" {
		t.Fatalf("run: %v, %q", err, out.String())
	}
	inst.Close()
	if n := live(); n != 0 {
		t.Fatalf("after closing the instance: %d, want 0", n)
	}
	// A closed config releases nothing more, and holds nothing.
	if err := cfg.SetStdout(&out); err != ErrClosed || live() != 0 {
		t.Fatalf("SetStdout after Close: %v, live %d", err, live())
	}
}

// TestFinalizers: handles dropped without Close are freed by the garbage
// collector, callbacks included.
func TestFinalizers(t *testing.T) {
	base := liveCallbacks.Load()
	func() {
		eng, _ := NewEngine()
		mod, err := NewModuleFromWAT(eng, helloWAT)
		if err != nil {
			t.Fatal(err)
		}
		for range 10 {
			cfg, _ := NewConfig()
			var out bytes.Buffer
			if err := cfg.SetStdout(&out); err != nil {
				t.Fatal(err)
			}
			inst, err := NewInstance(mod, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := inst.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for liveCallbacks.Load() != base {
		if time.Now().After(deadline) {
			t.Fatalf("%d callbacks still live 10 s after dropping their handles", liveCallbacks.Load()-base)
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}
