package wasihost_test

// The programmable-host examples: a policy, a virtual file, an audit log,
// a reproducible run. Each runs hostdemo (examples/guests/hostdemo.c).

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"sync"
	"time"

	"wasihost.dev/wasihost"
)

// hostdemoWasm is the path of examples/guests/hostdemo.c compiled to wasm
// (`make guests` builds build/guests/hostdemo.wasm; the tests compile
// their own copy).
func hostdemoWasm() string { return guests["hostdemo"] }

// runHostdemo runs hostdemo with cfg (stdout to the example's output)
// and args.
func runHostdemo(cfg *wasihost.Config, args ...string) {
	engine, err := wasihost.NewEngine()
	if err != nil {
		log.Fatal(err)
	}
	defer engine.Close()
	module, err := wasihost.NewModuleFromFile(engine, hostdemoWasm())
	if err != nil {
		log.Fatal(err)
	}
	defer module.Close()
	if err := cfg.AddArgs(append([]string{"hostdemo"}, args...)...); err != nil {
		log.Fatal(err)
	}
	if err := cfg.SetStdout(os.Stdout); err != nil {
		log.Fatal(err)
	}
	inst, err := wasihost.NewInstance(module, cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer inst.Close()
	if err := inst.Run(context.Background()); err != nil {
		log.Fatal(err)
	}
}

// A policy: path_open of a name matching *.key is denied (errno acces);
// every other path_open goes to the built-in implementation.
func ExampleConfig_HandleCalls() {
	dir, _ := os.MkdirTemp("", "policy")
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("meeting at 3\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "id_ed25519.key"), []byte("secret"), 0o600)

	cfg, _ := wasihost.NewConfig()
	defer cfg.Close()
	cfg.PreopenDir(dir, "/data")
	err := cfg.HandleCalls("path_open", func(c *wasihost.Call) wasihost.Errno {
		p, errno := c.Path() // the path relative to the directory fd, as the guest passed it
		if errno != wasihost.ErrnoSuccess {
			return errno
		}
		if denied, _ := path.Match("*.key", path.Base(string(p))); denied {
			return wasihost.ErrnoAcces
		}
		return c.Default()
	})
	if err != nil {
		log.Fatal(err)
	}
	runHostdemo(cfg, "open", "/data/notes.txt", "/data/id_ed25519.key", "/data/missing.txt")
	// Output:
	// /data/notes.txt: 13 bytes
	// /data/id_ed25519.key: error Permission denied
	// /data/missing.txt: error No such file or directory
}

// A virtual file: /dev/urandom answered by Go, from a seeded generator
// here (for a reproducible output). The guest gets an empty directory at
// /dev; its open("/dev/urandom") becomes path_open(3, "urandom"), which
// the handler answers with a file descriptor of its own, and it answers
// fd_read and fd_close on that descriptor too. Every other call goes to
// the built-in implementation.
func ExampleConfig_HandleCalls_virtualFile() {
	dev, _ := os.MkdirTemp("", "dev")
	defer os.RemoveAll(dev)

	var (
		mu     sync.Mutex // handlers may run on several goroutines at once
		open   = map[uint64]bool{}
		nextFD = uint64(1 << 30) // far above the fds the host hands out
		rng    = rand.New(rand.NewPCG(1, 2))
	)
	virtual := func(c *wasihost.Call) bool {
		fd, _ := c.NamedArg("fd")
		mu.Lock()
		defer mu.Unlock()
		return open[fd]
	}
	cfg, _ := wasihost.NewConfig()
	defer cfg.Close()
	cfg.PreopenDirReadOnly(dev, "/dev") // fd 3
	err := cfg.HandleCalls("path_open,fd_read,fd_close", func(c *wasihost.Call) wasihost.Errno {
		switch c.Name() {
		case "path_open":
			dirfd, _ := c.NamedArg("fd")
			p, errno := c.Path()
			if errno != wasihost.ErrnoSuccess || dirfd != 3 || string(p) != "urandom" {
				return c.Default()
			}
			mu.Lock()
			fd := nextFD
			nextFD++
			open[fd] = true
			mu.Unlock()
			c.SetNamedResult("opened_fd", fd)
			return wasihost.ErrnoSuccess
		case "fd_read":
			if !virtual(c) {
				return c.Default()
			}
			bufs, errno := c.Iovecs(c.ArgIndex("iovs")) // the guest's buffers, to fill
			if errno != wasihost.ErrnoSuccess {
				return errno
			}
			n := 0
			mu.Lock()
			for _, b := range bufs {
				for i := range b {
					b[i] = byte(rng.Uint32())
				}
				n += len(b)
			}
			mu.Unlock()
			c.SetNamedResult("nread", uint64(n))
			return wasihost.ErrnoSuccess
		default: // fd_close
			if !virtual(c) {
				return c.Default()
			}
			fd, _ := c.NamedArg("fd")
			mu.Lock()
			delete(open, fd)
			mu.Unlock()
			return wasihost.ErrnoSuccess
		}
	})
	if err != nil {
		log.Fatal(err)
	}
	runHostdemo(cfg, "random", "/dev/urandom", "16")
	mu.Lock()
	fmt.Println("still open:", len(open))
	mu.Unlock()
	// Output:
	// /dev/urandom: 86ad05dc987f806230a13ca07796da76
	// still open: 0
}

// An audit log: every path call of the guest, with its path and its
// errno, from the trace stream (SetTraceFile writes the same as JSON
// lines; each TraceEvent carries its JSON line too).
func ExampleConfig_SetTraceFunc() {
	dir, _ := os.MkdirTemp("", "audit")
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("meeting at 3\n"), 0o644)

	var audit bytes.Buffer
	var mu sync.Mutex
	cfg, _ := wasihost.NewConfig()
	defer cfg.Close()
	cfg.PreopenDir(dir, "/data")
	err := cfg.SetTraceFunc(func(ev *wasihost.TraceEvent) {
		mu.Lock()
		defer mu.Unlock()
		for _, a := range ev.Args {
			if a.Kind == wasihost.ArgPath {
				fmt.Fprintf(&audit, "%s %q: %s\n", ev.Call, a.Bytes, ev.Errno)
			}
		}
	}, "path")
	if err != nil {
		log.Fatal(err)
	}
	runHostdemo(cfg, "open", "/data/notes.txt", "/data/missing.txt")
	fmt.Print(audit.String())
	// Output:
	// /data/notes.txt: 13 bytes
	// /data/missing.txt: error No such file or directory
	// path_open "notes.txt": success
	// path_open "missing.txt": noent
}

// A reproducible run: with SetDeterministic the guest sees a frozen wall
// clock, a monotonic clock that advances only by its sleeps (at once), and
// random bytes from the seed, so two runs print the same, byte for byte.
func ExampleConfig_SetDeterministic() {
	dir, _ := os.MkdirTemp("", "repro")
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "data.csv"), []byte("a,b\n"), 0o644)

	engine, _ := wasihost.NewEngine()
	defer engine.Close()
	module, err := wasihost.NewModuleFromFile(engine, hostdemoWasm())
	if err != nil {
		log.Fatal(err)
	}
	defer module.Close()
	run := func() []byte {
		cfg, _ := wasihost.NewConfig()
		defer cfg.Close()
		cfg.AddArgs("hostdemo", "time", "/data")
		cfg.PreopenDirReadOnly(dir, "/data")
		cfg.SetDeterministic(42)
		cfg.CaptureOutput(wasihost.Stdout, 1<<20)
		inst, err := wasihost.NewInstance(module, cfg)
		if err != nil {
			log.Fatal(err)
		}
		defer inst.Close()
		if err := inst.Run(context.Background()); err != nil {
			log.Fatal(err)
		}
		out, _ := inst.Capture(wasihost.Stdout)
		return out.Data
	}
	first, second := run(), run()
	fmt.Println("identical:", bytes.Equal(first, second))
	fmt.Print(string(first))
	// Output:
	// identical: true
	// wall: 946684800 s
	// monotonic: 0 ns
	// monotonic after sleeping 1.5 s: 1500000000 ns (+1500000000)
	// random: a22427226377cc86
	// entry: data.csv
}

// The guest's clocks and random bytes from Go: a virtual clock whose
// sleeps pass at once, and fixed bytes.
func ExampleConfig_SetClock() {
	var mu sync.Mutex
	var monotonic time.Duration
	start := time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC)
	empty, _ := os.MkdirTemp("", "empty")
	defer os.RemoveAll(empty)
	cfg, _ := wasihost.NewConfig()
	defer cfg.Close()
	cfg.PreopenDirReadOnly(empty, "/empty")
	err := cfg.SetClock(func(id wasihost.ClockID) (uint64, wasihost.Errno) {
		mu.Lock()
		defer mu.Unlock()
		switch id {
		case wasihost.ClockRealtime:
			return uint64(start.Add(monotonic).UnixNano()), wasihost.ErrnoSuccess
		case wasihost.ClockMonotonic:
			return uint64(monotonic), wasihost.ErrnoSuccess
		}
		return 0, wasihost.ErrnoInval
	}, func(d time.Duration) wasihost.Errno {
		mu.Lock()
		monotonic += d
		mu.Unlock()
		return wasihost.ErrnoSuccess
	})
	if err != nil {
		log.Fatal(err)
	}
	cfg.SetRandom(bytes.NewReader(binary.LittleEndian.AppendUint64(nil, 0x0123456789abcdef)))
	runHostdemo(cfg, "time", "/empty")
	// Output:
	// wall: 1709208000 s
	// monotonic: 0 ns
	// monotonic after sleeping 1.5 s: 1500000000 ns (+1500000000)
	// random: efcdab8967452301
}
