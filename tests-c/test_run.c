/*
 * Running and calling: a module without `_start`, traps, proc_exit, calls
 * with every value kind, calls that do not match the function's type.
 */
#include "util.h"

#include <math.h>

static const char *const WAT_HELLO =
    "(module\n"
    "  (import \"wasi_snapshot_preview1\" \"fd_write\"\n"
    "    (func $fd_write (param i32 i32 i32 i32) (result i32)))\n"
    "  (memory (export \"memory\") 1)\n"
    "  (data (i32.const 32) \"hello\\n\")\n"
    "  (func (export \"_start\")\n"
    "    (i32.store (i32.const 0) (i32.const 32))\n"
    "    (i32.store (i32.const 4) (i32.const 6))\n"
    "    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))\n";

/* Runs WAT_HELLO in a fresh instance: the host still works. */
static void check_host_still_works(const char *after) {
    wasihost_module_t *m = wat_module(WAT_HELLO);
    if (m == NULL)
        return;
    wasihost_config_t *c = capture_config();
    struct run_out r;
    if (CHECK_OK(run_captured(m, c, &r))) {
        CHECK_MSG(r.code == 0 && r.out != NULL && strcmp(r.out, "hello\n") == 0,
                  "after %s: exit %u, output \"%s\"", after, (unsigned)r.code, r.out);
        run_out_free(&r);
    }
    wasihost_config_delete(c);
    wasihost_module_delete(m);
}

static void test_no_start(void) {
    static const char *const wats[] = {
        "(module (func (export \"main\")))",
        /* `_start` of the wrong type, or not a function. */
        "(module (func (export \"_start\") (param i32)))",
        "(module (func (export \"_start\") (result i32) (i32.const 0)))",
        "(module (memory (export \"_start\") 1))",
    };
    for (size_t i = 0; i < sizeof wats / sizeof wats[0]; i++) {
        wasihost_module_t *m = wat_module(wats[i]);
        if (m == NULL)
            continue;
        CHECK(!wasihost_module_has_export(m, B("_start")) || i == 1 || i == 2);
        wasihost_config_t *c = wasihost_config_new();
        wasihost_instance_t *inst = NULL;
        if (CHECK_OK(wasihost_instance_new(m, c, &inst))) {
            uint32_t code = 4242;
            wasihost_error_t *e = wasihost_instance_run(inst, &code);
            CHECK_MSG(wasihost_error_kind(e) == WASIHOST_ERROR_KIND_LINK &&
                          strstr(wasihost_error_message(e), "_start") != NULL,
                      "module %zu: run gave kind %u: %s", i, (unsigned)wasihost_error_kind(e),
                      wasihost_error_message(e));
            wasihost_error_delete(e);
            CHECK_EQ_U(code, 4242);
        }
        wasihost_instance_delete(inst);
        wasihost_config_delete(c);
        wasihost_module_delete(m);
    }
}

static void test_unresolvable_imports(void) {
    static const char *const wats[] = {
        "(module (import \"env\" \"foo\" (func)) (func (export \"_start\")))",
        "(module (import \"wasi_snapshot_preview1\" \"no_such_call\" (func))"
        " (func (export \"_start\")))",
        /* A WASI function imported with the wrong type. */
        "(module (import \"wasi_snapshot_preview1\" \"fd_write\" (func (param i32)))"
        " (func (export \"_start\")))",
    };
    for (size_t i = 0; i < sizeof wats / sizeof wats[0]; i++) {
        wasihost_module_t *m = wat_module(wats[i]);
        if (m == NULL)
            continue;
        wasihost_config_t *c = wasihost_config_new();
        wasihost_instance_t *out = NULL;
        wasihost_error_t *e = wasihost_instance_new(m, c, &out);
        CHECK_MSG(wasihost_error_kind(e) == WASIHOST_ERROR_KIND_LINK &&
                      wasihost_error_message(e)[0] != '\0',
                  "module %zu: instance_new gave kind %u: %s", i,
                  (unsigned)wasihost_error_kind(e), wasihost_error_message(e));
        CHECK(out == NULL);
        wasihost_error_delete(e);
        wasihost_instance_delete(out);
        wasihost_config_delete(c);
        wasihost_module_delete(m);
    }
}

static void test_traps(void) {
    static const struct {
        const char *wat;
        const char *cause;
    } cases[] = {
        {"(module (func (export \"_start\") unreachable))", "unreachable"},
        {"(module (func (export \"_start\")"
         "  (drop (i32.div_s (i32.const 1) (i32.const 0)))))",
         "divide by zero"},
        {"(module (func $f (export \"_start\") (param) (local i32)"
         "  (local.set 0 (i32.const 0))"
         "  (drop (i64.rem_u (i64.const 5) (i64.extend_i32_u (local.get 0))))))",
         "divide by zero"},
        {"(module (func (export \"_start\")"
         "  (drop (i32.div_s (i32.const 0x80000000) (i32.const -1)))))",
         "overflow"},
        {"(module (memory 1) (func (export \"_start\")"
         "  (drop (i32.load (i32.const 0x10000)))))",
         "out of bounds memory access"},
        /* Straddling the end of memory. */
        {"(module (memory 1) (func (export \"_start\")"
         "  (i64.store (i32.const 0xfffc) (i64.const -1))))",
         "out of bounds memory access"},
        /* Far away: deep in wasmtime's guard region. */
        {"(module (memory 1) (func (export \"_start\")"
         "  (i32.store8 (i32.const 0xfffffff0) (i32.const 1))))",
         "out of bounds memory access"},
        {"(module (func $f (export \"_start\") (call $f)))", "call stack exhausted"},
        {"(module (table 1 funcref) (type $t (func))"
         "  (func (export \"_start\") (call_indirect (type $t) (i32.const 0))))",
         "uninitialized element"},
        {"(module (table 1 funcref) (type $t (func))"
         "  (func (export \"_start\") (call_indirect (type $t) (i32.const 5))))",
         "undefined element"},
        {"(module (func (export \"_start\") (drop (i32.trunc_f64_s (f64.const nan)))))",
         "invalid conversion to integer"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wasihost_module_t *m = wat_module(cases[i].wat);
        if (m == NULL)
            continue;
        wasihost_config_t *c = wasihost_config_new();
        /* Twice: a trap leaves nothing behind that breaks the next one. */
        for (int round = 0; round < 2; round++) {
            wasihost_instance_t *inst = NULL;
            if (!CHECK_OK(wasihost_instance_new(m, c, &inst)))
                break;
            uint32_t code = 4242;
            wasihost_error_t *e = wasihost_instance_run(inst, &code);
            CHECK_MSG(wasihost_error_kind(e) == WASIHOST_ERROR_KIND_TRAP &&
                          strstr(wasihost_error_message(e), cases[i].cause) != NULL,
                      "case %zu: expected a trap \"%s\", got kind %u: %s", i, cases[i].cause,
                      (unsigned)wasihost_error_kind(e), wasihost_error_message(e));
            CHECK_EQ_U(wasihost_error_errno(e), 0);
            uint32_t x = 99;
            CHECK(!wasihost_error_exit_code(e, &x) && x == 99);
            wasihost_error_delete(e);
            CHECK_EQ_U(code, 4242);
            wasihost_instance_delete(inst);
        }
        wasihost_config_delete(c);
        wasihost_module_delete(m);
        check_host_still_works(cases[i].cause);
    }
}

/* The header: "a guest that traps gives an error of kind
 * WASIHOST_ERROR_KIND_TRAP". wasihost_instance_new runs the module's start
 * function; when that traps, the error says so. */
static void test_trap_in_start_function(void) {
    wasihost_module_t *m =
        wat_module("(module (func $boom unreachable) (start $boom) (func (export \"_start\")))");
    REQUIRE(m != NULL);
    wasihost_config_t *c = wasihost_config_new();
    wasihost_instance_t *inst = NULL;
    CHECK_ERR(wasihost_instance_new(m, c, &inst), WASIHOST_ERROR_KIND_TRAP, "unreachable");
    CHECK(inst == NULL);
    wasihost_instance_delete(inst);
    wasihost_config_delete(c);
    wasihost_module_delete(m);
    check_host_still_works("a trap in a start function");
}

/* proc_exit in the start function: an error of kind EXIT with the code. */
static void test_exit_in_start_function(void) {
    wasihost_module_t *m = wat_module(
        "(module (import \"wasi_snapshot_preview1\" \"proc_exit\" (func $exit (param i32)))"
        "  (func $init (call $exit (i32.const 9))) (start $init) (func (export \"_start\")))");
    REQUIRE(m != NULL);
    wasihost_config_t *c = wasihost_config_new();
    wasihost_instance_t *inst = NULL;
    wasihost_error_t *e = wasihost_instance_new(m, c, &inst);
    CHECK_EQ_U(wasihost_error_kind(e), WASIHOST_ERROR_KIND_EXIT);
    uint32_t code = 0;
    CHECK(wasihost_error_exit_code(e, &code));
    CHECK_EQ_U(code, 9);
    wasihost_error_delete(e);
    CHECK(inst == NULL);
    wasihost_instance_delete(inst);
    wasihost_config_delete(c);
    wasihost_module_delete(m);
}

/* A start function runs at instantiation (and only then). */
static void test_start_function_runs(void) {
    wasihost_module_t *m =
        wat_module("(module (global $g (mut i32) (i32.const 0))"
                   "  (func $init (global.set $g (i32.add (global.get $g) (i32.const 5))))"
                   "  (start $init)"
                   "  (func (export \"get\") (result i32) (global.get $g))"
                   "  (func (export \"_start\")))");
    REQUIRE(m != NULL);
    wasihost_config_t *c = wasihost_config_new();
    wasihost_instance_t *inst = NULL;
    if (CHECK_OK(wasihost_instance_new(m, c, &inst))) {
        wasihost_val_t r;
        memset(&r, 0, sizeof r);
        CHECK_OK(wasihost_instance_call(inst, B("get"), NULL, 0, &r, 1));
        CHECK_EQ_I(r.of.i32, 5);
        uint32_t code = 1;
        CHECK_OK(wasihost_instance_run(inst, &code));
        CHECK_EQ_U(code, 0);
        CHECK_OK(wasihost_instance_call(inst, B("get"), NULL, 0, &r, 1));
        CHECK_EQ_I(r.of.i32, 5);
    }
    wasihost_instance_delete(inst);
    wasihost_config_delete(c);
    wasihost_module_delete(m);
}

static const char *const WAT_EXIT =
    "(module\n"
    "  (import \"wasi_snapshot_preview1\" \"proc_exit\" (func $proc_exit (param i32)))\n"
    "  (global $after (mut i32) (i32.const 0))\n"
    "  (func (export \"_start\")\n"
    "    (call $proc_exit (i32.const 7))\n"
    "    (global.set $after (i32.const 1))\n"
    "    unreachable)\n"
    "  (func (export \"exit_with\") (param i32) (result i32)\n"
    "    (call $proc_exit (local.get 0))\n"
    "    (i32.const 1234))\n"
    "  (func (export \"after\") (result i32) (global.get $after)))\n";

static void test_proc_exit(void) {
    wasihost_module_t *m = wat_module(WAT_EXIT);
    REQUIRE(m != NULL);
    wasihost_config_t *c = wasihost_config_new();

    /* Through run: success, with the code. Nothing after proc_exit ran. */
    wasihost_instance_t *inst = NULL;
    if (CHECK_OK(wasihost_instance_new(m, c, &inst))) {
        uint32_t code = 4242;
        CHECK_OK(wasihost_instance_run(inst, &code));
        CHECK_EQ_U(code, 7);
    }
    wasihost_instance_delete(inst);
    inst = NULL;

    /* Through call: an error of kind EXIT carrying the code. */
    const uint32_t codes[] = {7, 0, 1, 255, 0x7fffffffu};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        if (!CHECK_OK(wasihost_instance_new(m, c, &inst)))
            break;
        wasihost_val_t arg, res;
        arg.kind = WASIHOST_VAL_I32;
        arg.of.i32 = (int32_t)codes[i];
        res.kind = 0xabcd;
        res.of.i32 = -1;
        wasihost_error_t *e = wasihost_instance_call(inst, B("exit_with"), &arg, 1, &res, 1);
        CHECK_EQ_U(wasihost_error_kind(e), WASIHOST_ERROR_KIND_EXIT);
        CHECK(wasihost_error_message(e)[0] != '\0');
        uint32_t code = 4242;
        CHECK(wasihost_error_exit_code(e, &code));
        CHECK_EQ_U(code, codes[i]);
        CHECK(!wasihost_error_exit_code(e, NULL));
        CHECK_EQ_U(wasihost_error_errno(e), 0);
        wasihost_error_delete(e);
        CHECK(res.kind == 0xabcd && res.of.i32 == -1);
        wasihost_instance_delete(inst);
        inst = NULL;
    }
    wasihost_config_delete(c);
    wasihost_module_delete(m);

    /* A C guest returning from main with a code (usage error: 2). */
    wasihost_module_t *files = guest_module("files");
    if (files != NULL) {
        wasihost_config_t *fc = capture_config();
        struct run_out r;
        if (CHECK_OK(run_captured(files, fc, &r))) {
            CHECK_EQ_U(r.code, 2);
            CHECK_CONTAINS(r.err, "usage");
            run_out_free(&r);
        }
        wasihost_config_delete(fc);
        wasihost_module_delete(files);
    }
}

static const char *const WAT_MATH =
    "(module\n"
    "  (memory (export \"memory\") 1)\n"
    "  (global $counter (mut i32) (i32.const 0))\n"
    "  (func (export \"add_i32\") (param i32 i32) (result i32)\n"
    "    (i32.add (local.get 0) (local.get 1)))\n"
    "  (func (export \"add_i64\") (param i64 i64) (result i64)\n"
    "    (i64.add (local.get 0) (local.get 1)))\n"
    "  (func (export \"mul_f64\") (param f64 f64) (result f64)\n"
    "    (f64.mul (local.get 0) (local.get 1)))\n"
    "  (func (export \"div_f32\") (param f32 f32) (result f32)\n"
    "    (f32.div (local.get 0) (local.get 1)))\n"
    "  (func (export \"mix\") (param i32 i64 f32 f64) (result f64 i64 f32 i32)\n"
    "    (f64.add (f64.convert_i32_s (local.get 0)) (local.get 3))\n"
    "    (i64.mul (local.get 1) (i64.const 2))\n"
    "    (f32.neg (local.get 2))\n"
    "    (i32.wrap_i64 (local.get 1)))\n"
    "  (func (export \"bump\") (result i32)\n"
    "    (global.set $counter (i32.add (global.get $counter) (i32.const 1)))\n"
    "    (global.get $counter))\n"
    "  (func (export \"div_s\") (param i32 i32) (result i32)\n"
    "    (i32.div_s (local.get 0) (local.get 1)))\n"
    "  (func (export \"ext\") (result externref) (ref.null extern))\n"
    "  (func (export \"take_ext\") (param externref)))\n";

static wasihost_val_t vi32(int32_t x) {
    wasihost_val_t v;
    v.kind = WASIHOST_VAL_I32;
    v.of.i32 = x;
    return v;
}
static wasihost_val_t vi64(int64_t x) {
    wasihost_val_t v;
    v.kind = WASIHOST_VAL_I64;
    v.of.i64 = x;
    return v;
}
static wasihost_val_t vf32(float x) {
    wasihost_val_t v;
    v.kind = WASIHOST_VAL_F32;
    v.of.f32 = x;
    return v;
}
static wasihost_val_t vf64(double x) {
    wasihost_val_t v;
    v.kind = WASIHOST_VAL_F64;
    v.of.f64 = x;
    return v;
}

static void fill_sentinel(wasihost_val_t *r, size_t n) {
    for (size_t i = 0; i < n; i++) {
        r[i].kind = 0xabcd;
        r[i].of.i64 = 0x0123456789abcdefLL;
    }
}
static bool untouched(const wasihost_val_t *r, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (r[i].kind != 0xabcd || r[i].of.i64 != 0x0123456789abcdefLL)
            return false;
    return true;
}

static void test_call_values(void) {
    wasihost_module_t *m = wat_module(WAT_MATH);
    REQUIRE(m != NULL);
    wasihost_config_t *c = wasihost_config_new();
    wasihost_instance_t *inst = NULL;
    REQUIRE(CHECK_OK(wasihost_instance_new(m, c, &inst)));
    wasihost_val_t a[4], r[4];

    a[0] = vi32(INT32_MAX);
    a[1] = vi32(1);
    fill_sentinel(r, 4);
    CHECK_OK(wasihost_instance_call(inst, B("add_i32"), a, 2, r, 1));
    CHECK_EQ_U(r[0].kind, WASIHOST_VAL_I32);
    CHECK_EQ_I(r[0].of.i32, INT32_MIN);
    CHECK(untouched(r + 1, 3));

    a[0] = vi64(INT64_MAX);
    a[1] = vi64(1);
    CHECK_OK(wasihost_instance_call(inst, B("add_i64"), a, 2, r, 1));
    CHECK_EQ_U(r[0].kind, WASIHOST_VAL_I64);
    CHECK(r[0].of.i64 == INT64_MIN);
    a[0] = vi64(0x100000000LL);
    a[1] = vi64(-0x200000005LL);
    CHECK_OK(wasihost_instance_call(inst, B("add_i64"), a, 2, r, 1));
    CHECK(r[0].of.i64 == -0x100000005LL);

    a[0] = vf64(1.5);
    a[1] = vf64(-2.25);
    CHECK_OK(wasihost_instance_call(inst, B("mul_f64"), a, 2, r, 1));
    CHECK_EQ_U(r[0].kind, WASIHOST_VAL_F64);
    CHECK(r[0].of.f64 == -3.375);
    a[0] = vf64(1e308);
    a[1] = vf64(10.0);
    CHECK_OK(wasihost_instance_call(inst, B("mul_f64"), a, 2, r, 1));
    CHECK(isinf(r[0].of.f64) && r[0].of.f64 > 0);

    a[0] = vf32(1.0f);
    a[1] = vf32(3.0f);
    CHECK_OK(wasihost_instance_call(inst, B("div_f32"), a, 2, r, 1));
    CHECK_EQ_U(r[0].kind, WASIHOST_VAL_F32);
    volatile float third = 1.0f / 3.0f;
    CHECK(r[0].of.f32 == third);
    a[0] = vf32(0.0f);
    a[1] = vf32(0.0f);
    CHECK_OK(wasihost_instance_call(inst, B("div_f32"), a, 2, r, 1));
    CHECK(isnan(r[0].of.f32));

    /* Several parameters and results of mixed kinds. */
    a[0] = vi32(-3);
    a[1] = vi64(0x100000007LL);
    a[2] = vf32(2.5f);
    a[3] = vf64(0.25);
    fill_sentinel(r, 4);
    CHECK_OK(wasihost_instance_call(inst, B("mix"), a, 4, r, 4));
    CHECK(r[0].kind == WASIHOST_VAL_F64 && r[0].of.f64 == -2.75);
    CHECK(r[1].kind == WASIHOST_VAL_I64 && r[1].of.i64 == 0x20000000eLL);
    CHECK(r[2].kind == WASIHOST_VAL_F32 && r[2].of.f32 == -2.5f);
    CHECK(r[3].kind == WASIHOST_VAL_I32 && r[3].of.i32 == 7);

    /* State lives in the instance: a second call sees the first. */
    CHECK_OK(wasihost_instance_call(inst, B("bump"), NULL, 0, r, 1));
    CHECK_EQ_I(r[0].of.i32, 1);
    CHECK_OK(wasihost_instance_call(inst, B("bump"), NULL, 0, r, 1));
    CHECK_EQ_I(r[0].of.i32, 2);
    wasihost_instance_t *other = NULL;
    if (CHECK_OK(wasihost_instance_new(m, c, &other))) {
        CHECK_OK(wasihost_instance_call(other, B("bump"), NULL, 0, r, 1));
        CHECK_EQ_I(r[0].of.i32, 1);
    }
    wasihost_instance_delete(other);

    /* The name is (pointer, length): no terminator needed. */
    CHECK_OK(wasihost_instance_call(inst, (const uint8_t *)"bumpXYZ", 4, NULL, 0, r, 1));
    CHECK_EQ_I(r[0].of.i32, 3);

    /* A trap during a call. */
    a[0] = vi32(1);
    a[1] = vi32(0);
    fill_sentinel(r, 1);
    CHECK_ERR(wasihost_instance_call(inst, B("div_s"), a, 2, r, 1), WASIHOST_ERROR_KIND_TRAP,
              "divide by zero");
    CHECK(untouched(r, 1));

    wasihost_instance_delete(inst);
    wasihost_config_delete(c);
    wasihost_module_delete(m);
}

static void test_call_mismatches(void) {
    const wasihost_error_kind_t LINK = WASIHOST_ERROR_KIND_LINK;
    wasihost_module_t *m = wat_module(WAT_MATH);
    REQUIRE(m != NULL);
    wasihost_config_t *c = wasihost_config_new();
    wasihost_instance_t *inst = NULL;
    REQUIRE(CHECK_OK(wasihost_instance_new(m, c, &inst)));
    wasihost_val_t a[3] = {vi32(1), vi32(2), vi32(3)};
    wasihost_val_t r[2];

    fill_sentinel(r, 2);
    /* Too few, too many arguments. */
    CHECK_ERR(wasihost_instance_call(inst, B("add_i32"), a, 1, r, 1), LINK, "i32, i32");
    CHECK_ERR(wasihost_instance_call(inst, B("add_i32"), a, 3, r, 1), LINK, "i32, i32");
    CHECK_ERR(wasihost_instance_call(inst, B("add_i32"), NULL, 0, r, 1), LINK, "add_i32");
    /* Wrong kinds. */
    wasihost_val_t wrong[2] = {vi64(1), vi32(2)};
    CHECK_ERR(wasihost_instance_call(inst, B("add_i32"), wrong, 2, r, 1), LINK, "i64");
    wasihost_val_t floats[2] = {vf32(1), vf32(2)};
    CHECK_ERR(wasihost_instance_call(inst, B("mul_f64"), floats, 2, r, 1), LINK, "f64");
    wasihost_val_t doubles[2] = {vf64(1), vf64(2)};
    CHECK_ERR(wasihost_instance_call(inst, B("div_f32"), doubles, 2, r, 1), LINK, "f32");
    /* Wrong result counts. */
    CHECK_ERR(wasihost_instance_call(inst, B("add_i32"), a, 2, NULL, 0), LINK, "add_i32");
    CHECK_ERR(wasihost_instance_call(inst, B("add_i32"), a, 2, r, 2), LINK, "add_i32");
    CHECK(untouched(r, 2));
    /* Unknown exports, and exports that are not functions. */
    CHECK_ERR(wasihost_instance_call(inst, B("nope"), NULL, 0, NULL, 0), LINK, "nope");
    CHECK_ERR(wasihost_instance_call(inst, B(""), NULL, 0, NULL, 0), LINK, NULL);
    CHECK_ERR(wasihost_instance_call(inst, B("memory"), NULL, 0, NULL, 0), LINK, "memory");
    CHECK_ERR(wasihost_instance_call(inst, B("add_i3"), a, 2, r, 1), LINK, "add_i3");
    CHECK(untouched(r, 2));
    /* Value types the C API has no kind for: a clean error, never a crash
     * or a half-written result. */
    wasihost_error_t *e = wasihost_instance_call(inst, B("ext"), NULL, 0, r, 1);
    CHECK(e != NULL && wasihost_error_message(e)[0] != '\0');
    wasihost_error_delete(e);
    CHECK(untouched(r, 2));
    CHECK_ERR(wasihost_instance_call(inst, B("take_ext"), a, 1, NULL, 0), LINK, "extern");

    /* Still usable afterwards. */
    CHECK_OK(wasihost_instance_call(inst, B("add_i32"), a, 2, r, 1));
    CHECK_EQ_I(r[0].of.i32, 3);
    wasihost_instance_delete(inst);
    wasihost_config_delete(c);
    wasihost_module_delete(m);
}

/* Modules, configs and engines may go before the instances made from them. */
static void test_handles_outlived_by_instances(void) {
    wasihost_engine_t *eng = NULL;
    REQUIRE(CHECK_OK(wasihost_engine_new(&eng)));
    wasihost_module_t *m = NULL;
    REQUIRE(CHECK_OK(wasihost_module_from_wat(eng, B(WAT_HELLO), &m)));
    wasihost_config_t *c = capture_config();
    wasihost_instance_t *inst = NULL;
    REQUIRE(CHECK_OK(wasihost_instance_new(m, c, &inst)));
    wasihost_config_delete(c);
    wasihost_module_delete(m);
    wasihost_engine_delete(eng);
    uint32_t code = 9;
    CHECK_OK(wasihost_instance_run(inst, &code));
    CHECK_EQ_U(code, 0);
    wasihost_capture_t cap;
    memset(&cap, 0, sizeof cap);
    if (CHECK_OK(wasihost_instance_capture(inst, WASIHOST_STDOUT, &cap)))
        CHECK_MEM_EQ(cap.data, cap.len, "hello\n", 6);
    wasihost_instance_delete(inst);
}

static const struct test_case tests[] = {
    TEST_CASE(test_no_start),
    TEST_CASE(test_unresolvable_imports),
    TEST_CASE(test_traps),
    TEST_CASE(test_trap_in_start_function),
    TEST_CASE(test_exit_in_start_function),
    TEST_CASE(test_start_function_runs),
    TEST_CASE(test_proc_exit),
    TEST_CASE(test_call_values),
    TEST_CASE(test_call_mismatches),
    TEST_CASE(test_handles_outlived_by_instances),
};

int main(int argc, char **argv) {
    return run_suite(argc, argv, tests, sizeof tests / sizeof tests[0]);
}
