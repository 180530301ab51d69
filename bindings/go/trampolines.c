/*
 * The C side of the Go callbacks: trampolines with the exact signatures
 * the library expects, around the functions exported by callbacks.go. A
 * file with //export may only declare C functions in its preamble, so they
 * live here. See wasihost_go.h.
 */
#include "wasihost_go.h"

#include "_cgo_export.h"

/* The Go call (a cgo.Handle) running a guest on this thread, or 0. */
static _Thread_local uintptr_t current_call;

static int32_t write_trampoline(void *userdata, const uint8_t *data, size_t len) {
    return wasihostGoWrite((uintptr_t)userdata, (uint8_t *)data, len, current_call);
}

static int32_t read_trampoline(void *userdata, uint8_t *buf, size_t cap, size_t *nread_out) {
    return wasihostGoRead((uintptr_t)userdata, buf, cap, nread_out, current_call);
}

static void release_trampoline(void *userdata) { wasihostGoRelease((uintptr_t)userdata); }

static int32_t handler_trampoline(void *userdata, wasihost_call_t *call) {
    return wasihostGoHandle((uintptr_t)userdata, call, current_call);
}

static void trace_trampoline(void *userdata, const wasihost_call_t *call, const char *json,
                             size_t len) {
    /* The Go side only reads the call (the library refuses changes to it). */
    wasihostGoTrace((uintptr_t)userdata, (wasihost_call_t *)call, (char *)json, len, current_call);
}

static int32_t clock_now_trampoline(void *userdata, uint32_t clock_id, uint64_t *time_out) {
    return wasihostGoClockNow((uintptr_t)userdata, clock_id, time_out, current_call);
}

static int32_t clock_sleep_trampoline(void *userdata, uint64_t ns) {
    return wasihostGoClockSleep((uintptr_t)userdata, ns, current_call);
}

static int32_t random_trampoline(void *userdata, uint8_t *buf, size_t len) {
    return wasihostGoRandom((uintptr_t)userdata, buf, len, current_call);
}

wasihost_error_t *wasihost_go_output_writer(wasihost_config_t *config, wasihost_stream_t stream,
                                            uintptr_t handle) {
    return wasihost_config_output_callback(config, stream, write_trampoline, (void *)handle,
                                           release_trampoline);
}

wasihost_error_t *wasihost_go_stdin_reader(wasihost_config_t *config, uintptr_t handle) {
    return wasihost_config_stdin_callback(config, read_trampoline, (void *)handle,
                                          release_trampoline);
}

wasihost_error_t *wasihost_go_set_call_handler(wasihost_config_t *config, const uint8_t *calls,
                                              size_t calls_len, uintptr_t handle) {
    if (handle == 0) /* removes the handler of those calls */
        return wasihost_config_set_call_handler(config, calls, calls_len, NULL, NULL, NULL);
    return wasihost_config_set_call_handler(config, calls, calls_len, handler_trampoline,
                                            (void *)handle, release_trampoline);
}

wasihost_error_t *wasihost_go_set_trace(wasihost_config_t *config, const uint8_t *filter,
                                        size_t filter_len, uintptr_t handle) {
    if (handle == 0) /* removes the trace */
        return wasihost_config_set_trace_callback(config, filter, filter_len, NULL, NULL, NULL);
    return wasihost_config_set_trace_callback(config, filter, filter_len, trace_trampoline,
                                              (void *)handle, release_trampoline);
}

wasihost_error_t *wasihost_go_set_clock(wasihost_config_t *config, uintptr_t handle,
                                        int with_sleep) {
    return wasihost_config_set_clock(config, clock_now_trampoline,
                                     with_sleep ? clock_sleep_trampoline : NULL, (void *)handle,
                                     release_trampoline);
}

wasihost_error_t *wasihost_go_set_random(wasihost_config_t *config, uintptr_t handle) {
    return wasihost_config_set_random_callback(config, random_trampoline, (void *)handle,
                                               release_trampoline);
}

wasihost_error_t *wasihost_go_instance_new(const wasihost_module_t *module,
                                           const wasihost_config_t *config,
                                           const wasihost_interrupt_handle_t *handle,
                                           wasihost_instance_t **instance_out, uintptr_t call) {
    /* Saved and restored: a Go writer may itself run another guest. */
    uintptr_t saved = current_call;
    current_call = call;
    /* A NULL handle (an engine without interruption) is wasihost_instance_new. */
    wasihost_error_t *err = wasihost_instance_new_with_handle(module, config, handle, instance_out);
    current_call = saved;
    return err;
}

wasihost_error_t *wasihost_go_instance_run(wasihost_instance_t *instance, uint32_t *exit_code_out,
                                           uintptr_t call) {
    uintptr_t saved = current_call;
    current_call = call;
    wasihost_error_t *err = wasihost_instance_run(instance, exit_code_out);
    current_call = saved;
    return err;
}

wasihost_error_t *wasihost_go_instance_call(wasihost_instance_t *instance, const uint8_t *name,
                                            size_t name_len, const wasihost_val_t *args,
                                            size_t nargs, wasihost_val_t *results,
                                            size_t nresults, uintptr_t call) {
    uintptr_t saved = current_call;
    current_call = call;
    wasihost_error_t *err =
        wasihost_instance_call(instance, name, name_len, args, nargs, results, nresults);
    current_call = saved;
    return err;
}
