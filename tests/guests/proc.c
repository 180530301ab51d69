/*
 * Process control. argv[1]:
 *   yield          sched_yield
 *   raise          proc_raise with various signals
 *   exit N         write a line, then proc_exit(N)
 *   libc_exit N    printf (buffered) then exit(N)
 *   return N       return N from main
 *   trap           write a line, then __builtin_trap()
 *   div0           integer division by zero
 *   oob            a load past the end of memory
 *   stack          unbounded recursion
 *   hello NAME     print "hello NAME"
 */
#include "util.c"

static void raise_all(void) {
    static const int32_t sigs[] = {0, 1, 9, 15, 16, 17, 22, 27, 30, 31, 200, 255, 256, -1};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        say("raise %d errno=%d\n", sigs[i], raw_proc_raise(sigs[i]));
}

static int recurse(volatile int *p, int n) {
    volatile int local[64];
    if (n < 0)
        return 0;
    local[n % 64] = n;
    if (p)
        *p = local[0];
    return recurse((int *)local, n + 1) + local[1];
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    const char *arg = argc > 2 ? argv[2] : "0";
    if (streq(mode, "yield")) {
        for (int i = 0; i < 3; i++)
            say("sched_yield errno=%u\n", __wasi_sched_yield());
    } else if (streq(mode, "raise")) {
        raise_all();
    } else if (streq(mode, "exit")) {
        say("before exit\n");
        __wasi_proc_exit((__wasi_exitcode_t)strtoul(arg, NULL, 10));
    } else if (streq(mode, "libc_exit")) {
        printf("buffered before exit\n");
        fprintf(stderr, "stderr before exit\n");
        exit((int)strtol(arg, NULL, 10));
    } else if (streq(mode, "return")) {
        printf("returning %s\n", arg);
        return (int)strtol(arg, NULL, 10);
    } else if (streq(mode, "trap")) {
        say("before trap\n");
        __builtin_trap();
    } else if (streq(mode, "div0")) {
        volatile int zero = 0;
        volatile int x = 1;
        say("before div0\n");
        say("result %d\n", x / zero);
    } else if (streq(mode, "oob")) {
        volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)(mem_end() + 16);
        say("before oob\n");
        say("result %d\n", *p);
    } else if (streq(mode, "stack")) {
        say("before stack\n");
        say("result %d\n", recurse(NULL, 0));
    } else if (streq(mode, "hello")) {
        say("hello %s\n", arg);
    } else {
        say("unknown mode %s\n", mode);
        return 2;
    }
    return 0;
}
