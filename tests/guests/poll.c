/*
 * poll_oneoff, and the sleeps wasi-libc builds on it. argv[1]:
 *   sleep          relative monotonic 20 ms
 *   past           absolute deadlines already passed
 *   two_clocks     5 ms and 10 s: only the first fires
 *   stdin          fd_read readiness on stdin as it is consumed
 *   stdout         fd_write readiness on stdout and stderr
 *   clock_and_fd   a 10 s clock and stdin: stdin answers at once
 *   errors         per-subscription errors (the call succeeds)
 *   noright        fd subscription without poll_fd_readwrite
 *   wrongdir       fd_write on stdin, fd_read on stdout
 *   bad_args       nsubscriptions 0, bad pointers
 *   libc_sleep     nanosleep, usleep, sleep(0)
 *   wait_stdin     stdin and a 10 s clock, then read stdin to the end
 *   idle_stdin     stdin and a 20 ms clock
 * An event prints as "ev userdata=U error=E type=T nbytes=N flags=F".
 */
#include <time.h>
#include <unistd.h>

#include "util.c"

#define MS 1000000ull

static __wasi_subscription_t clock_sub(uint64_t userdata, __wasi_clockid_t id, uint64_t timeout,
                                       __wasi_subclockflags_t flags) {
    __wasi_subscription_t s;
    memset(&s, 0, sizeof s);
    s.userdata = userdata;
    s.u.tag = __WASI_EVENTTYPE_CLOCK;
    s.u.u.clock.id = id;
    s.u.u.clock.timeout = timeout;
    s.u.u.clock.precision = 0;
    s.u.u.clock.flags = flags;
    return s;
}

static __wasi_subscription_t fd_sub(uint64_t userdata, __wasi_eventtype_t type, __wasi_fd_t fd) {
    __wasi_subscription_t s;
    memset(&s, 0, sizeof s);
    s.userdata = userdata;
    s.u.tag = type;
    s.u.u.fd_read.file_descriptor = fd;
    return s;
}

/* Polls, prints "poll errno=E n=N" and the events sorted by userdata. */
static void poll_print(const __wasi_subscription_t *subs, size_t n) {
    __wasi_event_t ev[16];
    memset(ev, 0x55, sizeof ev);
    __wasi_size_t got = 999;
    __wasi_errno_t e = __wasi_poll_oneoff(subs, ev, n, &got);
    say("poll errno=%u n=%u\n", e, (unsigned)got);
    if (e != 0 || got > n)
        return;
    /* Order of events is unspecified: sort by userdata. */
    for (size_t i = 0; i < got; i++)
        for (size_t j = i + 1; j < got; j++)
            if (ev[j].userdata < ev[i].userdata) {
                __wasi_event_t t = ev[i];
                ev[i] = ev[j];
                ev[j] = t;
            }
    for (size_t i = 0; i < got; i++)
        say("ev userdata=%llu error=%u type=%u nbytes=%llu flags=%u\n",
            (unsigned long long)ev[i].userdata, ev[i].error, ev[i].type,
            (unsigned long long)ev[i].fd_readwrite.nbytes, ev[i].fd_readwrite.flags);
}

static void sleep20(void) {
    __wasi_subscription_t s = clock_sub(0x1234, __WASI_CLOCKID_MONOTONIC, 20 * MS, 0);
    uint64_t t0 = now_ns(__WASI_CLOCKID_MONOTONIC);
    poll_print(&s, 1);
    uint64_t t1 = now_ns(__WASI_CLOCKID_MONOTONIC);
    say("elapsed_ge_20ms=%d\n", t1 - t0 >= 20 * MS);
    /* The same on the realtime clock, relative. */
    s = clock_sub(0x5678, __WASI_CLOCKID_REALTIME, 20 * MS, 0);
    t0 = now_ns(__WASI_CLOCKID_MONOTONIC);
    poll_print(&s, 1);
    t1 = now_ns(__WASI_CLOCKID_MONOTONIC);
    say("elapsed_ge_20ms=%d\n", t1 - t0 >= 20 * MS);
    /* An absolute monotonic deadline 20 ms ahead. */
    uint64_t deadline = now_ns(__WASI_CLOCKID_MONOTONIC) + 20 * MS;
    s = clock_sub(0x9abc, __WASI_CLOCKID_MONOTONIC, deadline,
                  __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME);
    poll_print(&s, 1);
    say("reached_deadline=%d\n", now_ns(__WASI_CLOCKID_MONOTONIC) >= deadline);
    /* Zero timeout: fires at once. */
    s = clock_sub(7, __WASI_CLOCKID_MONOTONIC, 0, 0);
    poll_print(&s, 1);
}

static void past(void) {
    /* Each deadline is in the past; a 10 s clock is the fallback, so a host
     * that waited for the past deadline would report that one instead. */
    __wasi_subscription_t s[2];
    s[1] = clock_sub(99, __WASI_CLOCKID_MONOTONIC, 10000 * MS, 0);
    s[0] = clock_sub(1, __WASI_CLOCKID_REALTIME, now_ns(__WASI_CLOCKID_REALTIME) - 1000 * MS,
                     __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME);
    poll_print(s, 2);
    s[0] = clock_sub(2, __WASI_CLOCKID_MONOTONIC, 0, __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME);
    poll_print(s, 2);
    s[0] = clock_sub(3, __WASI_CLOCKID_MONOTONIC, now_ns(__WASI_CLOCKID_MONOTONIC),
                     __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME);
    poll_print(s, 2);
    s[0] = clock_sub(4, __WASI_CLOCKID_REALTIME, 1, __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME);
    poll_print(s, 2);
}

static void two_clocks(void) {
    __wasi_subscription_t s[2] = {
        clock_sub(10, __WASI_CLOCKID_MONOTONIC, 10000 * MS, 0),
        clock_sub(20, __WASI_CLOCKID_MONOTONIC, 5 * MS, 0),
    };
    poll_print(s, 2);
}

static void stdin_ready(void) {
    __wasi_subscription_t s = fd_sub(5, __WASI_EVENTTYPE_FD_READ, 0);
    poll_print(&s, 1);
    uint8_t b[4];
    __wasi_iovec_t iov = {b, 4};
    __wasi_size_t n;
    __wasi_errno_t e = __wasi_fd_read(0, &iov, 1, &n);
    say("read errno=%u n=%u\n", e, (unsigned)n);
    poll_print(&s, 1);
    uint8_t rest[64];
    iov = (__wasi_iovec_t){rest, sizeof rest};
    e = __wasi_fd_read(0, &iov, 1, &n);
    say("read errno=%u n=%u\n", e, (unsigned)n);
    poll_print(&s, 1);
}

static void stdout_ready(void) {
    __wasi_subscription_t s[2] = {
        fd_sub(1, __WASI_EVENTTYPE_FD_WRITE, 1),
        fd_sub(2, __WASI_EVENTTYPE_FD_WRITE, 2),
    };
    poll_print(s, 2);
}

static void clock_and_fd(void) {
    __wasi_subscription_t s[2] = {
        clock_sub(1, __WASI_CLOCKID_MONOTONIC, 10000 * MS, 0),
        fd_sub(2, __WASI_EVENTTYPE_FD_READ, 0),
    };
    poll_print(s, 2);
    __wasi_subscription_t w[2] = {
        clock_sub(1, __WASI_CLOCKID_REALTIME, 10000 * MS, 0),
        fd_sub(3, __WASI_EVENTTYPE_FD_WRITE, 1),
    };
    poll_print(w, 2);
}

static void errors(void) {
    __wasi_subscription_t s[8] = {
        fd_sub(1, __WASI_EVENTTYPE_FD_READ, 100),
        fd_sub(2, __WASI_EVENTTYPE_FD_WRITE, 3),
        fd_sub(3, __WASI_EVENTTYPE_FD_READ, 0xFFFFFFFF),
        clock_sub(4, __WASI_CLOCKID_PROCESS_CPUTIME_ID, 1 * MS, 0),
        clock_sub(5, __WASI_CLOCKID_THREAD_CPUTIME_ID, 1 * MS, 0),
        clock_sub(6, 7, 1 * MS, 0),
        clock_sub(7, 0xFFFFFFFF, 1 * MS, __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME),
        clock_sub(8, __WASI_CLOCKID_PROCESS_CPUTIME_ID, 1 * MS,
                  __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME),
    };
    poll_print(s, 8);
    /* Each one alone, too: the call succeeds with one error event. */
    for (int i = 0; i < 8; i++)
        poll_print(&s[i], 1);
    /* An unknown subscription type and undefined clock flags. */
    __wasi_subscription_t odd[2] = {
        fd_sub(9, 3, 0),
        clock_sub(10, __WASI_CLOCKID_MONOTONIC, 0, 0x4),
    };
    poll_print(odd, 2);
    /* A closed fd. */
    (void)__wasi_fd_close(0);
    __wasi_subscription_t closed = fd_sub(11, __WASI_EVENTTYPE_FD_READ, 0);
    poll_print(&closed, 1);
}

static void noright(void) {
    __wasi_fdstat_t st;
    (void)__wasi_fd_fdstat_get(2, &st);
    __wasi_errno_t e = __wasi_fd_fdstat_set_rights(
        2, st.fs_rights_base & ~__WASI_RIGHTS_POLL_FD_READWRITE, 0);
    say("drop errno=%u\n", e);
    (void)__wasi_fd_fdstat_get(0, &st);
    e = __wasi_fd_fdstat_set_rights(0, st.fs_rights_base & ~__WASI_RIGHTS_POLL_FD_READWRITE, 0);
    say("drop errno=%u\n", e);
    __wasi_subscription_t s[3] = {
        fd_sub(1, __WASI_EVENTTYPE_FD_WRITE, 2),
        fd_sub(2, __WASI_EVENTTYPE_FD_READ, 0),
        fd_sub(3, __WASI_EVENTTYPE_FD_WRITE, 1),
    };
    poll_print(s, 3);
}

static void wrongdir(void) {
    __wasi_subscription_t s[2] = {
        fd_sub(1, __WASI_EVENTTYPE_FD_WRITE, 0),
        fd_sub(2, __WASI_EVENTTYPE_FD_READ, 1),
    };
    poll_print(s, 2);
}

static void bad_args(void) {
    __wasi_subscription_t s[2] = {
        clock_sub(1, __WASI_CLOCKID_MONOTONIC, 0, 0),
        clock_sub(2, __WASI_CLOCKID_MONOTONIC, 0, 0),
    };
    __wasi_event_t ev[2];
    __wasi_size_t n = 999;
    __wasi_errno_t e = __wasi_poll_oneoff(s, ev, 0, &n);
    say("nsubs0 errno=%u n=%u\n", e, (unsigned)n);
    e = __wasi_poll_oneoff((const __wasi_subscription_t *)BAD_PTR, ev, 1, &n);
    say("in_bad errno=%u n=%u\n", e, (unsigned)n);
    e = __wasi_poll_oneoff(s, (__wasi_event_t *)BAD_PTR, 1, &n);
    say("out_bad errno=%u n=%u\n", e, (unsigned)n);
    e = __wasi_poll_oneoff(s, ev, 1, (__wasi_size_t *)BAD_PTR);
    say("nevents_bad errno=%u\n", e);
    e = __wasi_poll_oneoff(s, ev, 0x10000000, &n);
    say("nsubs_huge errno=%u n=%u\n", e, (unsigned)n);

    /* Arrays that run off the end of memory, in a fresh top page. */
    uint8_t *page = top_page();
    uint8_t *end = page + 65536;
    memset(page, 0xAA, 65536);
    __wasi_subscription_t *in_end = (__wasi_subscription_t *)(end - sizeof s[0]);
    memcpy(in_end, &s[0], sizeof s[0]);
    e = __wasi_poll_oneoff(in_end, ev, 2, &n);
    say("in_cross_end errno=%u n=%u\n", e, (unsigned)n);
    memset(page, 0xAA, 65536);
    __wasi_event_t *out_end = (__wasi_event_t *)(end - sizeof ev[0]);
    e = __wasi_poll_oneoff(s, out_end, 2, &n);
    say("out_cross_end errno=%u n=%u untouched=%d\n", e, (unsigned)n, all_eq(page, 65536, 0xAA));
    e = __wasi_poll_oneoff(s, out_end, 1, &n);
    say("out_last errno=%u n=%u userdata=%llu\n", e, (unsigned)n,
        (unsigned long long)out_end->userdata);
    /* Misaligned arrays. */
    e = __wasi_poll_oneoff((const __wasi_subscription_t *)(page + 4), ev, 1, &n);
    say("in_misaligned errno=%u\n", e);
    e = __wasi_poll_oneoff(s, (__wasi_event_t *)(page + 4), 1, &n);
    say("out_misaligned errno=%u\n", e);
}

static void libc_sleep(void) {
    uint64_t t0 = now_ns(__WASI_CLOCKID_MONOTONIC);
    struct timespec ts = {0, 20 * 1000 * 1000};
    int r = nanosleep(&ts, NULL);
    uint64_t t1 = now_ns(__WASI_CLOCKID_MONOTONIC);
    say("nanosleep r=%d elapsed_ge_20ms=%d\n", r, t1 - t0 >= 20 * MS);
    r = usleep(20000);
    uint64_t t2 = now_ns(__WASI_CLOCKID_MONOTONIC);
    say("usleep r=%d elapsed_ge_20ms=%d\n", r, t2 - t1 >= 20 * MS);
    r = (int)sleep(0);
    say("sleep0 r=%d\n", r);
    struct timespec req = {0, 10 * 1000 * 1000};
    r = clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL);
    uint64_t t3 = now_ns(__WASI_CLOCKID_MONOTONIC);
    say("clock_nanosleep r=%d elapsed_ge_10ms=%d\n", r, t3 - t2 >= 10 * MS);
}

static void wait_stdin(void) {
    __wasi_subscription_t s[2] = {
        clock_sub(1, __WASI_CLOCKID_MONOTONIC, 10000 * MS, 0),
        fd_sub(2, __WASI_EVENTTYPE_FD_READ, 0),
    };
    poll_print(s, 2);
    static uint8_t buf[4096];
    size_t total = 0;
    for (;;) {
        __wasi_iovec_t iov = {buf, sizeof buf};
        __wasi_size_t n;
        __wasi_errno_t e = __wasi_fd_read(0, &iov, 1, &n);
        if (e != 0) {
            say("read errno=%u\n", e);
            return;
        }
        if (n == 0)
            break;
        total += n;
    }
    say("read total %zu\n", total);
}

static void idle_stdin(void) {
    __wasi_subscription_t s[2] = {
        clock_sub(1, __WASI_CLOCKID_MONOTONIC, 20 * MS, 0),
        fd_sub(2, __WASI_EVENTTYPE_FD_READ, 0),
    };
    uint64_t t0 = now_ns(__WASI_CLOCKID_MONOTONIC);
    poll_print(s, 2);
    say("elapsed_ge_20ms=%d\n", now_ns(__WASI_CLOCKID_MONOTONIC) - t0 >= 20 * MS);
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    if (streq(mode, "sleep"))
        sleep20();
    else if (streq(mode, "past"))
        past();
    else if (streq(mode, "two_clocks"))
        two_clocks();
    else if (streq(mode, "stdin"))
        stdin_ready();
    else if (streq(mode, "stdout"))
        stdout_ready();
    else if (streq(mode, "clock_and_fd"))
        clock_and_fd();
    else if (streq(mode, "errors"))
        errors();
    else if (streq(mode, "noright"))
        noright();
    else if (streq(mode, "wrongdir"))
        wrongdir();
    else if (streq(mode, "bad_args"))
        bad_args();
    else if (streq(mode, "libc_sleep"))
        libc_sleep();
    else if (streq(mode, "wait_stdin"))
        wait_stdin();
    else if (streq(mode, "idle_stdin"))
        idle_stdin();
    else {
        say("unknown mode %s\n", mode);
        return 2;
    }
    return 0;
}
