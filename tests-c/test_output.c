/*
 * Guest output: write callbacks (exact bytes, separate streams, failures
 * seen by the guest as errno io, finalizer timing), captures (under, at
 * and over the cap), and one config serving 100 instances in a row.
 */
#include "util.h"

/*
 * _start makes four fd_write calls: to stdout "hello, " + "" + "world\n"
 * (three iovecs, one empty), then 7 binary bytes (with NULs) in two
 * iovecs, then "to stderr\n" to stderr, then "hello, " to stdout. A write
 * that fails makes the guest exit with its errno; a short count, with 200.
 * write_stderr() returns fd_write's errno. write_n(fd, n, seed) writes n
 * bytes, (seed + i) & 255, in one fd_write and returns its errno;
 * nwritten() is the count the last write_n got back.
 */
static const char *const WAT_WRITER =
    "(module\n"
    "  (import \"wasi_snapshot_preview1\" \"fd_write\"\n"
    "    (func $fd_write (param i32 i32 i32 i32) (result i32)))\n"
    "  (import \"wasi_snapshot_preview1\" \"proc_exit\" (func $proc_exit (param i32)))\n"
    "  (memory (export \"memory\") 8)\n"
    "  (data (i32.const 256) \"hello, world\\n\")\n"
    "  (data (i32.const 272) \"\\00\\01\\02\\ff\\fe\\00z\")\n"
    "  (data (i32.const 288) \"to stderr\\n\")\n"
    "  (func $iov (param $at i32) (param $ptr i32) (param $len i32)\n"
    "    (i32.store (local.get $at) (local.get $ptr))\n"
    "    (i32.store offset=4 (local.get $at) (local.get $len)))\n"
    "  (func $write (param $fd i32) (param $iovs i32) (param $n i32) (param $expect i32)\n"
    "    (local $e i32)\n"
    "    (local.set $e (call $fd_write (local.get $fd) (local.get $iovs) (local.get $n)\n"
    "                                  (i32.const 128)))\n"
    "    (if (local.get $e) (then (call $proc_exit (local.get $e))))\n"
    "    (if (i32.ne (i32.load (i32.const 128)) (local.get $expect))\n"
    "      (then (call $proc_exit (i32.const 200)))))\n"
    "  (func $setup\n"
    "    (call $iov (i32.const 0) (i32.const 256) (i32.const 7))\n"
    "    (call $iov (i32.const 8) (i32.const 263) (i32.const 0))\n"
    "    (call $iov (i32.const 16) (i32.const 263) (i32.const 6))\n"
    "    (call $iov (i32.const 32) (i32.const 272) (i32.const 3))\n"
    "    (call $iov (i32.const 40) (i32.const 275) (i32.const 4))\n"
    "    (call $iov (i32.const 64) (i32.const 288) (i32.const 10)))\n"
    "  (func (export \"_start\")\n"
    "    (call $setup)\n"
    "    (call $write (i32.const 1) (i32.const 0) (i32.const 3) (i32.const 13))\n"
    "    (call $write (i32.const 1) (i32.const 32) (i32.const 2) (i32.const 7))\n"
    "    (call $write (i32.const 2) (i32.const 64) (i32.const 1) (i32.const 10))\n"
    "    (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 7)))\n"
    "  (func (export \"write_stderr\") (result i32)\n"
    "    (call $setup)\n"
    "    (call $fd_write (i32.const 2) (i32.const 64) (i32.const 1) (i32.const 128)))\n"
    "  (func (export \"write_n\") (param $fd i32) (param $n i32) (param $seed i32) (result i32)\n"
    "    (local $i i32)\n"
    "    (block $done (loop $fill\n"
    "      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))\n"
    "      (i32.store8 (i32.add (i32.const 65536) (local.get $i))\n"
    "                  (i32.add (local.get $seed) (local.get $i)))\n"
    "      (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
    "      (br $fill)))\n"
    "    (call $iov (i32.const 96) (i32.const 65536) (local.get $n))\n"
    "    (call $fd_write (local.get $fd) (i32.const 96) (i32.const 1) (i32.const 136)))\n"
    "  (func (export \"nwritten\") (result i32) (i32.load (i32.const 136))))\n";

static const char EXPECTED_STDOUT[] = "hello, world\n\x00\x01\x02\xff\xfe\x00zhello, ";
#define EXPECTED_STDOUT_LEN (sizeof EXPECTED_STDOUT - 1)

static wasihost_module_t *writer(void) {
    return wat_module(WAT_WRITER);
}

static void test_callbacks_receive_exact_bytes(void) {
    wasihost_module_t *m = writer();
    REQUIRE(m != NULL);
    struct sink out, err;
    sink_init(&out);
    sink_init(&err);
    wasihost_config_t *c = wasihost_config_new();
    CHECK_OK(wasihost_config_output_callback(c, WASIHOST_STDOUT, sink_write, &out,
                                             sink_finalize));
    CHECK_OK(wasihost_config_output_callback(c, WASIHOST_STDERR, sink_write, &err,
                                             sink_finalize));
    wasihost_instance_t *inst = NULL;
    if (CHECK_OK(wasihost_instance_new(m, c, &inst))) {
        uint32_t code = 99;
        CHECK_OK(wasihost_instance_run(inst, &code));
        CHECK_EQ_U(code, 0);
        CHECK_MEM_EQ(out.data, out.len, EXPECTED_STDOUT, EXPECTED_STDOUT_LEN);
        CHECK_MEM_EQ(err.data, err.len, "to stderr\n", 10);
        /* At least one call per fd_write (3 to stdout, 1 to stderr). */
        CHECK(out.calls >= 3);
        CHECK(err.calls >= 1);
        /* A call of an export writes through the same callback. */
        sink_clear(&err);
        wasihost_val_t r;
        memset(&r, 0, sizeof r);
        CHECK_OK(wasihost_instance_call(inst, B("write_stderr"), NULL, 0, &r, 1));
        CHECK_EQ_I(r.of.i32, 0);
        CHECK_MEM_EQ(err.data, err.len, "to stderr\n", 10);
        CHECK_MEM_EQ(out.data, out.len, EXPECTED_STDOUT, EXPECTED_STDOUT_LEN);
    }
    wasihost_instance_delete(inst);
    CHECK_EQ_I(atomic_load(&out.finalized), 0);
    wasihost_config_delete(c);
    CHECK_EQ_I(atomic_load(&out.finalized), 1);
    CHECK_EQ_I(atomic_load(&err.finalized), 1);
    sink_free(&out);
    sink_free(&err);
    wasihost_module_delete(m);
}

/* Large writes arrive whole and in order. */
static void test_callback_large_writes(void) {
    wasihost_module_t *m = writer();
    REQUIRE(m != NULL);
    struct sink out;
    sink_init(&out);
    wasihost_config_t *c = wasihost_config_new();
    CHECK_OK(wasihost_config_output_callback(c, WASIHOST_STDOUT, sink_write, &out, NULL));
    wasihost_instance_t *inst = NULL;
    if (CHECK_OK(wasihost_instance_new(m, c, &inst))) {
        const int32_t sizes[] = {1, 255, 4096, 65537, 300000};
        size_t total = 0;
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            wasihost_val_t a[3], r;
            a[0].kind = a[1].kind = a[2].kind = WASIHOST_VAL_I32;
            a[0].of.i32 = 1;
            a[1].of.i32 = sizes[i];
            a[2].of.i32 = (int32_t)i * 7;
            CHECK_OK(wasihost_instance_call(inst, B("write_n"), a, 3, &r, 1));
            CHECK_EQ_I(r.of.i32, 0);
            CHECK_OK(wasihost_instance_call(inst, B("nwritten"), NULL, 0, &r, 1));
            CHECK_EQ_I(r.of.i32, sizes[i]);
            total += (size_t)sizes[i];
        }
        CHECK_EQ_U(out.len, total);
        size_t off = 0;
        bool same = out.len == total;
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0] && same; i++)
            for (int32_t j = 0; j < sizes[i] && same; j++, off++)
                same = out.data[off] == (uint8_t)(i * 7 + (size_t)j);
        CHECK_MSG(same, "large writes: wrong bytes near offset %zu", off);
    }
    wasihost_instance_delete(inst);
    wasihost_config_delete(c);
    sink_free(&out);
    wasihost_module_delete(m);
}

/* A callback that returns nonzero: the guest's fd_write fails with that
 * errno when it is one (1 to 76), else with 29 (io); the run goes on. */
static void test_failing_callback_errno(void) {
    wasihost_module_t *m = writer();
    REQUIRE(m != NULL);
    const int32_t fails[] = {-1, 12345, 77, 1, 51};
    const uint32_t want[] = {29, 29, 29, 1, 51};
    for (size_t i = 0; i < sizeof fails / sizeof fails[0]; i++) {
        struct sink out;
        sink_init(&out);
        out.fail_with = fails[i];
        wasihost_config_t *c = capture_config();
        CHECK_OK(wasihost_config_output_callback(c, WASIHOST_STDOUT, sink_write, &out,
                                                 sink_finalize));
        struct run_out r;
        if (CHECK_OK(run_captured(m, c, &r))) {
            CHECK_EQ_U(r.code, want[i]);
            CHECK_EQ_U(out.calls, 1);
            CHECK(r.out == NULL); /* not captured: a callback */
            CHECK(r.err != NULL && r.err_len == 0);
            run_out_free(&r);
        }
        wasihost_config_delete(c);
        CHECK_EQ_I(atomic_load(&out.finalized), 1);
        sink_free(&out);
    }

    /* Only stderr fails: stdout got its first two writes, not the third
     * (the guest exited at the failed stderr write). */
    struct sink out, err;
    sink_init(&out);
    sink_init(&err);
    err.fail_with = -7;
    wasihost_config_t *c = wasihost_config_new();
    CHECK_OK(wasihost_config_output_callback(c, WASIHOST_STDOUT, sink_write, &out, NULL));
    CHECK_OK(wasihost_config_output_callback(c, WASIHOST_STDERR, sink_write, &err, NULL));
    wasihost_instance_t *inst = NULL;
    if (CHECK_OK(wasihost_instance_new(m, c, &inst))) {
        uint32_t code = 0;
        CHECK_OK(wasihost_instance_run(inst, &code));
        CHECK_EQ_U(code, 29);
        CHECK_MEM_EQ(out.data, out.len, EXPECTED_STDOUT, 20);
        CHECK_EQ_U(err.len, 0);
        /* Through a call: fd_write's errno is the result. */
        wasihost_val_t res;
        memset(&res, 0, sizeof res);
        CHECK_OK(wasihost_instance_call(inst, B("write_stderr"), NULL, 0, &res, 1));
        CHECK_EQ_I(res.of.i32, 29);
        /* The callback recovers: the next write goes through. */
        pthread_mutex_lock(&err.mu);
        err.fail_with = 0;
        pthread_mutex_unlock(&err.mu);
        CHECK_OK(wasihost_instance_call(inst, B("write_stderr"), NULL, 0, &res, 1));
        CHECK_EQ_I(res.of.i32, 0);
        CHECK_MEM_EQ(err.data, err.len, "to stderr\n", 10);
    }
    wasihost_instance_delete(inst);
    wasihost_config_delete(c);
    sink_free(&out);
    sink_free(&err);
    wasihost_module_delete(m);
}

/* The finalizer runs once, after the config and every instance using the
 * callback are gone, not before. */
static void test_finalizer_timing(void) {
    wasihost_module_t *m = writer();
    REQUIRE(m != NULL);
    struct sink out;
    sink_init(&out);
    wasihost_config_t *c = wasihost_config_new();
    CHECK_OK(wasihost_config_output_callback(c, WASIHOST_STDOUT, sink_write, &out,
                                             sink_finalize));
    wasihost_instance_t *a = NULL, *b = NULL;
    CHECK_OK(wasihost_instance_new(m, c, &a));
    CHECK_OK(wasihost_instance_new(m, c, &b));
    REQUIRE(a != NULL && b != NULL);
    wasihost_config_delete(c);
    CHECK_EQ_I(atomic_load(&out.finalized), 0);
    /* The instances still write through the callback. */
    uint32_t code = 99;
    CHECK_OK(wasihost_instance_run(a, &code));
    CHECK_EQ_U(code, 0);
    CHECK_MEM_EQ(out.data, out.len, EXPECTED_STDOUT, EXPECTED_STDOUT_LEN);
    wasihost_instance_delete(a);
    CHECK_EQ_I(atomic_load(&out.finalized), 0);
    sink_clear(&out);
    code = 99;
    CHECK_OK(wasihost_instance_run(b, &code));
    CHECK_EQ_U(code, 0);
    CHECK_MEM_EQ(out.data, out.len, EXPECTED_STDOUT, EXPECTED_STDOUT_LEN);
    CHECK_EQ_I(atomic_load(&out.finalized), 0);
    wasihost_instance_delete(b);
    CHECK_EQ_I(atomic_load(&out.finalized), 1);
    sink_free(&out);

    /* Replaced in the config: finalized at once when nothing else holds
     * it, after the last instance when one does. */
    struct sink s1, s2;
    sink_init(&s1);
    sink_init(&s2);
    c = wasihost_config_new();
    CHECK_OK(wasihost_config_output_callback(c, WASIHOST_STDOUT, sink_write, &s1,
                                             sink_finalize));
    CHECK_OK(wasihost_config_output_capture(c, WASIHOST_STDOUT, 10));
    CHECK_EQ_I(atomic_load(&s1.finalized), 1);
    CHECK_OK(wasihost_config_output_callback(c, WASIHOST_STDERR, sink_write, &s2,
                                             sink_finalize));
    wasihost_instance_t *inst = NULL;
    CHECK_OK(wasihost_instance_new(m, c, &inst));
    CHECK_OK(wasihost_config_output_null(c, WASIHOST_STDERR));
    CHECK_EQ_I(atomic_load(&s2.finalized), 0);
    if (inst != NULL) {
        code = 99;
        CHECK_OK(wasihost_instance_run(inst, &code));
        CHECK_EQ_U(code, 0);
        CHECK_MEM_EQ(s2.data, s2.len, "to stderr\n", 10);
    }
    wasihost_instance_delete(inst);
    CHECK_EQ_I(atomic_load(&s2.finalized), 1);
    wasihost_config_delete(c);
    CHECK_EQ_I(atomic_load(&s1.finalized), 1);
    CHECK_EQ_I(atomic_load(&s2.finalized), 1);
    sink_free(&s1);
    sink_free(&s2);

    /* A failed instantiation drops its hold too. */
    struct sink s3;
    sink_init(&s3);
    c = wasihost_config_new();
    CHECK_OK(wasihost_config_output_callback(c, WASIHOST_STDOUT, sink_write, &s3,
                                             sink_finalize));
    CHECK_OK(wasihost_config_stdin_file(c, B("/nonexistent/stdin.txt")));
    inst = NULL;
    CHECK_ERR_ERRNO(wasihost_instance_new(m, c, &inst), WASIHOST_ERROR_KIND_CONFIG, 44,
                    "/nonexistent/stdin.txt");
    CHECK(inst == NULL);
    CHECK_EQ_I(atomic_load(&s3.finalized), 0);
    wasihost_config_delete(c);
    CHECK_EQ_I(atomic_load(&s3.finalized), 1);
    sink_free(&s3);
    wasihost_module_delete(m);
}

static bool write_n(wasihost_instance_t *inst, int32_t fd, int32_t n, int32_t seed) {
    wasihost_val_t a[3], r;
    a[0].kind = a[1].kind = a[2].kind = WASIHOST_VAL_I32;
    a[0].of.i32 = fd;
    a[1].of.i32 = n;
    a[2].of.i32 = seed;
    if (!CHECK_OK(wasihost_instance_call(inst, B("write_n"), a, 3, &r, 1)))
        return false;
    CHECK_EQ_I(r.of.i32, 0);
    /* The guest is told everything was written, past the cap too. */
    CHECK_OK(wasihost_instance_call(inst, B("nwritten"), NULL, 0, &r, 1));
    CHECK_EQ_I(r.of.i32, n);
    return true;
}

/* The bytes write_n writes: `n` bytes from `seed`, at `p`. */
static bool pattern_at(const uint8_t *p, size_t n, int seed) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != (uint8_t)(seed + (int)i))
            return false;
    return true;
}

static void test_capture_cap(void) {
    wasihost_module_t *m = writer();
    REQUIRE(m != NULL);
    wasihost_config_t *c = wasihost_config_new();
    CHECK_OK(wasihost_config_output_capture(c, WASIHOST_STDOUT, 100));
    CHECK_OK(wasihost_config_output_capture(c, WASIHOST_STDERR, 0));
    wasihost_instance_t *inst = NULL;
    REQUIRE(CHECK_OK(wasihost_instance_new(m, c, &inst)));
    wasihost_capture_t cap;

    /* Nothing written yet. */
    memset(&cap, 0xaa, sizeof cap);
    CHECK_OK(wasihost_instance_capture(inst, WASIHOST_STDOUT, &cap));
    CHECK(cap.data == NULL && cap.len == 0 && cap.total_written == 0 && !cap.truncated);

    /* Under the cap: exact. */
    write_n(inst, 1, 10, 0);
    CHECK_OK(wasihost_instance_capture(inst, WASIHOST_STDOUT, &cap));
    CHECK_EQ_U(cap.len, 10);
    CHECK_EQ_U(cap.total_written, 10);
    CHECK(!cap.truncated);
    CHECK(cap.data != NULL && pattern_at(cap.data, 10, 0));

    /* Exactly at the cap: not truncated. */
    write_n(inst, 1, 90, 10);
    CHECK_OK(wasihost_instance_capture(inst, WASIHOST_STDOUT, &cap));
    CHECK_EQ_U(cap.len, 100);
    CHECK_EQ_U(cap.total_written, 100);
    CHECK(!cap.truncated);
    CHECK(cap.data != NULL && pattern_at(cap.data, 100, 0));

    /* One byte over, then many: len stays at the cap, the first bytes
     * stay, total_written counts everything. */
    write_n(inst, 1, 1, 200);
    CHECK_OK(wasihost_instance_capture(inst, WASIHOST_STDOUT, &cap));
    CHECK_EQ_U(cap.len, 100);
    CHECK_EQ_U(cap.total_written, 101);
    CHECK(cap.truncated);
    write_n(inst, 1, 5000, 3);
    CHECK_OK(wasihost_instance_capture(inst, WASIHOST_STDOUT, &cap));
    CHECK_EQ_U(cap.len, 100);
    CHECK_EQ_U(cap.total_written, 5101);
    CHECK(cap.truncated);
    CHECK(cap.data != NULL && pattern_at(cap.data, 100, 0));

    /* A cap of 0: nothing kept, data NULL, everything counted. */
    write_n(inst, 2, 5, 0);
    wasihost_capture_t ecap;
    memset(&ecap, 0xaa, sizeof ecap);
    CHECK_OK(wasihost_instance_capture(inst, WASIHOST_STDERR, &ecap));
    CHECK(ecap.data == NULL && ecap.len == 0);
    CHECK_EQ_U(ecap.total_written, 5);
    CHECK(ecap.truncated);

    /* The stdout snapshot stays valid (and unchanged) across a capture of
     * stderr and more writes by the guest, until stdout is captured again
     * (ASan would see a use after free). */
    CHECK(cap.data != NULL && pattern_at(cap.data, 100, 0));
    write_n(inst, 1, 3000, 77);
    write_n(inst, 2, 3000, 77);
    CHECK_OK(wasihost_instance_capture(inst, WASIHOST_STDERR, &ecap));
    CHECK(cap.data != NULL && pattern_at(cap.data, 100, 0));
    CHECK_EQ_U(cap.total_written, 5101);
    CHECK_OK(wasihost_instance_capture(inst, WASIHOST_STDOUT, &cap));
    CHECK_EQ_U(cap.total_written, 8101);
    CHECK(cap.data != NULL && pattern_at(cap.data, 100, 0));

    wasihost_instance_delete(inst);
    wasihost_config_delete(c);
    wasihost_module_delete(m);
}

/* A write that straddles the cap keeps its first part. */
static void test_capture_straddling_write(void) {
    wasihost_module_t *m = writer();
    REQUIRE(m != NULL);
    wasihost_config_t *c = wasihost_config_new();
    CHECK_OK(wasihost_config_output_capture(c, WASIHOST_STDOUT, 64));
    CHECK_OK(wasihost_config_output_capture(c, WASIHOST_STDERR, 1 << 20));
    wasihost_instance_t *inst = NULL;
    REQUIRE(CHECK_OK(wasihost_instance_new(m, c, &inst)));
    write_n(inst, 1, 50, 100);
    write_n(inst, 1, 50, 150);
    /* And a big one to stderr, whole. */
    write_n(inst, 2, 200000, 9);
    wasihost_capture_t cap;
    CHECK_OK(wasihost_instance_capture(inst, WASIHOST_STDOUT, &cap));
    CHECK_EQ_U(cap.len, 64);
    CHECK_EQ_U(cap.total_written, 100);
    CHECK(cap.truncated);
    CHECK(cap.data != NULL && pattern_at(cap.data, 64, 100));
    CHECK_OK(wasihost_instance_capture(inst, WASIHOST_STDERR, &cap));
    CHECK_EQ_U(cap.len, 200000);
    CHECK_EQ_U(cap.total_written, 200000);
    CHECK(!cap.truncated);
    CHECK(cap.data != NULL && pattern_at(cap.data, 200000, 9));
    wasihost_instance_delete(inst);
    wasihost_config_delete(c);
    wasihost_module_delete(m);
}

/* Capture of a stream that is not captured: an error. */
static void test_capture_of_uncaptured_stream(void) {
    wasihost_module_t *m = writer();
    REQUIRE(m != NULL);
    struct sink s;
    sink_init(&s);
    wasihost_config_t *c = wasihost_config_new();
    CHECK_OK(wasihost_config_output_callback(c, WASIHOST_STDERR, sink_write, &s, NULL));
    wasihost_instance_t *inst = NULL;
    REQUIRE(CHECK_OK(wasihost_instance_new(m, c, &inst)));
    uint32_t code = 5;
    CHECK_OK(wasihost_instance_run(inst, &code));
    wasihost_capture_t cap = {NULL, 1, 2, true};
    /* stdout: the default (discarded); stderr: a callback. */
    CHECK_ERR(wasihost_instance_capture(inst, WASIHOST_STDOUT, &cap),
              WASIHOST_ERROR_KIND_INVALID_ARGUMENT, "stdout");
    CHECK_ERR(wasihost_instance_capture(inst, WASIHOST_STDERR, &cap),
              WASIHOST_ERROR_KIND_INVALID_ARGUMENT, "stderr");
    CHECK(cap.data == NULL && cap.len == 1 && cap.total_written == 2 && cap.truncated);
    wasihost_instance_delete(inst);
    wasihost_config_delete(c);
    sink_free(&s);
    wasihost_module_delete(m);
}

/* One config, 100 instances in a row: each reads stdin from the start and
 * gets fresh captures. */
static void test_one_config_many_instances(void) {
    wasihost_module_t *m = guest_module("cat");
    REQUIRE(m != NULL);
    char input[2000];
    size_t n = 0;
    for (int i = 0; n + 40 < sizeof input; i++)
        n += (size_t)snprintf(input + n, sizeof input - n, "line %d of the input\n", i);
    char expected_err[64];
    snprintf(expected_err, sizeof expected_err, "total=%zu\n", n);

    wasihost_config_t *c = capture_config();
    CHECK_OK(wasihost_config_stdin_bytes(c, (const uint8_t *)input, n));
    CHECK_OK(wasihost_config_push_arg(c, B("cat")));
    int good = 0;
    for (int i = 0; i < 100; i++) {
        wasihost_instance_t *inst = NULL;
        if (!CHECK_OK(wasihost_instance_new(m, c, &inst)))
            break;
        wasihost_capture_t cap;
        CHECK_OK(wasihost_instance_capture(inst, WASIHOST_STDOUT, &cap));
        bool fresh = cap.len == 0 && cap.total_written == 0;
        uint32_t code = 99;
        bool ok = CHECK_OK(wasihost_instance_run(inst, &code)) && code == 0;
        memset(&cap, 0, sizeof cap);
        ok = CHECK_OK(wasihost_instance_capture(inst, WASIHOST_STDOUT, &cap)) && ok;
        ok = ok && fresh && cap.len == n && cap.total_written == n && !cap.truncated &&
             memcmp(cap.data, input, n) == 0;
        wasihost_capture_t ecap;
        memset(&ecap, 0, sizeof ecap);
        ok = CHECK_OK(wasihost_instance_capture(inst, WASIHOST_STDERR, &ecap)) && ok;
        ok = ok && ecap.len == strlen(expected_err) &&
             memcmp(ecap.data, expected_err, ecap.len) == 0;
        CHECK_MSG(ok, "instance %d: exit %u, stdout %zu bytes (fresh: %d)", i, (unsigned)code,
                  cap.len, fresh);
        good += ok;
        wasihost_instance_delete(inst);
    }
    CHECK_EQ_I(good, 100);
    wasihost_config_delete(c);
    wasihost_module_delete(m);
}

static const struct test_case tests[] = {
    TEST_CASE(test_callbacks_receive_exact_bytes),
    TEST_CASE(test_callback_large_writes),
    TEST_CASE(test_failing_callback_errno),
    TEST_CASE(test_finalizer_timing),
    TEST_CASE(test_capture_cap),
    TEST_CASE(test_capture_straddling_write),
    TEST_CASE(test_capture_of_uncaptured_stream),
    TEST_CASE(test_one_config_many_instances),
};

int main(int argc, char **argv) {
    return run_suite(argc, argv, tests, sizeof tests / sizeof tests[0]);
}
