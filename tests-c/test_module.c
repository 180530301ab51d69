/*
 * Modules: invalid, truncated and empty input, WAT errors, files, exports;
 * serialize/deserialize and its corruption checks; the compiled-module
 * cache; version and error kind names.
 */
#include "util.h"

#include <dirent.h>

/* A hand-assembled binary module: one function, exported as `_start`. */
static const uint8_t TINY_WASM[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,             /* magic, version 1 */
    0x01, 0x04, 0x01, 0x60, 0x00, 0x00,                         /* type 0: () -> () */
    0x03, 0x02, 0x01, 0x00,                                     /* func 0: type 0 */
    0x07, 0x0a, 0x01, 0x06, '_', 's', 't', 'a', 'r', 't', 0x00, 0x00, /* export */
    0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,                         /* body: end */
};

/* A module whose exports tell it apart: `answer` returns 42; `_start`
 * writes "serialized!\n". */
static const char *const WAT_ANSWER =
    "(module\n"
    "  (import \"wasi_snapshot_preview1\" \"fd_write\"\n"
    "    (func $fd_write (param i32 i32 i32 i32) (result i32)))\n"
    "  (memory (export \"memory\") 1)\n"
    "  (global (export \"g\") i32 (i32.const 7))\n"
    "  (data (i32.const 32) \"serialized!\\n\")\n"
    "  (func (export \"_start\")\n"
    "    (i32.store (i32.const 0) (i32.const 32))\n"
    "    (i32.store (i32.const 4) (i32.const 12))\n"
    "    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))\n"
    "  (func (export \"answer\") (result i32) (i32.const 42)))\n";

/* Checks that `m` is WAT_ANSWER: runs _start and calls `answer`. */
static void check_answer_module(const wasihost_module_t *m, const char *what) {
    wasihost_config_t *c = capture_config();
    wasihost_instance_t *inst = NULL;
    if (CHECK_OK(wasihost_instance_new(m, c, &inst))) {
        uint32_t code = 99;
        CHECK_OK(wasihost_instance_run(inst, &code));
        CHECK_EQ_U(code, 0);
        wasihost_capture_t cap;
        memset(&cap, 0, sizeof cap);
        if (CHECK_OK(wasihost_instance_capture(inst, WASIHOST_STDOUT, &cap)))
            CHECK_MSG(cap.len == 12 && memcmp(cap.data, "serialized!\n", 12) == 0,
                      "%s: wrong output", what);
        wasihost_val_t r;
        memset(&r, 0, sizeof r);
        CHECK_OK(wasihost_instance_call(inst, B("answer"), NULL, 0, &r, 1));
        CHECK_MSG(r.kind == WASIHOST_VAL_I32 && r.of.i32 == 42, "%s: answer() is not 42", what);
    }
    wasihost_instance_delete(inst);
    wasihost_config_delete(c);
}

static void test_tiny_binary_module_runs(void) {
    wasihost_module_t *m = NULL;
    REQUIRE(CHECK_OK(wasihost_module_new(g_engine, TINY_WASM, sizeof TINY_WASM, &m)));
    CHECK(wasihost_module_has_export(m, B("_start")));
    wasihost_config_t *c = wasihost_config_new();
    wasihost_instance_t *inst = NULL;
    if (CHECK_OK(wasihost_instance_new(m, c, &inst))) {
        uint32_t code = 99;
        CHECK_OK(wasihost_instance_run(inst, &code));
        CHECK_EQ_U(code, 0);
    }
    wasihost_instance_delete(inst);
    wasihost_config_delete(c);
    wasihost_module_delete(m);
}

static void test_invalid_modules(void) {
    const wasihost_error_kind_t MOD = WASIHOST_ERROR_KIND_MODULE;
    wasihost_module_t *m = NULL;
    static const uint8_t garbage[] = {0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02, 0x03, 0xff};
    CHECK_ERR(wasihost_module_new(g_engine, garbage, sizeof garbage, &m), MOD, NULL);
    /* The right magic, a wrong version. */
    static const uint8_t bad_version[] = {0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00};
    CHECK_ERR(wasihost_module_new(g_engine, bad_version, sizeof bad_version, &m), MOD, NULL);
    /* Empty input, with and without a pointer. */
    CHECK_ERR(wasihost_module_new(g_engine, NULL, 0, &m), MOD, NULL);
    CHECK_ERR(wasihost_module_new(g_engine, garbage, 0, &m), MOD, NULL);
    CHECK_ERR(wasihost_module_from_wat(g_engine, NULL, 0, &m), MOD, NULL);
    /* Every proper prefix of a valid module is invalid, except those that
     * end right after the header (8 bytes) or the type section (14): those
     * are complete modules, with no functions. (Cut after the function or
     * export section, the code section is missing: invalid.) */
    for (size_t len = 1; len < sizeof TINY_WASM; len++) {
        m = NULL;
        wasihost_error_t *e = wasihost_module_new(g_engine, TINY_WASM, len, &m);
        if (len == 8 || len == 14) {
            CHECK_MSG(e == NULL && m != NULL, "TINY_WASM cut to %zu bytes is valid", len);
        } else {
            CHECK_MSG(e != NULL && wasihost_error_kind(e) == MOD &&
                          wasihost_error_message(e)[0] != '\0' && m == NULL,
                      "TINY_WASM cut to %zu bytes: kind %u", len,
                      (unsigned)wasihost_error_kind(e));
        }
        wasihost_error_delete(e);
        wasihost_module_delete(m);
    }
    m = NULL;
    /* Bytes that are not UTF-8 (so not WAT) and not wasm. */
    CHECK_ERR(wasihost_module_new(g_engine, (const uint8_t *)"\xff\xfe(module)", 10, &m), MOD,
              NULL);
    CHECK(m == NULL);
}

static void test_truncated_guest_binary(void) {
    char *path = guest_path("cat");
    size_t len = 0;
    uint8_t *bytes = read_file(path, &len);
    free(path);
    REQUIRE(bytes != NULL && len > 1000);
    wasihost_module_t *m = NULL;
    CHECK_ERR(wasihost_module_new(g_engine, bytes, len / 2, &m), WASIHOST_ERROR_KIND_MODULE,
              NULL);
    CHECK_ERR(wasihost_module_new(g_engine, bytes, len - 1, &m), WASIHOST_ERROR_KIND_MODULE,
              NULL);
    /* One byte flipped inside the code section. */
    bytes[len / 2] ^= 0xff;
    wasihost_error_t *e = wasihost_module_new(g_engine, bytes, len, &m);
    /* A flipped byte may still leave valid code; it must never crash, and
     * if it fails it is a module error. */
    if (e != NULL)
        CHECK_ERR(e, WASIHOST_ERROR_KIND_MODULE, NULL);
    wasihost_module_delete(m);
    m = NULL;
    bytes[len / 2] ^= 0xff;
    /* The whole, unchanged, is fine. */
    CHECK_OK(wasihost_module_new(g_engine, bytes, len, &m));
    wasihost_module_delete(m);
    free(bytes);
}

static void test_invalid_wat(void) {
    wasihost_module_t *m = NULL;
    /* A syntax error on line 3: the message names the line. */
    CHECK_ERR(wasihost_module_from_wat(g_engine, B("(module\n  (func)\n  (func (result i32) "
                                                   "i32.const oops))\n"),
                                       &m),
              WASIHOST_ERROR_KIND_MODULE, ":3:");
    CHECK_ERR(wasihost_module_from_wat(g_engine, B("(module"), &m), WASIHOST_ERROR_KIND_MODULE,
              NULL);
    CHECK_ERR(wasihost_module_from_wat(g_engine, B("not wat at all"), &m),
              WASIHOST_ERROR_KIND_MODULE, NULL);
    /* Well-formed text, invalid module: a type mismatch. */
    CHECK_ERR(wasihost_module_from_wat(g_engine, B("(module (func (result i32) i64.const 1))"),
                                       &m),
              WASIHOST_ERROR_KIND_MODULE, NULL);
    /* The same through wasihost_module_new, which accepts WAT too. */
    CHECK_ERR(wasihost_module_new(g_engine, B("(module (func (result i32) i64.const 1))"), &m),
              WASIHOST_ERROR_KIND_MODULE, NULL);
    CHECK(m == NULL);
    /* And valid WAT through wasihost_module_new. */
    CHECK_OK(wasihost_module_new(g_engine, B(WAT_ANSWER), &m));
    if (m != NULL)
        check_answer_module(m, "WAT via wasihost_module_new");
    wasihost_module_delete(m);
}

static void test_module_files(void) {
    wasihost_module_t *m = NULL;
    CHECK_ERR_ERRNO(wasihost_module_from_file(g_engine, B("/nonexistent/dir/mod.wasm"), &m),
                    WASIHOST_ERROR_KIND_IO, 44, "/nonexistent/dir/mod.wasm");
    CHECK(m == NULL);
    char *dir = temp_dir();
    REQUIRE(dir != NULL);
    /* A directory is not a module file. */
    CHECK_ERR(wasihost_module_from_file(g_engine, B(dir), &m), WASIHOST_ERROR_KIND_IO, NULL);
    /* WAT in a file; path_len excludes any terminator. */
    char *wat_path = path_join(dir, "answer.wat");
    CHECK(write_file(wat_path, WAT_ANSWER, strlen(WAT_ANSWER)));
    char with_tail[512];
    snprintf(with_tail, sizeof with_tail, "%sXYZ", wat_path);
    CHECK_OK(wasihost_module_from_file(g_engine, (const uint8_t *)with_tail, strlen(wat_path),
                                       &m));
    if (m != NULL)
        check_answer_module(m, "WAT file");
    wasihost_module_delete(m);
    m = NULL;
    /* A file of garbage. */
    char *bad = path_join(dir, "bad.wasm");
    CHECK(write_file(bad, "\0asm\x01\0\0\0\x05garbage", 16));
    CHECK_ERR(wasihost_module_from_file(g_engine, B(bad), &m), WASIHOST_ERROR_KIND_MODULE, NULL);
    CHECK(m == NULL);
    free(bad);
    free(wat_path);
    remove_tree(dir);
}

static void test_has_export(void) {
    wasihost_module_t *m = wat_module(WAT_ANSWER);
    REQUIRE(m != NULL);
    CHECK(wasihost_module_has_export(m, B("_start")));
    CHECK(wasihost_module_has_export(m, B("answer")));
    CHECK(wasihost_module_has_export(m, (const uint8_t *)"answerXYZ", 6));
    CHECK(!wasihost_module_has_export(m, B("answe")));
    CHECK(!wasihost_module_has_export(m, B("answer2")));
    CHECK(!wasihost_module_has_export(m, B("")));
    /* Exports that are not functions. */
    CHECK(!wasihost_module_has_export(m, B("memory")));
    CHECK(!wasihost_module_has_export(m, B("g")));
    /* Imports are not exports. */
    CHECK(!wasihost_module_has_export(m, B("fd_write")));
    wasihost_module_delete(m);
}

static void test_serialize_round_trip(void) {
    wasihost_module_t *m = wat_module(WAT_ANSWER);
    REQUIRE(m != NULL);
    wasihost_bytes_t ser = {NULL, 0};
    REQUIRE(CHECK_OK(wasihost_module_serialize(m, &ser)));
    CHECK(ser.data != NULL && ser.len > 80);
    /* The original may go first: the bytes are independent of it. */
    wasihost_module_delete(m);

    wasihost_module_t *d = NULL;
    CHECK_OK(wasihost_module_deserialize(g_engine, ser.data, ser.len, &d));
    if (d != NULL) {
        check_answer_module(d, "deserialized");
        CHECK(wasihost_module_has_export(d, B("answer")));
        /* A deserialized module serializes again. */
        wasihost_bytes_t again = {NULL, 0};
        CHECK_OK(wasihost_module_serialize(d, &again));
        CHECK(again.len > 0);
        wasihost_bytes_delete(&again);
    }
    wasihost_module_delete(d);
    d = NULL;

    /* Another engine with the same settings takes the bytes too. */
    wasihost_engine_t *e2 = NULL;
    if (CHECK_OK(wasihost_engine_new(&e2))) {
        CHECK_OK(wasihost_module_deserialize(e2, ser.data, ser.len, &d));
        /* The engine may go before its module. */
        wasihost_engine_delete(e2);
        if (d != NULL)
            check_answer_module(d, "deserialized with a second engine");
        wasihost_module_delete(d);
    }

    /* The input is copied: changing it afterwards changes nothing. */
    uint8_t *copy = malloc(ser.len);
    memcpy(copy, ser.data, ser.len);
    d = NULL;
    CHECK_OK(wasihost_module_deserialize(g_engine, copy, ser.len, &d));
    memset(copy, 0, ser.len);
    free(copy);
    if (d != NULL)
        check_answer_module(d, "deserialized from a freed buffer");
    wasihost_module_delete(d);

    /* Deleting twice: the first frees and clears, the second is a no-op. */
    wasihost_bytes_delete(&ser);
    CHECK(ser.data == NULL && ser.len == 0);
    wasihost_bytes_delete(&ser);
    CHECK(ser.data == NULL && ser.len == 0);
}

static void test_deserialize_rejects_corruption(void) {
    wasihost_module_t *m = wat_module(WAT_ANSWER);
    REQUIRE(m != NULL);
    wasihost_bytes_t ser = {NULL, 0};
    REQUIRE(CHECK_OK(wasihost_module_serialize(m, &ser)));
    wasihost_module_delete(m);
    const wasihost_error_kind_t MOD = WASIHOST_ERROR_KIND_MODULE;
    uint8_t *buf = malloc(ser.len);
    wasihost_module_t *d = NULL;

    /* One byte flipped: in the magic, the engine hash, the checksum, the
     * payload's start, middle and end. */
    const size_t at[] = {0, 15, 16, 40, 48, 79, 80, 81, ser.len / 2, ser.len - 1};
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        memcpy(buf, ser.data, ser.len);
        buf[at[i]] ^= 0x01;
        wasihost_error_t *e = wasihost_module_deserialize(g_engine, buf, ser.len, &d);
        CHECK_MSG(e != NULL && wasihost_error_kind(e) == MOD &&
                      wasihost_error_message(e)[0] != '\0',
                  "byte %zu flipped: kind %u (%s)", at[i], (unsigned)wasihost_error_kind(e),
                  wasihost_error_message(e));
        wasihost_error_delete(e);
    }
    /* Truncated. */
    const size_t cut[] = {0, 1, 16, 79, 80, 81, ser.len / 2, ser.len - 1};
    for (size_t i = 0; i < sizeof cut / sizeof cut[0]; i++) {
        wasihost_error_t *e = wasihost_module_deserialize(g_engine, ser.data, cut[i], &d);
        CHECK_MSG(e != NULL && wasihost_error_kind(e) == MOD &&
                      wasihost_error_message(e)[0] != '\0',
                  "cut to %zu bytes: kind %u (%s)", cut[i], (unsigned)wasihost_error_kind(e),
                  wasihost_error_message(e));
        wasihost_error_delete(e);
    }
    /* One byte appended. */
    uint8_t *longer = malloc(ser.len + 1);
    memcpy(longer, ser.data, ser.len);
    longer[ser.len] = 0;
    CHECK_ERR(wasihost_module_deserialize(g_engine, longer, ser.len + 1, &d), MOD, NULL);
    free(longer);
    /* Garbage of the same length (a fixed pseudo-random sequence), and
     * garbage behind the right header. */
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < ser.len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        buf[i] = (uint8_t)x;
    }
    CHECK_ERR(wasihost_module_deserialize(g_engine, buf, ser.len, &d), MOD, NULL);
    memcpy(buf, ser.data, 80);
    CHECK_ERR(wasihost_module_deserialize(g_engine, buf, ser.len, &d), MOD, "checksum");
    /* A wasm binary is not a serialized module. */
    CHECK_ERR(wasihost_module_deserialize(g_engine, TINY_WASM, sizeof TINY_WASM, &d), MOD, NULL);
    CHECK(d == NULL);
    free(buf);
    wasihost_bytes_delete(&ser);
}

/* The one *.cwasm entry in `dir` (malloc'd path), or NULL. */
static char *cache_entry(const char *dir) {
    DIR *d = opendir(dir);
    if (d == NULL) {
        check_fail(__FILE__, __LINE__, "opendir(%s): %s", dir, strerror(errno));
        return NULL;
    }
    int n = 0;
    char *found = NULL;
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        size_t l = strlen(ent->d_name);
        if (l > 6 && strcmp(ent->d_name + l - 6, ".cwasm") == 0) {
            n++;
            free(found);
            found = path_join(dir, ent->d_name);
        }
    }
    closedir(d);
    CHECK_EQ_I(n, 1);
    return found;
}

static wasihost_cache_status_t cached_load(const char *dir, const char *wat, const char *what) {
    wasihost_cache_status_t st = 0;
    wasihost_module_t *m = NULL;
    if (!CHECK_OK(wasihost_module_new_cached(g_engine, B(wat), dir ? (const uint8_t *)dir : NULL,
                                             dir ? strlen(dir) : 0, &st, &m)))
        return 0;
    check_answer_module(m, what);
    wasihost_module_delete(m);
    return st;
}

static void test_module_cache(void) {
    char *base = temp_dir();
    REQUIRE(base != NULL);
    /* A cache directory that does not exist yet is created. */
    char *dir = path_join(base, "cache");
    CHECK_EQ_U(cached_load(dir, WAT_ANSWER, "first load"), WASIHOST_CACHE_MISS);
    CHECK_EQ_U(cached_load(dir, WAT_ANSWER, "second load"), WASIHOST_CACHE_HIT);
    char *entry = cache_entry(dir);
    REQUIRE(entry != NULL);

    /* A byte flipped in the middle of the entry: rebuilt, then a hit. */
    size_t len = 0;
    uint8_t *bytes = read_file(entry, &len);
    REQUIRE(bytes != NULL && len > 100);
    bytes[len / 2] ^= 0x40;
    CHECK(write_file(entry, bytes, len));
    CHECK_EQ_U(cached_load(dir, WAT_ANSWER, "after a flipped byte"), WASIHOST_CACHE_REBUILT);
    CHECK_EQ_U(cached_load(dir, WAT_ANSWER, "after the rebuild"), WASIHOST_CACHE_HIT);

    /* Truncated to half: rebuilt. */
    bytes[len / 2] ^= 0x40;
    CHECK(write_file(entry, bytes, len / 2));
    CHECK_EQ_U(cached_load(dir, WAT_ANSWER, "after truncation"), WASIHOST_CACHE_REBUILT);
    /* Emptied: rebuilt. */
    CHECK(write_file(entry, "", 0));
    CHECK_EQ_U(cached_load(dir, WAT_ANSWER, "after emptying"), WASIHOST_CACHE_REBUILT);
    CHECK_EQ_U(cached_load(dir, WAT_ANSWER, "after emptying, again"), WASIHOST_CACHE_HIT);
    free(bytes);
    free(entry);

    /* A different module gets its own entry: a miss. */
    const char *other = "(module (func (export \"_start\")) (func (export \"answer\") (result "
                        "i32) (i32.const 41)))";
    wasihost_cache_status_t st = 0;
    wasihost_module_t *m = NULL;
    CHECK_OK(wasihost_module_new_cached(g_engine, B(other), B(dir), &st, &m));
    CHECK_EQ_U(st, WASIHOST_CACHE_MISS);
    wasihost_module_delete(m);
    m = NULL;

    /* status_out may be NULL. */
    CHECK_OK(wasihost_module_new_cached(g_engine, B(WAT_ANSWER), B(dir), NULL, &m));
    CHECK(m != NULL);
    wasihost_module_delete(m);
    m = NULL;

    /* Invalid module bytes: an error, status left alone. */
    st = 555;
    CHECK_ERR(wasihost_module_new_cached(g_engine, B("(module (oops))"), B(dir), &st, &m),
              WASIHOST_ERROR_KIND_MODULE, NULL);
    CHECK_EQ_U(st, 555);
    CHECK(m == NULL);

    /* An unusable cache directory (below a regular file): not stored, but
     * the module is fine. */
    char *file = path_join(base, "plain-file");
    CHECK(write_file(file, "x", 1));
    char *bad_dir = path_join(file, "cache");
    CHECK_EQ_U(cached_load(bad_dir, WAT_ANSWER, "unwritable cache"), WASIHOST_CACHE_NOT_STORED);
    CHECK_EQ_U(cached_load(bad_dir, WAT_ANSWER, "unwritable cache, again"),
               WASIHOST_CACHE_NOT_STORED);
    free(bad_dir);
    free(file);

    /* NULL cache_dir: $WASIHOST_CACHE_DIR. */
    char *env_dir = path_join(base, "from-env");
    const char *old = getenv("WASIHOST_CACHE_DIR");
    char *saved = old ? strdup(old) : NULL;
    setenv("WASIHOST_CACHE_DIR", env_dir, 1);
    CHECK_EQ_U(cached_load(NULL, WAT_ANSWER, "default dir"), WASIHOST_CACHE_MISS);
    CHECK_EQ_U(cached_load(NULL, WAT_ANSWER, "default dir, again"), WASIHOST_CACHE_HIT);
    char *env_entry = cache_entry(env_dir);
    CHECK(env_entry != NULL);
    free(env_entry);
    /* NULL cache_dir and none of WASIHOST_CACHE_DIR, XDG_CACHE_HOME, HOME:
     * compiled, not stored. */
    const char *vars[] = {"XDG_CACHE_HOME", "HOME"};
    char *saved_vars[2];
    for (int i = 0; i < 2; i++) {
        const char *v = getenv(vars[i]);
        saved_vars[i] = v ? strdup(v) : NULL;
        unsetenv(vars[i]);
    }
    unsetenv("WASIHOST_CACHE_DIR");
    CHECK_EQ_U(cached_load(NULL, WAT_ANSWER, "no default dir"), WASIHOST_CACHE_NOT_STORED);
    for (int i = 0; i < 2; i++) {
        if (saved_vars[i] != NULL)
            setenv(vars[i], saved_vars[i], 1);
        free(saved_vars[i]);
    }
    if (saved) {
        setenv("WASIHOST_CACHE_DIR", saved, 1);
        free(saved);
    }
    free(env_dir);
    free(dir);
    remove_tree(base);
}

/* A cache directory others may write is refused (kind IO, errno 63 perm,
 * a message that names it); WASIHOST_CACHE_FLAG_ALLOW_SHARED_DIR accepts
 * it; unknown flag bits are invalid arguments. */
static void test_module_cache_shared_dir(void) {
    char *base = temp_dir();
    REQUIRE(base != NULL);
    char *dir = path_join(base, "shared");
    CHECK_MSG(mkdir(dir, 0700) == 0 && chmod(dir, 0777) == 0, "mkdir %s: %s", dir,
              strerror(errno));
    wasihost_cache_status_t st = 555;
    wasihost_module_t *m = NULL;
    CHECK_ERR_ERRNO(wasihost_module_new_cached(g_engine, B(WAT_ANSWER), B(dir), &st, &m),
                    WASIHOST_ERROR_KIND_IO, 63, dir);
    CHECK_ERR_ERRNO(
        wasihost_module_new_cached_flags(g_engine, B(WAT_ANSWER), B(dir), 0, &st, &m),
        WASIHOST_ERROR_KIND_IO, 63, "mode 0777");
    CHECK_ERR(wasihost_module_new_cached_flags(g_engine, B(WAT_ANSWER), B(dir), 0x80, &st, &m),
              WASIHOST_ERROR_KIND_INVALID_ARGUMENT, "flags");
    CHECK_EQ_U(st, 555);
    CHECK(m == NULL);

    const wasihost_cache_status_t want[] = {WASIHOST_CACHE_MISS, WASIHOST_CACHE_HIT};
    for (int i = 0; i < 2; i++) {
        if (!CHECK_OK(wasihost_module_new_cached_flags(g_engine, B(WAT_ANSWER), B(dir),
                                                       WASIHOST_CACHE_FLAG_ALLOW_SHARED_DIR,
                                                       &st, &m)))
            break;
        CHECK_EQ_U(st, want[i]);
        check_answer_module(m, "shared cache directory");
        wasihost_module_delete(m);
        m = NULL;
    }
    /* The entry is private; the directory is left as it was. */
    char *entry = cache_entry(dir);
    struct stat sb;
    CHECK(entry != NULL && stat(entry, &sb) == 0 && (sb.st_mode & 07777) == 0600);
    CHECK(stat(dir, &sb) == 0 && (sb.st_mode & 07777) == 0777);
    free(entry);
    free(dir);
    remove_tree(base);
}

static void test_version_and_kind_names(void) {
    const char *v = wasihost_version();
    REQUIRE(v != NULL);
    unsigned major, minor, patch;
    char tail;
    CHECK_MSG(sscanf(v, "%u.%u.%u%c", &major, &minor, &patch, &tail) == 3,
              "version \"%s\" is not MAJOR.MINOR.PATCH", v);
    CHECK(wasihost_version() == v);

    static const struct {
        wasihost_error_kind_t kind;
        const char *name;
    } names[] = {
        {WASIHOST_ERROR_KIND_INVALID_ARGUMENT, "invalid argument"},
        {WASIHOST_ERROR_KIND_CONFIG, "config"},
        {WASIHOST_ERROR_KIND_IO, "io"},
        {WASIHOST_ERROR_KIND_MODULE, "module"},
        {WASIHOST_ERROR_KIND_LINK, "link"},
        {WASIHOST_ERROR_KIND_ENGINE, "engine"},
        {WASIHOST_ERROR_KIND_TRAP, "trap"},
        {WASIHOST_ERROR_KIND_EXIT, "exit"},
        {WASIHOST_ERROR_KIND_INTERRUPTED, "interrupted"},
        {WASIHOST_ERROR_KIND_PANIC, "panic"},
        {WASIHOST_ERROR_KIND_TIMEOUT, "timeout"},
        {WASIHOST_ERROR_KIND_FUEL_EXHAUSTED, "fuel exhausted"},
        {WASIHOST_ERROR_KIND_MEMORY_LIMIT, "memory limit"},
    };
    const size_t n = sizeof names / sizeof names[0];
    for (size_t i = 0; i < n; i++) {
        const char *got = wasihost_error_kind_name(names[i].kind);
        CHECK_STR_EQ(got, names[i].name);
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(got, wasihost_error_kind_name(names[j].kind)) != 0);
    }
    CHECK_STR_EQ(wasihost_error_kind_name(0), "unknown");
    CHECK_STR_EQ(wasihost_error_kind_name(14), "unknown");
    CHECK_STR_EQ(wasihost_error_kind_name(0xffffffffu), "unknown");
}

/* wasihost_module_export_func_type: the kinds of an export's parameters
 * and results, sized by a first call with no room. */
static void test_export_func_type(void) {
    wasihost_module_t *m = wat_module(
        "(module (memory (export \"memory\") 1)\n"
        "  (func (export \"mix\") (param i32 i64 f32) (result f64 i32)\n"
        "    f64.const 1 i32.const 2)\n"
        "  (func (export \"none\"))\n"
        "  (func (export \"vec\") (param v128)))");
    REQUIRE(m != NULL);
    size_t np = 99, nr = 99;
    CHECK_OK(wasihost_module_export_func_type(m, B("mix"), NULL, 0, &np, NULL, 0, &nr));
    CHECK_EQ_U(np, 3);
    CHECK_EQ_U(nr, 2);
    wasihost_valkind_t p[3] = {9, 9, 9}, r[2] = {9, 9};
    CHECK_OK(wasihost_module_export_func_type(m, B("mix"), p, 3, &np, r, 2, &nr));
    CHECK_EQ_U(p[0], WASIHOST_VAL_I32);
    CHECK_EQ_U(p[1], WASIHOST_VAL_I64);
    CHECK_EQ_U(p[2], WASIHOST_VAL_F32);
    CHECK_EQ_U(r[0], WASIHOST_VAL_F64);
    CHECK_EQ_U(r[1], WASIHOST_VAL_I32);
    /* Too little room: counts only, the arrays untouched. */
    wasihost_valkind_t small[1] = {9};
    CHECK_OK(wasihost_module_export_func_type(m, B("mix"), small, 1, &np, NULL, 0, &nr));
    CHECK_EQ_U(small[0], 9);
    CHECK_EQ_U(np, 3);
    CHECK_OK(wasihost_module_export_func_type(m, B("none"), NULL, 0, &np, NULL, 0, &nr));
    CHECK_EQ_U(np, 0);
    CHECK_EQ_U(nr, 0);
    CHECK_ERR(wasihost_module_export_func_type(m, B("memory"), NULL, 0, &np, NULL, 0, &nr),
              WASIHOST_ERROR_KIND_LINK, "no function named \"memory\"");
    CHECK_ERR(wasihost_module_export_func_type(m, B("missing"), NULL, 0, &np, NULL, 0, &nr),
              WASIHOST_ERROR_KIND_LINK, "missing");
    CHECK_ERR(wasihost_module_export_func_type(m, B("vec"), NULL, 0, &np, NULL, 0, &nr),
              WASIHOST_ERROR_KIND_LINK, "v128");
    CHECK_ERR(wasihost_module_export_func_type(m, B("mix"), NULL, 5, &np, NULL, 0, &nr),
              WASIHOST_ERROR_KIND_INVALID_ARGUMENT, "params");
    CHECK_ERR(wasihost_module_export_func_type(m, B("mix"), p, 3, NULL, r, 2, &nr),
              WASIHOST_ERROR_KIND_INVALID_ARGUMENT, "nparams_out");

    /* The same from an instance, after its module was deleted. */
    wasihost_config_t *cfg = wasihost_config_new();
    wasihost_instance_t *inst = NULL;
    CHECK_OK(wasihost_instance_new(m, cfg, &inst));
    wasihost_config_delete(cfg);
    wasihost_module_delete(m);
    REQUIRE(inst != NULL);
    wasihost_valkind_t ip[3] = {9, 9, 9}, ir[2] = {9, 9};
    np = nr = 99;
    CHECK_OK(wasihost_instance_export_func_type(inst, B("mix"), ip, 3, &np, ir, 2, &nr));
    CHECK_EQ_U(np, 3);
    CHECK_EQ_U(nr, 2);
    CHECK_EQ_U(ip[1], WASIHOST_VAL_I64);
    CHECK_EQ_U(ir[0], WASIHOST_VAL_F64);
    CHECK_ERR(wasihost_instance_export_func_type(inst, B("memory"), NULL, 0, &np, NULL, 0, &nr),
              WASIHOST_ERROR_KIND_LINK, "no function named \"memory\"");
    CHECK_ERR(wasihost_instance_export_func_type(inst, B("vec"), NULL, 0, &np, NULL, 0, &nr),
              WASIHOST_ERROR_KIND_LINK, "v128");
    CHECK_ERR(wasihost_instance_export_func_type(NULL, B("mix"), NULL, 0, &np, NULL, 0, &nr),
              WASIHOST_ERROR_KIND_INVALID_ARGUMENT, "instance");
    wasihost_instance_delete(inst);
}

/* wasihost_cache_t: loads from bytes and files share entries, the disk
 * usage, clearing, the size limit, flags and argument checks. */
static void test_cache_handle(void) {
    char *base = temp_dir();
    REQUIRE(base != NULL);
    char *dir = path_join(base, "cache");
    char *file = path_join(base, "answer.wat");
    REQUIRE(write_file(file, WAT_ANSWER, strlen(WAT_ANSWER)));
    wasihost_cache_t *cache = NULL;
    REQUIRE(CHECK_OK(wasihost_cache_new(B(dir), &cache)));

    uint64_t usage = 99, freed = 99;
    CHECK_OK(wasihost_cache_disk_usage(cache, &usage));
    CHECK_EQ_U(usage, 0); /* no directory yet */

    wasihost_cache_status_t st = 0;
    wasihost_module_t *m = NULL;
    CHECK_OK(wasihost_cache_load_file(cache, g_engine, B(file), &st, &m));
    CHECK_EQ_U(st, WASIHOST_CACHE_MISS);
    check_answer_module(m, "load_file, miss");
    wasihost_module_delete(m);
    m = NULL;
    CHECK_OK(wasihost_cache_load(cache, g_engine, B(WAT_ANSWER), &st, &m));
    CHECK_EQ_U(st, WASIHOST_CACHE_HIT); /* the same entry as the file's */
    check_answer_module(m, "load, hit");
    wasihost_module_delete(m);
    m = NULL;
    CHECK_OK(wasihost_cache_load_file(cache, g_engine, B(file), NULL, &m));
    check_answer_module(m, "load_file, hit");
    wasihost_module_delete(m);
    m = NULL;

    CHECK_OK(wasihost_cache_disk_usage(cache, &usage));
    CHECK(usage > 0);
    CHECK_OK(wasihost_cache_clear(cache, &freed));
    CHECK_EQ_U(freed, usage);
    CHECK_OK(wasihost_cache_disk_usage(cache, &usage));
    CHECK_EQ_U(usage, 0);
    CHECK_OK(wasihost_cache_clear(cache, NULL));

    /* A limit of one byte keeps only the entry stored last. */
    const char *other = "(module (func (export \"_start\")) (func (export \"answer\") (result "
                        "i32) (i32.const 41)))";
    CHECK_OK(wasihost_cache_set_max_size(cache, 1));
    CHECK_OK(wasihost_cache_load(cache, g_engine, B(WAT_ANSWER), &st, &m));
    CHECK_EQ_U(st, WASIHOST_CACHE_MISS);
    wasihost_module_delete(m);
    m = NULL;
    CHECK_OK(wasihost_cache_load(cache, g_engine, B(other), &st, &m));
    CHECK_EQ_U(st, WASIHOST_CACHE_MISS);
    wasihost_module_delete(m);
    m = NULL;
    CHECK_OK(wasihost_cache_load_file(cache, g_engine, B(file), &st, &m));
    CHECK_EQ_U(st, WASIHOST_CACHE_MISS); /* evicted by the other one */
    wasihost_module_delete(m);
    m = NULL;
    /* Unbounded again: both stay. */
    CHECK_OK(wasihost_cache_set_max_size(cache, WASIHOST_CACHE_UNBOUNDED));
    CHECK_OK(wasihost_cache_load(cache, g_engine, B(other), &st, &m));
    CHECK_EQ_U(st, WASIHOST_CACHE_MISS);
    wasihost_module_delete(m);
    m = NULL;
    CHECK_OK(wasihost_cache_load(cache, g_engine, B(WAT_ANSWER), &st, &m));
    CHECK_EQ_U(st, WASIHOST_CACHE_HIT);
    wasihost_module_delete(m);
    m = NULL;
    CHECK(WASIHOST_CACHE_DEFAULT_MAX_SIZE == 1024ull * 1024 * 1024);

    /* Errors. */
    CHECK_ERR(wasihost_cache_set_flags(cache, 0x80), WASIHOST_ERROR_KIND_INVALID_ARGUMENT,
              "unknown cache flags");
    CHECK_OK(wasihost_cache_set_flags(cache, WASIHOST_CACHE_FLAG_ALLOW_SHARED_DIR));
    CHECK_ERR(wasihost_cache_load_file(cache, g_engine, B("/no/such/module.wasm"), &st, &m),
              WASIHOST_ERROR_KIND_IO, "/no/such/module.wasm");
    CHECK(m == NULL);
    CHECK_ERR(wasihost_cache_load_file(cache, g_engine, (const uint8_t *)"", 0, &st, &m),
              WASIHOST_ERROR_KIND_INVALID_ARGUMENT, "path");
    CHECK_ERR(wasihost_cache_load(NULL, g_engine, B(WAT_ANSWER), &st, &m),
              WASIHOST_ERROR_KIND_INVALID_ARGUMENT, "cache");
    CHECK_ERR(wasihost_cache_disk_usage(cache, NULL), WASIHOST_ERROR_KIND_INVALID_ARGUMENT,
              "bytes_out");
    CHECK_ERR(wasihost_cache_new(B(dir), NULL), WASIHOST_ERROR_KIND_INVALID_ARGUMENT,
              "cache_out");
    CHECK_ERR(wasihost_cache_new((const uint8_t *)"", 0, &cache), WASIHOST_ERROR_KIND_INVALID_ARGUMENT,
              "dir");
    wasihost_cache_delete(cache);
    wasihost_cache_delete(NULL);

    remove_tree(base);
    free(dir);
    free(file);
}

static const struct test_case tests[] = {
    TEST_CASE(test_export_func_type),
    TEST_CASE(test_tiny_binary_module_runs),
    TEST_CASE(test_invalid_modules),
    TEST_CASE(test_truncated_guest_binary),
    TEST_CASE(test_invalid_wat),
    TEST_CASE(test_module_files),
    TEST_CASE(test_has_export),
    TEST_CASE(test_serialize_round_trip),
    TEST_CASE(test_deserialize_rejects_corruption),
    TEST_CASE(test_module_cache),
    TEST_CASE(test_cache_handle),
    TEST_CASE(test_module_cache_shared_dir),
    TEST_CASE(test_version_and_kind_names),
};

int main(int argc, char **argv) {
    return run_suite(argc, argv, tests, sizeof tests / sizeof tests[0]);
}
