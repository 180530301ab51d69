package wasihost

import (
	"bytes"
	"context"
	"testing"
	"time"
)

// TestHookCallbacksReleasedOnce: the library releases each handler, trace
// function, clock and random source once no config or instance uses it:
// when replaced for all its calls, removed, refused, or when the last
// instance using it is closed.
func TestHookCallbacksReleasedOnce(t *testing.T) {
	base := liveCallbacks.Load()
	live := func() int64 { return liveCallbacks.Load() - base }
	check := func(what string, want int64) {
		t.Helper()
		if n := live(); n != want {
			t.Fatalf("%s: %d live callbacks, want %d", what, n, want)
		}
	}
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
	h := func(c *Call) Errno { return c.Default() }
	cfg, _ := NewConfig()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(cfg.HandleCalls("clock,random", h))
	check("a handler", 1)
	must(cfg.HandleCalls("clock", h))
	check("a second handler, the first still serving random", 2)
	must(cfg.HandleCalls("random", h))
	check("the first handler replaced for all its calls", 2)
	must(cfg.HandleCalls("random_get", nil))
	check("a handler removed", 1)
	if err := cfg.HandleCalls("nope", h); err == nil {
		t.Fatal("HandleCalls(nope) accepted")
	}
	check("a refused handler", 1)
	must(cfg.SetTraceFunc(func(*TraceEvent) {}, ""))
	check("a trace function", 2)
	must(cfg.SetTraceFunc(func(*TraceEvent) {}, "fs"))
	check("a trace function replaced", 2)
	must(cfg.SetTraceFunc(nil, ""))
	check("the trace removed", 1)
	must(cfg.SetClock(func(ClockID) (uint64, Errno) { return 0, 0 }, nil))
	check("a clock", 2)
	must(cfg.SetDeterministic(1))
	check("the clock replaced by the preset", 1)
	must(cfg.SetRandom(bytes.NewReader(nil)))
	must(cfg.SetClock(func(ClockID) (uint64, Errno) { return 0, 0 }, func(time.Duration) Errno { return 0 }))
	check("a random source and a clock", 3)

	inst, err := NewInstance(mod, cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Close()
	check("the config closed, an instance left", 3)
	if err := inst.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	inst.Close()
	check("the instance closed", 0)
}
