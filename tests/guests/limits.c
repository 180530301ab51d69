/*
 * Guests for the limits (timeouts, interrupts, fuel, memory caps); the
 * Rust, C, Python and Go tests and the CLI table share it. argv[1]:
 *   spin           an endless loop of calls (never returns)
 *   sleep SECONDS  sleep (poll_oneoff on a clock), then print "woke"
 *   read           read stdin to its end, then print "read N bytes"
 *   grow MIB       allocate and touch 1 MiB blocks until MIB of them or
 *                  until malloc fails; print "grew N MiB" (exit 0), or
 *                  "grew N MiB, then refused" (exit 3) when malloc failed
 *   count N        count to N with calls, print "counted N"
 *   open_read PATH open PATH for reading (a FIFO blocks until a writer
 *                  comes), read it to its end, print "read N bytes"
 *   open_write PATH open PATH for writing (a FIFO blocks until a reader
 *                  comes), write "hello", print "wrote"
 *   flood [PATH]   write 64 KiB blocks to PATH (or stdout) for ever; a
 *                  pipe nobody reads fills up and the write blocks
 */
#include <fcntl.h>
#include <unistd.h>

#include "util.c"

static volatile uint64_t sink;
/* Where the blocks go, so that the compiler cannot drop the allocations. */
static char *volatile kept;

__attribute__((noinline)) static uint64_t step(uint64_t x) {
    sink = x;
    return x * 6364136223846793005ull + 1442695040888963407ull;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    const char *arg = argc > 2 ? argv[2] : "0";
    if (streq(mode, "spin")) {
        uint64_t x = 1;
        for (;;)
            x = step(x);
    } else if (streq(mode, "sleep")) {
        sleep((unsigned)atoi(arg));
        say("woke\n");
    } else if (streq(mode, "read") || streq(mode, "open_read")) {
        int fd = streq(mode, "read") ? 0 : open(arg, O_RDONLY);
        if (fd < 0) {
            say("open failed\n");
            return 4;
        }
        char buf[4096];
        long total = 0;
        ssize_t n;
        while ((n = read(fd, buf, sizeof buf)) > 0)
            total += n;
        say("read %ld bytes\n", total);
    } else if (streq(mode, "open_write")) {
        int fd = open(arg, O_WRONLY);
        if (fd < 0 || write(fd, "hello", 5) != 5) {
            say("open or write failed\n");
            return 4;
        }
        say("wrote\n");
    } else if (streq(mode, "grow")) {
        long want = atol(arg), got = 0;
        for (; got < want; got++) {
            char *p = malloc(1 << 20);
            if (!p) {
                say("grew %ld MiB, then refused\n", got);
                return 3;
            }
            for (size_t i = 0; i < (1u << 20); i += 4096)
                p[i] = (char)i;
            kept = p;
        }
        say("grew %ld MiB\n", got);
    } else if (streq(mode, "flood")) {
        int fd = argc > 2 ? open(arg, O_WRONLY) : 1;
        static char block[65536];
        memset(block, 'x', sizeof block);
        for (;;)
            if (fd < 0 || write(fd, block, sizeof block) < 0)
                return 4;
    } else if (streq(mode, "count")) {
        uint64_t n = (uint64_t)atoll(arg), x = 1;
        for (uint64_t i = 0; i < n; i++)
            x = step(x);
        say("counted %llu\n", (unsigned long long)n);
    } else {
        say("unknown mode %s\n", mode);
        return 2;
    }
    return 0;
}
