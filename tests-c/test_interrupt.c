/*
 * Interrupts: of a guest looping forever (in a run and in a call), before
 * a run, of a guest blocked in a host call; handles that outlive their
 * instance; an interrupt that stops only its own instance. The engine is
 * made with WASIHOST_ENGINE_INTERRUPTIBLE (the default engine cannot be
 * interrupted: see test_limits.c).
 *
 * No timing: the main thread interrupts once the guest has told it (by
 * writing to a stdout callback, or by calling a stdin callback) that it is
 * where the test wants it; every wait is for an event that must happen.
 */
#include "util.h"

/* _start and spin() write "spinning\n" to stdout, then loop forever.
 * count(n) counts to n and returns it. */
static const char *const WAT_SPIN =
    "(module\n"
    "  (import \"wasi_snapshot_preview1\" \"fd_write\"\n"
    "    (func $fd_write (param i32 i32 i32 i32) (result i32)))\n"
    "  (memory (export \"memory\") 1)\n"
    "  (data (i32.const 16) \"spinning\\n\")\n"
    "  (func $say\n"
    "    (i32.store (i32.const 0) (i32.const 16))\n"
    "    (i32.store (i32.const 4) (i32.const 9))\n"
    "    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))\n"
    "  (func (export \"_start\") (call $say) (loop $l (br $l)))\n"
    "  (func (export \"spin\") (param i32) (result i32)\n"
    "    (call $say) (loop $l (br $l)) (local.get 0))\n"
    "  (func (export \"count\") (param $n i32) (result i32) (local $i i32)\n"
    "    (loop $l\n"
    "      (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
    "      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))\n"
    "    (local.get $i)))\n";

/* _start reads stdin one byte at a time until a read returns a byte. */
static const char *const WAT_READ_LOOP =
    "(module\n"
    "  (import \"wasi_snapshot_preview1\" \"fd_read\"\n"
    "    (func $fd_read (param i32 i32 i32 i32) (result i32)))\n"
    "  (memory (export \"memory\") 1)\n"
    "  (func (export \"_start\")\n"
    "    (i32.store (i32.const 0) (i32.const 64))\n"
    "    (i32.store (i32.const 4) (i32.const 1))\n"
    "    (loop $l\n"
    "      (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))\n"
    "      (br_if $l (i32.eqz (i32.load (i32.const 8)))))))\n";

/* A one-way event: set once, waited for. */
struct event {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool set;
};

static void event_init(struct event *e) {
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->cv, NULL);
    e->set = false;
}
static void event_destroy(struct event *e) {
    pthread_mutex_destroy(&e->mu);
    pthread_cond_destroy(&e->cv);
}
static void event_set(struct event *e) {
    pthread_mutex_lock(&e->mu);
    e->set = true;
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
}
/* Waits until set (the run's alarm ends a hang). */
static void event_wait(struct event *e) {
    pthread_mutex_lock(&e->mu);
    while (!e->set)
        pthread_cond_wait(&e->cv, &e->mu);
    pthread_mutex_unlock(&e->mu);
}

/* A stdout callback that sets its event. */
static int32_t signal_on_write(void *userdata, const uint8_t *data, size_t len) {
    (void)data;
    (void)len;
    event_set(userdata);
    return 0;
}

/* Runs _start, or calls spin(), on a thread. */
struct job {
    wasihost_instance_t *inst;
    bool call;
    uint32_t code;
    wasihost_val_t result;
    wasihost_error_t *err;
};

static void *job_main(void *arg) {
    struct job *j = arg;
    if (j->call) {
        wasihost_val_t a;
        a.kind = WASIHOST_VAL_I32;
        a.of.i32 = 5;
        j->err = wasihost_instance_call(j->inst, B("spin"), &a, 1, &j->result, 1);
    } else {
        j->err = wasihost_instance_run(j->inst, &j->code);
    }
    return NULL;
}

static void interrupt_endless_loop(bool call) {
    wasihost_module_t *m = wat_module(WAT_SPIN);
    REQUIRE(m != NULL);
    struct event started;
    event_init(&started);
    wasihost_config_t *c = wasihost_config_new();
    CHECK_OK(wasihost_config_output_callback(c, WASIHOST_STDOUT, signal_on_write, &started,
                                             NULL));
    struct job j;
    memset(&j, 0, sizeof j);
    j.call = call;
    j.code = 4242;
    j.result.kind = 0xabcd;
    REQUIRE(CHECK_OK(wasihost_instance_new(m, c, &j.inst)));
    wasihost_interrupt_handle_t *h = NULL;
    REQUIRE(CHECK_OK(wasihost_instance_interrupt_handle(j.inst, &h)));
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, job_main, &j) == 0);
    event_wait(&started); /* the guest is about to enter its loop */
    wasihost_interrupt_handle_interrupt(h);
    pthread_join(t, NULL);
    CHECK_ERR(j.err, WASIHOST_ERROR_KIND_INTERRUPTED, NULL);
    CHECK_EQ_U(j.code, 4242);
    CHECK_EQ_U(j.result.kind, 0xabcd);

    /* Later runs and calls of the instance fail the same way. */
    uint32_t code = 4242;
    CHECK_ERR(wasihost_instance_run(j.inst, &code), WASIHOST_ERROR_KIND_INTERRUPTED, NULL);
    CHECK_EQ_U(code, 4242);
    wasihost_val_t a, r;
    a.kind = WASIHOST_VAL_I32;
    a.of.i32 = 10;
    r.kind = 0xabcd;
    CHECK_ERR(wasihost_instance_call(j.inst, B("count"), &a, 1, &r, 1),
              WASIHOST_ERROR_KIND_INTERRUPTED, NULL);
    CHECK_EQ_U(r.kind, 0xabcd);
    /* Interrupting again is harmless. */
    wasihost_interrupt_handle_interrupt(h);
    wasihost_interrupt_handle_interrupt(h);
    wasihost_instance_delete(j.inst);
    wasihost_interrupt_handle_delete(h);

    /* Another instance of the same module is not affected. */
    wasihost_instance_t *other = NULL;
    if (CHECK_OK(wasihost_instance_new(m, c, &other))) {
        a.of.i32 = 1000000;
        CHECK_OK(wasihost_instance_call(other, B("count"), &a, 1, &r, 1));
        CHECK_EQ_I(r.of.i32, 1000000);
    }
    wasihost_instance_delete(other);
    wasihost_config_delete(c);
    event_destroy(&started);
    wasihost_module_delete(m);
}

static void test_interrupt_run(void) {
    interrupt_endless_loop(false);
}

static void test_interrupt_call(void) {
    interrupt_endless_loop(true);
}

static void test_interrupt_before_run(void) {
    wasihost_module_t *m = wat_module(WAT_SPIN);
    REQUIRE(m != NULL);
    wasihost_config_t *c = wasihost_config_new();
    wasihost_instance_t *inst = NULL;
    REQUIRE(CHECK_OK(wasihost_instance_new(m, c, &inst)));
    wasihost_interrupt_handle_t *h = NULL;
    REQUIRE(CHECK_OK(wasihost_instance_interrupt_handle(inst, &h)));
    wasihost_interrupt_handle_interrupt(h);
    uint32_t code = 4242;
    /* Would loop forever if the interrupt were lost. */
    CHECK_ERR(wasihost_instance_run(inst, &code), WASIHOST_ERROR_KIND_INTERRUPTED, NULL);
    CHECK_EQ_U(code, 4242);
    wasihost_val_t a, r;
    a.kind = WASIHOST_VAL_I32;
    a.of.i32 = 3;
    CHECK_ERR(wasihost_instance_call(inst, B("count"), &a, 1, &r, 1),
              WASIHOST_ERROR_KIND_INTERRUPTED, NULL);
    wasihost_interrupt_handle_delete(h);
    wasihost_instance_delete(inst);
    wasihost_config_delete(c);
    wasihost_module_delete(m);
}

static void test_handle_outlives_instance(void) {
    wasihost_module_t *m = wat_module(WAT_SPIN);
    REQUIRE(m != NULL);
    wasihost_config_t *c = wasihost_config_new();
    wasihost_instance_t *inst = NULL;
    REQUIRE(CHECK_OK(wasihost_instance_new(m, c, &inst)));
    wasihost_interrupt_handle_t *h1 = NULL, *h2 = NULL;
    CHECK_OK(wasihost_instance_interrupt_handle(inst, &h1));
    CHECK_OK(wasihost_instance_interrupt_handle(inst, &h2));
    REQUIRE(h1 != NULL && h2 != NULL);
    CHECK(h1 != h2);
    /* One handle goes; the other still works. */
    wasihost_interrupt_handle_delete(h1);
    wasihost_interrupt_handle_interrupt(h2);
    uint32_t code = 4242;
    CHECK_ERR(wasihost_instance_run(inst, &code), WASIHOST_ERROR_KIND_INTERRUPTED, NULL);
    /* The instance goes, then the module, config and engine of a second
     * one; the handles stay usable (and do nothing). */
    wasihost_instance_delete(inst);
    wasihost_interrupt_handle_interrupt(h2);

    wasihost_engine_t *eng = NULL;
    REQUIRE(CHECK_OK(wasihost_engine_new_with_flags(WASIHOST_ENGINE_INTERRUPTIBLE, &eng)));
    wasihost_module_t *m2 = NULL;
    REQUIRE(CHECK_OK(wasihost_module_from_wat(eng, B(WAT_SPIN), &m2)));
    wasihost_instance_t *inst2 = NULL;
    REQUIRE(CHECK_OK(wasihost_instance_new(m2, c, &inst2)));
    wasihost_interrupt_handle_t *h3 = NULL;
    CHECK_OK(wasihost_instance_interrupt_handle(inst2, &h3));
    wasihost_instance_delete(inst2);
    wasihost_module_delete(m2);
    wasihost_engine_delete(eng);
    wasihost_interrupt_handle_interrupt(h3);
    wasihost_interrupt_handle_interrupt(h3);
    wasihost_interrupt_handle_delete(h3);
    wasihost_interrupt_handle_interrupt(h2);
    wasihost_interrupt_handle_delete(h2);
    wasihost_config_delete(c);
    wasihost_module_delete(m);
}

/* A stdin callback: on its first call it announces itself and waits to be
 * released, then says end of input; later calls give one byte. */
struct gate {
    struct event entered;
    struct event release;
    atomic_int calls;
};

static int32_t gated_read(void *userdata, uint8_t *buf, size_t cap, size_t *nread) {
    struct gate *g = userdata;
    int call = atomic_fetch_add(&g->calls, 1);
    if (call == 0) {
        event_set(&g->entered);
        event_wait(&g->release);
        *nread = 0;
        return 0;
    }
    if (cap < 1)
        return -1;
    buf[0] = 'x';
    *nread = 1;
    return 0;
}

struct run_job {
    wasihost_instance_t *inst;
    uint32_t code;
    wasihost_error_t *err;
};

static void *run_job_main(void *arg) {
    struct run_job *j = arg;
    j->err = wasihost_instance_run(j->inst, &j->code);
    return NULL;
}

/* A guest blocked in a host call stops when the call returns. */
static void test_interrupt_blocked_in_host_call(void) {
    wasihost_module_t *m = wat_module(WAT_READ_LOOP);
    REQUIRE(m != NULL);
    struct gate g;
    event_init(&g.entered);
    event_init(&g.release);
    atomic_init(&g.calls, 0);
    wasihost_config_t *c = wasihost_config_new();
    CHECK_OK(wasihost_config_stdin_callback(c, gated_read, &g, NULL));
    struct run_job j = {NULL, 4242, NULL};
    REQUIRE(CHECK_OK(wasihost_instance_new(m, c, &j.inst)));
    wasihost_interrupt_handle_t *h = NULL;
    REQUIRE(CHECK_OK(wasihost_instance_interrupt_handle(j.inst, &h)));
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, run_job_main, &j) == 0);
    event_wait(&g.entered);
    wasihost_interrupt_handle_interrupt(h);
    event_set(&g.release);
    pthread_join(t, NULL);
    CHECK_ERR(j.err, WASIHOST_ERROR_KIND_INTERRUPTED, NULL);
    CHECK_EQ_U(j.code, 4242);
    /* It stopped at the loop, before reading again. */
    CHECK_EQ_I(atomic_load(&g.calls), 1);
    wasihost_interrupt_handle_delete(h);
    wasihost_instance_delete(j.inst);
    wasihost_config_delete(c);
    event_destroy(&g.entered);
    event_destroy(&g.release);
    wasihost_module_delete(m);
}

/* Interrupting one instance does not stop another one running at the
 * same time on the same engine. */
static void test_interrupt_stops_only_its_instance(void) {
    wasihost_module_t *spin = wat_module(WAT_SPIN);
    wasihost_module_t *reader = wat_module(WAT_READ_LOOP);
    REQUIRE(spin != NULL && reader != NULL);

    struct event a_started;
    event_init(&a_started);
    wasihost_config_t *ca = wasihost_config_new();
    CHECK_OK(wasihost_config_output_callback(ca, WASIHOST_STDOUT, signal_on_write, &a_started,
                                             NULL));
    struct gate g;
    event_init(&g.entered);
    event_init(&g.release);
    atomic_init(&g.calls, 0);
    wasihost_config_t *cb = wasihost_config_new();
    CHECK_OK(wasihost_config_stdin_callback(cb, gated_read, &g, NULL));

    struct job a;
    memset(&a, 0, sizeof a);
    a.code = 4242;
    struct run_job b = {NULL, 4242, NULL};
    REQUIRE(CHECK_OK(wasihost_instance_new(spin, ca, &a.inst)));
    REQUIRE(CHECK_OK(wasihost_instance_new(reader, cb, &b.inst)));
    wasihost_interrupt_handle_t *ha = NULL;
    REQUIRE(CHECK_OK(wasihost_instance_interrupt_handle(a.inst, &ha)));

    pthread_t ta, tb;
    REQUIRE(pthread_create(&tb, NULL, run_job_main, &b) == 0);
    REQUIRE(pthread_create(&ta, NULL, job_main, &a) == 0);
    event_wait(&a_started);
    event_wait(&g.entered); /* B is inside its first read */
    wasihost_interrupt_handle_interrupt(ha);
    pthread_join(ta, NULL);
    CHECK_ERR(a.err, WASIHOST_ERROR_KIND_INTERRUPTED, NULL);
    /* B goes on: back in its loop (past the interrupt's epoch change), a
     * second read gives it a byte, and it returns normally. */
    event_set(&g.release);
    pthread_join(tb, NULL);
    CHECK_OK(b.err);
    CHECK_EQ_U(b.code, 0);
    CHECK_EQ_I(atomic_load(&g.calls), 2);

    wasihost_interrupt_handle_delete(ha);
    wasihost_instance_delete(a.inst);
    wasihost_instance_delete(b.inst);
    wasihost_config_delete(ca);
    wasihost_config_delete(cb);
    event_destroy(&a_started);
    event_destroy(&g.entered);
    event_destroy(&g.release);
    wasihost_module_delete(spin);
    wasihost_module_delete(reader);
}

static const struct test_case tests[] = {
    TEST_CASE(test_interrupt_run),
    TEST_CASE(test_interrupt_call),
    TEST_CASE(test_interrupt_before_run),
    TEST_CASE(test_handle_outlives_instance),
    TEST_CASE(test_interrupt_blocked_in_host_call),
    TEST_CASE(test_interrupt_stops_only_its_instance),
};

int main(int argc, char **argv) {
    /* Interruption is opt-in: the engine of these tests has it. */
    g_engine_flags = WASIHOST_ENGINE_INTERRUPTIBLE;
    return run_suite(argc, argv, tests, sizeof tests / sizeof tests[0]);
}
