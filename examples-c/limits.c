/*
 * limits: bounding a guest with the wasihost C API. Five short scenes,
 * each with a small WAT module, each printing how the guest ended:
 *
 *   1. a timeout stops an endless loop        (an interruptible engine)
 *   2. a memory cap refuses a memory.grow     (any engine)
 *   3. another thread interrupts a start function that never returns,
 *      through a handle made before instantiation
 *   4. fuel stops a long count                (an engine with fuel)
 *   5. a trap, and its code
 *
 * Exits 0 when every guest ended as expected, else 1. Build it with
 *   cc -pthread limits.c $(pkg-config --cflags --libs wasihost)
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "wasihost.h"

#define B(s) (const uint8_t *)(s), strlen(s)

/* An endless loop. */
static const char SPIN[] = "(module (func (export \"_start\") (loop $l (br $l))))";

/* Asks for 32 more pages (2 MiB) of memory; if refused, exits with 3. */
static const char GROW[] =
    "(module\n"
    "  (import \"wasi_snapshot_preview1\" \"proc_exit\" (func $exit (param i32)))\n"
    "  (memory (export \"memory\") 1)\n"
    "  (func (export \"_start\")\n"
    "    (if (i32.eq (memory.grow (i32.const 32)) (i32.const -1))\n"
    "      (then (call $exit (i32.const 3))))))\n";

/* A start function that never returns: it runs during instantiation. */
static const char START_LOOP[] =
    "(module\n"
    "  (func $forever (loop $l (br $l)))\n"
    "  (start $forever)\n"
    "  (func (export \"_start\")))\n";

/* Counts to 100 million. */
static const char COUNT[] =
    "(module (func (export \"_start\") (local $i i32)\n"
    "  (loop $l\n"
    "    (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
    "    (br_if $l (i32.lt_u (local.get $i) (i32.const 100000000))))))\n";

static const char TRAP[] = "(module (func (export \"_start\") unreachable))";

static int failures;

/* Compares how a guest ended with what the scene expects; prints both. */
static void outcome(const char *scene, wasihost_error_t *err, wasihost_error_kind_t want) {
    wasihost_error_kind_t got = err ? wasihost_error_kind(err) : 0;
    const char *msg = err ? wasihost_error_message(err) : "";
    /* The first line: a trap's message goes on with a wasm backtrace. */
    printf("%-34s %s%s%.*s\n", scene, err ? wasihost_error_kind_name(got) : "returned",
           err ? ": " : "", (int)strcspn(msg, "\n"), msg);
    if (got != want) {
        printf("  expected: %s\n", want ? wasihost_error_kind_name(want) : "success");
        failures++;
    }
    wasihost_error_delete(err);
}

/* A failed setup call: report and count it. Returns whether it succeeded. */
static int ok(const char *what, wasihost_error_t *err) {
    if (!err)
        return 1;
    printf("%s: %s\n", what, wasihost_error_message(err));
    wasihost_error_delete(err);
    failures++;
    return 0;
}

/* Instantiates `wat` on `engine` with `config` and runs it; gives the
 * error (NULL when `_start` returned) and the exit code. */
static wasihost_error_t *run_wat(const wasihost_engine_t *engine, const char *wat,
                                 const wasihost_config_t *config, wasihost_instance_t **inst,
                                 uint32_t *code) {
    wasihost_module_t *module = NULL;
    wasihost_error_t *err = wasihost_module_from_wat(engine, B(wat), &module);
    if (!err)
        err = wasihost_instance_new(module, config, inst);
    if (!err)
        err = wasihost_instance_run(*inst, code);
    wasihost_module_delete(module); /* an instance keeps what it needs */
    return err;
}

/* Scene 3: instantiation on another thread, stopped from this one. */
struct starter {
    const wasihost_module_t *module;
    const wasihost_config_t *config;
    const wasihost_interrupt_handle_t *handle;
    wasihost_error_t *err;
};

static void *start(void *arg) {
    struct starter *s = arg;
    wasihost_instance_t *inst = NULL;
    s->err = wasihost_instance_new_with_handle(s->module, s->config, s->handle, &inst);
    wasihost_instance_delete(inst); /* NULL: it never finished */
    return NULL;
}

int main(void) {
    wasihost_engine_t *engine = NULL, *fuel_engine = NULL;
    wasihost_config_t *config = NULL;
    wasihost_instance_t *inst = NULL;
    uint32_t code = 0;

    /* Interruption is opt-in: it compiles a check into every loop and
     * function of the guest, which costs time. Only an engine made with
     * WASIHOST_ENGINE_INTERRUPTIBLE accepts a timeout or an interrupt
     * handle (others refuse them with a CONFIG error at instantiation). */
    if (!ok("engine", wasihost_engine_new_with_flags(WASIHOST_ENGINE_INTERRUPTIBLE, &engine)))
        return 1;

    /* The limits live in the config, like the rest of what the guest
     * gets: a timeout for each entry into the guest (instantiation, each
     * run, each call) and a cap on all its memories together. */
    config = wasihost_config_new();
    ok("timeout", wasihost_config_set_timeout_ns(config, 100 * 1000 * 1000)); /* 100 ms */
    ok("memory cap", wasihost_config_set_max_memory(config, 1 << 20));       /* 1 MiB */

    /* 1. The endless loop ends with a TIMEOUT error. */
    outcome("1. endless loop, 100 ms timeout:", run_wat(engine, SPIN, config, &inst, &code),
            WASIHOST_ERROR_KIND_TIMEOUT);
    wasihost_instance_delete(inst);
    inst = NULL;

    /* 2. Past the cap, memory.grow returns -1, as wasm allows; the guest
     *    decides what to do (here: exit 3). The instance remembers. */
    code = 0;
    outcome("2. memory.grow past a 1 MiB cap:", run_wat(engine, GROW, config, &inst, &code), 0);
    int reached = wasihost_instance_memory_limit_reached(inst);
    printf("   exit code %" PRIu32 ", memory limit reached: %s\n", code, reached ? "yes" : "no");
    if (code != 3 || !reached)
        failures++;
    wasihost_instance_delete(inst);
    inst = NULL;
    wasihost_config_delete(config);

    /* 3. A start function runs inside instantiation, before there is an
     *    instance to ask for a handle: make the handle first and
     *    instantiate under it. Interrupting it from any thread stops the
     *    guest at its next loop iteration or function entry, or at once
     *    when it waits in a host call (a sleep, a read of a pipe). */
    wasihost_interrupt_handle_t *handle = NULL;
    wasihost_module_t *module = NULL;
    config = wasihost_config_new(); /* no timeout this time */
    if (ok("handle", wasihost_interrupt_handle_new(&handle)) &&
        ok("module", wasihost_module_from_wat(engine, B(START_LOOP), &module))) {
        struct starter s = {module, config, handle, NULL};
        pthread_t thread;
        if (pthread_create(&thread, NULL, start, &s) == 0) {
            struct timespec pause = {0, 50 * 1000 * 1000};
            nanosleep(&pause, NULL); /* let it spin a little; earlier works too */
            wasihost_interrupt_handle_interrupt(handle);
            pthread_join(thread, NULL);
            outcome("3. start function, interrupted:", s.err, WASIHOST_ERROR_KIND_INTERRUPTED);
        } else {
            printf("pthread_create failed\n");
            failures++;
        }
    }
    wasihost_module_delete(module);
    wasihost_interrupt_handle_delete(handle);

    /* 4. Fuel: about one unit per wasm instruction, for the instance's
     *    whole life; needs an engine with WASIHOST_ENGINE_FUEL. */
    if (ok("fuel engine", wasihost_engine_new_with_flags(WASIHOST_ENGINE_FUEL, &fuel_engine))) {
        ok("fuel", wasihost_config_set_fuel(config, 1000000));
        outcome("4. count to 1e8 on 1e6 fuel:", run_wat(fuel_engine, COUNT, config, &inst, &code),
                WASIHOST_ERROR_KIND_FUEL_EXHAUSTED);
        uint64_t left = 0;
        if (wasihost_instance_fuel_left(inst, &left))
            printf("   fuel left: %" PRIu64 "\n", left);
        wasihost_instance_delete(inst);
        inst = NULL;
    }
    wasihost_config_delete(config);

    /* 5. A trap, with its kind as a code (no need to parse the message).
     *    The plain engine: this guest needs no limit. */
    wasihost_engine_t *plain = NULL;
    if (ok("plain engine", wasihost_engine_new(&plain))) {
        config = wasihost_config_new();
        wasihost_error_t *err = run_wat(plain, TRAP, config, &inst, &code);
        wasihost_trap_code_t trap = WASIHOST_TRAP_OTHER;
        int is_trap = wasihost_error_trap_code(err, &trap); /* false if not a trap */
        outcome("5. unreachable:", err, WASIHOST_ERROR_KIND_TRAP);
        printf("   trap code: %u%s\n", (unsigned)trap,
               is_trap && trap == WASIHOST_TRAP_UNREACHABLE ? " (WASIHOST_TRAP_UNREACHABLE)" : "");
        if (!is_trap || trap != WASIHOST_TRAP_UNREACHABLE)
            failures++;
        wasihost_instance_delete(inst);
        wasihost_config_delete(config);
        wasihost_engine_delete(plain);
    }

    wasihost_engine_delete(fuel_engine);
    wasihost_engine_delete(engine);
    printf("limits: %s\n", failures ? "UNEXPECTED OUTCOMES" : "every guest ended as expected");
    return failures ? 1 : 0;
}
