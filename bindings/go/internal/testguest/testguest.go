// Package testguest compiles the C guest programs of the Go tests to wasm
// (clang --target=wasm32-wasi -O2; Debian packages clang lld wasi-libc
// libclang-rt-14-dev-wasm32, which `make deps` installs).
package testguest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
)

// Sources maps each guest's name to its C source: this binding's own
// guest, and those of the repository's tests that fit.
func Sources() map[string]string {
	_, file, _, _ := runtime.Caller(0)
	goDir := filepath.Join(filepath.Dir(file), "..", "..")
	repoGuests := filepath.Join(goDir, "..", "..", "tests", "guests")
	examples := filepath.Join(goDir, "..", "..", "examples", "guests")
	return map[string]string{
		// The programmable-host examples' guest (time, open, random).
		"hostdemo": filepath.Join(examples, "hostdemo.c"),
		"gotest":   filepath.Join(goDir, "testdata", "gotest.c"),
		"proc":     filepath.Join(repoGuests, "proc.c"),
		"stdio":    filepath.Join(repoGuests, "stdio.c"),
		"limits":   filepath.Join(repoGuests, "limits.c"),
	}
}

// RepoGuest is the path of a file of the repository's tests/guests (such
// as start_loop.wat).
func RepoGuest(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "..", "tests", "guests", name)
}

// RepoFile is the path of a file of the repository (such as
// bench/hooks/calls.c).
func RepoFile(rel string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "..", filepath.FromSlash(rel))
}

// compiler is $WASIHOST_GUEST_CC, else clang, when it is installed.
func compiler() (string, error) {
	cc := os.Getenv("WASIHOST_GUEST_CC")
	if cc == "" {
		cc = "clang"
	}
	if _, err := exec.LookPath(cc); err != nil {
		return "", fmt.Errorf("%s not found (the guests need clang, lld and wasi-libc: run `make deps` at the top of the repository): %w", cc, err)
	}
	return cc, nil
}

// Compile compiles the C guest src into wasm.
func Compile(src, wasm string) error {
	cc, err := compiler()
	if err != nil {
		return err
	}
	cmd := exec.Command(cc, "--target=wasm32-wasi", "-O2", "-I", filepath.Dir(src), "-o", wasm, src)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("compiling %s: %v\n%s", src, err, stderr.String())
	}
	return nil
}

// Build compiles every guest into dir and returns the path of each .wasm
// by name. The compiler is $WASIHOST_GUEST_CC, else clang.
func Build(dir string) (map[string]string, error) {
	if _, err := compiler(); err != nil {
		return nil, err
	}
	out := map[string]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var firstErr error
	for name, src := range Sources() {
		wasm := filepath.Join(dir, name+".wasm")
		out[name] = wasm
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := Compile(src, wasm); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}
