// Command wasihost-run runs a WASI command (a .wasm or .wat file) in the
// wasihost sandbox: the Go twin of the C CLI (examples-c/wasihost-run.c),
// with the same options, output and exit statuses.
//
//	wasihost-run [OPTIONS] [--] FILE.wasm [ARGS...]
//	wasihost-run [--cache-dir DIR] --cache-clear
//
// Run it with --help for the options. Exit status: the guest's exit code
// (0 when its main returns; the OS keeps the low 8 bits), 134 when the
// guest traps or is interrupted, 124 when it timed out (--timeout), 152
// when it ran out of fuel (--fuel), 137 when its memories as declared
// exceed --max-memory, 2 for a usage error or a module that cannot be
// loaded or set up.
package main

// #include <signal.h>
//
// // A write into a closed pipe kills the runner, as it does the C one (so
// // that `wasihost-run prog.wasm | head` ends the guest): the Go runtime
// // would otherwise ignore SIGPIPE raised by the library's writes, and the
// // guest would see EPIPE and go on.
// static void default_sigpipe(void) { signal(SIGPIPE, SIG_DFL); }
import "C"

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"time"

	"wasihost.dev/wasihost"
)

// Exit statuses of the runner itself (a guest's own code passes through).
const (
	exitUsage   = 2   // bad usage, or the module cannot be loaded or set up
	exitTrap    = 134 // the guest trapped or was interrupted
	exitTimeout = 124 // --timeout: the guest ran out of time (as timeout(1))
	exitMemory  = 137 // --max-memory: its memories as declared exceed the cap
	exitFuel    = 152 // --fuel: the guest ran out of fuel
)

const usage = `usage: wasihost-run [OPTIONS] [--] FILE.wasm [ARGS...]
       wasihost-run [--cache-dir DIR] --cache-clear

Runs the WASI command FILE.wasm (binary or WAT text) in a sandbox. The
guest gets FILE.wasm (as given) as argv[0], then ARGS; it sees no
directory and no environment variable unless granted below. stdin,
stdout and stderr pass through. Options end at the first argument that
is not an option (or at --): what follows goes to the guest.

Options (VALUE may also be given as --option=VALUE):
  --dir HOST[::GUEST]     grant the host directory HOST, read-write, at
                          the guest path GUEST (default: HOST itself)
  --ro-dir HOST[::GUEST]  the same, read-only
  --env NAME=VALUE        set a guest environment variable
  --env NAME              pass the host's NAME through (if it is set)
  --stdin FILE            the guest reads FILE as its stdin
  --cache-dir DIR         keep compiled modules in DIR (default:
                          $WASIHOST_CACHE_DIR, else $XDG_CACHE_HOME/wasihost,
                          else $HOME/.cache/wasihost)
  --cache-allow-shared    use the cache directory even if others may write
                          it or another user owns it (refused otherwise:
                          anyone who can write it can replace the code run)
  --cache-max-size BYTES  bound the cache to BYTES of disk (default 1G; 0:
                          no bound): after storing a module, the least
                          recently used ones are deleted to fit
  --cache-clear           delete every compiled module in the cache, print
                          how many bytes that freed, and exit (no FILE)
  --no-cache              compile the module without the cache
  -h, --help              print this help and exit

Limits (none of them by default but the memory and fd caps):
  --timeout DURATION      stop the guest after DURATION (its start function,
                          then its run, each get the whole of it): a number
                          (decimals allowed) with a unit ns, us, ms, s, m or h,
                          e.g. 100ms or 1.5s; a bare number is seconds; > 0.
                          Only with this option does the guest's code carry
                          the checks that make it interruptible
  --fuel N                stop the guest after N units of fuel (about one per
                          wasm instruction); N >= 1. Turns on fuel metering
  --max-memory BYTES      the most bytes all the guest's memories may hold
                          together (default 4 GiB); memory.grow past it
                          returns -1 to the guest. BYTES: an integer, with an
                          optional K, M, G or T (powers of 1024; KiB, MiB,
                          GiB, TiB too), e.g. 64M
  --max-open-fds N        the most fds the guest may hold open (default 1024;
                          at least 3 plus the --dir and --ro-dir preopens)

Tracing and reproducible runs:
  --trace FILE            write every WASI call the guest makes to FILE, one
                          JSON object per line: call, arguments (paths as
                          text, flags by name), errno, results, duration
  --trace-filter LIST     trace only these calls: a comma-separated list of
                          groups (args, clock, fd, path, poll, proc, random,
                          sock; fs = fd,path; all) and call names (path_open)
  --deterministic[=SEED]  frozen wall clock (2000-01-01T00:00:00Z), a
                          monotonic clock that starts at 0 and advances only
                          by what the guest sleeps (without waiting), and
                          random bytes from SEED (default 0): two runs with
                          the same inputs print the same

Exit status: the guest's exit code (0 when its main returns); the OS
keeps only the low 8 bits, so a proc_exit code above 255 shows as the
code modulo 256. 134 when the guest traps or is interrupted (the reason
goes to stderr). 124 when it timed out (--timeout), 152 when it ran out
of fuel (--fuel), 137 when its memories as declared exceed --max-memory.
A guest that fails after a memory.grow was refused gets a note on stderr.
2 for a usage error (a bad DURATION, N or BYTES included) or a module
that cannot be loaded or set up (a missing file, invalid wasm, no _start,
a missing --dir).
`

// valueRule says whether an option takes a value.
type valueRule int

const (
	noValue       valueRule = iota
	needsValue              // --opt VALUE or --opt=VALUE
	optionalValue           // only as --opt=VALUE
)

// options maps each option to whether it takes a value.
var options = map[string]valueRule{
	"--dir":                needsValue,
	"--ro-dir":             needsValue,
	"--env":                needsValue,
	"--stdin":              needsValue,
	"--cache-dir":          needsValue,
	"--cache-allow-shared": noValue,
	"--cache-max-size":     needsValue,
	"--cache-clear":        noValue,
	"--no-cache":           noValue,
	"--timeout":            needsValue,
	"--fuel":               needsValue,
	"--max-memory":         needsValue,
	"--max-open-fds":       needsValue,
	"--trace":              needsValue,
	"--trace-filter":       needsValue,
	"--deterministic":      optionalValue,
	"--help":               noValue,
	"-h":                   noValue,
}

// action is one option from the command line, with its value.
type action struct {
	name, value string
}

func main() {
	setupSignals()
	os.Exit(run(os.Args[1:]))
}

// setupSignals makes signals act as for the C runner: SIGPIPE kills (see
// default_sigpipe); SIGINT and SIGTERM already do (the Go runtime's default,
// also while the guest runs).
func setupSignals() { C.default_sigpipe() }

// usageError prints "wasihost-run: MSG "WHAT" (try --help)" (WHAT, when
// given, quoted even when empty, as the C runner does) and returns the
// usage status.
func usageError(msg string, what ...string) int {
	for _, w := range what {
		msg += ` "` + w + `"`
	}
	fmt.Fprintf(os.Stderr, "wasihost-run: %s (try --help)\n", msg)
	return exitUsage
}

// message is an error's text without the Go package's prefix: the
// library's message for an *Error.
func message(err error) string {
	var e *wasihost.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

// report prints "wasihost-run: [CONTEXT: ]MESSAGE".
func report(context string, err error) {
	if context != "" {
		fmt.Fprintf(os.Stderr, "wasihost-run: %s: %s\n", context, message(err))
	} else {
		fmt.Fprintf(os.Stderr, "wasihost-run: %s\n", message(err))
	}
}

// limits are the limit options of the command line (zero: not given).
type limits struct {
	timeout        time.Duration
	timeoutText    string // as given, for the message
	fuel           uint64
	maxMemory      uint64
	hasMaxMemory   bool
	maxOpenFDs     uint64
	maxOpenFDsText string

	trace          string // --trace FILE
	traceFilter    string // --trace-filter LIST
	hasTraceFilter bool
	deterministic  bool
	seed           uint64

	cacheMaxSize    uint64 // --cache-max-size BYTES (0: no bound)
	hasCacheMaxSize bool
	cacheClear      bool // --cache-clear
}

// parseDigits reads the decimal digits at the start of s: the number, the
// rest of s, and whether there were digits and the number fits in 64 bits.
func parseDigits(s string) (uint64, string, bool) {
	var n uint64
	i := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		d := uint64(s[i] - '0')
		if n > (math.MaxUint64-d)/10 {
			return 0, s, false
		}
		n = n*10 + d
	}
	return n, s[i:], i > 0
}

// parseUint is an integer and nothing else.
func parseUint(s string) (uint64, bool) {
	n, rest, ok := parseDigits(s)
	return n, ok && rest == ""
}

// durationUnits are the units of a DURATION, in nanoseconds ("": seconds).
var durationUnits = map[string]uint64{
	"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9, "": 1e9, "m": 60e9, "h": 3600e9,
}

// parseDuration parses a DURATION: digits, optionally a fraction, then a
// unit (ns, us, ms, s, m, h; none: seconds), in nanoseconds. The fraction
// is exact down to the nanosecond, finer digits are dropped. False for a
// duration of 0 ns or one past 2^64-1 ns (as the C runner).
func parseDuration(s string) (uint64, bool) {
	whole, rest, ok := parseDigits(s)
	if !ok && !strings.HasPrefix(s, ".") { // no digits, or too many
		return 0, false
	}
	frac := ""
	if strings.HasPrefix(rest, ".") {
		rest = rest[1:]
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		frac, rest = rest[:i], rest[i:]
		if frac == "" && !ok { // "." without digits on either side
			return 0, false
		}
	}
	unit, known := durationUnits[rest]
	if !known || whole > math.MaxUint64/unit {
		return 0, false
	}
	total := whole * unit
	for scale, k := unit/10, 0; k < len(frac) && scale > 0; k, scale = k+1, scale/10 {
		add := uint64(frac[k]-'0') * scale
		if total > math.MaxUint64-add {
			return 0, false
		}
		total += add
	}
	return total, total != 0
}

// parseBytes parses BYTES: an integer, optionally followed by K, M, G or T
// (or KiB, MiB, GiB, TiB): powers of 1024.
func parseBytes(s string) (uint64, bool) {
	n, rest, ok := parseDigits(s)
	if !ok {
		return 0, false
	}
	if rest == "" {
		return n, true
	}
	k := strings.IndexByte("KMGT", rest[0])
	if k < 0 || !(rest[1:] == "" || rest[1:] == "iB") {
		return 0, false
	}
	for range k + 1 {
		if n > math.MaxUint64>>10 {
			return 0, false
		}
		n <<= 10
	}
	return n, true
}

// parseLimit parses the value of a limit, trace or determinism option
// into lim (hasValue: whether an optional value was given). Returns 0, or
// the exit status of a usage error naming the option and the value.
func parseLimit(name, value string, hasValue bool, lim *limits) int {
	switch name {
	case "--timeout":
		ns, ok := parseDuration(value)
		if !ok {
			return usageError("--timeout needs a DURATION above 0: a number with a unit ns, "+
				"us, ms, s, m or h (e.g. 100ms, 1.5s; none: seconds), not", value)
		}
		// time.Duration stops at 292 years: longer is as good as none.
		lim.timeout = time.Duration(min(ns, math.MaxInt64))
		lim.timeoutText = value
	case "--fuel":
		n, ok := parseUint(value)
		if !ok || n == 0 {
			return usageError("--fuel needs an integer N >= 1, not", value)
		}
		lim.fuel = n
	case "--max-memory":
		n, ok := parseBytes(value)
		if !ok {
			return usageError("--max-memory needs BYTES: an integer, optionally followed by "+
				"K, M, G or T (e.g. 64M), not", value)
		}
		lim.maxMemory, lim.hasMaxMemory = n, true
	case "--cache-max-size":
		n, ok := parseBytes(value)
		if !ok {
			return usageError("--cache-max-size needs BYTES: an integer, optionally followed "+
				"by K, M, G or T (e.g. 512M), not", value)
		}
		lim.cacheMaxSize, lim.hasCacheMaxSize = n, true
	case "--cache-clear":
		lim.cacheClear = true
	case "--trace":
		if value == "" {
			return usageError("--trace needs a FILE, not", value)
		}
		lim.trace = value
	case "--trace-filter":
		// Checked by the library (with --trace): the message names the word.
		lim.traceFilter, lim.hasTraceFilter = value, true
	case "--deterministic":
		lim.deterministic = true
		if hasValue {
			n, ok := parseUint(value)
			if !ok {
				return usageError("--deterministic=SEED needs an integer SEED, not", value)
			}
			lim.seed = n
		}
	case "--max-open-fds":
		// The lower bound depends on the preopens: checked in run.
		n, ok := parseUint(value)
		if !ok || n < 3 || n > math.MaxInt {
			return usageError("--max-open-fds needs an integer N >= 3 (stdio, plus one per "+
				"--dir and --ro-dir), not", value)
		}
		lim.maxOpenFDs, lim.maxOpenFDsText = n, value
	}
	return 0
}

// parse splits the command line into options and the guest's argv, and
// parses the limits. Returns the exit status when there is nothing to run
// (an error, --help). With --cache-clear, the guest's argv is empty.
func parse(args []string, lim *limits) (actions []action, guest []string, status int, done bool) {
	i := 0
	for ; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			i++
			break
		}
		if !strings.HasPrefix(arg, "-") || arg == "-" {
			break
		}
		name, value, hasValue := arg, "", false
		if strings.HasPrefix(arg, "--") {
			name, value, hasValue = strings.Cut(arg, "=")
		}
		rule, known := options[name]
		if !known {
			return nil, nil, usageError("unknown option", arg), true
		}
		switch {
		case rule == needsValue && !hasValue:
			if i+1 >= len(args) {
				return nil, nil, usageError("missing value for", arg), true
			}
			i++
			value, hasValue = args[i], true
		case rule == noValue && hasValue:
			return nil, nil, usageError("no value allowed in", arg), true
		}
		if name == "--help" || name == "-h" {
			fmt.Print(usage)
			return nil, nil, 0, true
		}
		if status := parseLimit(name, value, hasValue, lim); status != 0 {
			return nil, nil, status, true
		}
		actions = append(actions, action{name, value})
	}
	if lim.cacheClear {
		if i < len(args) {
			return nil, nil, usageError("--cache-clear takes no FILE.wasm, got", args[i]), true
		}
		return actions, nil, 0, false
	}
	if i >= len(args) {
		return nil, nil, usageError("missing FILE.wasm"), true
	}
	return actions, args[i:], 0, false
}

// apply applies one option to the config. Returns 0, or an exit status.
func apply(cfg *wasihost.Config, a action) int {
	var err error
	switch a.name {
	case "--dir", "--ro-dir":
		// HOST::GUEST, or HOST alone: the guest sees it under the same
		// name, as with wasmtime.
		host, guest, found := strings.Cut(a.value, "::")
		if !found {
			guest = host
		}
		if host == "" || guest == "" {
			return usageError(a.name+" needs HOST[::GUEST], not", a.value)
		}
		if a.name == "--dir" {
			err = cfg.PreopenDir(host, guest)
		} else {
			err = cfg.PreopenDirReadOnly(host, guest)
		}
	case "--env":
		if name, value, found := strings.Cut(a.value, "="); found {
			err = cfg.SetEnv(name, value)
		} else {
			err = cfg.InheritEnvVar(a.value)
		}
		if err != nil {
			v := a.value
			if len(v) > 40 {
				v = v[:40]
			}
			report(`--env "`+v+`"`, err)
			return exitUsage
		}
	case "--stdin":
		err = cfg.SetStdinFile(a.value)
	}
	if err != nil {
		report("", err)
		return exitUsage
	}
	return 0
}

// applyLimits sets the limits, the trace and the deterministic mode on the
// config. Returns 0, or an exit status.
func applyLimits(cfg *wasihost.Config, lim *limits, npreopens int) int {
	if lim.maxOpenFDsText != "" && lim.maxOpenFDs < 3+uint64(npreopens) {
		dirs := "directories"
		if npreopens == 1 {
			dirs = "directory"
		}
		return usageError(fmt.Sprintf("--max-open-fds must be at least %d (stdio and %d preopened %s), not",
			3+npreopens, npreopens, dirs), lim.maxOpenFDsText)
	}
	var errs []error
	if lim.timeout > 0 {
		errs = append(errs, cfg.SetTimeout(lim.timeout))
	}
	if lim.fuel > 0 {
		errs = append(errs, cfg.SetFuel(lim.fuel))
	}
	if lim.hasMaxMemory {
		errs = append(errs, cfg.SetMaxMemory(lim.maxMemory))
	}
	if lim.maxOpenFDsText != "" {
		errs = append(errs, cfg.SetMaxOpenFDs(int(lim.maxOpenFDs)))
	}
	if lim.hasTraceFilter && lim.trace == "" {
		return usageError("--trace-filter needs --trace FILE")
	}
	if lim.trace != "" {
		// The file is created now; a bad filter or an unwritable file is
		// a usage error that names --trace.
		if err := cfg.SetTraceFile(lim.trace, lim.traceFilter); err != nil {
			report("--trace", err)
			return exitUsage
		}
	}
	if lim.deterministic {
		errs = append(errs, cfg.SetDeterministic(lim.seed))
	}
	for _, err := range errs {
		if err != nil {
			report("", err)
			return exitUsage
		}
	}
	return 0
}

// runFailed is the exit status for an error from instantiating or running
// the guest, after reporting it.
func runFailed(modulePath string, lim *limits, err error) int {
	var exit *wasihost.ExitError
	if errors.As(err, &exit) { // proc_exit from a start function
		return exit.ExitCode()
	}
	var e *wasihost.Error
	if errors.As(err, &e) {
		switch e.Kind {
		case wasihost.KindTrap:
			report("trap", err)
			return exitTrap
		case wasihost.KindInterrupted:
			report("interrupted", err)
			return exitTrap
		case wasihost.KindTimeout:
			what := lim.timeoutText
			if what == "" {
				what = "the timeout"
			}
			fmt.Fprintf(os.Stderr, "wasihost-run: timed out after %s\n", what)
			return exitTimeout
		case wasihost.KindFuelExhausted:
			fmt.Fprintf(os.Stderr, "wasihost-run: out of fuel after %d units\n", lim.fuel)
			return exitFuel
		case wasihost.KindMemoryLimit:
			limit := "default 4 GiB"
			if lim.hasMaxMemory {
				limit = fmt.Sprintf("%d bytes", lim.maxMemory)
			}
			report(fmt.Sprintf("%.80s: more memory than --max-memory (%s)", modulePath, limit), err)
			return exitMemory
		case wasihost.KindConfig: // e.g. the --stdin file; the message names it
			report("", err)
			return exitUsage
		}
	}
	report(modulePath, err)
	return exitUsage
}

// cacheOptions are the options of the cache the command line names.
func cacheOptions(allowShared bool, lim *limits) []wasihost.CacheOption {
	var opts []wasihost.CacheOption
	if allowShared {
		opts = append(opts, wasihost.AllowSharedCacheDir())
	}
	if lim != nil && lim.hasCacheMaxSize {
		size := lim.cacheMaxSize
		if size == 0 {
			size = wasihost.CacheUnbounded
		}
		opts = append(opts, wasihost.CacheMaxSize(size))
	}
	return opts
}

// loadModule loads the module at path: through the cache unless noCache.
// Returns the module, or an exit status (after reporting the error).
func loadModule(engine *wasihost.Engine, path string, noCache bool, cacheDir string, hasCacheDir, allowShared bool, lim *limits) (*wasihost.Module, int) {
	var module *wasihost.Module
	var err error
	var cache *wasihost.Cache
	if !noCache {
		if hasCacheDir && cacheDir == "" {
			// The package's "" is the default directory; the library
			// refuses an empty one, and so does the C runner (in these words).
			fmt.Fprintf(os.Stderr, "wasihost-run: %s: dir is empty\n", path)
			return nil, exitUsage
		}
		cache, err = wasihost.NewCache(cacheDir, cacheOptions(allowShared, lim)...)
		if err != nil && !hasCacheDir && errors.Is(err, wasihost.KindInvalidArgument) {
			// Without --cache-dir there may be no default directory (no
			// HOME): then run without the cache rather than fail.
			err, noCache = nil, true
		}
	}
	if err == nil {
		if cache != nil {
			module, _, err = cache.LoadFile(engine, path)
			cache.Close()
		} else {
			module, err = wasihost.NewModuleFromFile(engine, path)
		}
	}
	var werr *wasihost.Error
	if err != nil && !noCache && errors.As(err, &werr) && werr.Kind == wasihost.KindIO && werr.Errno == wasihost.ErrnoPerm {
		// The cache directory is not private: the message names it and
		// says what to do; add the option that allows it anyway.
		fmt.Fprintf(os.Stderr, "wasihost-run: %s (--cache-allow-shared)\n", werr.Message)
		return nil, exitUsage
	}
	if err != nil {
		// An I/O error names the file already; wasmtime's does not.
		var e *wasihost.Error
		if errors.As(err, &e) && e.Kind == wasihost.KindIO {
			report("", err)
		} else {
			report(path, err)
		}
		return nil, exitUsage
	}
	if !module.HasExport("_start") {
		fmt.Fprintf(os.Stderr, "wasihost-run: %s: the module exports no _start function (not a WASI command)\n", path)
		module.Close()
		return nil, exitUsage
	}
	return module, 0
}

// clearCache is --cache-clear: deletes the compiled modules of the cache
// the command line names (--cache-dir, --cache-allow-shared) and prints how
// many bytes that freed. Returns the exit status.
func clearCache(actions []action) int {
	var cacheDir string
	var hasCacheDir, allowShared bool
	for _, a := range actions {
		switch a.name {
		case "--cache-dir":
			cacheDir, hasCacheDir = a.value, true
		case "--cache-allow-shared":
			allowShared = true
		}
	}
	if hasCacheDir && cacheDir == "" {
		// As the C runner: the library refuses an empty directory (the
		// package's "" would be the default one).
		fmt.Fprintln(os.Stderr, "wasihost-run: --cache-clear: dir is empty")
		return exitUsage
	}
	cache, err := wasihost.NewCache(cacheDir, cacheOptions(allowShared, nil)...)
	var freed uint64
	if err == nil {
		freed, err = cache.Clear()
		cache.Close()
	}
	if err != nil {
		report("--cache-clear", err)
		return exitUsage
	}
	fmt.Printf("freed %d bytes\n", freed)
	return 0
}

func run(args []string) int {
	var lim limits
	actions, guestArgs, status, done := parse(args, &lim)
	if done {
		return status
	}
	if lim.cacheClear {
		return clearCache(actions)
	}
	modulePath := guestArgs[0]

	cfg, err := wasihost.NewConfig()
	if err != nil {
		fmt.Fprintln(os.Stderr, "wasihost-run: cannot create a config")
		return exitUsage
	}
	defer cfg.Close()
	// The guest's argv: the module path as given, then its arguments.
	for _, err := range []error{
		cfg.AddArgs(guestArgs...),
		cfg.InheritStdin(),
		cfg.InheritOutput(wasihost.Stdout),
		cfg.InheritOutput(wasihost.Stderr),
	} {
		if err != nil {
			report("", err)
			return exitUsage
		}
	}
	var cacheDir string
	var noCache, hasCacheDir, allowShared bool
	npreopens := 0
	for _, a := range actions {
		switch a.name {
		case "--cache-dir":
			cacheDir, hasCacheDir = a.value, true
		case "--cache-allow-shared":
			allowShared = true
		case "--no-cache":
			noCache = true
		default:
			if status := apply(cfg, a); status != 0 {
				return status
			}
		}
		if a.name == "--dir" || a.name == "--ro-dir" {
			npreopens++
		}
	}
	if status := applyLimits(cfg, &lim, npreopens); status != 0 {
		return status
	}

	// Interruption and fuel metering cost time in every loop of the
	// guest's compiled code: the engine has them only when asked for.
	var engineOpts []wasihost.EngineOption
	if lim.timeout > 0 {
		engineOpts = append(engineOpts, wasihost.Interruptible())
	}
	if lim.fuel > 0 {
		engineOpts = append(engineOpts, wasihost.Fuel())
	}
	engine, err := wasihost.NewEngine(engineOpts...)
	if err != nil {
		report("cannot create the engine", err)
		return exitUsage
	}
	defer engine.Close()
	module, status := loadModule(engine, modulePath, noCache, cacheDir, hasCacheDir, allowShared, &lim)
	if status != 0 {
		return status
	}
	defer module.Close()

	inst, err := wasihost.NewInstance(module, cfg)
	if err != nil {
		return runFailed(modulePath, &lim, err)
	}
	defer inst.Close()
	err = inst.Run(context.Background())
	var exit *wasihost.ExitError
	if errors.As(err, &exit) {
		// Passed through as is: the OS keeps the low 8 bits.
		status = exit.ExitCode()
	} else if err != nil {
		status = runFailed(modulePath, &lim, err)
	}
	// A guest that fails after being refused memory most likely fails
	// because of it: say so.
	if status != 0 && inst.MemoryLimitReached() {
		fmt.Fprintln(os.Stderr, "wasihost-run: note: the guest reached the --max-memory limit")
	}
	return status
}
