/*
 * C helpers of the Go binding (trampolines.c). The library's callbacks
 * take `void *userdata`; the Go side passes a runtime/cgo.Handle, an
 * integer, which only C turns into a pointer (go vet rightly flags a
 * uintptr-to-unsafe.Pointer conversion in Go).
 *
 * The instance functions record, in a thread-local, the cgo.Handle of the
 * Go call in progress on this thread: the Go callbacks receive it, so a
 * panic in a reader or writer is reported by the very call that ran the
 * guest, even when many instances share one config. The same goes for
 * call handlers, trace functions, clocks and random sources.
 */
#ifndef WASIHOST_GO_H
#define WASIHOST_GO_H

#include <stddef.h>
#include <stdint.h>

#include "wasihost.h"

wasihost_error_t *wasihost_go_output_writer(wasihost_config_t *config, wasihost_stream_t stream,
                                            uintptr_t handle);
wasihost_error_t *wasihost_go_stdin_reader(wasihost_config_t *config, uintptr_t handle);

/* A handle of 0 removes the handler (the trace) instead. */
wasihost_error_t *wasihost_go_set_call_handler(wasihost_config_t *config, const uint8_t *calls,
                                              size_t calls_len, uintptr_t handle);
wasihost_error_t *wasihost_go_set_trace(wasihost_config_t *config, const uint8_t *filter,
                                        size_t filter_len, uintptr_t handle);
wasihost_error_t *wasihost_go_set_clock(wasihost_config_t *config, uintptr_t handle,
                                        int with_sleep);
wasihost_error_t *wasihost_go_set_random(wasihost_config_t *config, uintptr_t handle);

wasihost_error_t *wasihost_go_instance_new(const wasihost_module_t *module,
                                           const wasihost_config_t *config,
                                           const wasihost_interrupt_handle_t *handle,
                                           wasihost_instance_t **instance_out, uintptr_t call);
wasihost_error_t *wasihost_go_instance_run(wasihost_instance_t *instance, uint32_t *exit_code_out,
                                           uintptr_t call);
wasihost_error_t *wasihost_go_instance_call(wasihost_instance_t *instance, const uint8_t *name,
                                            size_t name_len, const wasihost_val_t *args,
                                            size_t nargs, wasihost_val_t *results,
                                            size_t nresults, uintptr_t call);

#endif
