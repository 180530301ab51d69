/* Compile-only: the header as strict C99, included twice (its include
 * guard must make the second inclusion harmless), with every type and
 * constant used once. */
#include "wasihost.h"
#include "wasihost.h"

/* C99 has no static_assert: a negative array size fails the build. */
#define C99_ASSERT(name, cond) typedef char name[(cond) ? 1 : -1]

C99_ASSERT(kinds_distinct, WASIHOST_ERROR_KIND_INVALID_ARGUMENT != WASIHOST_ERROR_KIND_PANIC);
C99_ASSERT(streams, WASIHOST_STDIN == 0 && WASIHOST_STDOUT == 1 && WASIHOST_STDERR == 2);
C99_ASSERT(vals, WASIHOST_VAL_I32 != WASIHOST_VAL_F64);
C99_ASSERT(cache, WASIHOST_CACHE_HIT != WASIHOST_CACHE_NOT_STORED);
C99_ASSERT(flags, WASIHOST_PREOPEN_READONLY == 1 && WASIHOST_OUTPUT_APPEND == 1);

int header_c99_uses_everything(void);

int header_c99_uses_everything(void) {
    wasihost_val_t v;
    wasihost_capture_t cap;
    wasihost_bytes_t bytes;
    wasihost_cache_status_t st = WASIHOST_CACHE_MISS;
    wasihost_error_kind_t k = WASIHOST_ERROR_KIND_TRAP;
    wasihost_stream_t s = WASIHOST_STDOUT;
    wasihost_write_callback_t w = 0;
    wasihost_read_callback_t r = 0;
    wasihost_finalizer_t f = 0;
    wasihost_engine_t *e = 0;
    wasihost_module_t *m = 0;
    wasihost_config_t *c = 0;
    wasihost_instance_t *i = 0;
    wasihost_interrupt_handle_t *h = 0;
    wasihost_error_t *err = 0;
    v.kind = WASIHOST_VAL_F64;
    v.of.f64 = 1.5;
    cap.len = 0;
    bytes.len = 0;
    return (int)(v.kind + cap.len + bytes.len + st + k + s) + (w == 0) + (r == 0) + (f == 0) +
           (e == 0) + (m == 0) + (c == 0) + (i == 0) + (h == 0) + (err == 0);
}
