// A program of a module outside the repository (test_outside.sh builds it
// in a temporary module whose go.mod replaces wasihost.dev/wasihost by the
// checkout's bindings/go): it runs the guest FILE (wasm or WAT) with its
// stdout, and exits with the guest's exit code.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"wasihost.dev/wasihost"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: outside FILE [ARGS...]")
		os.Exit(2)
	}
	fmt.Printf("wasihost %s\n", wasihost.Version())
	engine, err := wasihost.NewEngine()
	check(err)
	module, err := wasihost.NewModuleFromFile(engine, os.Args[1])
	check(err)
	cfg, err := wasihost.NewConfig()
	check(err)
	check(cfg.AddArgs(os.Args[1:]...))
	check(cfg.SetStdout(os.Stdout))
	inst, err := wasihost.NewInstance(module, cfg)
	check(err)
	defer inst.Close()
	err = inst.Run(context.Background())
	var exit *wasihost.ExitError
	if errors.As(err, &exit) {
		os.Exit(int(exit.ExitCode()))
	}
	check(err)
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "outside:", err)
		os.Exit(1)
	}
}
