/*
 * The C driver of the call-handler benchmark (bench/hooks/run.py):
 *
 *   bench_c WASM DIR MODE N none|passthrough
 *
 * Runs bench/hooks/calls.c (MODE clock or open, N calls) with DIR
 * preopened at /b, and prints the guest's "ns_per_call=X" line. With
 * `passthrough`, one handler for clock_time_get and path_open calls the
 * default and returns its errno: the cost of the C trampoline.
 */
#include <stdio.h>
#include <string.h>

#include "wasihost.h"

#define B(s) (const uint8_t *)(s), strlen(s)

static int32_t passthrough(void *userdata, wasihost_call_t *call) {
    (void)userdata;
    return wasihost_call_default(call);
}

static int fail(const char *what, wasihost_error_t *err) {
    fprintf(stderr, "bench_c: %s: %s\n", what, wasihost_error_message(err));
    wasihost_error_delete(err);
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: bench_c WASM DIR MODE N none|passthrough\n");
        return 2;
    }
    wasihost_engine_t *engine = NULL;
    wasihost_module_t *module = NULL;
    wasihost_instance_t *inst = NULL;
    wasihost_error_t *err;
    if ((err = wasihost_engine_new(&engine)))
        return fail("engine", err);
    if ((err = wasihost_module_from_file(engine, B(argv[1]), &module)))
        return fail("module", err);
    wasihost_config_t *config = wasihost_config_new();
    const char *args[] = {"calls", argv[3], argv[4]};
    for (int i = 0; i < 3; i++)
        if ((err = wasihost_config_push_arg(config, B(args[i]))))
            return fail("arg", err);
    if ((err = wasihost_config_preopen_dir(config, B(argv[2]), B("/b"), 0)))
        return fail("preopen", err);
    if ((err = wasihost_config_output_capture(config, WASIHOST_STDOUT, 4096)))
        return fail("capture", err);
    if (strcmp(argv[5], "passthrough") == 0 &&
        (err = wasihost_config_set_call_handler(config, B("clock_time_get,path_open"),
                                                passthrough, NULL, NULL)))
        return fail("handler", err);
    uint32_t code = 0;
    if ((err = wasihost_instance_new(module, config, &inst)))
        return fail("instance", err);
    if ((err = wasihost_instance_run(inst, &code)))
        return fail("run", err);
    wasihost_capture_t out;
    if ((err = wasihost_instance_capture(inst, WASIHOST_STDOUT, &out)))
        return fail("capture", err);
    fwrite(out.data, 1, out.len, stdout);
    wasihost_instance_delete(inst);
    wasihost_config_delete(config);
    wasihost_module_delete(module);
    wasihost_engine_delete(engine);
    return (int)code;
}
