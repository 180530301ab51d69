package wasihost_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	"wasihost.dev/wasihost"
	"wasihost.dev/wasihost/internal/testguest"
)

var (
	// engine serves every test that needs no interruption and no fuel (a
	// plain engine, as NewEngine() makes it).
	engine *wasihost.Engine
	// intrEngine serves the tests that cancel, time out or interrupt
	// guests; fuelEngine those that meter fuel (it is interruptible too).
	intrEngine, fuelEngine *wasihost.Engine
	// guests maps a guest's name to its .wasm file (see testguest).
	guests map[string]string

	modulesMu sync.Mutex
	modules   = map[moduleKey]*wasihost.Module{}
)

type moduleKey struct {
	engine *wasihost.Engine
	name   string
}

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "wasihost-go-guests-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if g := os.Getenv("WASIHOST_GO_HELPER"); g != "" {
		// A child process of TestInheritStdio: guests are built already.
		return helperProcess(g)
	}
	if guests, err = testguest.Build(dir); err != nil {
		fmt.Fprintln(os.Stderr, "wasihost tests:", err)
		return 1
	}
	if engine, err = wasihost.NewEngine(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if intrEngine, err = wasihost.NewEngine(wasihost.Interruptible()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if fuelEngine, err = wasihost.NewEngine(wasihost.Interruptible(), wasihost.Fuel()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// guestModule is the compiled guest name (on the plain engine), compiled
// once for all tests.
func guestModule(t testing.TB, name string) *wasihost.Module {
	t.Helper()
	return guestModuleOn(t, engine, name)
}

// guestModuleOn is the guest name compiled by eng, once for all tests.
func guestModuleOn(t testing.TB, eng *wasihost.Engine, name string) *wasihost.Module {
	t.Helper()
	modulesMu.Lock()
	defer modulesMu.Unlock()
	if mod, ok := modules[moduleKey{eng, name}]; ok {
		return mod
	}
	path, ok := guests[name]
	if !ok {
		t.Fatalf("no guest %q", name)
	}
	mod, err := wasihost.NewModuleFromFile(eng, path)
	if err != nil {
		t.Fatalf("compiling %s: %v", name, err)
	}
	modules[moduleKey{eng, name}] = mod
	return mod
}

// watModule compiles WAT text on the plain engine, closed when the test
// ends.
func watModule(t testing.TB, wat string) *wasihost.Module {
	t.Helper()
	return watModuleOn(t, engine, wat)
}

// watModuleOn compiles WAT text with eng, closed when the test ends.
func watModuleOn(t testing.TB, eng *wasihost.Engine, wat string) *wasihost.Module {
	t.Helper()
	mod, err := wasihost.NewModuleFromWAT(eng, wat)
	if err != nil {
		t.Fatalf("compiling WAT: %v", err)
	}
	t.Cleanup(func() { mod.Close() })
	return mod
}

// newConfig is a config with args, closed when the test ends.
func newConfig(t testing.TB, args ...string) *wasihost.Config {
	t.Helper()
	cfg, err := wasihost.NewConfig()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cfg.Close() })
	if err := cfg.AddArgs(args...); err != nil {
		t.Fatalf("AddArgs: %v", err)
	}
	return cfg
}

// must fails the test on err.
func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// result is what a guest did.
type result struct {
	stdout, stderr string
	err            error
}

// runWith runs mod with cfg (args, and whatever the caller set),
// with stdout and stderr going to buffers unless setOutput is false.
func runWith(t testing.TB, mod *wasihost.Module, cfg *wasihost.Config, setOutput bool) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if setOutput {
		must(t, cfg.SetStdout(&stdout))
		must(t, cfg.SetStderr(&stderr))
	}
	inst, err := wasihost.NewInstance(mod, cfg)
	if err != nil {
		return result{err: err}
	}
	defer inst.Close()
	err = inst.Run(context.Background())
	return result{stdout.String(), stderr.String(), err}
}

// runGuest runs the compiled guest name with args (argv[0] is the name),
// after configure, stdout and stderr to buffers.
func runGuest(t testing.TB, name string, configure func(*wasihost.Config), args ...string) result {
	t.Helper()
	cfg := newConfig(t, append([]string{name}, args...)...)
	if configure != nil {
		configure(cfg)
	}
	return runWith(t, guestModule(t, name), cfg, true)
}

// helperProcess runs a guest with inherited stdio (for TestInheritStdio):
// WASIHOST_GO_HELPER is the .wasm file, the guest's args follow in
// WASIHOST_GO_HELPER_ARGS (separated by 0x1f). Exits with the guest's code.
func helperProcess(wasm string) int {
	eng, err := wasihost.NewEngine()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 100
	}
	mod, err := wasihost.NewModuleFromFile(eng, wasm)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 100
	}
	cfg, _ := wasihost.NewConfig()
	args := bytes.Split([]byte(os.Getenv("WASIHOST_GO_HELPER_ARGS")), []byte{0x1f})
	for _, a := range args {
		if err := cfg.AddArgs(string(a)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 100
		}
	}
	for _, err := range []error{cfg.InheritStdin(), cfg.InheritOutput(wasihost.Stdout), cfg.InheritOutput(wasihost.Stderr)} {
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 100
		}
	}
	inst, err := wasihost.NewInstance(mod, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 100
	}
	err = inst.Run(context.Background())
	if ee, ok := err.(*wasihost.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 101
	}
	return 0
}
