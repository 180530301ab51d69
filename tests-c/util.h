/*
 * util.h: helpers shared by the C API tests (files, temp dirs, modules,
 * callback sinks). Header-only: each test file is one program.
 */
#ifndef UTIL_H
#define UTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "check.h"

#define UNUSED_FN static __attribute__((unused))

/* A C string as a (pointer, length) byte string. */
#define B(s) (const uint8_t *)(s), strlen(s)

/* The engine the tests share (made by run_suite), and its flags: a test
 * program that needs interruption or fuel sets them before run_suite (the
 * default engine has neither). */
static wasihost_engine_t *g_engine;
static wasihost_engine_flags_t g_engine_flags;

UNUSED_FN int run_suite(int argc, char **argv, const struct test_case *tests, size_t n) {
    wasihost_error_t *e = wasihost_engine_new_with_flags(g_engine_flags, &g_engine);
    if (e != NULL) {
        printf("cannot create the engine: %s\n", wasihost_error_message(e));
        wasihost_error_delete(e);
        return 1;
    }
    int rc = run_tests(argc, argv, tests, n);
    wasihost_engine_delete(g_engine);
    g_engine = NULL;
    return rc;
}

/* ---- files -------------------------------------------------------------- */

UNUSED_FN char *path_join(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    char *p = malloc(la + 1 + lb + 1);
    memcpy(p, a, la);
    p[la] = '/';
    memcpy(p + la + 1, b, lb + 1);
    return p;
}

/* The whole file (malloc'd, NUL-terminated for convenience), or NULL. */
UNUSED_FN uint8_t *read_file(const char *path, size_t *len_out) {
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap + 1);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
        }
    }
    fclose(f);
    buf[len] = 0;
    *len_out = len;
    return buf;
}

UNUSED_FN bool write_file(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return false;
    bool ok = fwrite(data, 1, len, f) == len;
    return fclose(f) == 0 && ok;
}

/* A fresh, empty directory under $TMPDIR (malloc'd path). */
UNUSED_FN char *temp_dir(void) {
    const char *base = getenv("TMPDIR");
    if (base == NULL || base[0] == 0)
        base = "/tmp";
    char *p = path_join(base, "wasihost-c-XXXXXX");
    if (mkdtemp(p) == NULL) {
        check_fail(__FILE__, __LINE__, "mkdtemp(%s): %s", p, strerror(errno));
        free(p);
        return NULL;
    }
    return p;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Removes a directory tree and frees its path. */
UNUSED_FN void remove_tree(char *path) {
    if (path == NULL)
        return;
    nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    free(path);
}

/* ---- modules ------------------------------------------------------------ */

UNUSED_FN wasihost_module_t *wat_module(const char *wat) {
    wasihost_module_t *m = NULL;
    if (!CHECK_OK(wasihost_module_from_wat(g_engine, B(wat), &m)))
        return NULL;
    return m;
}

/* The path of a compiled C guest: <guest dir>/<name>.wasm (malloc'd). */
UNUSED_FN char *guest_path(const char *name) {
    const char *dir = check_guest_dir ? check_guest_dir : "guests";
    size_t n = strlen(dir) + strlen(name) + 8;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s.wasm", dir, name);
    return p;
}

UNUSED_FN wasihost_module_t *guest_module(const char *name) {
    char *path = guest_path(name);
    wasihost_module_t *m = NULL;
    wasihost_error_t *e = wasihost_module_from_file(g_engine, B(path), &m);
    if (e != NULL) {
        char buf[4096];
        check_describe(e, buf, sizeof buf);
        check_fail(__FILE__, __LINE__, "loading guest %s (set WASIHOST_TEST_GUESTS or "
                   "--guests): %s", path, buf);
        wasihost_error_delete(e);
    }
    free(path);
    return m;
}

/* ---- a byte sink for write callbacks ------------------------------------ */

/*
 * Collects what a write callback receives. Thread-safe: instances of one
 * config may call it concurrently. `fail_with` != 0 makes the callback
 * return it (after counting the call, without keeping the bytes).
 */
struct sink {
    pthread_mutex_t mu;
    uint8_t *data;
    size_t len, cap;
    size_t calls;
    int32_t fail_with;
    atomic_int finalized;
};

UNUSED_FN void sink_init(struct sink *s) {
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    atomic_init(&s->finalized, 0);
}

UNUSED_FN void sink_free(struct sink *s) {
    free(s->data);
    pthread_mutex_destroy(&s->mu);
}

UNUSED_FN void sink_clear(struct sink *s) {
    pthread_mutex_lock(&s->mu);
    s->len = 0;
    s->calls = 0;
    pthread_mutex_unlock(&s->mu);
}

UNUSED_FN int32_t sink_write(void *userdata, const uint8_t *data, size_t len) {
    struct sink *s = userdata;
    pthread_mutex_lock(&s->mu);
    s->calls++;
    int32_t rc = s->fail_with;
    if (rc == 0 && len > 0) {
        if (s->len + len > s->cap) {
            s->cap = (s->len + len) * 2;
            s->data = realloc(s->data, s->cap);
        }
        memcpy(s->data + s->len, data, len);
        s->len += len;
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

UNUSED_FN void sink_finalize(void *userdata) {
    struct sink *s = userdata;
    atomic_fetch_add(&s->finalized, 1);
}

/* A finalizer that counts its calls in the int its userdata points to. */
UNUSED_FN void count_finalizer(void *userdata) {
    atomic_fetch_add((atomic_int *)userdata, 1);
}

/* ---- running ------------------------------------------------------------ */

/*
 * Instantiates and runs `module` with `config`. On success returns NULL,
 * with the exit code and copies of the captures (NULL for a stream that is
 * not captured); on error returns the error.
 */
struct run_out {
    uint32_t code;
    char *out;
    size_t out_len;
    char *err;
    size_t err_len;
};

/* A copy of what `inst` captured on stream `s` (malloc'd, NUL-terminated),
 * or NULL when the stream is not captured. */
UNUSED_FN char *capture_dup(wasihost_instance_t *inst, wasihost_stream_t s, size_t *len) {
    wasihost_capture_t c;
    memset(&c, 0, sizeof c);
    *len = 0;
    wasihost_error_t *e = wasihost_instance_capture(inst, s, &c);
    if (e != NULL) {
        wasihost_error_delete(e);
        return NULL;
    }
    char *p = malloc(c.len + 1);
    if (c.len > 0)
        memcpy(p, c.data, c.len);
    p[c.len] = 0;
    *len = c.len;
    return p;
}

UNUSED_FN wasihost_error_t *run_captured(const wasihost_module_t *m,
                                         const wasihost_config_t *c, struct run_out *r) {
    memset(r, 0, sizeof *r);
    wasihost_instance_t *inst = NULL;
    wasihost_error_t *e = wasihost_instance_new(m, c, &inst);
    if (e != NULL)
        return e;
    e = wasihost_instance_run(inst, &r->code);
    if (e == NULL) {
        r->out = capture_dup(inst, WASIHOST_STDOUT, &r->out_len);
        r->err = capture_dup(inst, WASIHOST_STDERR, &r->err_len);
    }
    wasihost_instance_delete(inst);
    return e;
}

UNUSED_FN void run_out_free(struct run_out *r) {
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

/* A config that captures stdout and stderr (up to 1 MiB each). */
UNUSED_FN wasihost_config_t *capture_config(void) {
    wasihost_config_t *c = wasihost_config_new();
    CHECK(c != NULL);
    CHECK_OK(wasihost_config_output_capture(c, WASIHOST_STDOUT, 1 << 20));
    CHECK_OK(wasihost_config_output_capture(c, WASIHOST_STDERR, 1 << 20));
    return c;
}

#endif /* UTIL_H */
