// The header as C++11 (pedantic), included twice, and linked: every
// function is referenced, so a name that is not extern "C" fails the link.
// Run, it calls a few functions that need no wasm.
#include "wasihost.h"
#include "wasihost.h"

#include <cstdio>
#include <cstring>

static_assert(WASIHOST_ERROR_KIND_PANIC == 10, "error kinds");
static_assert(WASIHOST_ERROR_KIND_MEMORY_LIMIT == 13, "error kinds");
static_assert(WASIHOST_ENGINE_INTERRUPTIBLE == 1 && WASIHOST_ENGINE_FUEL == 2, "engine flags");
static_assert(WASIHOST_TRAP_HOST_PANIC == 12, "trap codes");
static_assert(sizeof(wasihost_valunion_t) == 8, "the value union holds an i64/f64");

typedef void (*any_fn)();

int main() {
    const any_fn all[] = {
        reinterpret_cast<any_fn>(&wasihost_version),
        reinterpret_cast<any_fn>(&wasihost_config_new),
        reinterpret_cast<any_fn>(&wasihost_config_delete),
        reinterpret_cast<any_fn>(&wasihost_config_push_arg),
        reinterpret_cast<any_fn>(&wasihost_config_set_env),
        reinterpret_cast<any_fn>(&wasihost_config_inherit_env),
        reinterpret_cast<any_fn>(&wasihost_config_inherit_env_var),
        reinterpret_cast<any_fn>(&wasihost_config_preopen_dir),
        reinterpret_cast<any_fn>(&wasihost_config_set_max_open_fds),
        reinterpret_cast<any_fn>(&wasihost_config_stdin_inherit),
        reinterpret_cast<any_fn>(&wasihost_config_stdin_null),
        reinterpret_cast<any_fn>(&wasihost_config_stdin_bytes),
        reinterpret_cast<any_fn>(&wasihost_config_stdin_file),
        reinterpret_cast<any_fn>(&wasihost_config_stdin_fd),
        reinterpret_cast<any_fn>(&wasihost_config_stdin_callback),
        reinterpret_cast<any_fn>(&wasihost_config_output_inherit),
        reinterpret_cast<any_fn>(&wasihost_config_output_null),
        reinterpret_cast<any_fn>(&wasihost_config_output_file),
        reinterpret_cast<any_fn>(&wasihost_config_output_fd),
        reinterpret_cast<any_fn>(&wasihost_config_output_capture),
        reinterpret_cast<any_fn>(&wasihost_config_output_callback),
        reinterpret_cast<any_fn>(&wasihost_engine_new),
        reinterpret_cast<any_fn>(&wasihost_engine_delete),
        reinterpret_cast<any_fn>(&wasihost_error_kind),
        reinterpret_cast<any_fn>(&wasihost_error_message),
        reinterpret_cast<any_fn>(&wasihost_error_errno),
        reinterpret_cast<any_fn>(&wasihost_error_exit_code),
        reinterpret_cast<any_fn>(&wasihost_error_kind_name),
        reinterpret_cast<any_fn>(&wasihost_error_delete),
        reinterpret_cast<any_fn>(&wasihost_instance_new),
        reinterpret_cast<any_fn>(&wasihost_instance_run),
        reinterpret_cast<any_fn>(&wasihost_instance_call),
        reinterpret_cast<any_fn>(&wasihost_instance_capture),
        reinterpret_cast<any_fn>(&wasihost_instance_interrupt_handle),
        reinterpret_cast<any_fn>(&wasihost_interrupt_handle_interrupt),
        reinterpret_cast<any_fn>(&wasihost_interrupt_handle_delete),
        reinterpret_cast<any_fn>(&wasihost_instance_delete),
        reinterpret_cast<any_fn>(&wasihost_module_new),
        reinterpret_cast<any_fn>(&wasihost_module_from_wat),
        reinterpret_cast<any_fn>(&wasihost_module_from_file),
        reinterpret_cast<any_fn>(&wasihost_module_new_cached),
        reinterpret_cast<any_fn>(&wasihost_module_serialize),
        reinterpret_cast<any_fn>(&wasihost_module_deserialize),
        reinterpret_cast<any_fn>(&wasihost_module_has_export),
        reinterpret_cast<any_fn>(&wasihost_bytes_delete),
        reinterpret_cast<any_fn>(&wasihost_module_delete),
        reinterpret_cast<any_fn>(&wasihost_config_set_timeout_ns),
        reinterpret_cast<any_fn>(&wasihost_config_set_fuel),
        reinterpret_cast<any_fn>(&wasihost_config_set_max_memory),
        reinterpret_cast<any_fn>(&wasihost_config_set_max_table_elements),
        reinterpret_cast<any_fn>(&wasihost_engine_new_with_flags),
        reinterpret_cast<any_fn>(&wasihost_engine_flags),
        reinterpret_cast<any_fn>(&wasihost_error_trap_code),
        reinterpret_cast<any_fn>(&wasihost_instance_new_with_handle),
        reinterpret_cast<any_fn>(&wasihost_instance_set_timeout_ns),
        reinterpret_cast<any_fn>(&wasihost_instance_memory_limit_reached),
        reinterpret_cast<any_fn>(&wasihost_instance_fuel_left),
        reinterpret_cast<any_fn>(&wasihost_interrupt_handle_new),
        reinterpret_cast<any_fn>(&wasihost_interrupt_handle_is_interrupted),
        reinterpret_cast<any_fn>(&wasihost_module_new_cached_flags),
    };
    for (const any_fn f : all) {
        if (f == nullptr) {
            std::printf("header_cxx: a function has no address\n");
            return 1;
        }
    }
    const char *v = wasihost_version();
    wasihost_error_t *e = wasihost_engine_new(nullptr);
    bool ok = v != nullptr && v[0] != '\0' &&
              wasihost_error_kind(e) == WASIHOST_ERROR_KIND_INVALID_ARGUMENT &&
              std::strcmp(wasihost_error_kind_name(WASIHOST_ERROR_KIND_TRAP), "trap") == 0;
    wasihost_error_delete(e);
    std::printf("header_cxx: header OK as C99 and C++11; %zu functions linked from C++ (%s)\n",
                sizeof all / sizeof all[0], ok ? "calls OK" : "calls FAILED");
    return ok ? 0 : 1;
}
