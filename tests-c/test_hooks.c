/*
 * The programmable host through the C API: call handlers (fall-through,
 * results, exit and trap verdicts, bad return values), the accessors of
 * wasihost_call_t (and their refusals), trace callbacks and files, the
 * embedder's clock and random source, deterministic mode, and stdio
 * callbacks that choose an errno. Guests are WAT modules.
 */
#include "util.h"

/* Calls clock_time_get(ID, 1, 16) and exits with its errno; the result
 * is at offset 16, which starts as 0x1111111111111111. */
static const char CLOCK_WAT[] =
    "(module\n"
    "  (import \"wasi_snapshot_preview1\" \"clock_time_get\"\n"
    "    (func $time (param i32 i64 i32) (result i32)))\n"
    "  (import \"wasi_snapshot_preview1\" \"proc_exit\" (func $exit (param i32)))\n"
    "  (memory (export \"memory\") 1)\n"
    "  (func (export \"read\") (result i64) (i64.load (i32.const 16)))\n"
    "  (func (export \"_start\")\n"
    "    (i64.store (i32.const 16) (i64.const 0x1111111111111111))\n"
    "    (call $exit (call $time (i32.const 0) (i64.const 1) (i32.const 16)))))\n";

/* path_open(3, 0, "a.txt", ...) into offset 32, then fd_read of 4 bytes
 * into offset 64 (iovec at 48) into nread at 40; exits with the errnos
 * combined: path_open's * 100 + fd_read's. */
static const char OPEN_WAT[] =
    "(module\n"
    "  (import \"wasi_snapshot_preview1\" \"path_open\"\n"
    "    (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))\n"
    "  (import \"wasi_snapshot_preview1\" \"fd_read\"\n"
    "    (func $read (param i32 i32 i32 i32) (result i32)))\n"
    "  (import \"wasi_snapshot_preview1\" \"proc_exit\" (func $exit (param i32)))\n"
    "  (memory (export \"memory\") 1)\n"
    "  (data (i32.const 0) \"a.txt\")\n"
    "  (func (export \"bytes\") (result i32) (i32.load (i32.const 64)))\n"
    "  (func (export \"_start\") (local $e i32)\n"
    "    (local.set $e (call $open (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 5)\n"
    "      (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 32)))\n"
    "    (i32.store (i32.const 48) (i32.const 64))\n"
    "    (i32.store (i32.const 52) (i32.const 4))\n"
    "    (call $exit (i32.add (i32.mul (local.get $e) (i32.const 100))\n"
    "      (call $read (i32.load (i32.const 32)) (i32.const 48) (i32.const 1) (i32.const 40))))))\n";

/* Writes "hi" to stdout; exits with fd_write's errno. */
static const char WRITE_WAT[] =
    "(module\n"
    "  (import \"wasi_snapshot_preview1\" \"fd_write\"\n"
    "    (func $write (param i32 i32 i32 i32) (result i32)))\n"
    "  (import \"wasi_snapshot_preview1\" \"proc_exit\" (func $exit (param i32)))\n"
    "  (memory (export \"memory\") 1)\n"
    "  (data (i32.const 64) \"hi\")\n"
    "  (func (export \"_start\")\n"
    "    (i32.store (i32.const 0) (i32.const 64))\n"
    "    (i32.store (i32.const 4) (i32.const 2))\n"
    "    (call $exit (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16)))))\n";

/* Instantiates and runs; gives the error (NULL on a normal end) and the
 * instance (kept for reading memory), the exit code in *code. */
static wasihost_error_t *run_keep(const wasihost_module_t *m, const wasihost_config_t *c,
                                  wasihost_instance_t **inst, uint32_t *code) {
    *inst = NULL;
    *code = 0;
    wasihost_error_t *e = wasihost_instance_new(m, c, inst);
    if (e == NULL)
        e = wasihost_instance_run(*inst, code);
    return e;
}

static uint64_t read_i64(wasihost_instance_t *inst, const char *fn) {
    wasihost_val_t v;
    memset(&v, 0, sizeof v);
    if (!CHECK_OK(wasihost_instance_call(inst, B(fn), NULL, 0, &v, 1)))
        return 0;
    return v.kind == WASIHOST_VAL_I64 ? (uint64_t)v.of.i64 : (uint64_t)(uint32_t)v.of.i32;
}

/* ---- handlers ----------------------------------------------------------- */

struct answer {
    int32_t ret;       /* what to return */
    uint64_t result;   /* set as result 0 first */
    int calls;         /* how many calls it saw */
    int set_ok;        /* what wasihost_call_set_result said */
};

static int32_t answer_handler(void *ud, wasihost_call_t *call) {
    struct answer *a = ud;
    a->calls++;
    a->set_ok = wasihost_call_set_result(call, 0, a->result);
    return a->ret;
}

static void test_results_only_on_success(void) {
    wasihost_module_t *m = wat_module(CLOCK_WAT);
    wasihost_config_t *c = wasihost_config_new();
    struct answer a = {0, 42, 0, 0};
    REQUIRE_OK(wasihost_config_set_call_handler(c, B("clock_time_get"), answer_handler, &a, NULL));
    wasihost_instance_t *inst = NULL;
    uint32_t code = 99;
    CHECK_OK(run_keep(m, c, &inst, &code));
    CHECK_EQ_U(code, 0);
    CHECK_EQ_U(a.calls, 1);
    CHECK(a.set_ok);
    CHECK_EQ_U(read_i64(inst, "read"), 42);
    wasihost_instance_delete(inst);
    /* An errno: the result slot is not written. */
    a.ret = 58; /* notsup */
    CHECK_OK(run_keep(m, c, &inst, &code));
    CHECK_EQ_U(code, 58);
    CHECK_EQ_U(read_i64(inst, "read"), 0x1111111111111111ull);
    wasihost_instance_delete(inst);
    wasihost_config_delete(c);
    wasihost_module_delete(m);
}

static int32_t exit_handler(void *ud, wasihost_call_t *call) {
    (void)ud;
    return wasihost_call_set_exit(call, 77);
}

static int32_t trap_handler(void *ud, wasihost_call_t *call) {
    (void)ud;
    return wasihost_call_set_trap(call, B("no clocks here"));
}

static void test_exit_trap_and_bad_values(void) {
    wasihost_module_t *m = wat_module(CLOCK_WAT);
    wasihost_config_t *c = wasihost_config_new();
    wasihost_instance_t *inst = NULL;
    uint32_t code = 0;
    REQUIRE_OK(wasihost_config_set_call_handler(c, B("clock"), exit_handler, NULL, NULL));
    CHECK_OK(run_keep(m, c, &inst, &code));
    CHECK_EQ_U(code, 77); /* an exit is a normal end: the code comes out */
    wasihost_instance_delete(inst);
    wasihost_error_t *e = NULL;

    REQUIRE_OK(wasihost_config_set_call_handler(c, B("clock"), trap_handler, NULL, NULL));
    e = run_keep(m, c, &inst, &code);
    wasihost_trap_code_t trap = 0;
    CHECK(e != NULL && wasihost_error_trap_code(e, &trap) && trap == WASIHOST_TRAP_HANDLER);
    CHECK_ERR(e, WASIHOST_ERROR_KIND_TRAP, "no clocks here");
    wasihost_instance_delete(inst);

    /* A value that is neither an errno nor EXIT/TRAP traps, naming both. */
    int32_t bad[] = {77, 1000, -3, WASIHOST_CALL_EXIT /* without set_exit */};
    const char *needles[] = {"returned 77", "returned 1000", "returned -3", "without"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct answer a = {bad[i], 0, 0, 0};
        REQUIRE_OK(
            wasihost_config_set_call_handler(c, B("clock_time_get"), answer_handler, &a, NULL));
        e = run_keep(m, c, &inst, &code);
        CHECK(e != NULL && wasihost_error_trap_code(e, &trap) && trap == WASIHOST_TRAP_HANDLER);
        CHECK_ERR(e, WASIHOST_ERROR_KIND_TRAP, needles[i]);
        wasihost_instance_delete(inst);
    }
    /* A NULL handler removes it: the built-in clock answers. */
    REQUIRE_OK(wasihost_config_set_call_handler(c, B("clock_time_get"), NULL, NULL, NULL));
    CHECK_OK(run_keep(m, c, &inst, &code));
    CHECK_EQ_U(code, 0);
    CHECK(read_i64(inst, "read") != 0x1111111111111111ull);
    wasihost_instance_delete(inst);
    wasihost_config_delete(c);
    wasihost_module_delete(m);
}

struct seen {
    char name[32];
    size_t nargs, nresults;
    char path[16];
    uint32_t kinds[9];
    const char *arg_names[9];
    int32_t errno_before, errno_after, arg_bytes_fd;
    int set_struct, set_past, set_arg_past;
    uint64_t opened;
};

/* Records what path_open looks like, then calls the default. */
static int32_t inspect_open(void *ud, wasihost_call_t *call) {
    struct seen *s = ud;
    snprintf(s->name, sizeof s->name, "%s", wasihost_call_name(call));
    s->nargs = wasihost_call_arg_count(call);
    s->nresults = wasihost_call_result_count(call);
    for (size_t i = 0; i < s->nargs && i < 9; i++) {
        s->kinds[i] = wasihost_call_arg_kind(call, i);
        s->arg_names[i] = wasihost_call_arg_name(call, i);
    }
    uint8_t *p = NULL;
    size_t n = 0;
    if (wasihost_call_arg_bytes(call, 2, &p, &n) == 0 && n < sizeof s->path)
        memcpy(s->path, p, n);
    s->arg_bytes_fd = wasihost_call_arg_bytes(call, 0, &p, &n);
    s->errno_before = wasihost_call_errno(call);
    s->set_past = wasihost_call_set_result(call, 5, 1);
    s->set_arg_past = wasihost_call_set_arg(call, 9, 1);
    int32_t e = wasihost_call_default(call);
    s->errno_after = wasihost_call_errno(call);
    s->opened = wasihost_call_result(call, 0);
    return e;
}

static int32_t stat_handler(void *ud, wasihost_call_t *call) {
    struct seen *s = ud;
    s->set_struct = wasihost_call_set_result(call, 0, 1);
    size_t len = 0;
    uint8_t *b = wasihost_call_result_bytes(call, 0, &len);
    s->opened = len;
    (void)b;
    return wasihost_call_default(call);
}

static void test_accessors(void) {
    char *dir = temp_dir();
    char *file = path_join(dir, "a.txt");
    write_file(file, "abcd", 4);
    wasihost_module_t *m = wat_module(OPEN_WAT);
    wasihost_config_t *c = wasihost_config_new();
    REQUIRE_OK(wasihost_config_preopen_dir(c, B(dir), B("/d"), 0));
    struct seen s;
    memset(&s, 0, sizeof s);
    REQUIRE_OK(wasihost_config_set_call_handler(c, B("path_open"), inspect_open, &s, NULL));
    wasihost_instance_t *inst = NULL;
    uint32_t code = 1;
    CHECK_OK(run_keep(m, c, &inst, &code));
    CHECK_EQ_U(code, 0);
    CHECK_EQ_U(read_i64(inst, "bytes"), 0x64636261u); /* "abcd" */
    wasihost_instance_delete(inst);
    CHECK_STR_EQ(s.name, "path_open");
    CHECK_EQ_U(s.nargs, 8);
    CHECK_EQ_U(s.nresults, 1);
    CHECK_STR_EQ(s.path, "a.txt");
    CHECK_EQ_U(s.kinds[0], WASIHOST_ARG_FD);
    CHECK_EQ_U(s.kinds[1], WASIHOST_ARG_FLAGS);
    CHECK_EQ_U(s.kinds[2], WASIHOST_ARG_PATH);
    CHECK_EQ_U(s.kinds[3], WASIHOST_ARG_LEN);
    CHECK_STR_EQ(s.arg_names[2], "path");
    CHECK(s.arg_names[8] == NULL);
    CHECK_EQ_I(s.arg_bytes_fd, 28); /* inval: fd is not a byte range */
    CHECK_EQ_I(s.errno_before, -3);
    CHECK_EQ_I(s.errno_after, 0);
    CHECK(!s.set_past);
    CHECK(!s.set_arg_past);
    CHECK_EQ_U(s.opened, 4);
    wasihost_config_delete(c);
    wasihost_module_delete(m);

    /* A structure result cannot be set as a number; its bytes can. */
    static const char STAT_WAT[] =
        "(module\n"
        "  (import \"wasi_snapshot_preview1\" \"fd_filestat_get\"\n"
        "    (func $st (param i32 i32) (result i32)))\n"
        "  (import \"wasi_snapshot_preview1\" \"proc_exit\" (func $exit (param i32)))\n"
        "  (memory (export \"memory\") 1)\n"
        "  (func (export \"_start\") (call $exit (call $st (i32.const 1) (i32.const 64)))))\n";
    m = wat_module(STAT_WAT);
    c = wasihost_config_new();
    memset(&s, 0, sizeof s);
    REQUIRE_OK(wasihost_config_set_call_handler(c, B("fd_filestat_get"), stat_handler, &s, NULL));
    CHECK_OK(run_keep(m, c, &inst, &code));
    wasihost_instance_delete(inst);
    CHECK(!s.set_struct);
    CHECK_EQ_U(s.opened, 64);
    wasihost_config_delete(c);
    wasihost_module_delete(m);
    free(file);
    remove_tree(dir);
}

/* ---- traces ------------------------------------------------------------- */

struct trace {
    char json[4096];
    int lines;
    int32_t errno_seen;
    uint64_t instance, duration_set;
    int default_refused, set_refused;
};

static void trace_cb(void *ud, const wasihost_call_t *call, const char *json, size_t len) {
    struct trace *t = ud;
    t->lines++;
    if (len < sizeof t->json) {
        memcpy(t->json, json, len);
        t->json[len] = 0;
    }
    t->errno_seen = wasihost_call_errno(call);
    t->instance = wasihost_call_instance(call);
    t->duration_set = wasihost_call_duration_ns(call) > 0;
    /* A traced call cannot be changed. */
    t->default_refused = wasihost_call_default((wasihost_call_t *)call) == 52;
    t->set_refused = !wasihost_call_set_result((wasihost_call_t *)call, 0, 5);
}

static void test_trace_callback_and_file(void) {
    wasihost_module_t *m = wat_module(CLOCK_WAT);
    wasihost_config_t *c = wasihost_config_new();
    struct trace t;
    memset(&t, 0, sizeof t);
    REQUIRE_OK(wasihost_config_set_trace_callback(c, B("clock"), trace_cb, &t, NULL));
    wasihost_instance_t *inst = NULL;
    uint32_t code = 1;
    CHECK_OK(run_keep(m, c, &inst, &code));
    CHECK_EQ_U(t.instance, wasihost_instance_number(inst));
    wasihost_instance_delete(inst);
    CHECK_EQ_U(t.lines, 1);
    CHECK_CONTAINS(t.json, "\"call\":\"clock_time_get\",\"args\":{\"id\":\"realtime\",\"precision\":1}");
    CHECK_CONTAINS(t.json, "\"errno\":\"success\",\"results\":{\"time\":");
    CHECK_EQ_I(t.errno_seen, 0);
    CHECK(t.instance >= 1);
    CHECK(t.duration_set);
    CHECK(t.default_refused);
    CHECK(t.set_refused);

    /* Errors: an unknown name, and a file that cannot be created. */
    CHECK_ERR(wasihost_config_set_trace_callback(c, B("clock,nope"), trace_cb, &t, NULL),
              WASIHOST_ERROR_KIND_INVALID_ARGUMENT, "nope");
    CHECK_ERR(wasihost_config_set_call_handler(c, B(""), answer_handler, NULL, NULL),
              WASIHOST_ERROR_KIND_INVALID_ARGUMENT, "empty");
    CHECK_ERR(wasihost_config_set_trace_file(c, B("/nonexistent-dir/x/t.jsonl"), NULL, 0),
              WASIHOST_ERROR_KIND_CONFIG, "/nonexistent-dir/x/t.jsonl");

    /* A file: every line is there once the instance is deleted. */
    char *dir = temp_dir();
    char *path = path_join(dir, "t.jsonl");
    REQUIRE_OK(wasihost_config_set_trace_file(c, B(path), B("clock,proc")));
    CHECK_OK(run_keep(m, c, &inst, &code));
    wasihost_instance_delete(inst);
    size_t len = 0;
    char *text = (char *)read_file(path, &len);
    REQUIRE(text != NULL);
    CHECK_CONTAINS(text, "\"call\":\"clock_time_get\"");
    CHECK_CONTAINS(text, "\"call\":\"proc_exit\",\"args\":{\"rval\":0},\"exit\":0");
    free(text);
    free(path);
    remove_tree(dir);
    wasihost_config_delete(c);
    wasihost_module_delete(m);
}

static void test_finalizers_run_once(void) {
    atomic_int n = 0;
    wasihost_config_t *c = wasihost_config_new();
    REQUIRE_OK(wasihost_config_set_call_handler(c, B("fd"), answer_handler, &n, count_finalizer));
    /* Replaced for some calls: still held for the others. */
    REQUIRE_OK(wasihost_config_set_call_handler(c, B("fd_read"), NULL, NULL, NULL));
    CHECK_EQ_I(atomic_load(&n), 0);
    REQUIRE_OK(wasihost_config_set_call_handler(c, B("fd"), NULL, NULL, NULL));
    CHECK_EQ_I(atomic_load(&n), 1);
    /* A failing setter still runs the finalizer, once. */
    atomic_int m = 0;
    CHECK_ERR(wasihost_config_set_call_handler(c, B("bogus"), answer_handler, &m, count_finalizer),
              WASIHOST_ERROR_KIND_INVALID_ARGUMENT, "bogus");
    CHECK_EQ_I(atomic_load(&m), 1);
    atomic_int k = 0;
    REQUIRE_OK(wasihost_config_set_trace_callback(c, NULL, 0, trace_cb, &k, count_finalizer));
    wasihost_config_delete(c);
    CHECK_EQ_I(atomic_load(&k), 1);
}

/* ---- clocks, random, deterministic -------------------------------------- */

static int32_t fixed_now(void *ud, uint32_t id, uint64_t *out) {
    (void)ud;
    if (id != 0)
        return 28; /* inval */
    *out = 123456789;
    return 0;
}

static int32_t fill_7f(void *ud, uint8_t *buf, size_t len) {
    (void)ud;
    memset(buf, 0x7f, len);
    return 0;
}

static void test_clock_random_deterministic(void) {
    wasihost_module_t *m = wat_module(CLOCK_WAT);
    wasihost_config_t *c = wasihost_config_new();
    wasihost_instance_t *inst = NULL;
    uint32_t code = 1;
    REQUIRE_OK(wasihost_config_set_clock(c, fixed_now, NULL, NULL, NULL));
    CHECK_OK(run_keep(m, c, &inst, &code));
    CHECK_EQ_U(code, 0);
    CHECK_EQ_U(read_i64(inst, "read"), 123456789);
    wasihost_instance_delete(inst);
    CHECK_ERR(wasihost_config_set_clock(c, NULL, NULL, NULL, NULL),
              WASIHOST_ERROR_KIND_INVALID_ARGUMENT, "now");

    REQUIRE_OK(wasihost_config_set_deterministic(c, 1));
    CHECK_OK(run_keep(m, c, &inst, &code));
    CHECK_EQ_U(read_i64(inst, "read"), 946684800000000000ull);
    wasihost_instance_delete(inst);
    wasihost_config_delete(c);
    wasihost_module_delete(m);

    static const char RANDOM_WAT[] =
        "(module\n"
        "  (import \"wasi_snapshot_preview1\" \"random_get\"\n"
        "    (func $r (param i32 i32) (result i32)))\n"
        "  (import \"wasi_snapshot_preview1\" \"proc_exit\" (func $exit (param i32)))\n"
        "  (memory (export \"memory\") 1)\n"
        "  (func (export \"read\") (result i64) (i64.load (i32.const 16)))\n"
        "  (func (export \"_start\") (call $exit (call $r (i32.const 16) (i32.const 8)))))\n";
    m = wat_module(RANDOM_WAT);
    c = wasihost_config_new();
    REQUIRE_OK(wasihost_config_set_random_callback(c, fill_7f, NULL, NULL));
    CHECK_OK(run_keep(m, c, &inst, &code));
    CHECK_EQ_U(read_i64(inst, "read"), 0x7f7f7f7f7f7f7f7full);
    wasihost_instance_delete(inst);
    /* Deterministic: the same bytes in two instances, others for another
     * seed. */
    REQUIRE_OK(wasihost_config_set_deterministic(c, 5));
    CHECK_OK(run_keep(m, c, &inst, &code));
    uint64_t first = read_i64(inst, "read");
    wasihost_instance_delete(inst);
    CHECK_OK(run_keep(m, c, &inst, &code));
    CHECK_EQ_U(read_i64(inst, "read"), first);
    wasihost_instance_delete(inst);
    REQUIRE_OK(wasihost_config_set_deterministic(c, 6));
    CHECK_OK(run_keep(m, c, &inst, &code));
    CHECK(read_i64(inst, "read") != first);
    wasihost_instance_delete(inst);
    wasihost_config_delete(c);
    wasihost_module_delete(m);
}

static int32_t write_nospc(void *ud, const uint8_t *data, size_t len) {
    (void)ud;
    (void)data;
    (void)len;
    return 51; /* nospc */
}

static int32_t write_minus_one(void *ud, const uint8_t *data, size_t len) {
    (void)ud;
    (void)data;
    (void)len;
    return -1;
}

static void test_stdio_callback_errno(void) {
    wasihost_module_t *m = wat_module(WRITE_WAT);
    wasihost_config_t *c = wasihost_config_new();
    wasihost_instance_t *inst = NULL;
    uint32_t code = 0;
    REQUIRE_OK(wasihost_config_output_callback(c, WASIHOST_STDOUT, write_nospc, NULL, NULL));
    CHECK_OK(run_keep(m, c, &inst, &code));
    CHECK_EQ_U(code, 51);
    wasihost_instance_delete(inst);
    REQUIRE_OK(wasihost_config_output_callback(c, WASIHOST_STDOUT, write_minus_one, NULL, NULL));
    CHECK_OK(run_keep(m, c, &inst, &code));
    CHECK_EQ_U(code, 29); /* io */
    wasihost_instance_delete(inst);
    wasihost_config_delete(c);
    wasihost_module_delete(m);
}

/* The header's macros: the version matches the library's, and the errnos
 * are WASI's (wasi/api.h). */
static void test_header_macros(void) {
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", WASIHOST_VERSION_MAJOR, WASIHOST_VERSION_MINOR,
             WASIHOST_VERSION_PATCH);
    CHECK_STR_EQ(want, WASIHOST_VERSION_STRING);
    CHECK_STR_EQ(wasihost_version(), WASIHOST_VERSION_STRING);
    CHECK_EQ_I(WASIHOST_ERRNO_SUCCESS, 0);
    CHECK_EQ_I(WASIHOST_ERRNO_2BIG, 1);
    CHECK_EQ_I(WASIHOST_ERRNO_ACCES, 2);
    CHECK_EQ_I(WASIHOST_ERRNO_IO, 29);
    CHECK_EQ_I(WASIHOST_ERRNO_NOENT, 44);
    CHECK_EQ_I(WASIHOST_ERRNO_NOSPC, 51);
    CHECK_EQ_I(WASIHOST_ERRNO_NOTCAPABLE, 76);
}

static const struct test_case tests[] = {
    TEST_CASE(test_header_macros),
    TEST_CASE(test_results_only_on_success),
    TEST_CASE(test_exit_trap_and_bad_values),
    TEST_CASE(test_accessors),
    TEST_CASE(test_trace_callback_and_file),
    TEST_CASE(test_finalizers_run_once),
    TEST_CASE(test_clock_random_deterministic),
    TEST_CASE(test_stdio_callback_errno),
};

int main(int argc, char **argv) { return run_suite(argc, argv, tests, sizeof tests / sizeof tests[0]); }
