package wasihost_test

import (
	"context"
	"errors"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"wasihost.dev/wasihost"
	"wasihost.dev/wasihost/internal/testguest"
)

// The limits: interruption by a context (its deadline, its cancellation),
// timeouts, fuel, the memory cap, trap codes, and the errors for what an
// engine cannot do. No timings are asserted: a guest that is not stopped
// fails only after hangLimit.

const hangLimit = 20 * time.Second

// stopped runs run under a context that ends after about 100 ms, once by
// its deadline and once by a cancel from another goroutine, and checks
// that run returns the matching outcome: a timeout that matches
// context.DeadlineExceeded, an interrupt that matches context.Canceled.
func stopped(t *testing.T, run func(ctx context.Context) error) {
	t.Helper()
	for _, how := range []string{"deadline", "cancel"} {
		var ctx context.Context
		var cancel context.CancelFunc
		wantKind, wantErr := wasihost.KindTimeout, context.DeadlineExceeded
		if how == "deadline" {
			ctx, cancel = context.WithTimeout(context.Background(), 100*time.Millisecond)
		} else {
			ctx, cancel = context.WithCancel(context.Background())
			time.AfterFunc(100*time.Millisecond, cancel)
			wantKind, wantErr = wasihost.KindInterrupted, context.Canceled
		}
		done := make(chan error, 1)
		go func() { done <- run(ctx) }()
		select {
		case err := <-done:
			var e *wasihost.Error
			if !errors.As(err, &e) || e.Kind != wantKind || !errors.Is(err, wantErr) || !errors.Is(err, wantKind) {
				t.Errorf("%s: err = %v, want an *Error of kind %v matching %v", how, err, wantKind, wantErr)
			}
		case <-time.After(hangLimit):
			t.Fatalf("%s: still running %v after the context ended", how, hangLimit)
		}
		cancel()
	}
}

// runLimits is a run of a fresh instance of the limits guest, compiled by
// the interruptible engine, with args, after configure.
func runLimits(t *testing.T, configure func(*wasihost.Config), args ...string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		cfg := newConfig(t, append([]string{"limits"}, args...)...)
		if configure != nil {
			configure(cfg)
		}
		inst, err := wasihost.NewInstanceContext(ctx, guestModuleOn(t, intrEngine, "limits"), cfg)
		if err != nil {
			return err
		}
		defer inst.Close()
		return inst.Run(ctx)
	}
}

// TestStopStartFunction: a start function that never returns is stopped
// by the context given to NewInstanceContext.
func TestStopStartFunction(t *testing.T) {
	mod, err := wasihost.NewModuleFromFile(intrEngine, testguest.RepoGuest("start_loop.wat"))
	must(t, err)
	defer mod.Close()
	stopped(t, func(ctx context.Context) error {
		inst, err := wasihost.NewInstanceContext(ctx, mod, nil)
		if err == nil {
			inst.Close()
		}
		return err
	})
	// And by a timeout of the config, which covers instantiation.
	cfg := newConfig(t)
	must(t, cfg.SetTimeout(100*time.Millisecond))
	done := make(chan error, 1)
	go func() {
		_, err := wasihost.NewInstance(mod, cfg)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, wasihost.KindTimeout) || errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("the config's timeout: %v, want a timeout (not a context's)", err)
		}
	case <-time.After(hangLimit):
		t.Fatal("the config's timeout did not stop the start function")
	}
}

func TestStopSpin(t *testing.T) {
	stopped(t, runLimits(t, nil, "spin"))
}

// TestStopSleep: a guest asleep in poll_oneoff wakes when stopped.
func TestStopSleep(t *testing.T) {
	stopped(t, runLimits(t, nil, "sleep", "100"))
}

// TestStopRead: a guest waiting for stdin from a pipe that never delivers
// (its writer stays open) wakes when stopped: an *os.File goes to the
// library as its fd, whose waits are interruptible.
func TestStopRead(t *testing.T) {
	r, w, err := os.Pipe()
	must(t, err)
	defer r.Close()
	defer w.Close()
	stopped(t, runLimits(t, func(cfg *wasihost.Config) { must(t, cfg.SetStdin(r)) }, "read"))
	// The same pipe delivers once written to and closed.
	var out strings.Builder
	cfg := newConfig(t, "limits", "read")
	must(t, cfg.SetStdin(r))
	must(t, cfg.SetStdout(&out))
	inst, err := wasihost.NewInstance(guestModuleOn(t, intrEngine, "limits"), cfg)
	must(t, err)
	defer inst.Close()
	if _, err := w.WriteString("12345"); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if err := inst.Run(context.Background()); err != nil || out.String() != "read 5 bytes\n" {
		t.Fatalf("%v, %q", err, out.String())
	}
}

// TestTimeoutPerCall: a timeout (the instance's, or a context's deadline)
// ends one call; unlike an interrupt, it leaves the instance usable.
func TestTimeoutPerCall(t *testing.T) {
	inst, err := wasihost.NewInstance(watModuleOn(t, intrEngine, exportsWAT), nil)
	must(t, err)
	defer inst.Close()
	bg := context.Background()
	count := func(want int32) {
		t.Helper()
		got, err := inst.Call(bg, "count")
		if err != nil || got[0].I32() != want {
			t.Fatalf("count = %v, %v; want %d", got, err, want)
		}
	}
	must(t, inst.SetTimeout(100*time.Millisecond))
	_, err = inst.Call(bg, "spin")
	var e *wasihost.Error
	if !errors.As(err, &e) || e.Kind != wasihost.KindTimeout || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("SetTimeout: %v", err)
	}
	count(1)
	// A deadline nearer than the instance's timeout wins, and is a
	// context's.
	must(t, inst.SetTimeout(time.Hour))
	ctx, cancel := context.WithTimeout(bg, 100*time.Millisecond)
	_, err = inst.Call(ctx, "spin")
	cancel()
	if !errors.Is(err, wasihost.KindTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a deadline: %v", err)
	}
	count(2)
	// A farther one: the instance's timeout.
	must(t, inst.SetTimeout(100*time.Millisecond))
	ctx, cancel = context.WithTimeout(bg, time.Hour)
	_, err = inst.Call(ctx, "spin")
	cancel()
	if !errors.Is(err, wasihost.KindTimeout) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a farther deadline: %v", err)
	}
	count(3)
	// A deadline already past: nothing runs.
	ctx, cancel = context.WithDeadline(bg, time.Now().Add(-time.Second))
	_, err = inst.Call(ctx, "count")
	cancel()
	if !errors.Is(err, wasihost.KindTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a past deadline: %v", err)
	}
	count(4)
	// No timeout any more: a call with a deadline still ends.
	must(t, inst.SetTimeout(0))
	ctx, cancel = context.WithTimeoutCause(bg, 50*time.Millisecond, errors.New("my deadline"))
	_, err = inst.Call(ctx, "spin")
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("no timeout, a deadline: %v", err)
	}
	count(5)
	if err := inst.SetTimeout(-1); err == nil {
		t.Fatal("a negative timeout accepted")
	}
}

// TestMemoryLimit: memory.grow past the cap returns -1 to the guest.
func TestMemoryLimit(t *testing.T) {
	cfg := newConfig(t, "limits", "grow", "1000")
	must(t, cfg.SetMaxMemory(64<<20))
	var out strings.Builder
	must(t, cfg.SetStdout(&out))
	inst, err := wasihost.NewInstance(guestModule(t, "limits"), cfg)
	must(t, err)
	defer inst.Close()
	if inst.MemoryLimitReached() {
		t.Fatal("MemoryLimitReached before the run")
	}
	err = inst.Run(context.Background())
	var ee *wasihost.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 || !strings.Contains(out.String(), "then refused") {
		t.Fatalf("%v, %q; want exit code 3 and \"then refused\"", err, out.String())
	}
	if !inst.MemoryLimitReached() {
		t.Fatal("MemoryLimitReached is false")
	}
	// Under the cap: no refusal.
	cfg = newConfig(t, "limits", "grow", "8")
	must(t, cfg.SetMaxMemory(64<<20))
	r := runWith(t, guestModule(t, "limits"), cfg, true)
	if r.err != nil || r.stdout != "grew 8 MiB\n" {
		t.Fatalf("%+v", r)
	}
}

// TestMemoryLimitDeclared: a module whose memory starts above the cap
// cannot be instantiated.
func TestMemoryLimitDeclared(t *testing.T) {
	mod := watModule(t, `(module (memory 2000) (func (export "_start")))`) // 125 MiB
	cfg := newConfig(t)
	must(t, cfg.SetMaxMemory(64<<20))
	_, err := wasihost.NewInstance(mod, cfg)
	var e *wasihost.Error
	if !errors.As(err, &e) || e.Kind != wasihost.KindMemoryLimit || !errors.Is(err, wasihost.KindMemoryLimit) {
		t.Fatalf("err = %v, want kind memory limit", err)
	}
	must(t, cfg.SetMaxMemory(200<<20))
	inst, err := wasihost.NewInstance(mod, cfg)
	must(t, err)
	inst.Close()
	// Tables likewise.
	tab := watModule(t, `(module (table 1000 funcref) (func (export "_start")))`)
	must(t, cfg.SetMaxTableElements(100))
	if _, err := wasihost.NewInstance(tab, cfg); !errors.Is(err, wasihost.KindMemoryLimit) {
		t.Fatalf("a table above the cap: %v", err)
	}
}

func TestFuel(t *testing.T) {
	mod := guestModuleOn(t, fuelEngine, "limits")
	cfg := newConfig(t, "limits", "count", "100000")
	must(t, cfg.SetFuel(10000))
	r := runWith(t, mod, cfg, true)
	var e *wasihost.Error
	if !errors.As(r.err, &e) || e.Kind != wasihost.KindFuelExhausted {
		t.Fatalf("%+v, want fuel exhausted", r)
	}
	cfg = newConfig(t, "limits", "count", "100000")
	must(t, cfg.SetFuel(1e8))
	var out strings.Builder
	must(t, cfg.SetStdout(&out))
	inst, err := wasihost.NewInstance(mod, cfg)
	must(t, err)
	defer inst.Close()
	if err := inst.Run(context.Background()); err != nil || out.String() != "counted 100000\n" {
		t.Fatalf("%v, %q", err, out.String())
	}
	if left, ok := inst.FuelLeft(); !ok || left == 0 || left >= 1e8 {
		t.Fatalf("FuelLeft = %d, %v", left, ok)
	}
	// Without a limit: all there is.
	plain, err := wasihost.NewInstance(mod, nil)
	must(t, err)
	defer plain.Close()
	if left, ok := plain.FuelLeft(); !ok || left != math.MaxUint64 {
		t.Fatalf("FuelLeft without a limit = %d, %v", left, ok)
	}
	// An engine without fuel has none to tell.
	noFuel, err := wasihost.NewInstance(guestModule(t, "limits"), nil)
	must(t, err)
	defer noFuel.Close()
	if left, ok := noFuel.FuelLeft(); ok || left != 0 {
		t.Fatalf("FuelLeft on a plain engine = %d, %v", left, ok)
	}
}

// TestPlainEngineRefuses: what a plain engine cannot enforce is an error
// before anything runs, never ignored; context.Background() works.
func TestPlainEngineRefuses(t *testing.T) {
	if engine.Interruptible() || engine.Fuel() || !intrEngine.Interruptible() || intrEngine.Fuel() ||
		!fuelEngine.Interruptible() || !fuelEngine.Fuel() {
		t.Fatal("the engines' accessors")
	}
	isConfig := func(what string, err error, mention string) {
		t.Helper()
		var e *wasihost.Error
		if !errors.As(err, &e) || e.Kind != wasihost.KindConfig || !strings.Contains(e.Message, mention) {
			t.Errorf("%s: %v, want a config error mentioning %q", what, err, mention)
		}
	}
	mod := watModule(t, exportsWAT)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := wasihost.NewInstanceContext(ctx, mod, nil)
	isConfig("NewInstanceContext with a cancellable context", err, "Interruptible()")
	cfg := newConfig(t)
	must(t, cfg.SetTimeout(time.Second))
	_, err = wasihost.NewInstance(mod, cfg)
	isConfig("a config with a timeout", err, "Interruptible()")
	cfg = newConfig(t)
	must(t, cfg.SetFuel(1000))
	_, err = wasihost.NewInstance(mod, cfg)
	isConfig("a config with fuel", err, "Fuel()")
	_, err = wasihost.NewInstance(watModuleOn(t, intrEngine, exportsWAT), cfg)
	isConfig("fuel on an interruptible engine", err, "Fuel()")

	inst, err := wasihost.NewInstance(mod, nil)
	must(t, err)
	defer inst.Close()
	if inst.Interruptible() {
		t.Error("an instance of a plain engine says it is interruptible")
	}
	_, err = inst.Call(ctx, "count")
	isConfig("Call with a cancellable context", err, "Interruptible()")
	tctx, tcancel := context.WithTimeout(context.Background(), time.Hour)
	defer tcancel()
	isConfig("Run with a deadline", inst.Run(tctx), "Interruptible()")
	isConfig("SetTimeout", inst.SetTimeout(time.Second), "Interruptible()")
	must(t, inst.SetTimeout(0)) // no timeout is fine
	inst.Interrupt()            // a no-op
	// Nothing ran, and a context that is never done works.
	got, err := inst.Call(context.WithoutCancel(ctx), "count")
	if err != nil || got[0].I32() != 1 {
		t.Fatalf("count = %v, %v", got, err)
	}
}

func TestTrapCode(t *testing.T) {
	mod := watModule(t, `(module
	  (func (export "_start") (unreachable))
	  (func (export "div") (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0))))`)
	inst, err := wasihost.NewInstance(mod, nil)
	must(t, err)
	defer inst.Close()
	err = inst.Run(context.Background())
	var e *wasihost.Error
	if !errors.As(err, &e) || e.Kind != wasihost.KindTrap || e.Trap != wasihost.TrapUnreachable || !errors.Is(err, wasihost.KindTrap) {
		t.Fatalf("err = %v, want an unreachable trap", err)
	}
	_, err = inst.Call(context.Background(), "div", wasihost.I32(0))
	if !errors.As(err, &e) || e.Trap != wasihost.TrapIntegerDivisionByZero {
		t.Fatalf("err = %v, want a division by zero", err)
	}
	if wasihost.TrapUnreachable.String() != "unreachable" || wasihost.KindTimeout.String() != "timeout" ||
		wasihost.KindFuelExhausted.Error() != "fuel exhausted" {
		t.Fatal("names")
	}
}
