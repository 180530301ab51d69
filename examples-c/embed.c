/*
 * embed: the smallest useful embedding of wasihost in a C program.
 *
 *   embed FILE.wasm DIR [ARGS...]
 *
 * Runs the WASI command FILE.wasm with ARGS, the host directory DIR
 * granted read-only at the guest path /data, and the guest's stdout sent
 * through a callback that prefixes every line with "guest> " and counts
 * the bytes. Prints the guest's exit code at the end. Build it with
 *   cc embed.c $(pkg-config --cflags --libs wasihost)
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "wasihost.h"

/* What the stdout callback keeps between calls. */
struct out_state {
    int at_line_start; /* the next byte begins a line: prefix it */
    uint64_t bytes;    /* how many bytes the guest wrote */
};

/* Called with each buffer the guest writes to stdout (on the thread that
 * runs the guest). Returning 0 tells the guest the write succeeded. */
static int32_t on_stdout(void *userdata, const uint8_t *data, size_t len) {
    struct out_state *st = userdata;
    for (size_t i = 0; i < len; i++) {
        if (st->at_line_start)
            fputs("guest> ", stdout);
        putchar(data[i]);
        st->at_line_start = data[i] == '\n';
    }
    st->bytes += len;
    return 0;
}

/* Prints a failed call's error and frees it; returns 1 (the exit status). */
static int fail(const char *what, wasihost_error_t *err) {
    fprintf(stderr, "embed: %s: %s (%s error)\n", what, wasihost_error_message(err),
            wasihost_error_kind_name(wasihost_error_kind(err)));
    wasihost_error_delete(err);
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: embed FILE.wasm DIR [ARGS...]\n");
        return 2;
    }
    const char *path = argv[1], *dir = argv[2];
    struct out_state out = {1, 0};
    wasihost_engine_t *engine = NULL;
    wasihost_module_t *module = NULL;
    wasihost_instance_t *instance = NULL;
    wasihost_error_t *err;
    int status = 1;

    /* 1. A config says what the guest may use; by default nothing. Every
     *    string is (pointer, length) and is copied by the call. */
    wasihost_config_t *config = wasihost_config_new();
    if (!config)
        return 1;
    /* argv[0] for the guest, then the rest of our command line. */
    if ((err = wasihost_config_push_arg(config, (const uint8_t *)"guest", 5))) {
        status = fail("push_arg", err);
        goto done;
    }
    for (int i = 3; i < argc; i++) {
        if ((err = wasihost_config_push_arg(config, (const uint8_t *)argv[i], strlen(argv[i])))) {
            status = fail("push_arg", err);
            goto done;
        }
    }
    /* DIR, read-only, at /data: a missing directory fails here. */
    if ((err = wasihost_config_preopen_dir(config, (const uint8_t *)dir, strlen(dir),
                                           (const uint8_t *)"/data", 5,
                                           WASIHOST_PREOPEN_READONLY))) {
        status = fail("preopen", err);
        goto done;
    }
    /* stdout through our callback. `out` outlives every instance, so there
     * is nothing to release: no finalizer. stderr goes to ours. */
    if ((err = wasihost_config_output_callback(config, WASIHOST_STDOUT, on_stdout, &out, NULL)) ||
        (err = wasihost_config_output_inherit(config, WASIHOST_STDERR))) {
        status = fail("output", err);
        goto done;
    }

    /* 2. An engine compiles modules; a module may be instantiated often. */
    if ((err = wasihost_engine_new(&engine))) {
        status = fail("engine", err);
        goto done;
    }
    if ((err = wasihost_module_from_file(engine, (const uint8_t *)path, strlen(path), &module))) {
        status = fail(path, err);
        goto done;
    }

    /* 3. An instance is one run of the module with the config's grants. */
    if ((err = wasihost_instance_new(module, config, &instance))) {
        status = fail("instantiate", err);
        goto done;
    }
    uint32_t code;
    if ((err = wasihost_instance_run(instance, &code))) {
        /* A trap, for instance; the message says why. */
        status = fail("run", err);
        goto done;
    }
    if (!out.at_line_start)
        putchar('\n'); /* end the guest's last, unfinished line */
    printf("embed: exit code %u, %llu bytes on stdout\n", (unsigned)code,
           (unsigned long long)out.bytes);
    status = code == 0 ? 0 : 1;

done:
    /* 4. Free everything; each _delete accepts NULL. */
    wasihost_instance_delete(instance);
    wasihost_module_delete(module);
    wasihost_engine_delete(engine);
    wasihost_config_delete(config);
    return status;
}
