// Command wasihost-bench-hooks is the Go driver of the call-handler
// benchmark (bench/hooks/run.py): it runs the benchmark guest
// (bench/hooks/calls.c) once and prints the guest's "ns_per_call=X" line,
// so that a run with a pass-through handler, against one without, gives
// the per-call cost of the Go trampoline.
//
//	wasihost-bench-hooks WASM DIR MODE N HANDLER
//
// WASM is build/bench-hooks/calls.wasm, DIR a host directory holding a
// file f, preopened at the guest path /b (fd 3); MODE is clock (N
// clock_time_get) or open (N path_open of f + fd_close); HANDLER is none,
// or passthrough: one handler for clock_time_get and path_open that runs
// the default and returns its errno. The guest's stdout is captured; its
// stderr passes through. Exit status: 0, 1 when the guest fails, 2 for a
// usage error.
//
// Build it with -tags wasihost_dev after `make lib`, so that it links the
// repository's release library (build/lib/release):
//
//	go build -tags wasihost_dev -o ../../build/bench-hooks/bench_go ./cmd/wasihost-bench-hooks
//
// It warns on stderr when the library it runs with is a debug build.
package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"wasihost.dev/wasihost"
)

const usage = "usage: wasihost-bench-hooks WASM DIR clock|open N none|passthrough"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// passthrough is the handler of the benchmark: the default, its errno.
func passthrough(c *wasihost.Call) wasihost.Errno { return c.Default() }

func run(args []string, stdout, stderr io.Writer) int {
	fail := func(status int, format string, a ...any) int {
		fmt.Fprintf(stderr, "wasihost-bench-hooks: "+format+"\n", a...)
		return status
	}
	if len(args) != 5 {
		return fail(2, "%s", usage)
	}
	wasm, dir, mode, count, handler := args[0], args[1], args[2], args[3], args[4]
	if mode != "clock" && mode != "open" {
		return fail(2, "MODE must be clock or open, not %q (%s)", mode, usage)
	}
	if n, err := strconv.ParseUint(count, 10, 64); err != nil || n == 0 {
		return fail(2, "N must be an integer above 0, not %q (%s)", count, usage)
	}
	if handler != "none" && handler != "passthrough" {
		return fail(2, "HANDLER must be none or passthrough, not %q (%s)", handler, usage)
	}
	if lib := libraryPath(); strings.Contains(lib, "/debug/") {
		fmt.Fprintf(stderr, "wasihost-bench-hooks: warning: running with a debug build of the library (%s): "+
			"build without -tags wasihost_debug after `make lib`\n", lib)
	}

	engine, err := wasihost.NewEngine()
	if err != nil {
		return fail(1, "%v", err)
	}
	defer engine.Close()
	module, err := wasihost.NewModuleFromFile(engine, wasm)
	if err != nil {
		return fail(2, "%s: %v", wasm, err)
	}
	defer module.Close()
	cfg, err := wasihost.NewConfig()
	if err != nil {
		return fail(1, "%v", err)
	}
	defer cfg.Close()
	for _, err := range []error{
		cfg.AddArgs(filepath.Base(wasm), mode, count),
		cfg.PreopenDir(dir, "/b"),
		cfg.CaptureOutput(wasihost.Stdout, 1<<16),
		cfg.InheritOutput(wasihost.Stderr),
	} {
		if err != nil {
			return fail(2, "%v", err)
		}
	}
	if handler == "passthrough" {
		if err := cfg.HandleCalls("clock_time_get,path_open", passthrough); err != nil {
			return fail(1, "%v", err)
		}
	}
	inst, err := wasihost.NewInstance(module, cfg)
	if err != nil {
		return fail(1, "%v", err)
	}
	defer inst.Close()
	runErr := inst.Run(context.Background())
	out, err := inst.Capture(wasihost.Stdout)
	if err != nil {
		return fail(1, "%v", err)
	}
	if runErr != nil {
		return fail(1, "the guest failed: %v; its output: %q", runErr, out.Data)
	}
	sc := bufio.NewScanner(bytes.NewReader(out.Data))
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "ns_per_call=") {
			fmt.Fprintln(stdout, line)
			return 0
		}
	}
	return fail(1, "no ns_per_call line in the guest's output: %q", out.Data)
}

// libraryPath is the file the process mapped libwasihost_core from,
// symlinks resolved ("" when /proc/self/maps cannot tell).
func libraryPath() string {
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(maps), "\n") {
		if i := strings.IndexByte(line, '/'); i >= 0 && strings.Contains(line[i:], "libwasihost_core") {
			p := line[i:]
			if r, err := filepath.EvalSymlinks(p); err == nil {
				p = r
			}
			return p
		}
	}
	return ""
}
