/*
 * Every exported function with NULL and invalid arguments: an error of the
 * documented kind whose message names the argument, out-parameters left
 * alone, no crash; _delete(NULL) no-ops; getters on NULL errors;
 * callbacks given to a failing call are finalized exactly once.
 */
#include "util.h"

/* A non-NULL address that no API call returns: out-parameters are filled
 * with it before a failing call, and must still hold it afterwards. */
static char sentinel_byte;
#define SENT(T) ((T *)(void *)&sentinel_byte)

static const char *const WAT_SMALL =
    "(module\n"
    "  (import \"wasi_snapshot_preview1\" \"fd_write\"\n"
    "    (func $fd_write (param i32 i32 i32 i32) (result i32)))\n"
    "  (memory (export \"memory\") 1)\n"
    "  (data (i32.const 16) \"x\")\n"
    "  (func (export \"_start\")\n"
    "    (i32.store (i32.const 0) (i32.const 16))\n"
    "    (i32.store (i32.const 4) (i32.const 1))\n"
    "    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))\n"
    "  (func (export \"nothing\"))\n"
    "  (func (export \"add\") (param i32 i32) (result i32)\n"
    "    (i32.add (local.get 0) (local.get 1))))\n";

static void test_version_and_deletes_of_null(void) {
    const char *v = wasihost_version();
    CHECK(v != NULL && v[0] != '\0');
    wasihost_config_t *c = wasihost_config_new();
    CHECK(c != NULL);
    wasihost_config_delete(c);
    /* Each of these is documented as a no-op. */
    wasihost_config_delete(NULL);
    wasihost_engine_delete(NULL);
    wasihost_error_delete(NULL);
    wasihost_module_delete(NULL);
    wasihost_instance_delete(NULL);
    wasihost_interrupt_handle_delete(NULL);
    wasihost_interrupt_handle_interrupt(NULL);
    wasihost_bytes_delete(NULL);
    wasihost_bytes_t empty = {NULL, 0};
    wasihost_bytes_delete(&empty);
    CHECK(empty.data == NULL && empty.len == 0);
}

static void test_engine_new_null(void) {
    CHECK_ERR(wasihost_engine_new(NULL), WASIHOST_ERROR_KIND_INVALID_ARGUMENT, "engine_out");
}

static void test_error_getters(void) {
    CHECK_EQ_U(wasihost_error_kind(NULL), 0);
    const char *m = wasihost_error_message(NULL);
    CHECK(m != NULL);
    if (m != NULL)
        CHECK_STR_EQ(m, "");
    CHECK_EQ_U(wasihost_error_errno(NULL), 0);
    uint32_t code = 12345;
    CHECK(!wasihost_error_exit_code(NULL, &code));
    CHECK_EQ_U(code, 12345);

    /* A real, non-exit error: no exit code, nothing written. */
    wasihost_error_t *e = wasihost_engine_new(NULL);
    REQUIRE(e != NULL);
    CHECK_EQ_U(wasihost_error_kind(e), WASIHOST_ERROR_KIND_INVALID_ARGUMENT);
    CHECK(!wasihost_error_exit_code(e, &code));
    CHECK_EQ_U(code, 12345);
    CHECK(!wasihost_error_exit_code(e, NULL));
    CHECK_EQ_U(wasihost_error_errno(e), 0);
    wasihost_error_delete(e);
}

static int32_t read_nothing(void *ud, uint8_t *buf, size_t cap, size_t *n) {
    (void)ud;
    (void)buf;
    (void)cap;
    *n = 0;
    return 0;
}

static atomic_int discarded;

static int32_t discard_write(void *userdata, const uint8_t *data, size_t len) {
    (void)data;
    atomic_fetch_add(&discarded, (int)len + (userdata == NULL ? 1000 : 0));
    return 0;
}

static void test_config_setters_with_null_config(void) {
    const wasihost_error_kind_t INV = WASIHOST_ERROR_KIND_INVALID_ARGUMENT;
    CHECK_ERR(wasihost_config_push_arg(NULL, B("a")), INV, "config");
    CHECK_ERR(wasihost_config_set_env(NULL, B("A"), B("1")), INV, "config");
    CHECK_ERR(wasihost_config_inherit_env(NULL), INV, "config");
    CHECK_ERR(wasihost_config_inherit_env_var(NULL, B("PATH")), INV, "config");
    CHECK_ERR(wasihost_config_preopen_dir(NULL, B("/tmp"), B("/tmp"), 0), INV, "config");
    CHECK_ERR(wasihost_config_set_max_open_fds(NULL, 10), INV, "config");
    CHECK_ERR(wasihost_config_stdin_inherit(NULL), INV, "config");
    CHECK_ERR(wasihost_config_stdin_null(NULL), INV, "config");
    CHECK_ERR(wasihost_config_stdin_bytes(NULL, B("abc")), INV, "config");
    CHECK_ERR(wasihost_config_stdin_file(NULL, B("/dev/null")), INV, "config");
    CHECK_ERR(wasihost_config_stdin_fd(NULL, 0), INV, "config");
    CHECK_ERR(wasihost_config_output_inherit(NULL, WASIHOST_STDOUT), INV, "config");
    CHECK_ERR(wasihost_config_output_null(NULL, WASIHOST_STDOUT), INV, "config");
    CHECK_ERR(wasihost_config_output_file(NULL, WASIHOST_STDOUT, B("/dev/null"), 0), INV,
              "config");
    CHECK_ERR(wasihost_config_output_fd(NULL, WASIHOST_STDOUT, 1), INV, "config");
    CHECK_ERR(wasihost_config_output_capture(NULL, WASIHOST_STDOUT, 10), INV, "config");
}

/* A callback given to a call that fails is finalized once, before the call
 * returns; one given to a call that succeeds, once when the config goes. */
static void test_callback_finalizers_on_failure(void) {
    const wasihost_error_kind_t INV = WASIHOST_ERROR_KIND_INVALID_ARGUMENT;
    atomic_int n;
    atomic_init(&n, 0);
    CHECK_ERR(wasihost_config_stdin_callback(NULL, read_nothing, &n, count_finalizer), INV,
              "config");
    CHECK_EQ_I(atomic_load(&n), 1);
    CHECK_ERR(wasihost_config_output_callback(NULL, WASIHOST_STDOUT, sink_write, &n,
                                              count_finalizer),
              INV, "config");
    CHECK_EQ_I(atomic_load(&n), 2);
    /* A NULL finalizer is allowed. */
    CHECK_ERR(wasihost_config_stdin_callback(NULL, read_nothing, &n, NULL), INV, "config");
    CHECK_ERR(wasihost_config_output_callback(NULL, WASIHOST_STDERR, sink_write, &n, NULL), INV,
              "config");
    CHECK_EQ_I(atomic_load(&n), 2);

    wasihost_config_t *c = wasihost_config_new();
    REQUIRE(c != NULL);
    /* NULL callback functions. */
    CHECK_ERR(wasihost_config_stdin_callback(c, NULL, &n, count_finalizer), INV, "read");
    CHECK_EQ_I(atomic_load(&n), 3);
    CHECK_ERR(wasihost_config_output_callback(c, WASIHOST_STDOUT, NULL, &n, count_finalizer),
              INV, "write");
    CHECK_EQ_I(atomic_load(&n), 4);
    /* Bad streams. */
    CHECK_ERR(wasihost_config_output_callback(c, WASIHOST_STDIN, sink_write, &n,
                                              count_finalizer),
              INV, "stream");
    CHECK_EQ_I(atomic_load(&n), 5);
    CHECK_ERR(wasihost_config_output_callback(c, 3, sink_write, &n, count_finalizer), INV,
              "stream");
    CHECK_EQ_I(atomic_load(&n), 6);

    /* NULL userdata and NULL finalizer: fine, and NULL is what the
     * callback gets. */
    wasihost_module_t *m = wat_module(WAT_SMALL);
    REQUIRE(m != NULL);
    wasihost_config_t *c2 = wasihost_config_new();
    CHECK_OK(wasihost_config_output_callback(c2, WASIHOST_STDOUT, discard_write, NULL, NULL));
    CHECK_OK(wasihost_config_stdin_callback(c2, read_nothing, NULL, NULL));
    wasihost_instance_t *inst = NULL;
    if (CHECK_OK(wasihost_instance_new(m, c2, &inst))) {
        uint32_t code = 99;
        CHECK_OK(wasihost_instance_run(inst, &code));
        CHECK_EQ_I(atomic_load(&discarded), 1001); /* one byte, "x", NULL userdata */
    }
    wasihost_instance_delete(inst);
    wasihost_config_delete(c2);
    wasihost_module_delete(m);

    /* Success: not finalized until the config goes. */
    atomic_int ok;
    atomic_init(&ok, 0);
    CHECK_OK(wasihost_config_output_callback(c, WASIHOST_STDOUT, sink_write, &ok,
                                             count_finalizer));
    CHECK_OK(wasihost_config_stdin_callback(c, read_nothing, &ok, count_finalizer));
    CHECK_EQ_I(atomic_load(&ok), 0);
    wasihost_config_delete(c);
    CHECK_EQ_I(atomic_load(&ok), 2);
    CHECK_EQ_I(atomic_load(&n), 6);
}

/* (NULL, nonzero length) byte strings, and empty ones where a value is
 * required. */
static void test_config_byte_strings(void) {
    const wasihost_error_kind_t INV = WASIHOST_ERROR_KIND_INVALID_ARGUMENT;
    wasihost_config_t *c = wasihost_config_new();
    REQUIRE(c != NULL);
    CHECK_ERR(wasihost_config_push_arg(c, NULL, 3), INV, "arg");
    CHECK_ERR(wasihost_config_set_env(c, NULL, 1, B("v")), INV, "name");
    CHECK_ERR(wasihost_config_set_env(c, B("N"), NULL, 1), INV, "value");
    CHECK_ERR(wasihost_config_inherit_env_var(c, NULL, 4), INV, "name");
    CHECK_ERR(wasihost_config_preopen_dir(c, NULL, 4, B("/d"), 0), INV, "host_path");
    CHECK_ERR(wasihost_config_preopen_dir(c, B("/tmp"), NULL, 2, 0), INV, "guest_path");
    CHECK_ERR(wasihost_config_stdin_bytes(c, NULL, 1), INV, "bytes");
    CHECK_ERR(wasihost_config_stdin_file(c, NULL, 9), INV, "path");
    CHECK_ERR(wasihost_config_output_file(c, WASIHOST_STDOUT, NULL, 9, 0), INV, "path");

    /* Empty where a value is required. */
    CHECK_ERR(wasihost_config_set_env(c, NULL, 0, B("v")), INV, "empty");
    CHECK_ERR(wasihost_config_inherit_env_var(c, NULL, 0), INV, "empty");
    CHECK_ERR(wasihost_config_preopen_dir(c, NULL, 0, B("/d"), 0), INV, "host_path");
    CHECK_ERR(wasihost_config_preopen_dir(c, B("/tmp"), NULL, 0, 0), INV, "guest path");
    CHECK_ERR(wasihost_config_stdin_file(c, NULL, 0), INV, "path");
    CHECK_ERR(wasihost_config_output_file(c, WASIHOST_STDERR, NULL, 0, 0), INV, "path");

    /* (NULL, 0) where empty is fine: an empty argument, an empty value,
     * empty stdin. */
    CHECK_OK(wasihost_config_push_arg(c, NULL, 0));
    CHECK_OK(wasihost_config_set_env(c, B("EMPTY"), NULL, 0));
    CHECK_OK(wasihost_config_stdin_bytes(c, NULL, 0));
    wasihost_config_delete(c);
}

static void test_config_invalid_values(void) {
    const wasihost_error_kind_t INV = WASIHOST_ERROR_KIND_INVALID_ARGUMENT;
    wasihost_config_t *c = wasihost_config_new();
    REQUIRE(c != NULL);

    CHECK_ERR(wasihost_config_push_arg(c, (const uint8_t *)"a\0b", 3), INV, "NUL");
    CHECK_ERR(wasihost_config_push_arg(c, (const uint8_t *)"\0", 1), INV, "NUL");

    CHECK_ERR(wasihost_config_set_env(c, (const uint8_t *)"A\0B", 3, B("v")), INV, "NUL");
    CHECK_ERR(wasihost_config_set_env(c, B("A=B"), B("v")), INV, "'='");
    CHECK_ERR(wasihost_config_set_env(c, B("=A"), B("v")), INV, "'='");
    CHECK_ERR(wasihost_config_set_env(c, B("NAME"), (const uint8_t *)"v\0w", 3), INV, "NUL");
    CHECK_ERR(wasihost_config_inherit_env_var(c, B("A=B")), INV, "'='");
    CHECK_ERR(wasihost_config_inherit_env_var(c, (const uint8_t *)"PA\0TH", 5), INV, "NUL");

    CHECK_ERR(wasihost_config_preopen_dir(c, B("/tmp"), B("/t"), 2), INV, "flags");
    CHECK_ERR(wasihost_config_preopen_dir(c, B("/tmp"), B("/t"), 0x80000001u), INV, "flags");
    CHECK_ERR(wasihost_config_preopen_dir(c, B("/tmp"), (const uint8_t *)"/a\0b", 4, 0), INV,
              "NUL");
    CHECK_ERR(wasihost_config_preopen_dir(c, (const uint8_t *)"/tmp\0x", 6, B("/t"), 0), INV,
              "NUL");

    CHECK_ERR(wasihost_config_set_max_open_fds(c, 0), INV, "max_open_fds");
    CHECK_ERR(wasihost_config_set_max_open_fds(c, 2), INV, "max_open_fds");
    CHECK_OK(wasihost_config_set_max_open_fds(c, 3));

    CHECK_ERR(wasihost_config_stdin_file(c, (const uint8_t *)"/dev\0null", 9), INV, "NUL");
    CHECK_ERR(wasihost_config_output_file(c, WASIHOST_STDOUT, (const uint8_t *)"/x\0y", 4, 0),
              INV, "NUL");
    CHECK_ERR(wasihost_config_output_file(c, WASIHOST_STDOUT, B("/dev/null"), 2), INV, "flags");

    /* Bad stream numbers, for every function that takes one. */
    const wasihost_stream_t bad[] = {WASIHOST_STDIN, 3, 0xffffffffu};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wasihost_stream_t s = bad[i];
        CHECK_ERR(wasihost_config_output_inherit(c, s), INV, "stream");
        CHECK_ERR(wasihost_config_output_null(c, s), INV, "stream");
        CHECK_ERR(wasihost_config_output_file(c, s, B("/dev/null"), 0), INV, "stream");
        CHECK_ERR(wasihost_config_output_fd(c, s, 1), INV, "stream");
        CHECK_ERR(wasihost_config_output_capture(c, s, 10), INV, "stream");
    }

    /* Negative and closed fds. */
    CHECK_ERR(wasihost_config_stdin_fd(c, -1), INV, "-1");
    CHECK_ERR(wasihost_config_output_fd(c, WASIHOST_STDOUT, -5), INV, "-5");
    int fd = open("/dev/null", O_RDONLY);
    REQUIRE(fd >= 0);
    close(fd); /* now closed (and no other thread opens files meanwhile) */
    char num[16];
    snprintf(num, sizeof num, "%d", fd);
    /* A host fd that cannot be used: CONFIG, errno 8 (badf). */
    CHECK_ERR_ERRNO(wasihost_config_stdin_fd(c, fd), WASIHOST_ERROR_KIND_CONFIG, 8, num);
    CHECK_ERR_ERRNO(wasihost_config_output_fd(c, WASIHOST_STDERR, fd),
                    WASIHOST_ERROR_KIND_CONFIG, 8, num);
    wasihost_config_delete(c);
}

/* A setter that fails leaves the config as it was. */
static void test_failed_setters_change_nothing(void) {
    wasihost_module_t *m = wat_module(WAT_SMALL);
    REQUIRE(m != NULL);
    wasihost_config_t *c = wasihost_config_new();
    REQUIRE(c != NULL);
    CHECK_OK(wasihost_config_output_capture(c, WASIHOST_STDOUT, 100));
    atomic_int n;
    atomic_init(&n, 0);
    const wasihost_error_kind_t INV = WASIHOST_ERROR_KIND_INVALID_ARGUMENT;
    CHECK_ERR(wasihost_config_output_file(c, WASIHOST_STDOUT, B("/dev/null"), 4), INV, "flags");
    CHECK_ERR(wasihost_config_output_fd(c, WASIHOST_STDOUT, -1), INV, "-1");
    CHECK_ERR(wasihost_config_output_callback(c, WASIHOST_STDOUT, NULL, &n, count_finalizer),
              INV, "write");
    CHECK_EQ_I(atomic_load(&n), 1);

    wasihost_instance_t *inst = NULL;
    REQUIRE(CHECK_OK(wasihost_instance_new(m, c, &inst)));
    uint32_t code = 99;
    CHECK_OK(wasihost_instance_run(inst, &code));
    CHECK_EQ_U(code, 0);
    wasihost_capture_t cap;
    memset(&cap, 0, sizeof cap);
    if (CHECK_OK(wasihost_instance_capture(inst, WASIHOST_STDOUT, &cap)))
        CHECK_MEM_EQ(cap.data, cap.len, "x", 1);
    wasihost_instance_delete(inst);
    wasihost_config_delete(c);
    wasihost_module_delete(m);
}

static void test_module_functions_null_and_invalid(void) {
    const wasihost_error_kind_t INV = WASIHOST_ERROR_KIND_INVALID_ARGUMENT;
    const char *wat = WAT_SMALL;
    wasihost_module_t *m = SENT(wasihost_module_t);

    CHECK_ERR(wasihost_module_new(NULL, B(wat), &m), INV, "engine");
    CHECK_ERR(wasihost_module_new(g_engine, NULL, 8, &m), INV, "bytes");
    CHECK_ERR(wasihost_module_new(g_engine, B(wat), NULL), INV, "module_out");
    CHECK(m == SENT(wasihost_module_t));

    CHECK_ERR(wasihost_module_from_wat(NULL, B(wat), &m), INV, "engine");
    CHECK_ERR(wasihost_module_from_wat(g_engine, NULL, 8, &m), INV, "wat");
    CHECK_ERR(wasihost_module_from_wat(g_engine, B(wat), NULL), INV, "module_out");
    CHECK_ERR(wasihost_module_from_wat(g_engine, (const uint8_t *)"(module \xff\xfe)", 11, &m),
              INV, "wat");
    CHECK(m == SENT(wasihost_module_t));

    CHECK_ERR(wasihost_module_from_file(NULL, B("/x.wasm"), &m), INV, "engine");
    CHECK_ERR(wasihost_module_from_file(g_engine, NULL, 7, &m), INV, "path");
    CHECK_ERR(wasihost_module_from_file(g_engine, B("/x.wasm"), NULL), INV, "module_out");
    CHECK(m == SENT(wasihost_module_t));

    wasihost_cache_status_t st = 777;
    CHECK_ERR(wasihost_module_new_cached(NULL, B(wat), B("/tmp"), &st, &m), INV, "engine");
    CHECK_ERR(wasihost_module_new_cached(g_engine, NULL, 5, B("/tmp"), &st, &m), INV, "bytes");
    CHECK_ERR(wasihost_module_new_cached(g_engine, B(wat), B("/tmp"), &st, NULL), INV,
              "module_out");
    /* An empty cache_dir is refused (NULL is the way to ask for the
     * default directory). */
    CHECK_ERR(wasihost_module_new_cached(g_engine, B(wat), (const uint8_t *)"/tmp", 0, &st, &m),
              INV, "cache_dir");
    CHECK(m == SENT(wasihost_module_t));
    CHECK_EQ_U(st, 777);

    CHECK_ERR(wasihost_module_deserialize(NULL, B("abc"), &m), INV, "engine");
    CHECK_ERR(wasihost_module_deserialize(g_engine, NULL, 3, &m), INV, "bytes");
    CHECK_ERR(wasihost_module_deserialize(g_engine, B("abc"), NULL), INV, "module_out");
    CHECK(m == SENT(wasihost_module_t));

    wasihost_bytes_t bytes = {SENT(uint8_t), 4242};
    CHECK_ERR(wasihost_module_serialize(NULL, &bytes), INV, "module");
    CHECK(bytes.data == SENT(uint8_t) && bytes.len == 4242);

    wasihost_module_t *real = wat_module(wat);
    REQUIRE(real != NULL);
    CHECK_ERR(wasihost_module_serialize(real, NULL), INV, "bytes_out");
    CHECK(!wasihost_module_has_export(NULL, B("_start")));
    CHECK(!wasihost_module_has_export(real, NULL, 6));
    CHECK(!wasihost_module_has_export(real, NULL, 0));
    CHECK(!wasihost_module_has_export(real, (const uint8_t *)"_st\xff", 4));
    CHECK(wasihost_module_has_export(real, B("_start")));
    wasihost_module_delete(real);
}

/*
 * The header, on WASIHOST_ERROR_KIND_INVALID_ARGUMENT: "a byte string that
 * ... holds a NUL byte where none may be (arguments, environment
 * variables, paths), an empty path". The config's path arguments follow
 * it; the module functions' paths must too.
 */
static void test_module_path_arguments(void) {
    const wasihost_error_kind_t INV = WASIHOST_ERROR_KIND_INVALID_ARGUMENT;
    const char *wat = WAT_SMALL;
    wasihost_module_t *m = SENT(wasihost_module_t);
    CHECK_ERR(wasihost_module_from_file(g_engine, (const uint8_t *)"/tmp/a\0b", 8, &m), INV,
              "NUL");
    CHECK_ERR(wasihost_module_from_file(g_engine, B(""), &m), INV, "path");
    CHECK_ERR(wasihost_module_from_file(g_engine, NULL, 0, &m), INV, "path");
    CHECK(m == SENT(wasihost_module_t));

    /* A cache_dir with a NUL byte is an invalid path, not "cache trouble"
     * (which would give success with WASIHOST_CACHE_NOT_STORED). */
    wasihost_cache_status_t st = 777;
    CHECK_ERR(wasihost_module_new_cached(g_engine, B(wat), (const uint8_t *)"/tmp/c\0d", 8, &st,
                                         &m),
              INV, "cache_dir");
    if (m != SENT(wasihost_module_t)) {
        CHECK_MSG(false, "a module was made (cache status %u)", (unsigned)st);
        wasihost_module_delete(m); /* so that the failure is not also a leak */
    }
}

static void test_instance_functions_null_and_invalid(void) {
    const wasihost_error_kind_t INV = WASIHOST_ERROR_KIND_INVALID_ARGUMENT;
    wasihost_module_t *m = wat_module(WAT_SMALL);
    REQUIRE(m != NULL);
    wasihost_config_t *c = wasihost_config_new();
    REQUIRE(c != NULL);
    CHECK_OK(wasihost_config_output_capture(c, WASIHOST_STDOUT, 64));

    wasihost_instance_t *inst = SENT(wasihost_instance_t);
    CHECK_ERR(wasihost_instance_new(NULL, c, &inst), INV, "module");
    CHECK_ERR(wasihost_instance_new(m, NULL, &inst), INV, "config");
    CHECK_ERR(wasihost_instance_new(m, c, NULL), INV, "instance_out");
    CHECK(inst == SENT(wasihost_instance_t));
    inst = NULL;
    REQUIRE(CHECK_OK(wasihost_instance_new(m, c, &inst)));

    uint32_t code = 4321;
    CHECK_ERR(wasihost_instance_run(NULL, &code), INV, "instance");
    CHECK_ERR(wasihost_instance_run(inst, NULL), INV, "exit_code_out");
    CHECK_EQ_U(code, 4321);

    wasihost_val_t args[2], res[1];
    args[0].kind = WASIHOST_VAL_I32;
    args[0].of.i32 = 2;
    args[1].kind = WASIHOST_VAL_I32;
    args[1].of.i32 = 3;
    res[0].kind = 0xabcd;
    res[0].of.i64 = 0x1122334455667788LL;
#define RES_UNTOUCHED() CHECK(res[0].kind == 0xabcd && res[0].of.i64 == 0x1122334455667788LL)
    CHECK_ERR(wasihost_instance_call(NULL, B("add"), args, 2, res, 1), INV, "instance");
    CHECK_ERR(wasihost_instance_call(inst, NULL, 3, args, 2, res, 1), INV, "name");
    CHECK_ERR(wasihost_instance_call(inst, B("add"), NULL, 2, res, 1), INV, "args");
    CHECK_ERR(wasihost_instance_call(inst, B("add"), args, 2, NULL, 1), INV, "results");
    CHECK_ERR(wasihost_instance_call(inst, (const uint8_t *)"ad\xff", 3, args, 2, res, 1), INV,
              "name");
    args[1].kind = 4;
    CHECK_ERR(wasihost_instance_call(inst, B("add"), args, 2, res, 1), INV, "kind");
    args[1].kind = 0xffffffffu;
    CHECK_ERR(wasihost_instance_call(inst, B("add"), args, 2, res, 1), INV, "kind");
    RES_UNTOUCHED();
    args[1].kind = WASIHOST_VAL_I32;
    /* NULL args with 0 values, NULL results with 0 results: fine. */
    CHECK_OK(wasihost_instance_call(inst, B("nothing"), NULL, 0, NULL, 0));
    CHECK_OK(wasihost_instance_call(inst, B("add"), args, 2, res, 1));
    CHECK_EQ_U(res[0].kind, WASIHOST_VAL_I32);
    CHECK_EQ_I(res[0].of.i32, 5);
#undef RES_UNTOUCHED

    wasihost_capture_t cap = {SENT(uint8_t), 77, 88, true};
#define CAP_UNTOUCHED()                                                                        \
    CHECK(cap.data == SENT(uint8_t) && cap.len == 77 && cap.total_written == 88 && cap.truncated)
    CHECK_ERR(wasihost_instance_capture(NULL, WASIHOST_STDOUT, &cap), INV, "instance");
    CHECK_ERR(wasihost_instance_capture(inst, WASIHOST_STDOUT, NULL), INV, "capture_out");
    CHECK_ERR(wasihost_instance_capture(inst, WASIHOST_STDIN, &cap), INV, "stream");
    CHECK_ERR(wasihost_instance_capture(inst, 3, &cap), INV, "stream");
    CHECK_ERR(wasihost_instance_capture(inst, 0x80000000u, &cap), INV, "stream");
    /* stderr is not captured by this config. */
    CHECK_ERR(wasihost_instance_capture(inst, WASIHOST_STDERR, &cap), INV, "stderr");
    CAP_UNTOUCHED();
#undef CAP_UNTOUCHED

    wasihost_interrupt_handle_t *h = SENT(wasihost_interrupt_handle_t);
    CHECK_ERR(wasihost_instance_interrupt_handle(NULL, &h), INV, "instance");
    CHECK_ERR(wasihost_instance_interrupt_handle(inst, NULL), INV, "handle_out");
    CHECK(h == SENT(wasihost_interrupt_handle_t));

    /* After all those failures the instance still works. */
    code = 4321;
    CHECK_OK(wasihost_instance_run(inst, &code));
    CHECK_EQ_U(code, 0);
    wasihost_instance_delete(inst);
    wasihost_config_delete(c);
    wasihost_module_delete(m);
}

static const struct test_case tests[] = {
    TEST_CASE(test_version_and_deletes_of_null),
    TEST_CASE(test_engine_new_null),
    TEST_CASE(test_error_getters),
    TEST_CASE(test_config_setters_with_null_config),
    TEST_CASE(test_callback_finalizers_on_failure),
    TEST_CASE(test_config_byte_strings),
    TEST_CASE(test_config_invalid_values),
    TEST_CASE(test_failed_setters_change_nothing),
    TEST_CASE(test_module_functions_null_and_invalid),
    TEST_CASE(test_module_path_arguments),
    TEST_CASE(test_instance_functions_null_and_invalid),
};

int main(int argc, char **argv) {
    return run_suite(argc, argv, tests, sizeof tests / sizeof tests[0]);
}
