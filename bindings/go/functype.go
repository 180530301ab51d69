package wasihost

// #include "wasihost.h"
import "C"

import (
	"runtime"
	"strings"
)

// FuncType is the type of an exported function: the kinds of its
// parameters and of its results, from [Module.ExportType] or
// [Instance.ExportType].
type FuncType struct {
	Params  []ValueKind
	Results []ValueKind
}

// String formats the type as wasm does, e.g. "(i32, i64) -> (f64)";
// "() -> ()" for a function that takes and returns nothing.
func (t FuncType) String() string {
	return "(" + kindList(t.Params) + ") -> (" + kindList(t.Results) + ")"
}

func kindList(kinds []ValueKind) string {
	names := make([]string, len(kinds))
	for k, v := range kinds {
		names[k] = v.String()
	}
	return strings.Join(names, ", ")
}

// clone is a copy that shares no slice with t.
func (t FuncType) clone() FuncType {
	return FuncType{
		Params:  append([]ValueKind{}, t.Params...),
		Results: append([]ValueKind{}, t.Results...),
	}
}

// checkArgs gives an *Error of kind [KindLink], naming the function's type,
// when args do not match the parameters of t, the type of the function
// name.
func (t FuncType) checkArgs(name string, args []Value) error {
	given := make([]ValueKind, len(args))
	for k, a := range args {
		given[k] = a.Kind()
	}
	if len(args) != len(t.Params) {
		plural := "s"
		if len(args) == 1 {
			plural = ""
		}
		return errorf(KindLink, "function %q has type %s, but was called with %d argument%s (%s)",
			name, t, len(args), plural, kindList(given))
	}
	for k, a := range args {
		if a.Kind() != t.Params[k] {
			return errorf(KindLink, "function %q has type %s, but was called with (%s): argument %d is an %s, not an %s",
				name, t, kindList(given), k, a.Kind(), t.Params[k])
		}
	}
	return nil
}

// funcTypeQuery is wasihost_module_export_func_type or
// wasihost_instance_export_func_type with its object and name bound.
type funcTypeQuery func(params *C.wasihost_valkind_t, paramsCap C.size_t, nparams *C.size_t,
	results *C.wasihost_valkind_t, resultsCap C.size_t, nresults *C.size_t) *C.wasihost_error_t

// queryFuncType asks q for the counts (caps of 0), then for the kinds.
func queryFuncType(q funcTypeQuery) (FuncType, error) {
	var np, nr C.size_t
	if err := takeError(q(nil, 0, &np, nil, 0, &nr)); err != nil {
		return FuncType{}, err
	}
	params := make([]C.wasihost_valkind_t, np)
	results := make([]C.wasihost_valkind_t, nr)
	var pp, rp *C.wasihost_valkind_t
	if len(params) > 0 {
		pp = &params[0]
	}
	if len(results) > 0 {
		rp = &results[0]
	}
	wantP, wantR := np, nr
	err := takeError(q(pp, C.size_t(len(params)), &np, rp, C.size_t(len(results)), &nr))
	runtime.KeepAlive(params)
	runtime.KeepAlive(results)
	if err != nil {
		return FuncType{}, err
	}
	if np != wantP || nr != wantR {
		// The type of an export does not change; this would be a bug.
		return FuncType{}, errorf(KindLink, "the function's type changed between two queries: %d -> %d params, %d -> %d results", wantP, np, wantR, nr)
	}
	t := FuncType{Params: make([]ValueKind, np), Results: make([]ValueKind, nr)}
	for k, v := range params {
		t.Params[k] = ValueKind(v)
	}
	for k, v := range results {
		t.Results[k] = ValueKind(v)
	}
	return t, nil
}

// ExportType gives the type of the exported function name: the kinds of
// its parameters and results. An *Error of kind [KindLink] says that the
// module exports no function of that name (also when name is a memory, a
// table or a global), or that the function takes or returns a type other
// than i32, i64, f32 and f64 (v128, references: the message names it),
// which [Instance.Call] cannot pass; [ErrClosed] after Close.
func (m *Module) ExportType(name string) (FuncType, error) {
	var t FuncType
	err := m.use(func(mp *C.wasihost_module_t) error {
		n, nn := stringArg(name)
		var err error
		t, err = queryFuncType(func(p *C.wasihost_valkind_t, pc C.size_t, np *C.size_t, r *C.wasihost_valkind_t, rc C.size_t, nr *C.size_t) *C.wasihost_error_t {
			return C.wasihost_module_export_func_type(mp, n, nn, p, pc, np, r, rc, nr)
		})
		runtime.KeepAlive(name)
		return err
	})
	if err != nil {
		return FuncType{}, err
	}
	return t, nil
}

// ExportType gives the type of the instance's exported function name, as
// [Module.ExportType] does for its module (same errors), also after the
// module was closed; [ErrClosed] after the instance's Close. The instance
// keeps the types it looked up (as [Instance.Call] does), so asking again
// does not wait for a call in progress.
func (i *Instance) ExportType(name string) (FuncType, error) {
	t, err := i.exportType(name)
	if err != nil {
		return FuncType{}, err
	}
	return t.clone(), nil
}

// exportType is ExportType without the copy: the cached type itself,
// which nobody may change.
func (i *Instance) exportType(name string) (FuncType, error) {
	i.typesMu.Lock()
	t, ok := i.types[name]
	i.typesMu.Unlock()
	if ok {
		return t, nil
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.ptr == nil {
		return FuncType{}, ErrClosed
	}
	n, nn := stringArg(name)
	t, err := queryFuncType(func(p *C.wasihost_valkind_t, pc C.size_t, np *C.size_t, r *C.wasihost_valkind_t, rc C.size_t, nr *C.size_t) *C.wasihost_error_t {
		return C.wasihost_instance_export_func_type(i.ptr, n, nn, p, pc, np, r, rc, nr)
	})
	runtime.KeepAlive(name)
	runtime.KeepAlive(i)
	if err != nil {
		return FuncType{}, err
	}
	// Stored under mu, which Close holds to clear the cache: no type is
	// kept once the instance is closed.
	i.typesMu.Lock()
	if i.types == nil {
		i.types = make(map[string]FuncType)
	}
	i.types[name] = t
	i.typesMu.Unlock()
	return t, nil
}
