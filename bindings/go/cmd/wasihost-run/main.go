// Command wasihost-run runs a WASI command (a .wasm or .wat file) in the
// wasihost sandbox: the Go twin of the C CLI (examples-c/wasihost-run.c),
// with the same options, output and exit statuses.
//
//	wasihost-run [OPTIONS] [--] FILE.wasm [ARGS...]
//
// Run it with --help for the options. Exit status: the guest's exit code
// (0 when its main returns; the OS keeps the low 8 bits), 134 when the
// guest traps or is interrupted, 2 for a usage error or a module that
// cannot be loaded or set up.
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
	"io/fs"
	"os"
	"strings"

	"wasihost.dev/wasihost"
)

// Exit statuses of the runner itself (a guest's own code passes through).
const (
	exitUsage = 2   // bad usage, or the module cannot be loaded or set up
	exitTrap  = 134 // the guest trapped or was interrupted
)

const usage = `usage: wasihost-run [OPTIONS] [--] FILE.wasm [ARGS...]

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
  --no-cache              compile the module without the cache
  -h, --help              print this help and exit

Exit status: the guest's exit code (0 when its main returns); the OS
keeps only the low 8 bits, so a proc_exit code above 255 shows as the
code modulo 256. 134 when the guest traps or is interrupted (the reason
goes to stderr). 2 for a usage error or a module that cannot be loaded
or set up (a missing file, invalid wasm, no _start, a missing --dir).
`

// options maps each option to whether it takes a value.
var options = map[string]bool{
	"--dir":                true,
	"--ro-dir":             true,
	"--env":                true,
	"--stdin":              true,
	"--cache-dir":          true,
	"--cache-allow-shared": false,
	"--no-cache":           false,
	"--help":               false,
	"-h":                   false,
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

func usageError(msg, what string) int {
	if what != "" {
		msg += ` "` + what + `"`
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

// parse splits the command line into options and the guest's argv.
// Returns the exit status when there is nothing to run (an error, --help).
func parse(args []string) (actions []action, guest []string, status int, done bool) {
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
		takesValue, known := options[name]
		if !known {
			return nil, nil, usageError("unknown option", arg), true
		}
		if takesValue {
			if !hasValue {
				if i+1 >= len(args) {
					return nil, nil, usageError("missing value for", arg), true
				}
				i++
				value = args[i]
			}
		} else if hasValue {
			return nil, nil, usageError("no value allowed in", arg), true
		}
		if name == "--help" || name == "-h" {
			fmt.Print(usage)
			return nil, nil, 0, true
		}
		actions = append(actions, action{name, value})
	}
	if i >= len(args) {
		return nil, nil, usageError("missing FILE.wasm", ""), true
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

// runFailed is the exit status for an error from instantiating or running
// the guest, after reporting it.
func runFailed(modulePath string, err error) int {
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
		case wasihost.KindConfig: // e.g. the --stdin file; the message names it
			report("", err)
			return exitUsage
		}
	}
	report(modulePath, err)
	return exitUsage
}

// strerror is the text of an OS error as C's strerror gives it.
func strerror(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	s := err.Error()
	if s != "" {
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	return s
}

// loadModule loads the module at path: through the cache unless noCache.
// Returns the module, or an exit status (after reporting the error).
func loadModule(engine *wasihost.Engine, path string, noCache bool, cacheDir string, hasCacheDir, allowShared bool) (*wasihost.Module, int) {
	var module *wasihost.Module
	var err error
	if noCache {
		module, err = wasihost.NewModuleFromFile(engine, path)
	} else {
		data, rerr := os.ReadFile(path)
		if rerr != nil {
			fmt.Fprintf(os.Stderr, "wasihost-run: cannot read %s: %s\n", path, strerror(rerr))
			return nil, exitUsage
		}
		if hasCacheDir && cacheDir == "" {
			// The package's "" is the default directory; the library
			// refuses an empty one, and so does the C runner.
			fmt.Fprintf(os.Stderr, "wasihost-run: %s: --cache-dir is empty\n", path)
			return nil, exitUsage
		}
		// Without --cache-dir and without a default directory (no HOME)
		// the library compiles the module uncached.
		var opts []wasihost.CacheOption
		if allowShared {
			opts = append(opts, wasihost.AllowSharedCacheDir())
		}
		module, _, err = wasihost.NewModuleCached(engine, data, cacheDir, opts...)
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

func run(args []string) int {
	actions, guestArgs, status, done := parse(args)
	if done {
		return status
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
	}

	engine, err := wasihost.NewEngine()
	if err != nil {
		report("cannot create the engine", err)
		return exitUsage
	}
	defer engine.Close()
	module, status := loadModule(engine, modulePath, noCache, cacheDir, hasCacheDir, allowShared)
	if status != 0 {
		return status
	}
	defer module.Close()

	inst, err := wasihost.NewInstance(module, cfg)
	if err != nil {
		return runFailed(modulePath, err)
	}
	defer inst.Close()
	err = inst.Run(context.Background())
	var exit *wasihost.ExitError
	if errors.As(err, &exit) {
		// Passed through as is: the OS keeps the low 8 bits.
		return exit.ExitCode()
	}
	if err != nil {
		return runFailed(modulePath, err)
	}
	return 0
}
