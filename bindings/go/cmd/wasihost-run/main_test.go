package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"wasihost.dev/wasihost"
	"wasihost.dev/wasihost/internal/testguest"
)

// The test binary doubles as the CLI: with WASIHOST_RUN_AS_CLI=1 it runs
// main's logic on its arguments (no `go build` needed in the tests).
func TestMain(m *testing.M) {
	if os.Getenv("WASIHOST_RUN_AS_CLI") == "1" {
		setupSignals()
		os.Exit(run(os.Args[1:]))
	}
	os.Exit(testMain(m))
}

var (
	guests map[string]string
	work   string // a scratch directory: files the cases use
	// cCLI is the C CLI, to compare with ("" when it is not available).
	cCLI string
)

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "wasihost-run-go-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if guests, err = testguest.Build(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	work = filepath.Join(dir, "work")
	if err := makeWork(work); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	cCLI, err = buildCCLI(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// makeWork makes the files the cases use.
func makeWork(dir string) error {
	files := map[string]string{
		"in.txt":            "from a file\nsecond line\n",
		"ro/f.txt":          "read-only data\n",
		"rw/keep.txt":       "keep\n",
		"bad.wasm":          "\x00asm\x01\x00\x00\x00garbage",
		"nostart.wat":       `(module (func (export "main")))`,
		"import.wat":        `(module (import "env" "f" (func)) (func (export "_start")))`,
		"startexit.wat":     startExitWAT,
		"hello.wat":         helloWAT,
		"spin.wat":          `(module (func (export "_start") (loop $l (br $l))))`,
		"-dash.wat":         helloWAT,
		"trap_in_start.wat": `(module (func $s unreachable) (start $s) (func (export "_start")))`,
		"demo/a.txt":        "hello\n",
		"demo/b.txt":        "",
	}
	for name, text := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			return err
		}
	}
	return nil
}

const helloWAT = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello from WAT\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 15))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))`

const startExitWAT = `(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (func $s (call $exit (i32.const 5)))
  (start $s)
  (func (export "_start")))`

// buildCCLI compiles examples-c/wasihost-run.c against the library the
// tests link, when it exists; $WASIHOST_C_CLI names a built one instead.
func buildCCLI(dir string) (string, error) {
	if p := os.Getenv("WASIHOST_C_CLI"); p != "" {
		return p, nil
	}
	_, file, _, _ := runtime.Caller(0)
	repo := filepath.Join(filepath.Dir(file), "..", "..", "..", "..")
	src := filepath.Join(repo, "examples-c", "wasihost-run.c")
	if _, err := os.Stat(src); err != nil {
		return "", nil
	}
	out := filepath.Join(dir, "wasihost-run-c")
	args := []string{"-O1", "-o", out, src, "-I", filepath.Join(repo, "include")}
	if len(libProfiles) == 0 {
		// An installed library, as the package found it.
		pc, err := exec.Command("pkg-config", "--cflags", "--libs", "wasihost").Output()
		if err != nil {
			fmt.Fprintf(os.Stderr, "warning: pkg-config wasihost failed, not comparing with the C CLI: %v\n", err)
			return "", nil
		}
		args = append(args, strings.Fields(string(pc))...)
	} else {
		var lib string
		for _, p := range libProfiles {
			lib = filepath.Join(repo, "build", "lib", p)
			if _, err := os.Stat(filepath.Join(lib, "libwasihost_core.so")); err == nil {
				break
			}
		}
		args = append(args, "-L", lib, "-Wl,-rpath,"+lib, "-lwasihost_core")
	}
	cmd := exec.Command("cc", args...)
	if b, err := cmd.CombinedOutput(); err != nil {
		// Its author may be changing it: check the Go CLI alone.
		fmt.Fprintf(os.Stderr, "warning: building the C CLI failed, not comparing with it: %v\n%s", err, b)
		return "", nil
	}
	return out, nil
}

// outcome is what a CLI run did.
type outcome struct {
	stdout, stderr string
	status         int
}

// cli runs a CLI (the Go one when bin is "") with args in dir work, stdin
// from stdin, and $WASIHOST_CACHE_DIR at cache.
func cli(t *testing.T, bin string, cache string, stdin string, args ...string) outcome {
	t.Helper()
	cmd := cliCommand(bin, args...)
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	cmd.Env = append(cmd.Env, "WASIHOST_CACHE_DIR="+cache, "WASIHOST_CLI_TEST_VAR=from the host")
	cmd.Dir = work
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	status := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		status = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running %v: %v", args, err)
	}
	return outcome{stdout.String(), stderr.String(), status}
}

type cliCase struct {
	name   string
	args   []string
	stdin  string
	status int
	stdout string // checked when not "*"
	stderr string // a substring of stderr
}

func cases() []cliCase {
	proc, stdio, gotest, hostdemo := guests["proc"], guests["stdio"], guests["gotest"], guests["hostdemo"]
	return []cliCase{
		{"hello", []string{proc, "hello", "world"}, "", 0, "hello world\n", ""},
		{"argv", []string{gotest, "args", "--dir", "x", "-h"}, "", 0,
			"arg 0 " + gotest + "\narg 1 args\narg 2 --dir\narg 3 x\narg 4 -h\n", ""},
		{"return 7", []string{proc, "return", "7"}, "", 7, "returning 7\n", ""},
		{"exit 3", []string{proc, "exit", "3"}, "", 3, "before exit\n", ""},
		{"exit 300", []string{proc, "exit", "300"}, "", 44, "before exit\n", ""},
		{"libc exit", []string{proc, "libc_exit", "9"}, "", 9, "buffered before exit\n", "stderr before exit"},
		{"trap", []string{proc, "trap"}, "", 134, "before trap\n", "wasihost-run: trap: "},
		{"div0", []string{proc, "div0"}, "", 134, "before div0\n", "wasihost-run: trap: "},
		{"oob", []string{proc, "oob"}, "", 134, "before oob\n", "wasihost-run: trap: "},
		{"stack", []string{proc, "stack"}, "", 134, "before stack\n", "wasihost-run: trap: "},
		{"trap in start", []string{"trap_in_start.wat"}, "", 134, "", "wasihost-run: trap: "},
		{"exit in start", []string{"startexit.wat"}, "", 5, "", ""},
		{"stdin", []string{stdio, "filter"}, "abc\nxyz\n", 0, "ABC\nXYZ\n", ""},
		{"--stdin", []string{"--stdin", "in.txt", stdio, "filter"}, "ignored", 0, "FROM A FILE\nSECOND LINE\n", ""},
		{"--stdin=", []string{"--stdin=in.txt", stdio, "filter"}, "", 0, "FROM A FILE\nSECOND LINE\n", ""},
		{"--stdin missing", []string{"--stdin", "missing.txt", stdio, "filter"}, "", 2, "", "missing.txt"},
		{"--env", []string{"--env", "A=1", "--env=B=x=y", "--env", "WASIHOST_CLI_TEST_VAR", "--env", "NOT_SET_ANYWHERE", gotest, "env"}, "", 0,
			"A=1\nB=x=y\nWASIHOST_CLI_TEST_VAR=from the host\n", ""},
		{"--env bad", []string{"--env", "=x", gotest, "env"}, "", 2, "", `--env "=x"`},
		{"--dir", []string{"--dir", "rw::/data", gotest, "write", "/data/new.txt", "text"}, "", 0, "write /data/new.txt ok\n", ""},
		{"--dir same path", []string{"--dir=rw", gotest, "cat", "rw/keep.txt"}, "", 0, "keep\n", ""},
		{"--ro-dir read", []string{"--ro-dir", "ro::/ro", gotest, "cat", "/ro/f.txt"}, "", 0, "read-only data\n", ""},
		{"--ro-dir write", []string{"--ro-dir", "ro::/ro", gotest, "write", "/ro/f.txt", "x"}, "", 1, "write /ro/f.txt errno=76\n", ""},
		{"no dir", []string{gotest, "cat", "/ro/f.txt"}, "", 1, "cat /ro/f.txt errno=76\n", ""},
		{"escape", []string{"--dir", "rw::/jail", gotest, "escape"}, "", 0, "*", ""},
		{"--dir missing", []string{"--dir", "missing::/m", proc, "hello"}, "", 2, "", "missing"},
		{"--dir bad", []string{"--dir", "::/m", proc, "hello"}, "", 2, "", "--dir needs HOST[::GUEST]"},
		{"--ro-dir bad", []string{"--ro-dir", "ro::", proc, "hello"}, "", 2, "", "--ro-dir needs HOST[::GUEST]"},
		{"WAT file", []string{"hello.wat"}, "", 0, "hello from WAT\n", ""},
		{"--", []string{"--", "-dash.wat"}, "", 0, "hello from WAT\n", ""},
		{"--no-cache", []string{"--no-cache", proc, "hello", "x"}, "", 0, "hello x\n", ""},
		{"--cache-dir", []string{"--cache-dir", "cache", proc, "hello", "y"}, "", 0, "hello y\n", ""},
		{"--cache-dir empty", []string{"--cache-dir=", proc, "hello", "y"}, "", 2, "", "dir is empty"},
		{"--cache-max-size", []string{"--cache-max-size", "1K", "--cache-dir", "cache", proc, "hello", "small"}, "", 0, "hello small\n", ""},
		{"--cache-max-size 0", []string{"--cache-max-size=0", proc, "hello", "unbounded"}, "", 0, "hello unbounded\n", ""},
		{"--cache-max-size bad", []string{"--cache-max-size", "12Q", proc}, "", 2, "",
			`wasihost-run: --cache-max-size needs BYTES: an integer, optionally followed by K, M, G or T (e.g. 512M), not "12Q" (try --help)`},
		{"--cache-max-size fraction", []string{"--cache-max-size=1.5G", proc}, "", 2, "", `not "1.5G"`},
		{"--cache-max-size too big", []string{"--cache-max-size", "16777216T", proc}, "", 2, "", `not "16777216T"`},
		{"--cache-max-size missing value", []string{"--cache-max-size"}, "", 2, "", `missing value for "--cache-max-size"`},
		{"--cache-clear empty cache", []string{"--cache-dir", "never-made", "--cache-clear"}, "", 0, "freed 0 bytes\n", ""},
		{"--cache-clear with a file", []string{"--cache-clear", proc, "hello"}, "", 2, "",
			`wasihost-run: --cache-clear takes no FILE.wasm, got "` + proc + `" (try --help)`},
		{"--cache-clear value", []string{"--cache-clear=1"}, "", 2, "", `no value allowed in "--cache-clear=1"`},
		{"--cache-clear empty dir", []string{"--cache-dir=", "--cache-clear"}, "", 2, "", "wasihost-run: --cache-clear: dir is empty"},
		{"no args", nil, "", 2, "", "missing FILE.wasm"},
		{"only options", []string{"--no-cache"}, "", 2, "", "missing FILE.wasm"},
		{"unknown option", []string{"--frobnicate", proc}, "", 2, "", `unknown option "--frobnicate"`},
		{"hello without a name", []string{proc, "hello"}, "", 0, "hello 0\n", ""},
		{"missing value 2", []string{"--dir"}, "", 2, "", `missing value for "--dir"`},
		{"no value allowed", []string{"--no-cache=1", proc}, "", 2, "", `no value allowed in "--no-cache=1"`},
		{"missing module", []string{"missing.wasm"}, "", 2, "", "missing.wasm"},
		{"missing module no cache", []string{"--no-cache", "missing.wasm"}, "", 2, "", "missing.wasm"},
		{"invalid wasm", []string{"bad.wasm"}, "", 2, "", "bad.wasm"},
		{"no _start", []string{"nostart.wat"}, "", 2, "", "no _start"},
		{"unknown import", []string{"import.wat"}, "", 2, "", "import.wat"},
		{"--trace", []string{"--trace", "trace.jsonl", proc, "hello", "x"}, "", 0, "hello x\n", ""},
		{"--trace-filter", []string{"--trace=trace.jsonl", "--trace-filter=fs,clock", proc, "hello", "y"}, "", 0, "hello y\n", ""},
		{"--trace empty", []string{"--trace=", proc, "hello"}, "", 2, "", `--trace needs a FILE, not ""`},
		{"--trace unwritable", []string{"--trace", "missing/t.jsonl", proc, "hello"}, "", 2, "", "wasihost-run: --trace: trace file missing/t.jsonl"},
		{"--trace bad filter", []string{"--trace", "trace.jsonl", "--trace-filter", "fs,bogus", proc, "hello"}, "", 2, "",
			"wasihost-run: --trace: filter: unknown call or group `bogus`"},
		{"--trace-filter alone", []string{"--trace-filter", "fs", proc, "hello"}, "", 2, "", "wasihost-run: --trace-filter needs --trace FILE (try --help)"},
		{"--trace-filter missing value", []string{"--trace", "t.jsonl", "--trace-filter"}, "", 2, "", `missing value for "--trace-filter"`},
		{"--deterministic", []string{"--deterministic", "--dir", "demo::/d", hostdemo, "time", "/d"}, "", 0, "*", ""},
		{"--deterministic=SEED", []string{"--deterministic=42", "--dir", "demo::/d", hostdemo, "time", "/d"}, "", 0, "*", ""},
		{"--deterministic random", []string{"--deterministic=3", "--dir=demo::/dev", hostdemo, "random", "/dev/a.txt", "3"}, "", 0,
			"/dev/a.txt: 68656c\n", ""},
		{"--deterministic bad seed", []string{"--deterministic=x", hostdemo, "time", "/"}, "", 2, "", `--deterministic=SEED needs an integer SEED, not "x"`},
		{"--deterministic empty seed", []string{"--deterministic=", hostdemo, "time", "/"}, "", 2, "", `--deterministic=SEED needs an integer SEED, not ""`},
		{"--deterministic seed too big", []string{"--deterministic=18446744073709551616", hostdemo, "time", "/"}, "", 2, "", `not "18446744073709551616"`},
		{"--deterministic SEED is the module", []string{"--deterministic", "5", "x"}, "", 2, "", "5"},
		{"empty value quoted", []string{"--timeout=", proc, "hello"}, "", 2, "", `not "" (try --help)`},
		{"help", []string{"--help"}, "", 0, usage, ""},
		{"-h", []string{"-h", "ignored"}, "", 0, usage, ""},
	}
}

// TestCLI runs every case through the Go CLI, and through the C CLI when
// it is available: same stdout and exit status; stderr holds the
// expected text in both.
func TestCLI(t *testing.T) {
	if cCLI == "" {
		t.Log("examples-c/wasihost-run.c not found: checking the Go CLI alone")
	}
	for _, c := range cases() {
		t.Run(c.name, func(t *testing.T) {
			goOut := cli(t, "", t.TempDir(), c.stdin, c.args...)
			check := func(who string, o outcome) {
				t.Helper()
				if o.status != c.status || (c.stdout != "*" && o.stdout != c.stdout) || !strings.Contains(o.stderr, c.stderr) {
					t.Errorf("%s: status %d, stdout %q, stderr %q; want status %d, stdout %q, stderr containing %q",
						who, o.status, o.stdout, o.stderr, c.status, c.stdout, c.stderr)
				}
				if c.status == 2 && strings.Count(o.stderr, "\n") != 1 {
					t.Errorf("%s: a usage or load error takes one line: %q", who, o.stderr)
				}
			}
			check("Go CLI", goOut)
			if cCLI == "" {
				return
			}
			cOut := cli(t, cCLI, t.TempDir(), c.stdin, c.args...)
			check("C CLI", cOut)
			if goOut.stdout != cOut.stdout || goOut.status != cOut.status {
				t.Errorf("Go and C differ:\nGo: %+v\nC:  %+v", goOut, cOut)
			}
			if goOut.stderr != cOut.stderr {
				t.Logf("stderr differs:\nGo: %q\nC:  %q", goOut.stderr, cOut.stderr)
			}
		})
	}
}

func TestCLICache(t *testing.T) {
	proc := guests["proc"]
	def, dir := t.TempDir(), t.TempDir()
	// Compiled entries (the directory also holds the hashes LoadFile
	// remembers for module files).
	count := func(d string) int {
		e, _ := filepath.Glob(filepath.Join(d, "*.cwasm"))
		return len(e)
	}
	if o := cli(t, "", def, "", "--no-cache", proc, "hello"); o.status != 0 || count(def) != 0 {
		t.Fatalf("--no-cache: %+v, %d cache entries", o, count(def))
	}
	if o := cli(t, "", def, "", proc, "hello"); o.status != 0 || count(def) != 1 {
		t.Fatalf("default cache: %+v, %d cache entries", o, count(def))
	}
	if o := cli(t, "", def, "", "--cache-dir", dir, proc, "hello"); o.status != 0 || count(dir) != 1 || count(def) != 1 {
		t.Fatalf("--cache-dir: %+v, %d/%d cache entries", o, count(dir), count(def))
	}
	// A hit runs the same.
	if o := cli(t, "", def, "", "--cache-dir", dir, proc, "hello", "again"); o.status != 0 || o.stdout != "hello again\n" {
		t.Fatalf("cache hit: %+v", o)
	}
	// No default directory at all: runs without the cache.
	cmd := exec.Command(os.Args[0], proc, "hello", "nohome")
	cmd.Env = []string{"WASIHOST_RUN_AS_CLI=1"}
	out, err := cmd.Output()
	if err != nil || string(out) != "hello nohome\n" {
		t.Fatalf("without HOME: %q, %v", out, err)
	}
}

// --cache-clear frees what the runs stored (the bytes the package's
// Cache.DiskUsage counted), in --cache-dir or the default directory; files
// not the cache's stay; --cache-max-size keeps one entry alone larger than
// it, and evicts it for the next.
func TestCLICacheClearAndMaxSize(t *testing.T) {
	proc, gotest := guests["proc"], guests["gotest"]
	def, dir := filepath.Join(t.TempDir(), "def"), filepath.Join(t.TempDir(), "dir")
	entries := func(d string) []string {
		e, _ := filepath.Glob(filepath.Join(d, "*.cwasm"))
		return e
	}
	usage := func(d string) uint64 {
		c, err := wasihost.NewCache(d)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		n, err := c.DiskUsage()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, args := range [][]string{{proc, "hello"}, {gotest, "env"}} {
		if o := cli(t, "", def, "", append([]string{"--cache-dir", dir}, args...)...); o.status != 0 {
			t.Fatalf("%+v", o)
		}
	}
	if o := cli(t, "", def, "", proc, "hello"); o.status != 0 || len(entries(def)) != 1 {
		t.Fatalf("default cache: %+v, %v", o, entries(def))
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	used := usage(dir)
	if len(entries(dir)) != 2 || used == 0 {
		t.Fatalf("entries %v, usage %d", entries(dir), used)
	}
	o := cli(t, "", def, "", "--cache-dir", dir, "--cache-clear")
	if want := fmt.Sprintf("freed %d bytes\n", used); o != (outcome{want, "", 0}) {
		t.Fatalf("--cache-clear: %+v, want stdout %q", o, want)
	}
	if len(entries(dir)) != 0 || len(entries(def)) != 1 {
		t.Fatalf("after --cache-clear: %v, %v", entries(dir), entries(def))
	}
	if b, err := os.ReadFile(filepath.Join(dir, "notes.txt")); err != nil || string(b) != "mine" {
		t.Fatalf("notes.txt: %q, %v", b, err)
	}
	if o := cli(t, "", def, "", "--cache-dir", dir, "--cache-clear"); o != (outcome{"freed 0 bytes\n", "", 0}) {
		t.Fatalf("second --cache-clear: %+v", o)
	}
	used = usage(def)
	if o := cli(t, "", def, "", "--cache-clear"); o != (outcome{fmt.Sprintf("freed %d bytes\n", used), "", 0}) || len(entries(def)) != 0 {
		t.Fatalf("--cache-clear of the default cache: %+v (usage %d), %v", o, used, entries(def))
	}

	small := filepath.Join(t.TempDir(), "small")
	if o := cli(t, "", def, "", "--cache-dir", small, "--cache-max-size", "1K", proc, "hello", "one"); o.status != 0 || o.stdout != "hello one\n" {
		t.Fatalf("%+v", o)
	}
	first := entries(small)
	if len(first) != 1 {
		t.Fatalf("entries %v", first)
	}
	if st, err := os.Stat(first[0]); err != nil || st.Size() <= 1024 {
		t.Fatalf("the entry: %v, %v", st, err)
	}
	if o := cli(t, "", def, "", "--cache-dir", small, "--cache-max-size", "1K", gotest, "env"); o.status != 0 {
		t.Fatalf("%+v", o)
	}
	if second := entries(small); len(second) != 1 || second[0] == first[0] {
		t.Fatalf("after a second module: %v (first %v)", second, first)
	}
}

func TestCLIDirWritesHostFile(t *testing.T) {
	o := cli(t, "", t.TempDir(), "", "--dir", "rw::/data", guests["gotest"], "write", "/data/out.txt", "via the CLI")
	if o.status != 0 {
		t.Fatalf("%+v", o)
	}
	if b, err := os.ReadFile(filepath.Join(work, "rw", "out.txt")); err != nil || string(b) != "via the CLI" {
		t.Fatalf("%q, %v", b, err)
	}
}

// signalOf is the signal that ended a run, or 0.
func signalOf(err error) syscall.Signal {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return ws.Signal()
		}
	}
	return 0
}

// cliCommand is the command that runs a CLI (the Go one when bin is "").
func cliCommand(bin string, args ...string) *exec.Cmd {
	if bin == "" {
		cmd := exec.Command(os.Args[0], args...)
		cmd.Env = append(os.Environ(), "WASIHOST_RUN_AS_CLI=1")
		return cmd
	}
	return exec.Command(bin, args...)
}

// TestCLIClosedPipe: a guest writing into a closed stdout pipe ends the
// run with SIGPIPE, as with the C CLI.
func TestCLIClosedPipe(t *testing.T) {
	bins := []string{""}
	if cCLI != "" {
		bins = append(bins, cCLI)
	}
	for _, bin := range bins {
		cmd := cliCommand(bin, "--no-cache", guests["gotest"], "big", "10000000")
		out, err := cmd.StdoutPipe()
		must(t, err)
		must(t, cmd.Start())
		buf := make([]byte, 10)
		if _, err := io.ReadFull(out, buf); err != nil || string(buf) != "xxxxxxxxxx" {
			t.Fatalf("%q, %v", buf, err)
		}
		out.Close()
		err = cmd.Wait()
		if sig := signalOf(err); sig != syscall.SIGPIPE {
			t.Errorf("%s: ended with %v (signal %v), want SIGPIPE", name(bin), err, sig)
		}
	}
}

// TestCLISigint: Ctrl-C stops a guest in an endless loop.
func TestCLISigint(t *testing.T) {
	cmd := cliCommand("", "--no-cache", guests["gotest"], "loop")
	must(t, cmd.Start())
	time.Sleep(300 * time.Millisecond) // likely in the loop by now; either way SIGINT ends it
	must(t, cmd.Process.Signal(os.Interrupt))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if sig := signalOf(err); sig != syscall.SIGINT {
			t.Fatalf("ended with %v, want SIGINT", err)
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("still running 10 s after SIGINT")
	}
}

func name(bin string) string {
	if bin == "" {
		return "Go CLI"
	}
	return "C CLI"
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestCLILimits: --timeout, --fuel, --max-memory and --max-open-fds, and
// their exit statuses (the shared table, tests/cli/cases.json, checks the
// three CLIs against each other; this checks the Go one alone).
func TestCLILimits(t *testing.T) {
	limits, gotest, proc := guests["limits"], guests["gotest"], guests["proc"]
	startLoop := testguest.RepoGuest("start_loop.wat")
	must(t, os.WriteFile(filepath.Join(work, "bigmem.wat"), []byte(`(module (memory 2000) (func (export "_start")))`), 0o644))
	for _, c := range []cliCase{
		{"timeout spin", []string{"--timeout", "100ms", limits, "spin"}, "", 124, "", "wasihost-run: timed out after 100ms\n"},
		{"timeout seconds", []string{"--timeout=0.1", limits, "spin"}, "", 124, "", "wasihost-run: timed out after 0.1\n"},
		{"timeout sleep", []string{"--timeout", "100ms", limits, "sleep", "100"}, "", 124, "", "timed out after 100ms"},
		{"timeout start function", []string{"--timeout", "100ms", startLoop}, "", 124, "", "timed out after 100ms"},
		{"timeout not reached", []string{"--timeout", "1h", limits, "count", "10"}, "", 0, "counted 10\n", ""},
		{"timeout and a trap", []string{"--timeout", "1h", proc, "trap"}, "", 134, "before trap\n", "wasihost-run: trap: "},
		{"fuel exhausted", []string{"--fuel", "10000", limits, "count", "100000"}, "", 152, "", "wasihost-run: out of fuel after 10000 units\n"},
		{"fuel enough", []string{"--fuel", "100000000", limits, "count", "100000"}, "", 0, "counted 100000\n", ""},
		{"max-memory refused", []string{"--max-memory", "64M", limits, "grow", "1000"}, "", 3, "*",
			"wasihost-run: note: the guest reached the --max-memory limit\n"},
		{"max-memory MiB", []string{"--max-memory=64MiB", limits, "grow", "8"}, "", 0, "grew 8 MiB\n", ""},
		{"max-memory declared", []string{"--max-memory", "64M", "bigmem.wat"}, "", 137, "", "bigmem.wat: more memory than --max-memory (67108864 bytes)"},
		{"max-open-fds", []string{"--max-open-fds", "5", "--dir", "rw::/data", gotest, "cat", "/data/keep.txt"}, "", 0, "keep\n", ""},
		{"max-open-fds reached", []string{"--max-open-fds", "4", "--dir", "rw::/data", gotest, "cat", "/data/keep.txt"}, "", 1,
			"cat /data/keep.txt errno=33\n", ""}, // mfile
		{"max-open-fds too few", []string{"--max-open-fds", "3", "--dir", "rw::/data", gotest, "cat", "/data/keep.txt"}, "", 2, "",
			`--max-open-fds must be at least 4 (stdio and 1 preopened directory), not "3"`},
		{"bad timeout 0", []string{"--timeout", "0", limits, "spin"}, "", 2, "", `--timeout needs a DURATION above 0`},
		{"bad timeout unit", []string{"--timeout", "5x", limits, "spin"}, "", 2, "", `"5x"`},
		{"bad timeout negative", []string{"--timeout=-1s", limits, "spin"}, "", 2, "", `--timeout`},
		{"bad fuel 0", []string{"--fuel", "0", limits, "spin"}, "", 2, "", `--fuel needs an integer N >= 1, not "0"`},
		{"bad fuel", []string{"--fuel", "1e6", limits, "spin"}, "", 2, "", `--fuel needs an integer N >= 1, not "1e6"`},
		{"bad max-memory", []string{"--max-memory", "64MB", limits, "spin"}, "", 2, "", `--max-memory needs BYTES`},
		{"bad max-open-fds", []string{"--max-open-fds", "2", limits, "spin"}, "", 2, "", `--max-open-fds needs an integer N >= 3`},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := cli(t, "", t.TempDir(), c.stdin, c.args...)
			if o.status != c.status || (c.stdout != "*" && o.stdout != c.stdout) || !strings.Contains(o.stderr, c.stderr) {
				t.Errorf("status %d, stdout %q, stderr %q; want status %d, stdout %q, stderr containing %q",
					o.status, o.stdout, o.stderr, c.status, c.stdout, c.stderr)
			}
			if c.status == 2 && strings.Count(o.stderr, "\n") != 1 {
				t.Errorf("a usage or load error takes one line: %q", o.stderr)
			}
		})
	}
}

// TestCLITimeoutStdin: a guest waiting for stdin that never comes (a pipe
// whose writer stays open) is stopped by --timeout.
func TestCLITimeoutStdin(t *testing.T) {
	r, w, err := os.Pipe()
	must(t, err)
	defer w.Close()
	cmd := cliCommand("", "--no-cache", "--timeout", "100ms", guests["limits"], "read")
	cmd.Stdin = r
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	must(t, cmd.Start())
	r.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 124 || stderr.String() != "wasihost-run: timed out after 100ms\n" {
			t.Fatalf("%v, stderr %q", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("still running 20 s into a 100 ms timeout")
	}
}

func TestParseLimits(t *testing.T) {
	for s, want := range map[string]uint64{
		"1.5s": 1.5e9, ".5": 5e8, "5.": 5e9, "1ns": 1, "100ms": 1e8, "2m": 120e9, "1h": 3600e9,
		"0.1": 1e8, "1.0000000019": 1e9 + 1, "3us": 3000, "18446744073.709551615": math.MaxUint64,
		"0.5ns": 0, "0": 0, "": 0, ".": 0, ".s": 0, "1 s": 0, "1S": 0, "-1": 0, "1e3": 0,
		"18446744073.709551616": 0, "99999999999999999999ns": 0,
	} {
		got, ok := parseDuration(s)
		if (want == 0 && ok) || (want != 0 && (!ok || got != want)) {
			t.Errorf("parseDuration(%q) = %d, %v; want %d", s, got, ok, want)
		}
	}
	for _, c := range []struct {
		s    string
		want uint64
		ok   bool
	}{
		{"64M", 64 << 20, true}, {"64MiB", 64 << 20, true}, {"1K", 1024, true}, {"1KiB", 1024, true},
		{"0", 0, true}, {"3G", 3 << 30, true}, {"2T", 2 << 40, true}, {"16777215T", 16777215 << 40, true},
		{"18446744073709551615", math.MaxUint64, true},
		{"16777216T", 0, false}, {"18446744073709551616", 0, false}, {"64m", 0, false}, {"M", 0, false},
		{"64MB", 0, false}, {"64 M", 0, false}, {"", 0, false}, {"-1", 0, false},
	} {
		got, ok := parseBytes(c.s)
		if ok != c.ok || got != c.want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d, %v", c.s, got, ok, c.want, c.ok)
		}
	}
}

// TestCLITrace: --trace writes one JSON object per call, --trace-filter
// chooses them; the C runner writes the same records (but for the
// durations).
func TestCLITrace(t *testing.T) {
	bins := []string{""}
	if cCLI != "" {
		bins = append(bins, cCLI)
	}
	var records []string
	for _, bin := range bins {
		trace := filepath.Join(t.TempDir(), "trace.jsonl")
		o := cli(t, bin, t.TempDir(), "", "--trace", trace, "--trace-filter", "path_open,fd_close", "--dir", "demo::/d",
			guests["hostdemo"], "open", "/d/a.txt", "/d/nope")
		if o.status != 0 || o.stdout != "/d/a.txt: 6 bytes\n/d/nope: error No such file or directory\n" {
			t.Fatalf("%s: %+v", name(bin), o)
		}
		b, err := os.ReadFile(trace)
		must(t, err)
		var calls []string
		var all []string
		for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
			var rec map[string]any
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("%s: line %q: %v", name(bin), line, err)
			}
			args, _ := rec["args"].(map[string]any)
			calls = append(calls, fmt.Sprint(rec["call"], " ", args["path"], " ", rec["errno"]))
			if _, ok := rec["ns"].(float64); !ok {
				t.Errorf("%s: no duration in %q", name(bin), line)
			}
			delete(rec, "ns")
			norm, _ := json.Marshal(rec)
			all = append(all, string(norm))
		}
		if got := strings.Join(calls, ","); got != "path_open a.txt success,fd_close <nil> success,path_open nope noent" {
			t.Errorf("%s: calls %q", name(bin), got)
		}
		records = append(records, strings.Join(all, "\n"))
	}
	if len(records) == 2 && records[0] != records[1] {
		t.Errorf("the Go and C traces differ:\n%s\n%s", records[0], records[1])
	}
}

// TestCLIDeterministic: two runs with --deterministic print the same, with
// the frozen clock; the C runner prints the same too.
func TestCLIDeterministic(t *testing.T) {
	args := []string{"--deterministic=9", "--dir", "demo::/d", guests["hostdemo"], "time", "/d"}
	a, b := cli(t, "", t.TempDir(), "", args...), cli(t, "", t.TempDir(), "", args...)
	if a.status != 0 || a != b {
		t.Fatalf("two runs:\n%+v\n%+v", a, b)
	}
	if !strings.HasPrefix(a.stdout, "wall: 946684800 s\nmonotonic: 0 ns\nmonotonic after sleeping 1.5 s: 1500000000 ns (+1500000000)\nrandom: ") ||
		!strings.Contains(a.stdout, "entry: a.txt\n") {
		t.Fatalf("output:\n%s", a.stdout)
	}
	if other := cli(t, "", t.TempDir(), "", append([]string{"--deterministic"}, args[1:]...)...); other.stdout == a.stdout {
		t.Fatal("seeds 0 and 9 print the same")
	}
	if cCLI != "" {
		if c := cli(t, cCLI, t.TempDir(), "", args...); c != a {
			t.Fatalf("Go and C differ:\n%+v\n%+v", a, c)
		}
	}
}
