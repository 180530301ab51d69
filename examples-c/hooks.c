/*
 * hooks: the programmable host from C. Four scenes, each running the
 * guest examples/guests/hostdemo.c and checking what it printed:
 *
 *   1. a policy: path_open of names ending in ".secret" is denied with
 *      EACCES, every other path_open goes to the built-in implementation
 *   2. a virtual /dev/urandom: path_open of "urandom" under a preopen
 *      gives a made-up fd whose fd_read fills the guest's buffers
 *   3. an audit log: the trace stream of path_open calls, as JSON lines
 *   4. a reproducible run: deterministic mode, run twice, byte-identical
 *
 * Usage: hooks HOSTDEMO.wasm     (make guests builds build/guests/hostdemo.wasm)
 * Exits 0 when every scene printed what it should, else 1. Build it with
 *   cc hooks.c $(pkg-config --cflags --libs wasihost)
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasihost.h"

#define B(s) (const uint8_t *)(s), strlen(s)

static int failures;

/* A failed setup call: report and count it. Returns whether it succeeded. */
static int ok(const char *what, wasihost_error_t *err) {
    if (!err)
        return 1;
    printf("%s: %s\n", what, wasihost_error_message(err));
    wasihost_error_delete(err);
    failures++;
    return 0;
}

static void expect(const char *scene, const char *got, const char *want) {
    if (strcmp(got, want) == 0) {
        printf("%s: ok\n", scene);
        return;
    }
    printf("%s: FAILED\n--- want:\n%s--- got:\n%s", scene, want, got);
    failures++;
}

/* Runs the module with `config` and gives what it wrote to stdout (a
 * malloc'd string; empty after a failure). The config must capture it. */
static char *run(const wasihost_module_t *module, const wasihost_config_t *config) {
    wasihost_instance_t *inst = NULL;
    uint32_t code = 0;
    char *text = calloc(1, 1);
    if (!ok("instance", wasihost_instance_new(module, config, &inst)))
        return text;
    if (ok("run", wasihost_instance_run(inst, &code))) {
        wasihost_capture_t out;
        if (ok("capture", wasihost_instance_capture(inst, WASIHOST_STDOUT, &out))) {
            free(text);
            text = malloc(out.len + 1);
            if (text) {
                if (out.len)
                    memcpy(text, out.data, out.len);
                text[out.len] = '\0';
            }
        }
    }
    wasihost_instance_delete(inst);
    return text ? text : calloc(1, 1);
}

/* A config with the guest's arguments (NULL-terminated), stdout captured. */
static wasihost_config_t *config_for(const char *const *args) {
    wasihost_config_t *config = wasihost_config_new();
    ok("arg", wasihost_config_push_arg(config, B("hostdemo")));
    for (; *args; args++)
        ok("arg", wasihost_config_push_arg(config, B(*args)));
    ok("capture", wasihost_config_output_capture(config, WASIHOST_STDOUT, 1 << 16));
    return config;
}

static void write_file(const char *dir, const char *name, const char *text) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* ---- 1. the policy ---------------------------------------------------- */

static int32_t deny_secrets(void *userdata, wasihost_call_t *call) {
    (void)userdata;
    int32_t i = wasihost_call_arg_index(call, B("path"));
    uint8_t *path = NULL;
    size_t len = 0;
    if (i >= 0 && wasihost_call_arg_bytes(call, (size_t)i, &path, &len) == 0 && len >= 7 &&
        memcmp(path + len - 7, ".secret", 7) == 0)
        return WASIHOST_ERRNO_ACCES;
    /* Everything else: the built-in path_open, its result and errno. */
    return wasihost_call_default(call);
}

static void scene_policy(const wasihost_module_t *module, const char *dir) {
    const char *args[] = {"open", "/d/notes.txt", "/d/key.secret", "/d/missing", NULL};
    wasihost_config_t *config = config_for(args);
    ok("preopen", wasihost_config_preopen_dir(config, B(dir), B("/d"), 0));
    ok("handler",
       wasihost_config_set_call_handler(config, B("path_open"), deny_secrets, NULL, NULL));
    char *out = run(module, config);
    expect("1. policy", out,
           "/d/notes.txt: 4 bytes\n"
           "/d/key.secret: error Permission denied\n"
           "/d/missing: error No such file or directory\n");
    free(out);
    wasihost_config_delete(config);
}

/* ---- 2. the virtual file ---------------------------------------------- */

#define VIRTUAL_FD 4000

/* One handler for path_open, fd_read and fd_close: it answers for the
 * virtual fd and passes everything else to the built-in implementation. */
static int32_t virtual_urandom(void *userdata, wasihost_call_t *call) {
    unsigned *counter = userdata;
    const char *name = wasihost_call_name(call);
    if (strcmp(name, "path_open") == 0) {
        uint8_t *path = NULL;
        size_t len = 0;
        if (wasihost_call_arg_bytes(call, 2, &path, &len) == 0 && len == 7 &&
            memcmp(path, "urandom", 7) == 0) {
            wasihost_call_set_result(call, 0, VIRTUAL_FD); /* opened_fd */
            return WASIHOST_ERRNO_SUCCESS;
        }
    } else if (wasihost_call_arg(call, 0) == VIRTUAL_FD) {
        if (strcmp(name, "fd_close") == 0)
            return WASIHOST_ERRNO_SUCCESS;
        /* fd_read: fill each iovec (argument 1; the count is argument 2). */
        uint64_t total = 0;
        for (uint32_t k = 0; k < (uint32_t)wasihost_call_arg(call, 2); k++) {
            uint8_t *buf = NULL;
            size_t len = 0;
            int32_t e = wasihost_call_iovec(call, 1, k, &buf, &len);
            if (e != 0)
                return e;
            for (size_t j = 0; j < len; j++)
                buf[j] = (uint8_t)(0x40 + (*counter)++ % 16);
            total += len;
        }
        wasihost_call_set_result(call, 0, total); /* nread */
        return WASIHOST_ERRNO_SUCCESS;
    }
    return wasihost_call_default(call);
}

static void scene_virtual_file(const wasihost_module_t *module, const char *empty_dir) {
    const char *args[] = {"random", "/dev/urandom", "8", NULL};
    wasihost_config_t *config = config_for(args);
    unsigned counter = 0;
    /* An empty directory mounted at /dev: the guest resolves
     * /dev/urandom to path_open(fd 3, "urandom"), which the handler
     * answers; the directory itself is never touched. */
    ok("preopen", wasihost_config_preopen_dir(config, B(empty_dir), B("/dev"), 0));
    ok("handler", wasihost_config_set_call_handler(config, B("path_open,fd_read,fd_close"),
                                                   virtual_urandom, &counter, NULL));
    char *out = run(module, config);
    expect("2. virtual /dev/urandom", out, "/dev/urandom: 4041424344454647\n");
    free(out);
    wasihost_config_delete(config);
}

/* ---- 3. the audit log ------------------------------------------------- */

struct audit {
    char log[8192];
    size_t len;
};

static void audit_line(void *userdata, const wasihost_call_t *call, const char *json,
                       size_t len) {
    struct audit *a = userdata;
    (void)json;
    (void)len;
    /* The structured view: the path as the guest gave it, and the errno. */
    uint8_t *path = NULL;
    size_t plen = 0;
    if (wasihost_call_arg_bytes(call, 2, &path, &plen) != 0)
        plen = 0;
    int n = snprintf(a->log + a->len, sizeof a->log - a->len, "%s %.*s -> errno %d\n",
                     wasihost_call_name(call), (int)plen, (const char *)path,
                     wasihost_call_errno(call));
    if (n > 0 && (size_t)n < sizeof a->log - a->len)
        a->len += (size_t)n;
}

static void scene_audit(const wasihost_module_t *module, const char *dir) {
    const char *args[] = {"open", "/d/notes.txt", "/d/missing", NULL};
    wasihost_config_t *config = config_for(args);
    struct audit a = {{0}, 0};
    ok("preopen", wasihost_config_preopen_dir(config, B(dir), B("/d"), 0));
    /* The filter: path_open only (a list of calls and groups: "fs,clock"). */
    ok("trace", wasihost_config_set_trace_callback(config, B("path_open"), audit_line, &a, NULL));
    char *out = run(module, config);
    free(out);
    expect("3. audit log", a.log,
           "path_open notes.txt -> errno 0\n"
           "path_open missing -> errno 44\n");
    wasihost_config_delete(config);
}

/* ---- 4. the reproducible run ------------------------------------------ */

static void scene_deterministic(const wasihost_module_t *module, const char *dir) {
    const char *args[] = {"time", "/d", NULL};
    wasihost_config_t *config = config_for(args);
    ok("preopen", wasihost_config_preopen_dir(config, B(dir), B("/d"), WASIHOST_PREOPEN_READONLY));
    ok("deterministic", wasihost_config_set_deterministic(config, 42));
    char *first = run(module, config);
    char *second = run(module, config);
    expect("4. deterministic, run twice", second, first);
    const char *want_start = "wall: 946684800 s\nmonotonic: 0 ns\n"
                             "monotonic after sleeping 1.5 s: 1500000000 ns (+1500000000)\n";
    if (strncmp(first, want_start, strlen(want_start)) != 0) {
        printf("4. deterministic: unexpected times:\n%s", first);
        failures++;
    }
    free(first);
    free(second);
    wasihost_config_delete(config);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: hooks HOSTDEMO.wasm\n");
        return 2;
    }
    char dir[] = "/tmp/wasihost-hooks-XXXXXX";
    char empty[] = "/tmp/wasihost-hooks-dev-XXXXXX";
    if (!mkdtemp(dir) || !mkdtemp(empty)) {
        perror("mkdtemp");
        return 1;
    }
    write_file(dir, "notes.txt", "four");
    write_file(dir, "key.secret", "hidden");

    wasihost_engine_t *engine = NULL;
    wasihost_module_t *module = NULL;
    if (ok("engine", wasihost_engine_new(&engine)) &&
        ok("module", wasihost_module_from_file(engine, B(argv[1]), &module))) {
        scene_policy(module, dir);
        scene_virtual_file(module, empty);
        scene_audit(module, dir);
        scene_deterministic(module, dir);
    }
    wasihost_module_delete(module);
    wasihost_engine_delete(engine);

    char path[512];
    snprintf(path, sizeof path, "%s/notes.txt", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/key.secret", dir);
    unlink(path);
    rmdir(dir);
    rmdir(empty);
    return failures ? 1 : 0;
}
