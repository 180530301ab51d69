package wasihost_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"testing/iotest"

	"wasihost.dev/wasihost"
)

func TestVersion(t *testing.T) {
	v := wasihost.Version()
	if strings.Count(v, ".") != 2 {
		t.Fatalf("Version() = %q, want MAJOR.MINOR.PATCH", v)
	}
}

func TestArgs(t *testing.T) {
	r := runGuest(t, "gotest", nil, "args", "two words", "ünïcode", "")
	must(t, r.err)
	want := "arg 0 gotest\narg 1 args\narg 2 two words\narg 3 ünïcode\narg 4 \n"
	if r.stdout != want {
		t.Fatalf("stdout = %q, want %q", r.stdout, want)
	}
}

func TestArgWithNUL(t *testing.T) {
	cfg := newConfig(t)
	err := cfg.AddArgs("a\x00b")
	var e *wasihost.Error
	if !errors.As(err, &e) {
		t.Fatalf("AddArgs with NUL: %v, want an *Error", err)
	}
	t.Logf("AddArgs with NUL: %v", err)
}

func TestNoArgsNoEnv(t *testing.T) {
	// Nothing granted: no argv at all, so main sees argc 0 and mode "".
	cfg := newConfig(t)
	r := runWith(t, guestModule(t, "gotest"), cfg, true)
	var ee *wasihost.ExitError
	if !errors.As(r.err, &ee) || ee.ExitCode() != 2 || r.stdout != "unknown mode \n" {
		t.Fatalf("err = %v, stdout = %q", r.err, r.stdout)
	}
	r = runGuest(t, "gotest", nil, "env")
	must(t, r.err)
	if r.stdout != "" {
		t.Fatalf("environment = %q, want none", r.stdout)
	}
}

func envLines(s string) []string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if s == "" {
		return nil
	}
	slices.Sort(lines)
	return lines
}

func TestSetEnv(t *testing.T) {
	r := runGuest(t, "gotest", func(c *wasihost.Config) {
		must(t, c.SetEnv("A", "1"))
		must(t, c.SetEnv("B", "two words=x"))
		must(t, c.SetEnv("EMPTY", ""))
		must(t, c.SetEnv("A", "3")) // replaces
	}, "env")
	must(t, r.err)
	want := []string{"A=3", "B=two words=x", "EMPTY="}
	if got := envLines(r.stdout); !slices.Equal(got, want) {
		t.Fatalf("env = %q, want %q", got, want)
	}
}

func TestSetEnvRefused(t *testing.T) {
	cfg := newConfig(t)
	for _, c := range []struct{ name, value string }{{"", "x"}, {"A=B", "x"}, {"A\x00", "x"}, {"A", "x\x00y"}} {
		err := cfg.SetEnv(c.name, c.value)
		var e *wasihost.Error
		if !errors.As(err, &e) {
			t.Errorf("SetEnv(%q, %q) = %v, want an *Error", c.name, c.value, err)
		}
	}
}

func TestInheritEnv(t *testing.T) {
	t.Setenv("WASIHOST_GO_TEST_A", "from host")
	t.Setenv("WASIHOST_GO_TEST_B", "b")
	r := runGuest(t, "gotest", func(c *wasihost.Config) {
		must(t, c.InheritEnv())
		must(t, c.SetEnv("WASIHOST_GO_TEST_B", "overridden"))
	}, "env")
	must(t, r.err)
	lines := envLines(r.stdout)
	for _, want := range []string{"WASIHOST_GO_TEST_A=from host", "WASIHOST_GO_TEST_B=overridden"} {
		if !slices.Contains(lines, want) {
			t.Errorf("guest env lacks %q", want)
		}
	}
	if len(lines) < len(os.Environ())-1 {
		t.Errorf("guest has %d variables, host %d", len(lines), len(os.Environ()))
	}
}

func TestInheritEnvVar(t *testing.T) {
	t.Setenv("WASIHOST_GO_TEST_A", "a value")
	r := runGuest(t, "gotest", func(c *wasihost.Config) {
		must(t, c.InheritEnvVar("WASIHOST_GO_TEST_A"))
		must(t, c.InheritEnvVar("WASIHOST_GO_TEST_NOT_SET"))
	}, "env")
	must(t, r.err)
	if r.stdout != "WASIHOST_GO_TEST_A=a value\n" {
		t.Fatalf("env = %q", r.stdout)
	}
}

// sandboxTree makes root/jail (the preopen) with f.txt, sub/ and a symlink
// "out" to root, and root/outside.txt, which the guest must not reach.
func sandboxTree(t *testing.T) (root, jail string) {
	root = t.TempDir()
	jail = filepath.Join(root, "jail")
	must(t, os.MkdirAll(filepath.Join(jail, "sub"), 0o755))
	must(t, os.WriteFile(filepath.Join(jail, "f.txt"), []byte("file data\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(jail, "sub", "g.txt"), []byte("g\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "outside.txt"), []byte("secret\n"), 0o644))
	must(t, os.Symlink("..", filepath.Join(jail, "out")))
	return root, jail
}

func TestPreopenReadWrite(t *testing.T) {
	_, jail := sandboxTree(t)
	r := runGuest(t, "gotest", func(c *wasihost.Config) { must(t, c.PreopenDir(jail, "/data")) },
		"write", "/data/new.txt", "written by the guest")
	must(t, r.err)
	if got, err := os.ReadFile(filepath.Join(jail, "new.txt")); err != nil || string(got) != "written by the guest" {
		t.Fatalf("host file: %q, %v (guest said %q)", got, err, r.stdout)
	}
	r = runGuest(t, "gotest", func(c *wasihost.Config) { must(t, c.PreopenDir(jail, "/data")) },
		"append", "/data/new.txt", "+more")
	must(t, r.err)
	if got, _ := os.ReadFile(filepath.Join(jail, "new.txt")); string(got) != "written by the guest+more" {
		t.Fatalf("host file after append: %q", got)
	}
	r = runGuest(t, "gotest", func(c *wasihost.Config) { must(t, c.PreopenDir(jail, "/data")) }, "ls", "/data")
	must(t, r.err)
	if r.stdout != "f.txt\nnew.txt\nout\nsub\n" {
		t.Fatalf("ls = %q", r.stdout)
	}
}

func TestPreopenReadOnly(t *testing.T) {
	_, jail := sandboxTree(t)
	rw := t.TempDir()
	configure := func(c *wasihost.Config) {
		must(t, c.PreopenDirReadOnly(jail, "/ro"))
		must(t, c.PreopenDir(rw, "/rw"))
	}
	r := runGuest(t, "gotest", configure, "cat", "/ro/f.txt", "/ro/sub/g.txt")
	must(t, r.err)
	if r.stdout != "file data\ng\n" {
		t.Fatalf("reading through the read-only preopen: %q", r.stdout)
	}
	for _, path := range []string{"/ro/f.txt", "/ro/new.txt", "/ro/sub/h.txt"} {
		r = runGuest(t, "gotest", configure, "write", path, "x")
		var ee *wasihost.ExitError
		// 76 is notcapable.
		if !errors.As(r.err, &ee) || r.stdout != "write "+path+" errno=76\n" {
			t.Errorf("write %s: err = %v, stdout = %q, want errno 76 (notcapable)", path, r.err, r.stdout)
		}
	}
	if got, _ := os.ReadFile(filepath.Join(jail, "f.txt")); string(got) != "file data\n" {
		t.Fatalf("the read-only file changed: %q", got)
	}
	if _, err := os.Stat(filepath.Join(jail, "new.txt")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a file was created through the read-only preopen: %v", err)
	}
	r = runGuest(t, "gotest", configure, "write", "/rw/ok.txt", "x")
	must(t, r.err)
}

func TestPreopenMissing(t *testing.T) {
	cfg := newConfig(t)
	err := cfg.PreopenDir(filepath.Join(t.TempDir(), "missing"), "/data")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("PreopenDir of a missing directory: %v, want fs.ErrNotExist", err)
	}
	var e *wasihost.Error
	if !errors.As(err, &e) || e.Errno != wasihost.ErrnoNoent || !strings.Contains(e.Message, "missing") {
		t.Fatalf("error = %#v", err)
	}
}

func TestSandboxEscapes(t *testing.T) {
	_, jail := sandboxTree(t)
	r := runGuest(t, "gotest", func(c *wasihost.Config) { must(t, c.PreopenDir(jail, "/jail")) }, "escape")
	must(t, r.err)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 5 {
		t.Fatalf("escape output: %q", r.stdout)
	}
	for _, l := range lines {
		// 63 is perm.
		if !strings.HasSuffix(l, " errno=63") {
			t.Errorf("%s: want errno=63 (perm)", l)
		}
	}
	// The same through libc paths.
	r = runGuest(t, "gotest", func(c *wasihost.Config) { must(t, c.PreopenDir(jail, "/jail")) },
		"cat", "/jail/../outside.txt", "/jail/out/outside.txt", "/outside.txt")
	if strings.Contains(r.stdout, "secret") {
		t.Fatalf("the guest read outside its preopen: %q", r.stdout)
	}
	if strings.Count(r.stdout, "errno=") != 3 {
		t.Fatalf("cat: %q", r.stdout)
	}
}

func TestMaxOpenFDs(t *testing.T) {
	_, jail := sandboxTree(t)
	r := runGuest(t, "gotest", func(c *wasihost.Config) {
		must(t, c.PreopenDir(jail, "/d"))
		must(t, c.SetMaxOpenFDs(8))
	}, "fds", "/d/f.txt")
	must(t, r.err)
	// 8 = stdio (3) + the preopen + 4 files; then mfile (33).
	if r.stdout != "opened 4 errno=33\n" {
		t.Fatalf("stdout = %q", r.stdout)
	}
	cfg := newConfig(t)
	if err := cfg.SetMaxOpenFDs(-1); err == nil {
		t.Fatal("SetMaxOpenFDs(-1) succeeded")
	}
}

// stdinCase runs the "stdin" guest with configure and checks that it read
// want.
func stdinCase(t *testing.T, configure func(*wasihost.Config), want string) {
	t.Helper()
	r := runGuest(t, "gotest", configure, "stdin")
	if r.err != nil || r.stdout != want || r.stderr != "read "+strconv.Itoa(len(want))+" bytes\n" {
		t.Fatalf("err = %v, stdout = %q, stderr = %q; want stdout %q", r.err, r.stdout, r.stderr, want)
	}
}

const stdinText = "line one\nline two, a little longer\nthree\n"

func TestStdinDefaultIsEOF(t *testing.T) {
	stdinCase(t, nil, "")
	stdinCase(t, func(c *wasihost.Config) {
		must(t, c.SetStdinBytes([]byte("dropped")))
		must(t, c.SetStdin(nil))
	}, "")
}

func TestStdinBytes(t *testing.T) {
	buf := []byte(stdinText)
	stdinCase(t, func(c *wasihost.Config) {
		must(t, c.SetStdinBytes(buf))
		copy(buf, "XXXX") // copied by SetStdinBytes
	}, stdinText)
}

func TestStdinBytesEveryInstance(t *testing.T) {
	cfg := newConfig(t, "gotest", "stdin")
	must(t, cfg.SetStdinBytes([]byte(stdinText)))
	for range 2 {
		r := runWith(t, guestModule(t, "gotest"), cfg, true)
		if r.err != nil || r.stdout != stdinText {
			t.Fatalf("err = %v, stdout = %q", r.err, r.stdout)
		}
	}
}

func TestStdinReader(t *testing.T) {
	long := strings.Repeat("0123456789abcdef", 1000)
	cases := map[string]struct {
		r    io.Reader
		want string
	}{
		"strings.Reader": {strings.NewReader(stdinText), stdinText},
		"OneByteReader":  {iotest.OneByteReader(strings.NewReader(stdinText)), stdinText},
		"HalfReader":     {iotest.HalfReader(strings.NewReader(long)), long},
		"DataErrReader":  {iotest.DataErrReader(strings.NewReader(stdinText)), stdinText},
		"empty reads":    {&emptyReads{r: strings.NewReader(stdinText), n: 3}, stdinText},
		"MultiReader":    {io.MultiReader(strings.NewReader("a"), strings.NewReader(""), strings.NewReader("bc")), "abc"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			stdinCase(t, func(cfg *wasihost.Config) { must(t, cfg.SetStdin(c.r)) }, c.want)
		})
	}
}

// emptyReads returns (0, nil) n times before each read of r.
type emptyReads struct {
	r       io.Reader
	n, left int
}

func (e *emptyReads) Read(p []byte) (int, error) {
	if e.left > 0 {
		e.left--
		return 0, nil
	}
	e.left = e.n
	return e.r.Read(p)
}

func TestStdinReaderError(t *testing.T) {
	boom := errors.New("boom")
	r := runGuest(t, "gotest", func(c *wasihost.Config) {
		must(t, c.SetStdin(io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(boom))))
	}, "stdin")
	var ee *wasihost.ExitError
	// 29 is io.
	if !errors.As(r.err, &ee) || r.stdout != "abc" || r.stderr != "read errno=29\n" {
		t.Fatalf("err = %v, stdout = %q, stderr = %q", r.err, r.stdout, r.stderr)
	}
	// A reader that never makes progress.
	r = runGuest(t, "gotest", func(c *wasihost.Config) { must(t, c.SetStdin(&emptyReads{r: strings.NewReader("x"), n: 1000})) }, "stdin")
	if !errors.As(r.err, &ee) || r.stderr != "read errno=29\n" {
		t.Fatalf("err = %v, stdout = %q, stderr = %q", r.err, r.stdout, r.stderr)
	}
}

func TestStdinFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.txt")
	must(t, os.WriteFile(path, []byte(stdinText), 0o644))
	stdinCase(t, func(c *wasihost.Config) { must(t, c.SetStdinFile(path)) }, stdinText)

	// An *os.File: its fd, duplicated.
	f, err := os.Open(path)
	must(t, err)
	stdinCase(t, func(c *wasihost.Config) {
		must(t, c.SetStdin(f))
		f.Close() // the config has its own fd
	}, stdinText)

	cfg := newConfig(t, "gotest", "stdin")
	must(t, cfg.SetStdinFile(filepath.Join(t.TempDir(), "missing")))
	_, err = wasihost.NewInstance(guestModule(t, "gotest"), cfg)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("NewInstance with a missing stdin file: %v, want fs.ErrNotExist", err)
	}
}

func TestStdinPipe(t *testing.T) {
	pr, pw, err := os.Pipe()
	must(t, err)
	defer pr.Close()
	go func() {
		for _, s := range strings.SplitAfter(stdinText, "\n") {
			pw.Write([]byte(s))
		}
		pw.Close()
	}()
	stdinCase(t, func(c *wasihost.Config) { must(t, c.SetStdin(pr)) }, stdinText)
}

func TestStdoutStderrWriters(t *testing.T) {
	r := runGuest(t, "stdio", nil, "libc")
	must(t, r.err)
	wantOut := "printf 42 x\nfputs\nputs\nwrite\nwrite returned 6\n"
	if r.stdout != wantOut || r.stderr != "to stderr 7\n" {
		t.Fatalf("stdout = %q, stderr = %q", r.stdout, r.stderr)
	}
	// One Write per buffer (iovec) the guest writes, in order; empty ones
	// are skipped.
	var w recordWriter
	cfg := newConfig(t, "stdio", "writes")
	must(t, cfg.SetStdout(&w))
	r = runWith(t, guestModule(t, "stdio"), cfg, false)
	must(t, r.err)
	if want := []string{"one", "two", "three", "four"}; !slices.Equal(w.writes, want) {
		t.Fatalf("writes = %q, want %q", w.writes, want)
	}
}

type recordWriter struct{ writes []string }

func (w *recordWriter) Write(p []byte) (int, error) {
	w.writes = append(w.writes, string(p))
	return len(p), nil
}

// failingWriter fails every write, or writes short without an error.
type failingWriter struct{ short bool }

func (w failingWriter) Write(p []byte) (int, error) {
	if w.short {
		return len(p) / 2, nil
	}
	return 0, errors.New("disk full")
}

func TestWriterErrors(t *testing.T) {
	for _, w := range []failingWriter{{short: false}, {short: true}} {
		r := runGuest(t, "gotest", nil, "write_status")
		must(t, r.err)
		if r.stderr != "stdout errno=0\n" {
			t.Fatalf("stderr = %q", r.stderr)
		}
		var stderr bytes.Buffer
		cfg := newConfig(t, "gotest", "write_status")
		must(t, cfg.SetStdout(w))
		must(t, cfg.SetStderr(&stderr))
		r = runWith(t, guestModule(t, "gotest"), cfg, false)
		must(t, r.err) // the run goes on
		if stderr.String() != "stdout errno=29\n" {
			t.Fatalf("%+v: stderr = %q, want errno 29 (io)", w, stderr.String())
		}
	}
}

func TestOutputFiles(t *testing.T) {
	dir := t.TempDir()
	out, errPath := filepath.Join(dir, "out.txt"), filepath.Join(dir, "err.txt")
	must(t, os.WriteFile(out, []byte("old contents, longer than the new\n"), 0o644))
	cfg := newConfig(t, "stdio", "libc")
	must(t, cfg.SetOutputFile(wasihost.Stdout, out))
	must(t, cfg.AppendOutputFile(wasihost.Stderr, errPath))
	for range 2 {
		must(t, runWith(t, guestModule(t, "stdio"), cfg, false).err)
	}
	if got, _ := os.ReadFile(out); string(got) != "printf 42 x\nfputs\nputs\nwrite\nwrite returned 6\n" {
		t.Fatalf("stdout file = %q (truncated for each instance)", got)
	}
	if got, _ := os.ReadFile(errPath); string(got) != "to stderr 7\nto stderr 7\n" {
		t.Fatalf("stderr file = %q (appended)", got)
	}

	// An *os.File: its fd, duplicated.
	f, err := os.Create(filepath.Join(dir, "f.txt"))
	must(t, err)
	cfg = newConfig(t, "stdio", "libc")
	must(t, cfg.SetStdout(f))
	f.Close()
	must(t, runWith(t, guestModule(t, "stdio"), cfg, false).err)
	if got, _ := os.ReadFile(filepath.Join(dir, "f.txt")); !strings.HasPrefix(string(got), "printf 42 x\n") {
		t.Fatalf("*os.File stdout = %q", got)
	}
}

func TestOutputPipe(t *testing.T) {
	pr, pw, err := os.Pipe()
	must(t, err)
	cfg := newConfig(t, "gotest", "big", "200000") // more than a pipe buffer
	must(t, cfg.SetStdout(pw))
	pw.Close()
	done := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(pr)
		done <- b
	}()
	r := runWith(t, guestModule(t, "gotest"), cfg, false)
	must(t, r.err)
	cfg.Close() // closes the last write end
	if got := <-done; len(got) != 200000 {
		t.Fatalf("read %d bytes from the pipe", len(got))
	}
}

func TestCapture(t *testing.T) {
	cfg := newConfig(t, "gotest", "big", "10000")
	must(t, cfg.CaptureOutput(wasihost.Stdout, 100))
	must(t, cfg.CaptureOutput(wasihost.Stderr, 100))
	inst, err := wasihost.NewInstance(guestModule(t, "gotest"), cfg)
	must(t, err)
	defer inst.Close()
	c, err := inst.Capture(wasihost.Stdout)
	must(t, err)
	if len(c.Data) != 0 || c.TotalWritten != 0 || c.Truncated {
		t.Fatalf("capture before the run: %+v", c)
	}
	must(t, inst.Run(context.Background()))
	c, err = inst.Capture(wasihost.Stdout)
	must(t, err)
	if string(c.Data) != strings.Repeat("x", 100) || c.TotalWritten != 10000 || !c.Truncated {
		t.Fatalf("capture = %q, total %d, truncated %v", c.Data, c.TotalWritten, c.Truncated)
	}
	c, err = inst.Capture(wasihost.Stderr)
	must(t, err)
	if len(c.Data) != 0 || c.Truncated {
		t.Fatalf("stderr capture = %+v", c)
	}
	// A limit of 0 keeps nothing and counts all.
	cfg = newConfig(t, "gotest", "big", "10")
	must(t, cfg.CaptureOutput(wasihost.Stdout, 0))
	inst0, err := wasihost.NewInstance(guestModule(t, "gotest"), cfg)
	must(t, err)
	defer inst0.Close()
	must(t, inst0.Run(context.Background()))
	if c, err := inst0.Capture(wasihost.Stdout); err != nil || len(c.Data) != 0 || c.TotalWritten != 10 || !c.Truncated {
		t.Fatalf("capture with limit 0: %+v, %v", c, err)
	}
	if err := cfg.CaptureOutput(wasihost.Stdout, -1); err == nil {
		t.Fatal("a negative capture limit was accepted")
	}
}

func TestCaptureNotCaptured(t *testing.T) {
	inst, err := wasihost.NewInstance(guestModule(t, "gotest"), nil)
	must(t, err)
	defer inst.Close()
	if _, err := inst.Capture(wasihost.Stdout); err == nil {
		t.Fatal("Capture of a stream that is not captured succeeded")
	}
	if _, err := inst.Capture(wasihost.Stdin); err == nil {
		t.Fatal("Capture(Stdin) succeeded")
	}
}

func TestInvalidStream(t *testing.T) {
	cfg := newConfig(t)
	var e *wasihost.Error
	if err := cfg.SetOutput(wasihost.Stdin, &bytes.Buffer{}); !errors.As(err, &e) {
		t.Fatalf("SetOutput(Stdin, ...) = %v", err)
	}
	if err := cfg.CaptureOutput(wasihost.Stream(7), 10); !errors.As(err, &e) {
		t.Fatalf("CaptureOutput(7) = %v", err)
	}
}

// TestInheritStdio runs a guest with inherited stdin, stdout and stderr
// in a child process (this test binary, see helperProcess).
func TestInheritStdio(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "WASIHOST_GO_HELPER="+guests["stdio"], "WASIHOST_GO_HELPER_ARGS=stdio\x1ffilter")
	cmd.Stdin = strings.NewReader("hello\nworld\n")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	must(t, cmd.Run())
	if stdout.String() != "HELLO\nWORLD\n" {
		t.Fatalf("stdout = %q, stderr = %q", stdout.String(), stderr.String())
	}

	cmd = exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "WASIHOST_GO_HELPER="+guests["proc"], "WASIHOST_GO_HELPER_ARGS=proc\x1flibc_exit\x1f42")
	stdout.Reset()
	stderr.Reset()
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 42 || stdout.String() != "buffered before exit\n" || stderr.String() != "stderr before exit\n" {
		t.Fatalf("err = %v, stdout = %q, stderr = %q", err, stdout.String(), stderr.String())
	}
}

func TestClosedFileRefused(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "closed")
	must(t, err)
	f.Close()
	cfg := newConfig(t)
	for _, err := range []error{cfg.SetStdout(f), cfg.SetStdin(f)} {
		if !errors.Is(err, fs.ErrClosed) {
			t.Errorf("a closed *os.File: %v, want fs.ErrClosed", err)
		}
	}
	// An *os.File over an fd that cannot be open (above the fd limit, so
	// that its finalizer closes nothing): the library says badf.
	var lim syscall.Rlimit
	must(t, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim))
	if lim.Cur >= 1<<30 {
		t.Skipf("fd limit %d: no fd number is sure to be closed", lim.Cur)
	}
	bad := os.NewFile(uintptr(lim.Cur+10), "not open")
	for _, err := range []error{cfg.SetStdout(bad), cfg.SetStdin(bad)} {
		var e *wasihost.Error
		// 8 is badf.
		if !errors.As(err, &e) || e.Kind != wasihost.KindConfig || e.Errno != 8 || e.Errno.String() != "badf" {
			t.Errorf("an fd that is not open: %v, want kind config, errno badf", err)
		}
	}
}

// TestNonUTF8 passes bytes that are not UTF-8 through args, environment
// and host paths (Linux paths are bytes).
func TestNonUTF8(t *testing.T) {
	r := runGuest(t, "gotest", func(c *wasihost.Config) { must(t, c.SetEnv("A", "\xff")) }, "args", "\xff\xfe")
	must(t, r.err)
	if r.stdout != "arg 0 gotest\narg 1 args\narg 2 \xff\xfe\n" {
		t.Fatalf("args: %q", r.stdout)
	}
	r = runGuest(t, "gotest", func(c *wasihost.Config) { must(t, c.SetEnv("A", "\xff")) }, "env")
	if r.err != nil || r.stdout != "A=\xff\n" {
		t.Fatalf("env: %q, %v", r.stdout, r.err)
	}
	d := filepath.Join(t.TempDir(), "d\xff")
	must(t, os.Mkdir(d, 0o755))
	must(t, os.WriteFile(filepath.Join(d, "f"), []byte("hi\n"), 0o644))
	r = runGuest(t, "gotest", func(c *wasihost.Config) {
		must(t, c.PreopenDir(d, "/d"))
		must(t, c.SetStdinFile(filepath.Join(d, "f")))
	}, "cat", "/d/f")
	if r.err != nil || r.stdout != "hi\n" {
		t.Fatalf("host dir: %q, %v", r.stdout, r.err)
	}
}
