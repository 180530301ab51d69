package wasihost_test

import (
	"sync"
	"testing"

	"wasihost.dev/wasihost"
)

// An instance's number ties its trace records and its calls to it.
func TestInstanceNumber(t *testing.T) {
	cfg, err := wasihost.NewConfig()
	must(t, err)
	defer cfg.Close()
	var mu sync.Mutex
	var seen []uint64
	must(t, cfg.SetTraceFunc(func(ev *wasihost.TraceEvent) {
		mu.Lock()
		seen = append(seen, ev.Instance)
		mu.Unlock()
	}, "clock_time_get"))
	must(t, cfg.HandleCalls("clock_time_get", func(c *wasihost.Call) wasihost.Errno {
		mu.Lock()
		seen = append(seen, c.Instance())
		mu.Unlock()
		return c.Default()
	}))
	a := hooksInstance(t, cfg)
	b := hooksInstance(t, cfg)
	if a.Number() == 0 || b.Number() == a.Number() {
		t.Fatalf("numbers %d and %d", a.Number(), b.Number())
	}
	mustCall2(t, b, "now", wasihost.I32(1))
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 || seen[0] != b.Number() || seen[1] != b.Number() {
		t.Errorf("the handler and the trace saw %v, want b's number %d twice", seen, b.Number())
	}
}
