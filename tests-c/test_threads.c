/*
 * 8 threads at once, each creating and running its own instances from one
 * shared engine, module and config (and calling exports with values of
 * its own), all results checked.
 */
#include "util.h"

#define THREADS 8
#define PER_THREAD 20

static const char *const WAT_MATH =
    "(module\n"
    "  (global $counter (mut i64) (i64.const 0))\n"
    "  (func (export \"add_i64\") (param i64 i64) (result i64)\n"
    "    (i64.add (local.get 0) (local.get 1)))\n"
    "  (func (export \"mul_f64\") (param f64 f64) (result f64)\n"
    "    (f64.mul (local.get 0) (local.get 1)))\n"
    "  (func (export \"accumulate\") (param i64) (result i64)\n"
    "    (global.set $counter (i64.add (global.get $counter) (local.get 0)))\n"
    "    (global.get $counter))\n"
    "  (func (export \"_start\")))\n";

struct shared {
    const wasihost_module_t *cat;
    const wasihost_module_t *math;
    const wasihost_config_t *config;
    const char *input;
    size_t input_len;
    pthread_barrier_t start;
};

struct worker {
    struct shared *sh;
    pthread_t thread;
    int id;
    int good_runs;
    int good_calls;
    bool compiled;
};

static bool one_run(struct worker *w, int i) {
    struct shared *sh = w->sh;
    wasihost_instance_t *inst = NULL;
    if (!CHECK_OK(wasihost_instance_new(sh->cat, sh->config, &inst)))
        return false;
    uint32_t code = 99;
    bool ok = CHECK_OK(wasihost_instance_run(inst, &code));
    wasihost_capture_t cap;
    memset(&cap, 0, sizeof cap);
    ok = CHECK_OK(wasihost_instance_capture(inst, WASIHOST_STDOUT, &cap)) && ok;
    ok = ok && code == 0 && cap.len == sh->input_len && cap.total_written == sh->input_len &&
         memcmp(cap.data, sh->input, cap.len) == 0;
    CHECK_MSG(ok, "thread %d, run %d: exit %u, %zu bytes captured", w->id, i, (unsigned)code,
              cap.len);
    wasihost_instance_delete(inst);
    return ok;
}

static bool one_call(struct worker *w, const wasihost_module_t *math, int i) {
    wasihost_instance_t *inst = NULL;
    if (!CHECK_OK(wasihost_instance_new(math, w->sh->config, &inst)))
        return false;
    int64_t base = (int64_t)w->id * 1000000007LL;
    wasihost_val_t a[2], r;
    a[0].kind = a[1].kind = WASIHOST_VAL_I64;
    a[0].of.i64 = base;
    a[1].of.i64 = i;
    memset(&r, 0, sizeof r);
    bool ok = CHECK_OK(wasihost_instance_call(inst, B("add_i64"), a, 2, &r, 1));
    ok = ok && r.kind == WASIHOST_VAL_I64 && r.of.i64 == base + i;
    a[0].kind = a[1].kind = WASIHOST_VAL_F64;
    a[0].of.f64 = w->id + 0.5;
    a[1].of.f64 = i;
    ok = CHECK_OK(wasihost_instance_call(inst, B("mul_f64"), a, 2, &r, 1)) && ok;
    ok = ok && r.kind == WASIHOST_VAL_F64 && r.of.f64 == (w->id + 0.5) * i;
    /* Instance state is the instance's own. */
    int64_t sum = 0;
    for (int k = 1; k <= 5; k++) {
        a[0].kind = WASIHOST_VAL_I64;
        a[0].of.i64 = base + k;
        sum += base + k;
        ok = CHECK_OK(wasihost_instance_call(inst, B("accumulate"), a, 1, &r, 1)) && ok;
        ok = ok && r.of.i64 == sum;
    }
    CHECK_MSG(ok, "thread %d, call round %d: wrong results", w->id, i);
    wasihost_instance_delete(inst);
    return ok;
}

static void *worker_main(void *arg) {
    struct worker *w = arg;
    pthread_barrier_wait(&w->sh->start);
    /* Compile a module of its own, on the shared engine, while the others
     * do the same. */
    wasihost_module_t *own = NULL;
    w->compiled = CHECK_OK(wasihost_module_from_wat(g_engine, B(WAT_MATH), &own));
    for (int i = 0; i < PER_THREAD; i++) {
        w->good_runs += one_run(w, i);
        w->good_calls += one_call(w, i % 2 && own != NULL ? own : w->sh->math, i);
    }
    wasihost_module_delete(own);
    return NULL;
}

static void test_threads_share_engine_module_config(void) {
    struct shared sh;
    memset(&sh, 0, sizeof sh);
    wasihost_module_t *cat = guest_module("cat");
    wasihost_module_t *math = wat_module(WAT_MATH);
    REQUIRE(cat != NULL && math != NULL);
    char input[3000];
    size_t n = 0;
    for (int i = 0; n + 40 < sizeof input; i++)
        n += (size_t)snprintf(input + n, sizeof input - n, "shared input line %d\n", i);
    /* stdout captured (each instance its own buffer), stdin the same bytes
     * for all, stderr to one callback that all instances share. */
    struct sink err;
    sink_init(&err);
    wasihost_config_t *c = wasihost_config_new();
    CHECK_OK(wasihost_config_output_capture(c, WASIHOST_STDOUT, 1 << 16));
    CHECK_OK(wasihost_config_output_callback(c, WASIHOST_STDERR, sink_write, &err,
                                             sink_finalize));
    CHECK_OK(wasihost_config_stdin_bytes(c, (const uint8_t *)input, n));
    CHECK_OK(wasihost_config_push_arg(c, B("cat")));
    sh.cat = cat;
    sh.math = math;
    sh.config = c;
    sh.input = input;
    sh.input_len = n;
    pthread_barrier_init(&sh.start, NULL, THREADS);

    struct worker w[THREADS];
    memset(w, 0, sizeof w);
    for (int i = 0; i < THREADS; i++) {
        w[i].sh = &sh;
        w[i].id = i;
        REQUIRE(pthread_create(&w[i].thread, NULL, worker_main, &w[i]) == 0);
    }
    int runs = 0, calls = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(w[i].thread, NULL);
        runs += w[i].good_runs;
        calls += w[i].good_calls;
        CHECK(w[i].compiled);
    }
    pthread_barrier_destroy(&sh.start);
    CHECK_EQ_I(runs, THREADS * PER_THREAD);
    CHECK_EQ_I(calls, THREADS * PER_THREAD);

    /* Every instance's stderr line reached the shared callback. */
    char line[64];
    int l = snprintf(line, sizeof line, "total=%zu\n", n);
    CHECK_EQ_U(err.len, (size_t)l * THREADS * PER_THREAD);
    /* The guest's line may reach the callback in pieces, so lines of
     * different instances may interleave: count the bytes (above) and check
     * that each is one of the line's. */
    for (size_t i = 0; i < err.len; i++)
        CHECK_MSG(strchr(line, err.data[i]) != NULL, "foreign byte 0x%02x in stderr",
                  err.data[i]);
    CHECK_EQ_I(atomic_load(&err.finalized), 0);
    wasihost_config_delete(c);
    CHECK_EQ_I(atomic_load(&err.finalized), 1);
    sink_free(&err);
    wasihost_module_delete(cat);
    wasihost_module_delete(math);
}

/* Instances made on one thread, run and deleted on others (one thread at
 * a time each). */
struct handoff {
    wasihost_instance_t *inst;
    uint32_t code;
    wasihost_error_t *err;
};

static void *run_elsewhere(void *arg) {
    struct handoff *h = arg;
    h->err = wasihost_instance_run(h->inst, &h->code);
    wasihost_instance_delete(h->inst);
    return NULL;
}

static void test_instances_move_between_threads(void) {
    wasihost_module_t *cat = guest_module("cat");
    REQUIRE(cat != NULL);
    struct sink out;
    sink_init(&out);
    wasihost_config_t *c = wasihost_config_new();
    CHECK_OK(wasihost_config_stdin_bytes(c, B("moved\n")));
    CHECK_OK(wasihost_config_output_callback(c, WASIHOST_STDOUT, sink_write, &out,
                                             sink_finalize));
    struct handoff h[THREADS];
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        h[i].inst = NULL;
        h[i].code = 99;
        h[i].err = NULL;
        CHECK_OK(wasihost_instance_new(cat, c, &h[i].inst));
    }
    /* The config goes before the instances do. */
    wasihost_config_delete(c);
    for (int i = 0; i < THREADS; i++)
        REQUIRE(h[i].inst != NULL && pthread_create(&t[i], NULL, run_elsewhere, &h[i]) == 0);
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        CHECK_OK(h[i].err);
        CHECK_EQ_U(h[i].code, 0);
    }
    CHECK_EQ_U(out.len, 6 * THREADS);
    CHECK_EQ_I(atomic_load(&out.finalized), 1);
    sink_free(&out);
    wasihost_module_delete(cat);
}

static const struct test_case tests[] = {
    TEST_CASE(test_threads_share_engine_module_config),
    TEST_CASE(test_instances_move_between_threads),
};

int main(int argc, char **argv) {
    return run_suite(argc, argv, tests, sizeof tests / sizeof tests[0]);
}
