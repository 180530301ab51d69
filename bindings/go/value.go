package wasihost

// #include "wasihost.h"
import "C"

import (
	"fmt"
	"math"
	"unsafe"
)

// ValueKind is the type of a [Value].
type ValueKind uint32

// The wasm value types an export may take and return.
const (
	ValI32 ValueKind = C.WASIHOST_VAL_I32
	ValI64 ValueKind = C.WASIHOST_VAL_I64
	ValF32 ValueKind = C.WASIHOST_VAL_F32
	ValF64 ValueKind = C.WASIHOST_VAL_F64
)

// String is the wasm name of the type ("i32", ...).
func (k ValueKind) String() string {
	switch k {
	case ValI32:
		return "i32"
	case ValI64:
		return "i64"
	case ValF32:
		return "f32"
	case ValF64:
		return "f64"
	}
	return fmt.Sprintf("ValueKind(%d)", uint32(k))
}

// Value is a wasm value: an argument to or a result of [Instance.Call].
// The zero Value is the i32 0.
type Value struct {
	kind ValueKind
	bits uint64
}

// I32 is an i32 value. Wasm integers have no sign: the guest decides.
func I32(v int32) Value { return Value{ValI32, uint64(uint32(v))} }

// I64 is an i64 value.
func I64(v int64) Value { return Value{ValI64, uint64(v)} }

// F32 is an f32 value (NaN payloads are kept).
func F32(v float32) Value { return Value{ValF32, uint64(math.Float32bits(v))} }

// F64 is an f64 value (NaN payloads are kept).
func F64(v float64) Value { return Value{ValF64, math.Float64bits(v)} }

// Kind is the value's type.
func (v Value) Kind() ValueKind { return v.kind }

// I32 is the value as an i32 (the low 32 bits, for another kind).
func (v Value) I32() int32 { return int32(uint32(v.bits)) }

// I64 is the value as an i64 (the raw bits, for another kind).
func (v Value) I64() int64 { return int64(v.bits) }

// F32 is the value as an f32 (the low 32 bits reinterpreted, for another
// kind).
func (v Value) F32() float32 { return math.Float32frombits(uint32(v.bits)) }

// F64 is the value as an f64 (the raw bits reinterpreted, for another
// kind).
func (v Value) F64() float64 { return math.Float64frombits(v.bits) }

// String formats the value with its type, e.g. "i32:42".
func (v Value) String() string {
	switch v.kind {
	case ValI32:
		return fmt.Sprintf("i32:%d", v.I32())
	case ValI64:
		return fmt.Sprintf("i64:%d", v.I64())
	case ValF32:
		return fmt.Sprintf("f32:%g", v.F32())
	case ValF64:
		return fmt.Sprintf("f64:%g", v.F64())
	}
	return fmt.Sprintf("%s:%#x", v.kind, v.bits)
}

// toC writes v into a C value (its union written through the member of
// its kind).
func (v Value) toC(out *C.wasihost_val_t) {
	out.kind = C.wasihost_valkind_t(v.kind)
	p := unsafe.Pointer(&out.of)
	switch v.kind {
	case ValI32, ValF32:
		*(*uint32)(p) = uint32(v.bits)
	default:
		*(*uint64)(p) = v.bits
	}
}

// valueFromC reads a C value.
func valueFromC(in *C.wasihost_val_t) Value {
	k := ValueKind(in.kind)
	p := unsafe.Pointer(&in.of)
	switch k {
	case ValI32, ValF32:
		return Value{k, uint64(*(*uint32)(p))}
	default:
		return Value{k, *(*uint64)(p)}
	}
}
