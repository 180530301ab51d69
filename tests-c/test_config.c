/*
 * Config options end to end, as C guests see them: arguments and
 * environment, preopened directories (read-write, read-only, missing),
 * every kind of stdin, output to files, fds and the host's own streams,
 * and the open-fd limit.
 */
#include "util.h"

/* Runs `guest` with `c` (which captures stdout and stderr); returns the
 * result, or fails the check and returns false. */
static bool run_guest(const wasihost_module_t *m, const wasihost_config_t *c,
                      struct run_out *r) {
    wasihost_error_t *e = run_captured(m, c, r);
    if (!CHECK_OK(e))
        return false;
    if (r->out == NULL)
        r->out = calloc(1, 1);
    if (r->err == NULL)
        r->err = calloc(1, 1);
    return true;
}

/* A config capturing both streams, with the given arguments. */
static wasihost_config_t *config_with_args(const char *const *args, size_t n) {
    wasihost_config_t *c = capture_config();
    for (size_t i = 0; i < n; i++)
        CHECK_OK(wasihost_config_push_arg(c, B(args[i])));
    return c;
}

/* How many lines of `text` start with `prefix`. */
static int count_lines(const char *text, const char *prefix) {
    int n = 0;
    size_t l = strlen(prefix);
    for (const char *p = text; p && *p;) {
        if (strncmp(p, prefix, l) == 0)
            n++;
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return n;
}

/* Whether `text` has the line `line` (without its newline). */
static bool has_line(const char *text, const char *line) {
    size_t l = strlen(line);
    for (const char *p = text; p && *p;) {
        if (strncmp(p, line, l) == 0 && (p[l] == '\n' || p[l] == 0))
            return true;
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return false;
}

static void test_args_and_env(void) {
    wasihost_module_t *m = guest_module("env");
    REQUIRE(m != NULL);
    struct run_out r;

    /* Nothing granted: no arguments, no environment. */
    wasihost_config_t *c = capture_config();
    if (run_guest(m, c, &r)) {
        CHECK_STR_EQ(r.out, "argc=0\n");
        run_out_free(&r);
    }
    wasihost_config_delete(c);

    setenv("WASIHOST_TEST_INHERIT", "from the host", 1);
    unsetenv("WASIHOST_TEST_UNSET");
    c = capture_config();
    const char *args[] = {"env", "hello world", "\xc3\xbcnic\xc3\xb8" "de \xe2\x9c\x93", "",
                          "--flag=x"};
    for (size_t i = 0; i < 5; i++)
        CHECK_OK(wasihost_config_push_arg(c, B(args[i])));
    CHECK_OK(wasihost_config_set_env(c, B("A"), B("1")));
    CHECK_OK(wasihost_config_set_env(c, B("B"), B("x=y")));
    CHECK_OK(wasihost_config_set_env(c, B("E"), NULL, 0));
    CHECK_OK(wasihost_config_set_env(c, B("A"), B("2")));
    /* (pointer, length): the terminator and what follows are not read. */
    CHECK_OK(wasihost_config_set_env(c, (const uint8_t *)"LEN=junk", 3, (const uint8_t *)"okXX",
                                     2));
    CHECK_OK(wasihost_config_inherit_env_var(c, B("WASIHOST_TEST_INHERIT")));
    CHECK_OK(wasihost_config_inherit_env_var(c, B("WASIHOST_TEST_UNSET")));
    /* Copied at the call: later host changes are not seen. */
    setenv("WASIHOST_TEST_INHERIT", "changed later", 1);
    if (run_guest(m, c, &r)) {
        CHECK_EQ_U(r.code, 0);
        const char *expected_args = "argc=5\n"
                                    "argv[0]=env\n"
                                    "argv[1]=hello world\n"
                                    "argv[2]=\xc3\xbcnic\xc3\xb8" "de \xe2\x9c\x93\n"
                                    "argv[3]=\n"
                                    "argv[4]=--flag=x\n";
        CHECK_MSG(strncmp(r.out, expected_args, strlen(expected_args)) == 0,
                  "arguments: got \"%s\"", r.out);
        CHECK(has_line(r.out, "env:A=2"));
        CHECK(has_line(r.out, "env:B=x=y"));
        CHECK(has_line(r.out, "env:E="));
        CHECK(has_line(r.out, "env:LEN=ok"));
        CHECK(has_line(r.out, "env:WASIHOST_TEST_INHERIT=from the host"));
        CHECK_EQ_I(count_lines(r.out, "env:"), 5);
        CHECK_EQ_I(count_lines(r.out, "env:A="), 1);
        run_out_free(&r);
    }
    wasihost_config_delete(c);
    unsetenv("WASIHOST_TEST_INHERIT");
    wasihost_module_delete(m);
}

static void test_inherit_env(void) {
    wasihost_module_t *m = guest_module("env");
    REQUIRE(m != NULL);
    setenv("WASIHOST_TEST_WHOLE", "yes", 1);
    setenv("WASIHOST_TEST_OVERRIDE", "host", 1);
    wasihost_config_t *c = capture_config();
    CHECK_OK(wasihost_config_inherit_env(c));
    CHECK_OK(wasihost_config_set_env(c, B("WASIHOST_TEST_OVERRIDE"), B("config")));
    setenv("WASIHOST_TEST_LATE", "too late", 1);
    struct run_out r;
    if (run_guest(m, c, &r)) {
        CHECK(has_line(r.out, "env:WASIHOST_TEST_WHOLE=yes"));
        CHECK(has_line(r.out, "env:WASIHOST_TEST_OVERRIDE=config"));
        CHECK_EQ_I(count_lines(r.out, "env:WASIHOST_TEST_OVERRIDE="), 1);
        CHECK_EQ_I(count_lines(r.out, "env:WASIHOST_TEST_LATE="), 0);
        const char *path = getenv("PATH");
        if (path != NULL) {
            char line[4096];
            snprintf(line, sizeof line, "env:PATH=%s", path);
            CHECK(has_line(r.out, line));
        }
        run_out_free(&r);
    }
    wasihost_config_delete(c);
    unsetenv("WASIHOST_TEST_WHOLE");
    unsetenv("WASIHOST_TEST_OVERRIDE");
    unsetenv("WASIHOST_TEST_LATE");
    wasihost_module_delete(m);
}

static void test_preopen_read_write(void) {
    wasihost_module_t *m = guest_module("files");
    REQUIRE(m != NULL);
    char *dir = temp_dir();
    REQUIRE(dir != NULL);
    struct run_out r;

    const char *w[] = {"files", "write", "/sandbox/out.txt", "written by the guest"};
    wasihost_config_t *c = config_with_args(w, 4);
    CHECK_OK(wasihost_config_preopen_dir(c, B(dir), B("/sandbox"), 0));
    if (run_guest(m, c, &r)) {
        CHECK_EQ_U(r.code, 0);
        CHECK_STR_EQ(r.out, "ok\n");
        run_out_free(&r);
    }
    wasihost_config_delete(c);
    char *file = path_join(dir, "out.txt");
    size_t len = 0;
    uint8_t *got = read_file(file, &len);
    CHECK(got != NULL);
    if (got != NULL)
        CHECK_MEM_EQ(got, len, "written by the guest", 20);
    free(got);

    /* The host's file, read by the guest. */
    CHECK(write_file(file, "from the host\n", 14));
    const char *rd[] = {"files", "read", "/sandbox/out.txt"};
    c = config_with_args(rd, 3);
    CHECK_OK(wasihost_config_preopen_dir(c, B(dir), B("/sandbox"), 0));
    if (run_guest(m, c, &r)) {
        CHECK_EQ_U(r.code, 0);
        CHECK_STR_EQ(r.out, "from the host\n");
        run_out_free(&r);
    }
    wasihost_config_delete(c);

    /* `..` does not lead out (errno 63, perm); nothing is created. */
    const char *esc[] = {"files", "write", "/sandbox/../escaped.txt", "x"};
    c = config_with_args(esc, 4);
    CHECK_OK(wasihost_config_preopen_dir(c, B(dir), B("/sandbox"), 0));
    if (run_guest(m, c, &r)) {
        CHECK_EQ_U(r.code, 1);
        CHECK_STR_EQ(r.out, "open errno=63\n");
        run_out_free(&r);
    }
    wasihost_config_delete(c);
    char *parent = strdup(dir);
    *strrchr(parent, '/') = 0;
    char *escaped = path_join(parent, "escaped.txt");
    CHECK(access(escaped, F_OK) != 0);
    free(escaped);
    free(parent);

    free(file);
    remove_tree(dir);
    wasihost_module_delete(m);
}

static void test_preopen_read_only(void) {
    wasihost_module_t *m = guest_module("files");
    REQUIRE(m != NULL);
    char *dir = temp_dir();
    REQUIRE(dir != NULL);
    char *file = path_join(dir, "existing.txt");
    CHECK(write_file(file, "original", 8));
    struct run_out r;

    /* Overwriting a file, creating one: both fail with notcapable (76). */
    const char *targets[] = {"/ro/existing.txt", "/ro/new.txt"};
    for (int i = 0; i < 2; i++) {
        const char *w[] = {"files", "write", targets[i], "overwritten"};
        wasihost_config_t *c = config_with_args(w, 4);
        CHECK_OK(wasihost_config_preopen_dir(c, B(dir), B("/ro"), WASIHOST_PREOPEN_READONLY));
        if (run_guest(m, c, &r)) {
            CHECK_EQ_U(r.code, 1);
            CHECK_STR_EQ(r.out, "open errno=76\n");
            run_out_free(&r);
        }
        wasihost_config_delete(c);
    }
    size_t len = 0;
    uint8_t *got = read_file(file, &len);
    CHECK(got != NULL);
    if (got != NULL)
        CHECK_MEM_EQ(got, len, "original", 8);
    free(got);
    char *created = path_join(dir, "new.txt");
    CHECK(access(created, F_OK) != 0);
    free(created);

    /* Reading is fine. */
    const char *rd[] = {"files", "read", "/ro/existing.txt"};
    wasihost_config_t *c = config_with_args(rd, 3);
    CHECK_OK(wasihost_config_preopen_dir(c, B(dir), B("/ro"), WASIHOST_PREOPEN_READONLY));
    if (run_guest(m, c, &r)) {
        CHECK_EQ_U(r.code, 0);
        CHECK_STR_EQ(r.out, "original");
        run_out_free(&r);
    }
    wasihost_config_delete(c);
    free(file);
    remove_tree(dir);
    wasihost_module_delete(m);
}

/* Symlinks that lead out of a preopen fail with perm (63); one that stays
 * inside works. */
static void test_preopen_symlinks(void) {
    wasihost_module_t *m = guest_module("files");
    REQUIRE(m != NULL);
    char *base = temp_dir();
    REQUIRE(base != NULL);
    char *secret = path_join(base, "secret.txt");
    char *box = path_join(base, "box");
    char *inner = path_join(box, "inner.txt");
    char *up = path_join(box, "up");
    char *abs_link = path_join(box, "abs");
    char *in_link = path_join(box, "inlink");
    CHECK(write_file(secret, "secret", 6));
    CHECK(mkdir(box, 0700) == 0);
    CHECK(write_file(inner, "inside", 6));
    CHECK(symlink("..", up) == 0);
    CHECK(symlink(base, abs_link) == 0);
    CHECK(symlink("inner.txt", in_link) == 0);
    const char *paths[] = {"/sandbox/up/secret.txt", "/sandbox/abs/secret.txt",
                           "/sandbox/inlink"};
    const char *want[] = {"open errno=63\n", "open errno=63\n", "inside"};
    for (int i = 0; i < 3; i++) {
        const char *args[] = {"files", "read", paths[i]};
        wasihost_config_t *c = config_with_args(args, 3);
        CHECK_OK(wasihost_config_preopen_dir(c, B(box), B("/sandbox"), 0));
        struct run_out r;
        if (run_guest(m, c, &r)) {
            CHECK_MSG(strcmp(r.out, want[i]) == 0, "%s: got \"%s\", expected \"%s\"", paths[i],
                      r.out, want[i]);
            run_out_free(&r);
        }
        wasihost_config_delete(c);
    }
    free(secret);
    free(box);
    free(inner);
    free(up);
    free(abs_link);
    free(in_link);
    remove_tree(base);
    wasihost_module_delete(m);
}

/* Prints the names of the preopens at fds 3 and 4, one per line, then
 * exits with fd_prestat_get's errno for fd 5 (8, badf: there is none). */
static const char *const WAT_PRESTAT =
    "(module\n"
    "  (import \"wasi_snapshot_preview1\" \"fd_prestat_get\"\n"
    "    (func $prestat_get (param i32 i32) (result i32)))\n"
    "  (import \"wasi_snapshot_preview1\" \"fd_prestat_dir_name\"\n"
    "    (func $prestat_dir_name (param i32 i32 i32) (result i32)))\n"
    "  (import \"wasi_snapshot_preview1\" \"fd_write\"\n"
    "    (func $fd_write (param i32 i32 i32 i32) (result i32)))\n"
    "  (import \"wasi_snapshot_preview1\" \"proc_exit\" (func $proc_exit (param i32)))\n"
    "  (memory (export \"memory\") 1)\n"
    "  (func $show (param $fd i32) (result i32) (local $e i32) (local $len i32)\n"
    "    (local.set $e (call $prestat_get (local.get $fd) (i32.const 0)))\n"
    "    (if (local.get $e) (then (return (local.get $e))))\n"
    "    (local.set $len (i32.load (i32.const 4)))\n"
    "    (local.set $e (call $prestat_dir_name (local.get $fd) (i32.const 256)\n"
    "                                          (local.get $len)))\n"
    "    (if (local.get $e) (then (return (local.get $e))))\n"
    "    (i32.store8 (i32.add (i32.const 256) (local.get $len)) (i32.const 10))\n"
    "    (i32.store (i32.const 16) (i32.const 256))\n"
    "    (i32.store (i32.const 20) (i32.add (local.get $len) (i32.const 1)))\n"
    "    (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24)))\n"
    "    (i32.const 0))\n"
    "  (func (export \"_start\") (local $e i32)\n"
    "    (local.set $e (call $show (i32.const 3)))\n"
    "    (if (local.get $e) (then (call $proc_exit (i32.add (i32.const 100) (local.get $e)))))\n"
    "    (local.set $e (call $show (i32.const 4)))\n"
    "    (if (local.get $e) (then (call $proc_exit (i32.add (i32.const 100) (local.get $e)))))\n"
    "    (call $proc_exit (call $show (i32.const 5)))))\n";

/* Preopens get fds 3, 4, ... in the order they were added. */
static void test_preopen_fd_order(void) {
    wasihost_module_t *m = wat_module(WAT_PRESTAT);
    REQUIRE(m != NULL);
    char *dir = temp_dir();
    REQUIRE(dir != NULL);
    char *a = path_join(dir, "a");
    CHECK(mkdir(a, 0700) == 0);
    wasihost_config_t *c = capture_config();
    CHECK_OK(wasihost_config_preopen_dir(c, B(dir), B("/first"), 0));
    CHECK_OK(wasihost_config_preopen_dir(c, B(a), B("/second/dir"), WASIHOST_PREOPEN_READONLY));
    struct run_out r;
    if (run_guest(m, c, &r)) {
        CHECK_EQ_U(r.code, 8);
        CHECK_STR_EQ(r.out, "/first\n/second/dir\n");
        run_out_free(&r);
    }
    wasihost_config_delete(c);
    free(a);
    remove_tree(dir);
    wasihost_module_delete(m);
}

static void test_preopen_missing_dir(void) {
    wasihost_config_t *c = wasihost_config_new();
    const char *missing = "/nonexistent-wasihost-test/dir";
    wasihost_error_t *e = wasihost_config_preopen_dir(c, B(missing), B("/data"), 0);
    CHECK_EQ_U(wasihost_error_kind(e), WASIHOST_ERROR_KIND_CONFIG);
    CHECK_EQ_U(wasihost_error_errno(e), 44);
    CHECK_CONTAINS(wasihost_error_message(e), missing);
    CHECK_CONTAINS(wasihost_error_message(e), "/data");
    wasihost_error_delete(e);

    /* A regular file is not a directory: errno 54 (notdir). */
    char *dir = temp_dir();
    REQUIRE(dir != NULL);
    char *file = path_join(dir, "plain");
    CHECK(write_file(file, "x", 1));
    CHECK_ERR_ERRNO(wasihost_config_preopen_dir(c, B(file), B("/data"), 0),
                    WASIHOST_ERROR_KIND_CONFIG, 54, "plain");

    /* A directory that goes away after the config took it: the instance
     * cannot be created (errno 44). */
    char *sub = path_join(dir, "sub");
    CHECK(mkdir(sub, 0700) == 0);
    CHECK_OK(wasihost_config_preopen_dir(c, B(sub), B("/data"), 0));
    CHECK(rmdir(sub) == 0);
    wasihost_module_t *m = wat_module("(module (func (export \"_start\")))");
    if (m != NULL) {
        wasihost_instance_t *inst = NULL;
        CHECK_ERR_ERRNO(wasihost_instance_new(m, c, &inst), WASIHOST_ERROR_KIND_CONFIG, 44,
                        "sub");
        CHECK(inst == NULL);
        /* Back again: fine. */
        CHECK(mkdir(sub, 0700) == 0);
        CHECK_OK(wasihost_instance_new(m, c, &inst));
        wasihost_instance_delete(inst);
        wasihost_module_delete(m);
    }
    wasihost_config_delete(c);
    free(sub);
    free(file);
    remove_tree(dir);
}

/* ---- stdin ---------------------------------------------------------------- */

static const char BINARY_INPUT[] = "line one\n\x00\x01\x02\xff binary\x00\nlast line";
#define BINARY_INPUT_LEN (sizeof BINARY_INPUT - 1)

/* Runs cat with `c`; checks that it printed `want` (wlen bytes) and
 * reported the total on stderr. */
static void check_cat(const wasihost_module_t *m, const wasihost_config_t *c, const void *want,
                      size_t wlen, const char *what) {
    struct run_out r;
    if (!run_guest(m, c, &r))
        return;
    CHECK_MSG(r.code == 0, "%s: exit code %u, stderr \"%s\"", what, (unsigned)r.code, r.err);
    CHECK_MEM_EQ(r.out, r.out_len, want, wlen);
    char total[64];
    snprintf(total, sizeof total, "total=%zu\n", wlen);
    CHECK_MSG(strcmp(r.err, total) == 0, "%s: stderr \"%s\", expected \"%s\"", what, r.err,
              total);
    run_out_free(&r);
}

static void test_stdin_null_and_bytes(void) {
    wasihost_module_t *m = guest_module("cat");
    REQUIRE(m != NULL);
    wasihost_config_t *c = capture_config();
    check_cat(m, c, "", 0, "default stdin");
    uint8_t *buf = malloc(BINARY_INPUT_LEN);
    memcpy(buf, BINARY_INPUT, BINARY_INPUT_LEN);
    CHECK_OK(wasihost_config_stdin_bytes(c, buf, BINARY_INPUT_LEN));
    /* Copied: the caller's buffer may change or go. */
    memset(buf, 'X', BINARY_INPUT_LEN);
    free(buf);
    check_cat(m, c, BINARY_INPUT, BINARY_INPUT_LEN, "stdin bytes");
    check_cat(m, c, BINARY_INPUT, BINARY_INPUT_LEN, "stdin bytes, second instance");
    CHECK_OK(wasihost_config_stdin_null(c));
    check_cat(m, c, "", 0, "stdin null");
    /* Large input, in several reads of the guest. */
    size_t big = 100000;
    uint8_t *data = malloc(big);
    for (size_t i = 0; i < big; i++)
        data[i] = (uint8_t)(i * 31 + 7);
    CHECK_OK(wasihost_config_stdin_bytes(c, data, big));
    check_cat(m, c, data, big, "large stdin bytes");
    free(data);
    wasihost_config_delete(c);
    wasihost_module_delete(m);
}

static void test_stdin_file(void) {
    wasihost_module_t *m = guest_module("cat");
    REQUIRE(m != NULL);
    char *dir = temp_dir();
    REQUIRE(dir != NULL);
    char *file = path_join(dir, "input.bin");
    CHECK(write_file(file, BINARY_INPUT, BINARY_INPUT_LEN));
    wasihost_config_t *c = capture_config();
    CHECK_OK(wasihost_config_stdin_file(c, B(file)));
    check_cat(m, c, BINARY_INPUT, BINARY_INPUT_LEN, "stdin file");
    /* Opened anew for each instance: a change shows in the next one. */
    CHECK(write_file(file, "changed", 7));
    check_cat(m, c, "changed", 7, "stdin file, changed");
    /* Missing when the instance is made: errno 44. */
    CHECK(unlink(file) == 0);
    wasihost_instance_t *inst = NULL;
    CHECK_ERR_ERRNO(wasihost_instance_new(m, c, &inst), WASIHOST_ERROR_KIND_CONFIG, 44,
                    "input.bin");
    CHECK(inst == NULL);
    wasihost_config_delete(c);
    free(file);
    remove_tree(dir);
    wasihost_module_delete(m);
}

static void test_stdin_fd(void) {
    wasihost_module_t *m = guest_module("cat");
    REQUIRE(m != NULL);
    char *dir = temp_dir();
    REQUIRE(dir != NULL);
    char *file = path_join(dir, "input.bin");
    CHECK(write_file(file, BINARY_INPUT, BINARY_INPUT_LEN));
    int fd = open(file, O_RDONLY);
    REQUIRE(fd >= 0);
    wasihost_config_t *c = capture_config();
    CHECK_OK(wasihost_config_stdin_fd(c, fd));
    close(fd); /* the config holds its own duplicate */
    check_cat(m, c, BINARY_INPUT, BINARY_INPUT_LEN, "stdin fd");
    /* Instances share the duplicate's position: the next one is at EOF. */
    check_cat(m, c, "", 0, "stdin fd, second instance");
    wasihost_config_delete(c);

    /* A pipe. */
    int p[2];
    REQUIRE(pipe(p) == 0);
    CHECK(write(p[1], "through a pipe\n", 15) == 15);
    close(p[1]);
    c = capture_config();
    CHECK_OK(wasihost_config_stdin_fd(c, p[0]));
    close(p[0]);
    check_cat(m, c, "through a pipe\n", 15, "stdin pipe");
    wasihost_config_delete(c);
    free(file);
    remove_tree(dir);
    wasihost_module_delete(m);
}

/* A stdin callback that hands out its input 1, 2, 3, 1, 2, 3... bytes at a
 * time (never more than asked for), or fails with `fail_with`. */
struct feeder {
    const uint8_t *data;
    size_t len, pos;
    size_t calls;
    size_t max_cap_seen;
    int32_t fail_with;
    atomic_int finalized;
};

static int32_t feed(void *userdata, uint8_t *buf, size_t cap, size_t *nread) {
    struct feeder *f = userdata;
    f->calls++;
    if (cap > f->max_cap_seen)
        f->max_cap_seen = cap;
    if (f->fail_with != 0)
        return f->fail_with;
    size_t n = 1 + f->calls % 3;
    if (n > cap)
        n = cap;
    if (n > f->len - f->pos)
        n = f->len - f->pos;
    memcpy(buf, f->data + f->pos, n);
    f->pos += n;
    *nread = n;
    return 0;
}

static void feeder_done(void *userdata) {
    struct feeder *f = userdata;
    atomic_fetch_add(&f->finalized, 1);
}

static void test_stdin_callback(void) {
    wasihost_module_t *m = guest_module("cat");
    REQUIRE(m != NULL);
    size_t big = 5000;
    uint8_t *data = malloc(big);
    for (size_t i = 0; i < big; i++)
        data[i] = (uint8_t)(i * 13 + i / 256);
    struct feeder f;
    memset(&f, 0, sizeof f);
    f.data = data;
    f.len = big;
    atomic_init(&f.finalized, 0);
    wasihost_config_t *c = capture_config();
    CHECK_OK(wasihost_config_stdin_callback(c, feed, &f, feeder_done));
    check_cat(m, c, data, big, "stdin callback");
    CHECK(f.calls >= big / 3);
    CHECK(f.max_cap_seen >= 3);
    /* The callback's own state decides what the next instance reads: here,
     * it is at its end. */
    check_cat(m, c, "", 0, "stdin callback at its end");
    CHECK_EQ_I(atomic_load(&f.finalized), 0);

    /* A failing callback: the guest's read fails with errno 29 (io). */
    f.fail_with = -1;
    struct run_out r;
    if (run_guest(m, c, &r)) {
        CHECK_EQ_U(r.code, 3);
        CHECK_STR_EQ(r.err, "read error errno=29\n");
        CHECK_EQ_U(r.out_len, 0);
        run_out_free(&r);
    }
    /* Replacing it releases it (no instance holds it). */
    CHECK_OK(wasihost_config_stdin_null(c));
    CHECK_EQ_I(atomic_load(&f.finalized), 1);
    wasihost_config_delete(c);
    CHECK_EQ_I(atomic_load(&f.finalized), 1);
    free(data);
    wasihost_module_delete(m);
}

/* Runs `fn` with host fd `target` pointing at `file` for its duration (a
 * sanitizer report written meanwhile to a redirected stderr lands in the
 * file; the run still fails). */
static bool with_fd_redirected(int target, const char *file, int flags,
                               void (*fn)(void *), void *arg) {
    fflush(stdout);
    int saved = dup(target);
    int fd = open(file, flags, 0600);
    if (saved < 0 || fd < 0) {
        check_fail(__FILE__, __LINE__, "cannot redirect fd %d: %s", target, strerror(errno));
        return false;
    }
    dup2(fd, target);
    close(fd);
    fn(arg);
    dup2(saved, target);
    close(saved);
    return true;
}

struct inherit_run {
    const wasihost_module_t *m;
    const wasihost_config_t *c;
    wasihost_error_t *err;
    uint32_t code;
};

static void run_plain(void *arg) {
    struct inherit_run *ir = arg;
    wasihost_instance_t *inst = NULL;
    ir->err = wasihost_instance_new(ir->m, ir->c, &inst);
    if (ir->err == NULL)
        ir->err = wasihost_instance_run(inst, &ir->code);
    wasihost_instance_delete(inst);
}

static void test_inherit_stdio(void) {
    wasihost_module_t *m = guest_module("cat");
    REQUIRE(m != NULL);
    char *dir = temp_dir();
    REQUIRE(dir != NULL);
    char *in = path_join(dir, "in");
    char *out = path_join(dir, "out");
    CHECK(write_file(in, BINARY_INPUT, BINARY_INPUT_LEN));

    /* stdin and stdout inherited: the host's fds 0 and 1. */
    wasihost_config_t *c = capture_config();
    CHECK_OK(wasihost_config_stdin_inherit(c));
    CHECK_OK(wasihost_config_output_inherit(c, WASIHOST_STDOUT));
    struct inherit_run ir = {m, c, NULL, 99};
    int saved_in = dup(0);
    int in_fd = open(in, O_RDONLY);
    REQUIRE(saved_in >= 0 && in_fd >= 0);
    dup2(in_fd, 0);
    close(in_fd);
    with_fd_redirected(1, out, O_WRONLY | O_CREAT | O_TRUNC, run_plain, &ir);
    dup2(saved_in, 0);
    close(saved_in);
    CHECK_OK(ir.err);
    CHECK_EQ_U(ir.code, 0);
    size_t len = 0;
    uint8_t *got = read_file(out, &len);
    CHECK(got != NULL);
    if (got != NULL)
        CHECK_MEM_EQ(got, len, BINARY_INPUT, BINARY_INPUT_LEN);
    free(got);
    wasihost_config_delete(c);

    /* stderr inherited. */
    c = capture_config();
    CHECK_OK(wasihost_config_stdin_bytes(c, B("abc")));
    CHECK_OK(wasihost_config_output_inherit(c, WASIHOST_STDERR));
    ir.c = c;
    ir.err = NULL;
    with_fd_redirected(2, out, O_WRONLY | O_CREAT | O_TRUNC, run_plain, &ir);
    CHECK_OK(ir.err);
    got = read_file(out, &len);
    CHECK(got != NULL);
    if (got != NULL)
        CHECK_MEM_EQ(got, len, "total=3\n", 8);
    free(got);
    wasihost_config_delete(c);
    free(in);
    free(out);
    remove_tree(dir);
    wasihost_module_delete(m);
}

static void test_output_files_and_fds(void) {
    wasihost_module_t *m = guest_module("cat");
    REQUIRE(m != NULL);
    char *dir = temp_dir();
    REQUIRE(dir != NULL);
    char *out = path_join(dir, "out.txt");
    char *app = path_join(dir, "append.txt");
    char *err = path_join(dir, "err.txt");
    size_t len = 0;
    uint8_t *got;

    /* Truncated for each instance. */
    CHECK(write_file(out, "OLD CONTENT, LONGER THAN THE NEW", 32));
    CHECK(write_file(app, "first\n", 6));
    wasihost_config_t *c = wasihost_config_new();
    CHECK_OK(wasihost_config_stdin_bytes(c, B("new\n")));
    CHECK_OK(wasihost_config_output_file(c, WASIHOST_STDOUT, B(out), 0));
    CHECK_OK(wasihost_config_output_file(c, WASIHOST_STDERR, B(err), 0));
    for (int i = 0; i < 2; i++) {
        struct inherit_run ir = {m, c, NULL, 99};
        run_plain(&ir);
        CHECK_OK(ir.err);
        CHECK_EQ_U(ir.code, 0);
    }
    got = read_file(out, &len);
    CHECK(got != NULL);
    if (got != NULL)
        CHECK_MEM_EQ(got, len, "new\n", 4);
    free(got);
    got = read_file(err, &len);
    CHECK(got != NULL);
    if (got != NULL)
        CHECK_MEM_EQ(got, len, "total=4\n", 8);
    free(got);
    wasihost_config_delete(c);

    /* Appended to. */
    c = wasihost_config_new();
    CHECK_OK(wasihost_config_stdin_bytes(c, B("new\n")));
    CHECK_OK(wasihost_config_output_file(c, WASIHOST_STDOUT, B(app), WASIHOST_OUTPUT_APPEND));
    for (int i = 0; i < 2; i++) {
        struct inherit_run ir = {m, c, NULL, 99};
        run_plain(&ir);
        CHECK_OK(ir.err);
    }
    got = read_file(app, &len);
    CHECK(got != NULL);
    if (got != NULL)
        CHECK_MEM_EQ(got, len, "first\nnew\nnew\n", 14);
    free(got);
    /* Created when missing, in append mode too. */
    CHECK(unlink(app) == 0);
    struct inherit_run ir = {m, c, NULL, 99};
    run_plain(&ir);
    CHECK_OK(ir.err);
    got = read_file(app, &len);
    CHECK(got != NULL);
    if (got != NULL)
        CHECK_MEM_EQ(got, len, "new\n", 4);
    free(got);
    wasihost_config_delete(c);

    /* A file in a missing directory: the instance cannot be made. */
    c = wasihost_config_new();
    CHECK_OK(wasihost_config_output_file(c, WASIHOST_STDERR, B("/nonexistent-dir/x.txt"), 0));
    wasihost_instance_t *inst = NULL;
    CHECK_ERR_ERRNO(wasihost_instance_new(m, c, &inst), WASIHOST_ERROR_KIND_CONFIG, 44,
                    "/nonexistent-dir/x.txt");
    CHECK(inst == NULL);
    wasihost_config_delete(c);

    /* A directory is not an output file: errno 31 (isdir). */
    c = wasihost_config_new();
    CHECK_OK(wasihost_config_output_file(c, WASIHOST_STDOUT, B(dir), 0));
    inst = NULL;
    CHECK_ERR_ERRNO(wasihost_instance_new(m, c, &inst), WASIHOST_ERROR_KIND_CONFIG, 31, NULL);
    CHECK(inst == NULL);
    wasihost_config_delete(c);

    /* An fd: duplicated, the caller closes its own; instances write at the
     * shared position, one after the other. */
    int fd = open(out, O_WRONLY | O_TRUNC);
    REQUIRE(fd >= 0);
    c = wasihost_config_new();
    CHECK_OK(wasihost_config_stdin_bytes(c, B("via fd\n")));
    CHECK_OK(wasihost_config_output_fd(c, WASIHOST_STDOUT, fd));
    CHECK_OK(wasihost_config_output_fd(c, WASIHOST_STDERR, fd));
    close(fd);
    for (int i = 0; i < 2; i++) {
        struct inherit_run r2 = {m, c, NULL, 99};
        run_plain(&r2);
        CHECK_OK(r2.err);
        CHECK_EQ_U(r2.code, 0);
    }
    wasihost_config_delete(c);
    got = read_file(out, &len);
    CHECK(got != NULL);
    if (got != NULL)
        CHECK_MEM_EQ(got, len, "via fd\ntotal=7\nvia fd\ntotal=7\n", 30);
    free(got);

    /* Null after capture: writes succeed, nothing is captured. */
    c = capture_config();
    CHECK_OK(wasihost_config_stdin_bytes(c, B("dropped")));
    CHECK_OK(wasihost_config_output_null(c, WASIHOST_STDOUT));
    struct run_out r;
    if (CHECK_OK(run_captured(m, c, &r))) {
        CHECK_EQ_U(r.code, 0);
        CHECK(r.out == NULL);
        CHECK_STR_EQ(r.err, "total=7\n");
        run_out_free(&r);
    }
    wasihost_config_delete(c);

    free(out);
    free(app);
    free(err);
    remove_tree(dir);
    wasihost_module_delete(m);
}

/* ---- the open-fd limit ---------------------------------------------------- */

static void run_openmany(const wasihost_module_t *m, const char *dir, size_t max,
                         const char *want) {
    const char *args[] = {"files", "openmany", "/sandbox", "10"};
    wasihost_config_t *c = config_with_args(args, 4);
    CHECK_OK(wasihost_config_preopen_dir(c, B(dir), B("/sandbox"), 0));
    if (max > 0)
        CHECK_OK(wasihost_config_set_max_open_fds(c, max));
    struct run_out r;
    if (run_guest(m, c, &r)) {
        CHECK_EQ_U(r.code, 0);
        CHECK_MSG(strcmp(r.out, want) == 0, "max_open_fds %zu: got \"%s\", expected \"%s\"",
                  max, r.out, want);
        run_out_free(&r);
    }
    wasihost_config_delete(c);
}

static void test_max_open_fds(void) {
    wasihost_module_t *m = guest_module("files");
    REQUIRE(m != NULL);
    char *dir = temp_dir();
    REQUIRE(dir != NULL);
    /* stdio and the preopen hold 4 fds. errno 33 is mfile. */
    run_openmany(m, dir, 0, "opened=10 errno=0\n");
    run_openmany(m, dir, 6, "opened=2 errno=33\n");
    run_openmany(m, dir, 4, "opened=0 errno=33\n");
    run_openmany(m, dir, 14, "opened=10 errno=0\n");
    run_openmany(m, dir, 13, "opened=9 errno=33\n");
    /* Fewer than stdio and the preopens need: the instance cannot be made. */
    wasihost_config_t *c = wasihost_config_new();
    CHECK_OK(wasihost_config_preopen_dir(c, B(dir), B("/sandbox"), 0));
    CHECK_OK(wasihost_config_set_max_open_fds(c, 3));
    wasihost_instance_t *inst = NULL;
    CHECK_ERR(wasihost_instance_new(m, c, &inst), WASIHOST_ERROR_KIND_CONFIG, "max_open_fds");
    CHECK(inst == NULL);
    wasihost_config_delete(c);
    remove_tree(dir);
    wasihost_module_delete(m);
}

static const struct test_case tests[] = {
    TEST_CASE(test_args_and_env),
    TEST_CASE(test_inherit_env),
    TEST_CASE(test_preopen_read_write),
    TEST_CASE(test_preopen_read_only),
    TEST_CASE(test_preopen_symlinks),
    TEST_CASE(test_preopen_fd_order),
    TEST_CASE(test_preopen_missing_dir),
    TEST_CASE(test_stdin_null_and_bytes),
    TEST_CASE(test_stdin_file),
    TEST_CASE(test_stdin_fd),
    TEST_CASE(test_stdin_callback),
    TEST_CASE(test_inherit_stdio),
    TEST_CASE(test_output_files_and_fds),
    TEST_CASE(test_max_open_fds),
};

int main(int argc, char **argv) {
    return run_suite(argc, argv, tests, sizeof tests / sizeof tests[0]);
}
