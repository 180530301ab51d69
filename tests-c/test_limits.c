/*
 * Limits: timeouts and interrupts that stop a guest wherever it is (a
 * start function that never returns, a sleep, a read of a pipe that never
 * delivers, an endless loop), the memory cap, fuel, the engine flags that
 * make them possible, and trap codes.
 *
 * Guests: ../tests/guests/limits.c (compiled by the Makefile into the guest
 * directory; modes spin, sleep, read, grow, count) and
 * ../tests/guests/start_loop.wat (copied there).
 *
 * No timing is asserted: a guest that should stop runs on a thread and the
 * test waits for it at most WAIT_LIMIT_S (only so that a bug fails the run
 * instead of hanging it). An interrupt comes after a short pause so that
 * the guest is most likely inside its wait; one that comes earlier must
 * stop it all the same.
 */
#include "util.h"

#include <time.h>

#define WAIT_LIMIT_S 20
#define TIMEOUT_NS (100ull * 1000 * 1000) /* 100 ms */

/* Engines with interruption, and with fuel metering (g_engine, the
 * default one, has neither). */
static wasihost_engine_t *g_int_engine;
static wasihost_engine_t *g_fuel_engine;

/* The guest `name` of the guest directory (limits.wasm, start_loop.wat),
 * compiled by `engine`. */
static wasihost_module_t *load(const wasihost_engine_t *engine, const char *file) {
    const char *dir = check_guest_dir ? check_guest_dir : "guests";
    char *path = path_join(dir, file);
    wasihost_module_t *m = NULL;
    wasihost_error_t *e = wasihost_module_from_file(engine, B(path), &m);
    if (e != NULL) {
        char buf[4096];
        check_describe(e, buf, sizeof buf);
        check_fail(__FILE__, __LINE__, "loading %s (set WASIHOST_TEST_GUESTS): %s", path, buf);
        wasihost_error_delete(e);
    }
    free(path);
    return m;
}

/* A config running limits.wasm with MODE [ARG], stdout and stderr
 * captured, stdin empty. */
static wasihost_config_t *limits_config(const char *mode, const char *arg) {
    wasihost_config_t *c = capture_config();
    CHECK_OK(wasihost_config_push_arg(c, B("limits")));
    CHECK_OK(wasihost_config_push_arg(c, B(mode)));
    if (arg != NULL)
        CHECK_OK(wasihost_config_push_arg(c, B(arg)));
    CHECK_OK(wasihost_config_stdin_null(c));
    return c;
}

/* ---- a guest on a thread, waited for with a bound ----------------------- */

struct job {
    const wasihost_module_t *module;
    const wasihost_config_t *config;
    const wasihost_interrupt_handle_t *handle; /* for instance_new_with_handle */
    bool run;                                  /* then run _start */
    /* Results. */
    wasihost_instance_t *inst;
    wasihost_interrupt_handle_t *own_handle; /* the instance's, once it exists */
    wasihost_error_t *err;
    uint32_t code;
    /* Progress. */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool instantiated, done;
};

static void *job_main(void *arg) {
    struct job *j = arg;
    wasihost_instance_t *inst = NULL;
    wasihost_interrupt_handle_t *h = NULL;
    wasihost_error_t *err = wasihost_instance_new_with_handle(j->module, j->config, j->handle,
                                                              &inst);
    if (err == NULL && j->handle == NULL) /* fails on an engine without interruption */
        wasihost_error_delete(wasihost_instance_interrupt_handle(inst, &h));
    pthread_mutex_lock(&j->mu);
    j->inst = inst;
    j->own_handle = h;
    j->instantiated = true;
    pthread_cond_broadcast(&j->cv);
    pthread_mutex_unlock(&j->mu);
    if (err == NULL && j->run)
        err = wasihost_instance_run(inst, &j->code);
    pthread_mutex_lock(&j->mu);
    j->err = err;
    j->done = true;
    pthread_cond_broadcast(&j->cv);
    pthread_mutex_unlock(&j->mu);
    return NULL;
}

static void job_start(struct job *j, pthread_t *t) {
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->cv, NULL);
    j->code = 4242;
    if (pthread_create(t, NULL, job_main, j) != 0) {
        printf("pthread_create failed\n");
        exit(1);
    }
}

/* Waits until *flag is set, at most WAIT_LIMIT_S; a guest still running
 * then cannot be stopped, so the whole run fails. */
static void job_wait(struct job *j, bool *flag, const char *what) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += WAIT_LIMIT_S;
    pthread_mutex_lock(&j->mu);
    while (!*flag) {
        if (pthread_cond_timedwait(&j->cv, &j->mu, &until) == ETIMEDOUT && !*flag) {
            printf("FAIL [%s]: the guest did not stop (%s) within %d s\n", check_test_name,
                   what, WAIT_LIMIT_S);
            fflush(stdout);
            _exit(1);
        }
    }
    pthread_mutex_unlock(&j->mu);
}

static void job_finish(struct job *j, pthread_t t) {
    job_wait(j, &j->done, "done");
    pthread_join(t, NULL);
    wasihost_interrupt_handle_delete(j->own_handle);
    wasihost_instance_delete(j->inst);
    pthread_mutex_destroy(&j->mu);
    pthread_cond_destroy(&j->cv);
}

static void pause_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- what each case runs --------------------------------------------------- */

enum wait_kind { W_START, W_SLEEP, W_READ, W_SPIN };
static const char *const WAIT_NAMES[] = {"start function", "sleep 100", "read of a silent pipe",
                                         "endless loop"};

/* Sets up the module and config of one case; `pipe_fds` gets the pipe of
 * W_READ (its write end stays open: the read never ends by itself). */
static void wait_case(enum wait_kind w, wasihost_module_t **m, wasihost_config_t **c,
                      int pipe_fds[2]) {
    pipe_fds[0] = pipe_fds[1] = -1;
    switch (w) {
    case W_START:
        *m = load(g_int_engine, "start_loop.wat");
        *c = capture_config();
        break;
    case W_SLEEP:
        *m = load(g_int_engine, "limits.wasm");
        *c = limits_config("sleep", "100");
        break;
    case W_READ:
        *m = load(g_int_engine, "limits.wasm");
        *c = limits_config("read", NULL);
        CHECK(pipe(pipe_fds) == 0);
        CHECK_OK(wasihost_config_stdin_fd(*c, pipe_fds[0]));
        break;
    case W_SPIN:
        *m = load(g_int_engine, "limits.wasm");
        *c = limits_config("spin", NULL);
        break;
    }
}

static void close_pipe(int fds[2]) {
    for (int i = 0; i < 2; i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

/* A 100 ms timeout stops each: the start function at instantiation, the
 * others in their run. */
static void test_timeout_stops_each_wait(void) {
    for (int w = W_START; w <= W_SPIN; w++) {
        wasihost_module_t *m = NULL;
        wasihost_config_t *c = NULL;
        int fds[2];
        wait_case((enum wait_kind)w, &m, &c, fds);
        REQUIRE(m != NULL && c != NULL);
        CHECK_OK(wasihost_config_set_timeout_ns(c, TIMEOUT_NS));
        struct job j;
        memset(&j, 0, sizeof j);
        j.module = m;
        j.config = c;
        j.run = w != W_START;
        pthread_t t;
        job_start(&j, &t);
        job_wait(&j, &j.done, WAIT_NAMES[w]);
        CHECK_MSG(wasihost_error_kind(j.err) == WASIHOST_ERROR_KIND_TIMEOUT,
                  "%s: error kind %u (%s), want timeout: %s", WAIT_NAMES[w],
                  (unsigned)wasihost_error_kind(j.err),
                  wasihost_error_kind_name(wasihost_error_kind(j.err)),
                  j.err ? wasihost_error_message(j.err) : "(success)");
        if (w == W_START)
            CHECK(j.inst == NULL);
        else
            CHECK_EQ_U(j.code, 4242);
        /* A timeout is not a trap. */
        wasihost_trap_code_t code = 77;
        CHECK(!wasihost_error_trap_code(j.err, &code));
        CHECK_EQ_U(code, 77);
        wasihost_error_delete(j.err);
        job_finish(&j, t);
        close_pipe(fds);
        wasihost_config_delete(c);
        wasihost_module_delete(m);
    }
}

/* An interrupt from another thread stops each; the start function through
 * a handle made before instantiation, the others through the instance's
 * own handle. */
static void test_interrupt_stops_each_wait(void) {
    for (int w = W_START; w <= W_SPIN; w++) {
        wasihost_module_t *m = NULL;
        wasihost_config_t *c = NULL;
        int fds[2];
        wait_case((enum wait_kind)w, &m, &c, fds);
        REQUIRE(m != NULL && c != NULL);
        wasihost_interrupt_handle_t *pre = NULL;
        if (w == W_START) {
            REQUIRE(CHECK_OK(wasihost_interrupt_handle_new(&pre)));
            CHECK(!wasihost_interrupt_handle_is_interrupted(pre));
        }
        struct job j;
        memset(&j, 0, sizeof j);
        j.module = m;
        j.config = c;
        j.handle = pre;
        j.run = w != W_START;
        pthread_t t;
        job_start(&j, &t);
        const wasihost_interrupt_handle_t *h = pre;
        if (w != W_START) {
            job_wait(&j, &j.instantiated, "instantiation");
            h = j.own_handle;
            CHECK(h != NULL);
        }
        pause_ms(100); /* most likely inside its wait by now */
        wasihost_interrupt_handle_interrupt(h);
        CHECK(wasihost_interrupt_handle_is_interrupted(h));
        job_wait(&j, &j.done, WAIT_NAMES[w]);
        CHECK_MSG(wasihost_error_kind(j.err) == WASIHOST_ERROR_KIND_INTERRUPTED,
                  "%s: error kind %u (%s), want interrupted: %s", WAIT_NAMES[w],
                  (unsigned)wasihost_error_kind(j.err),
                  wasihost_error_kind_name(wasihost_error_kind(j.err)),
                  j.err ? wasihost_error_message(j.err) : "(success)");
        if (w == W_START)
            CHECK(j.inst == NULL);
        else
            CHECK_EQ_U(j.code, 4242);
        wasihost_error_delete(j.err);
        job_finish(&j, t);
        wasihost_interrupt_handle_delete(pre);
        close_pipe(fds);
        wasihost_config_delete(c);
        wasihost_module_delete(m);
    }
}

/* The timeout applies anew to each entry: a quick run under it succeeds,
 * and wasihost_instance_set_timeout_ns gives a later run one. */
static void test_timeout_per_entry(void) {
    wasihost_module_t *m = load(g_int_engine, "limits.wasm");
    REQUIRE(m != NULL);
    wasihost_config_t *c = limits_config("count", "1000");
    CHECK_OK(wasihost_config_set_timeout_ns(c, 20ull * 1000 * 1000 * 1000));
    struct run_out r;
    if (CHECK_OK(run_captured(m, c, &r))) {
        CHECK_EQ_U(r.code, 0);
        CHECK_STR_EQ(r.out, "counted 1000\n");
    }
    run_out_free(&r);
    wasihost_config_delete(c);

    /* No timeout in the config; one set on the instance stops its run. */
    c = limits_config("spin", NULL);
    wasihost_instance_t *inst = NULL;
    REQUIRE(CHECK_OK(wasihost_instance_new(m, c, &inst)));
    CHECK_OK(wasihost_instance_set_timeout_ns(inst, TIMEOUT_NS));
    uint32_t code = 4242;
    /* On the test's thread: the alarm bounds it (its default action ends
     * the run). */
    unsigned alarm_left = alarm(WAIT_LIMIT_S);
    CHECK_ERR(wasihost_instance_run(inst, &code), WASIHOST_ERROR_KIND_TIMEOUT, NULL);
    alarm(alarm_left);
    CHECK_EQ_U(code, 4242);
    wasihost_instance_delete(inst);
    wasihost_config_delete(c);
    wasihost_module_delete(m);
}

/* ---- memory ---------------------------------------------------------------- */

static void test_memory_cap(void) {
    wasihost_module_t *m = guest_module("limits");
    REQUIRE(m != NULL);
    /* Under the cap, malloc fails: the guest says so and exits 3. */
    wasihost_config_t *c = limits_config("grow", "1000");
    CHECK_OK(wasihost_config_set_max_memory(c, 64ull << 20));
    wasihost_instance_t *inst = NULL;
    REQUIRE(CHECK_OK(wasihost_instance_new(m, c, &inst)));
    CHECK(!wasihost_instance_memory_limit_reached(inst));
    uint32_t code = 4242;
    CHECK_OK(wasihost_instance_run(inst, &code));
    CHECK_EQ_U(code, 3);
    size_t len = 0;
    char *out = capture_dup(inst, WASIHOST_STDOUT, &len);
    CHECK(out != NULL && strstr(out, "then refused\n") != NULL);
    free(out);
    CHECK(wasihost_instance_memory_limit_reached(inst));
    wasihost_instance_delete(inst);
    wasihost_config_delete(c);

    /* The default cap (4 GiB) lets it have 10 MiB. */
    c = limits_config("grow", "10");
    REQUIRE(CHECK_OK(wasihost_instance_new(m, c, &inst)));
    CHECK_OK(wasihost_instance_run(inst, &code));
    CHECK_EQ_U(code, 0);
    out = capture_dup(inst, WASIHOST_STDOUT, &len);
    CHECK_STR_EQ(out, "grew 10 MiB\n");
    free(out);
    CHECK(!wasihost_instance_memory_limit_reached(inst));
    wasihost_instance_delete(inst);
    wasihost_config_delete(c);
    CHECK(!wasihost_instance_memory_limit_reached(NULL));
    wasihost_module_delete(m);
}

/* A module whose memory, as declared, is above the cap cannot be
 * instantiated. */
static void test_memory_declared_above_cap(void) {
    wasihost_module_t *m = wat_module("(module (memory 2000) (func (export \"_start\")))");
    REQUIRE(m != NULL);
    wasihost_config_t *c = capture_config();
    CHECK_OK(wasihost_config_set_max_memory(c, 64ull << 20)); /* 2000 pages: 125 MiB */
    wasihost_instance_t *inst = NULL;
    CHECK_ERR(wasihost_instance_new(m, c, &inst), WASIHOST_ERROR_KIND_MEMORY_LIMIT, NULL);
    CHECK(inst == NULL);
    /* Under the default cap it fits. */
    wasihost_config_delete(c);
    c = capture_config();
    if (CHECK_OK(wasihost_instance_new(m, c, &inst))) {
        uint32_t code = 4242;
        CHECK_OK(wasihost_instance_run(inst, &code));
        CHECK_EQ_U(code, 0);
    }
    wasihost_instance_delete(inst);
    wasihost_config_delete(c);
    wasihost_module_delete(m);
}

/* ---- fuel -------------------------------------------------------------------- */

static void test_fuel(void) {
    wasihost_module_t *m = load(g_fuel_engine, "limits.wasm");
    REQUIRE(m != NULL);
    CHECK_EQ_U(wasihost_engine_flags(g_fuel_engine), WASIHOST_ENGINE_FUEL);

    wasihost_config_t *c = limits_config("count", "100000");
    CHECK_OK(wasihost_config_set_fuel(c, 10000));
    wasihost_instance_t *inst = NULL;
    REQUIRE(CHECK_OK(wasihost_instance_new(m, c, &inst)));
    uint32_t code = 4242;
    CHECK_ERR(wasihost_instance_run(inst, &code), WASIHOST_ERROR_KIND_FUEL_EXHAUSTED, NULL);
    CHECK_EQ_U(code, 4242);
    uint64_t left = 12345;
    CHECK(wasihost_instance_fuel_left(inst, &left));
    CHECK_EQ_U(left, 0);
    wasihost_instance_delete(inst);
    wasihost_config_delete(c);

    const uint64_t budget = 100000000;
    c = limits_config("count", "100000");
    CHECK_OK(wasihost_config_set_fuel(c, budget));
    REQUIRE(CHECK_OK(wasihost_instance_new(m, c, &inst)));
    left = 0;
    CHECK(wasihost_instance_fuel_left(inst, &left));
    CHECK(left <= budget && left > budget / 2);
    uint64_t before = left;
    CHECK_OK(wasihost_instance_run(inst, &code));
    CHECK_EQ_U(code, 0);
    size_t len = 0;
    char *out = capture_dup(inst, WASIHOST_STDOUT, &len);
    CHECK_STR_EQ(out, "counted 100000\n");
    free(out);
    CHECK(wasihost_instance_fuel_left(inst, &left));
    /* Counting to 100000 takes at least one unit a step. */
    CHECK_MSG(left > 0 && left + 100000 <= before, "fuel left %llu of %llu",
              (unsigned long long)left, (unsigned long long)before);
    CHECK(!wasihost_instance_fuel_left(inst, NULL));
    CHECK(!wasihost_instance_fuel_left(NULL, &left));
    wasihost_instance_delete(inst);
    wasihost_config_delete(c);
    wasihost_module_delete(m);

    /* No fuel on an engine without metering. */
    m = guest_module("limits");
    REQUIRE(m != NULL);
    c = limits_config("count", "10");
    REQUIRE(CHECK_OK(wasihost_instance_new(m, c, &inst)));
    left = 12345;
    CHECK(!wasihost_instance_fuel_left(inst, &left));
    CHECK_EQ_U(left, 12345);
    wasihost_instance_delete(inst);
    wasihost_config_delete(c);
    wasihost_module_delete(m);
}

/* ---- what each engine allows -------------------------------------------------- */

static void test_engine_flags(void) {
    CHECK_EQ_U(wasihost_engine_flags(g_engine), 0);
    CHECK_EQ_U(wasihost_engine_flags(g_int_engine), WASIHOST_ENGINE_INTERRUPTIBLE);
    CHECK_EQ_U(wasihost_engine_flags(NULL), 0);
    wasihost_engine_t *e = NULL;
    if (CHECK_OK(wasihost_engine_new_with_flags(
            WASIHOST_ENGINE_INTERRUPTIBLE | WASIHOST_ENGINE_FUEL, &e)))
        CHECK_EQ_U(wasihost_engine_flags(e), WASIHOST_ENGINE_INTERRUPTIBLE | WASIHOST_ENGINE_FUEL);
    wasihost_engine_delete(e);
    e = NULL;
    if (CHECK_OK(wasihost_engine_new_with_flags(0, &e)))
        CHECK_EQ_U(wasihost_engine_flags(e), 0);
    wasihost_engine_delete(e);
    /* Unknown flags. */
    static const wasihost_engine_flags_t bad[] = {4, 8, 0x80000000u, 0xffffffffu};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        e = (wasihost_engine_t *)(uintptr_t)0x1234;
        CHECK_ERR(wasihost_engine_new_with_flags(bad[i], &e),
                  WASIHOST_ERROR_KIND_INVALID_ARGUMENT, NULL);
        CHECK(e == (wasihost_engine_t *)(uintptr_t)0x1234);
    }
    CHECK_ERR(wasihost_engine_new_with_flags(0, NULL), WASIHOST_ERROR_KIND_INVALID_ARGUMENT,
              NULL);
}

/* Limits the engine cannot enforce fail at instantiation with CONFIG and a
 * message that says what is needed. */
static void test_limits_the_engine_cannot_enforce(void) {
    wasihost_module_t *m = guest_module("limits"); /* on the default engine */
    REQUIRE(m != NULL);
    wasihost_instance_t *inst = NULL;

    wasihost_config_t *c = limits_config("count", "10");
    CHECK_OK(wasihost_config_set_timeout_ns(c, TIMEOUT_NS));
    CHECK_ERR(wasihost_instance_new(m, c, &inst), WASIHOST_ERROR_KIND_CONFIG, "interruptible");
    CHECK(inst == NULL);
    wasihost_config_delete(c);

    wasihost_interrupt_handle_t *h = NULL;
    REQUIRE(CHECK_OK(wasihost_interrupt_handle_new(&h)));
    c = limits_config("count", "10");
    CHECK_ERR(wasihost_instance_new_with_handle(m, c, h, &inst), WASIHOST_ERROR_KIND_CONFIG,
              "interruptible");
    CHECK(inst == NULL);
    wasihost_interrupt_handle_delete(h);
    wasihost_config_delete(c);

    c = limits_config("count", "10");
    CHECK_OK(wasihost_config_set_fuel(c, 1000000));
    CHECK_ERR(wasihost_instance_new(m, c, &inst), WASIHOST_ERROR_KIND_CONFIG, "fuel");
    CHECK(inst == NULL);
    wasihost_config_delete(c);

    /* Without a timeout or fuel the default engine runs it; it has no
     * interrupt handle and takes no timeout later. */
    c = limits_config("count", "10");
    REQUIRE(CHECK_OK(wasihost_instance_new_with_handle(m, c, NULL, &inst)));
    h = NULL;
    CHECK_ERR(wasihost_instance_interrupt_handle(inst, &h), WASIHOST_ERROR_KIND_CONFIG,
              "interruptible");
    CHECK(h == NULL);
    CHECK_ERR(wasihost_instance_set_timeout_ns(inst, TIMEOUT_NS), WASIHOST_ERROR_KIND_CONFIG,
              "interruptible");
    CHECK_OK(wasihost_instance_set_timeout_ns(inst, 0));
    uint32_t code = 4242;
    CHECK_OK(wasihost_instance_run(inst, &code));
    CHECK_EQ_U(code, 0);
    wasihost_instance_delete(inst);
    wasihost_config_delete(c);
    wasihost_module_delete(m);
}

/* ---- trap codes ---------------------------------------------------------------- */

static void test_trap_codes(void) {
    static const struct {
        const char *body;
        wasihost_trap_code_t code;
    } cases[] = {
        {"unreachable", WASIHOST_TRAP_UNREACHABLE},
        {"(drop (i32.div_u (i32.const 1) (i32.const 0)))", WASIHOST_TRAP_INTEGER_DIVISION_BY_ZERO},
        {"(drop (i32.load (i32.const 70000)))", WASIHOST_TRAP_MEMORY_OUT_OF_BOUNDS},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char wat[256];
        snprintf(wat, sizeof wat, "(module (memory 1) (func (export \"_start\") %s))",
                 cases[i].body);
        wasihost_module_t *m = wat_module(wat);
        REQUIRE(m != NULL);
        wasihost_config_t *c = capture_config();
        wasihost_instance_t *inst = NULL;
        REQUIRE(CHECK_OK(wasihost_instance_new(m, c, &inst)));
        uint32_t code = 4242;
        wasihost_error_t *e = wasihost_instance_run(inst, &code);
        CHECK_EQ_U(wasihost_error_kind(e), WASIHOST_ERROR_KIND_TRAP);
        wasihost_trap_code_t tc = 77;
        CHECK_MSG(wasihost_error_trap_code(e, &tc), "%s: no trap code", cases[i].body);
        CHECK_MSG(tc == cases[i].code, "%s: trap code %u, want %u", cases[i].body,
                  (unsigned)tc, (unsigned)cases[i].code);
        CHECK(!wasihost_error_trap_code(e, NULL));
        wasihost_error_delete(e);
        wasihost_instance_delete(inst);
        wasihost_config_delete(c);
        wasihost_module_delete(m);
    }

    /* Not a trap: an exit, a config error. No code, nothing written. */
    wasihost_trap_code_t tc = 77;
    wasihost_module_t *m = wat_module(
        "(module (import \"wasi_snapshot_preview1\" \"proc_exit\" (func $exit (param i32)))"
        " (memory (export \"memory\") 1) (func (export \"_start\") (call $exit (i32.const 5))))");
    REQUIRE(m != NULL);
    wasihost_config_t *c = capture_config();
    wasihost_instance_t *inst = NULL;
    REQUIRE(CHECK_OK(wasihost_instance_new(m, c, &inst)));
    uint32_t code = 4242;
    wasihost_error_t *e = wasihost_instance_run(inst, &code);
    if (e != NULL) { /* an exit may also be reported as an exit code */
        CHECK_EQ_U(wasihost_error_kind(e), WASIHOST_ERROR_KIND_EXIT);
        CHECK(!wasihost_error_trap_code(e, &tc));
        wasihost_error_delete(e);
    } else {
        CHECK_EQ_U(code, 5);
    }
    wasihost_instance_delete(inst);
    CHECK_OK(wasihost_config_set_fuel(c, 10));
    e = wasihost_instance_new(m, c, &inst);
    CHECK_EQ_U(wasihost_error_kind(e), WASIHOST_ERROR_KIND_CONFIG);
    CHECK(!wasihost_error_trap_code(e, &tc));
    wasihost_error_delete(e);
    CHECK(!wasihost_error_trap_code(NULL, &tc));
    CHECK_EQ_U(tc, 77);
    wasihost_config_delete(c);
    wasihost_module_delete(m);
}

static const struct test_case tests[] = {
    TEST_CASE(test_timeout_stops_each_wait),
    TEST_CASE(test_interrupt_stops_each_wait),
    TEST_CASE(test_timeout_per_entry),
    TEST_CASE(test_memory_cap),
    TEST_CASE(test_memory_declared_above_cap),
    TEST_CASE(test_fuel),
    TEST_CASE(test_engine_flags),
    TEST_CASE(test_limits_the_engine_cannot_enforce),
    TEST_CASE(test_trap_codes),
};

static wasihost_engine_t *engine_with(wasihost_engine_flags_t flags) {
    wasihost_engine_t *e = NULL;
    wasihost_error_t *err = wasihost_engine_new_with_flags(flags, &e);
    if (err != NULL) {
        printf("cannot create an engine with flags %u: %s\n", (unsigned)flags,
               wasihost_error_message(err));
        wasihost_error_delete(err);
        exit(1);
    }
    return e;
}

int main(int argc, char **argv) {
    g_int_engine = engine_with(WASIHOST_ENGINE_INTERRUPTIBLE);
    g_fuel_engine = engine_with(WASIHOST_ENGINE_FUEL);
    int rc = run_suite(argc, argv, tests, sizeof tests / sizeof tests[0]);
    wasihost_engine_delete(g_int_engine);
    wasihost_engine_delete(g_fuel_engine);
    return rc;
}
