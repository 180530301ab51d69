/*
 * Sandbox guest: tries to reach outside its preopened directory with raw
 * WASI path calls and prints the errno of every attempt, one line each:
 *
 *     <op> <item> errno=<n>
 *
 * followed, when an attempt succeeded and revealed something, by indented
 * lines ("  data ...", "  list ...", "  link ...") so the host test can
 * check that no byte from outside the jail reached the guest.
 *
 * Every path call goes through the raw imports below with an explicit
 * (pointer, length), never through wasi-libc's path handling (which would
 * resolve preopens and `..` itself, and whose __wasi_path_* wrappers
 * compute strlen): what is printed is the host's own answer.
 *
 * Modes (argv[1]):
 *   ops OPSET ITEM...       run the ops of OPSET (comma list or "all") on
 *                           every ITEM
 *   wait OPSET ITEM...      like ops, after printing "opened" and waiting
 *                           (polling, up to 10 s) for a file "go" to
 *                           appear in fd 3: the host swaps things meanwhile
 *   gsym ABS OPSET ITEM...  first create symlinks of its own that point
 *                           out (ABS is an absolute host path to use as a
 *                           target), then like ops
 *   readonly                write-ish calls through a read-only preopen
 *   closed                  path calls on fd 3 after closing it
 *   renumber                fd_renumber onto the preopen fd
 *   long                    long names and long paths
 *   fault                   path pointers outside guest memory
 *
 * An ITEM is "X:path" with X one of 3, 4 (preopens), D (fd of "dir",
 * opened from fd 3 at start) or S (fd of "dir/sub"); without a prefix it
 * is fd 3. "ITEM#OPSET" runs OPSET instead of the global one on ITEM. A
 * path starting with '@' (after any prefix) is "guarded": it names
 * something of the real system (/etc/passwd), so the destructive ops run
 * on it only if the ops that follow it (open_r, open_r_nofollow,
 * open_dir, stat) were all refused; otherwise "guard <item> tripped" is
 * printed and they are skipped (the host test fails on the read-only
 * escape anyway, without damaging the system).
 */
#include "util.c"

#define IMPORT(n) __attribute__((import_module("wasi_snapshot_preview1"), import_name(#n)))

IMPORT(path_open)
int32_t sb_path_open(int32_t fd, int32_t dirflags, int32_t path, int32_t path_len,
                     int32_t oflags, int64_t base, int64_t inheriting, int32_t fdflags,
                     int32_t out_fd);
IMPORT(path_filestat_get)
int32_t sb_path_filestat_get(int32_t fd, int32_t flags, int32_t path, int32_t path_len,
                             int32_t out);
IMPORT(path_create_directory)
int32_t sb_path_create_directory(int32_t fd, int32_t path, int32_t path_len);
IMPORT(path_remove_directory)
int32_t sb_path_remove_directory(int32_t fd, int32_t path, int32_t path_len);
IMPORT(path_unlink_file)
int32_t sb_path_unlink_file(int32_t fd, int32_t path, int32_t path_len);
IMPORT(path_rename)
int32_t sb_path_rename(int32_t fd, int32_t old_path, int32_t old_len, int32_t new_fd,
                       int32_t new_path, int32_t new_len);
IMPORT(path_link)
int32_t sb_path_link(int32_t old_fd, int32_t old_flags, int32_t old_path, int32_t old_len,
                     int32_t new_fd, int32_t new_path, int32_t new_len);
IMPORT(path_symlink)
int32_t sb_path_symlink(int32_t old_path, int32_t old_len, int32_t fd, int32_t new_path,
                        int32_t new_len);
IMPORT(path_readlink)
int32_t sb_path_readlink(int32_t fd, int32_t path, int32_t path_len, int32_t buf,
                         int32_t buf_len, int32_t out);
IMPORT(path_filestat_set_times)
int32_t sb_path_filestat_set_times(int32_t fd, int32_t flags, int32_t path, int32_t path_len,
                                   int64_t atim, int64_t mtim, int32_t fst);

#define PTR(p) ((int32_t)(uintptr_t)(p))
#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW
#define LEN(s) ((int32_t)strlen(s))

/* Every right the header defines. */
#define ALL_RIGHTS ((int64_t)((__WASI_RIGHTS_SOCK_ACCEPT << 1) - 1))
/* Everything but fd_write: asking for fd_write is a request to write
 * (notcapable on a read-only preopen, inval with oflags::directory). */
#define NOWRITE_RIGHTS (ALL_RIGHTS & ~(int64_t)__WASI_RIGHTS_FD_WRITE)
#define READ_RIGHTS                                                                       \
    ((int64_t)(__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_READDIR | __WASI_RIGHTS_FD_SEEK | \
               __WASI_RIGHTS_FD_FILESTAT_GET))
#define WRITE_RIGHTS ((int64_t)(__WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_FILESTAT_GET))

static const char VICTIM[] = "sbx_victim";
static const char TMP[] = "sbx_tmp";

static int32_t fd_d = -1, fd_s = -1;

/* ---- small wrappers (explicit lengths, fd out-param) ---- */

static int32_t open_at(int32_t fd, int32_t follow, const char *p, int32_t len, int32_t oflags,
                       int64_t base, int32_t fdflags, int32_t *out) {
    *out = -1;
    return sb_path_open(fd, follow, PTR(p), len, oflags, base, ALL_RIGHTS, fdflags, PTR(out));
}

static void closefd(int32_t fd) {
    if (fd >= 0)
        (void)__wasi_fd_close((__wasi_fd_t)fd);
}

/* Prints "  list a,b,c" for a directory fd (names sorted as read). */
static void list_dir(int32_t fd) {
    static uint8_t buf[8192];
    char names[1800];
    size_t n = 0;
    __wasi_size_t used = 0;
    __wasi_errno_t e = __wasi_fd_readdir((__wasi_fd_t)fd, buf, sizeof buf, 0, &used);
    if (e != 0) {
        say("  list errno=%u\n", e);
        return;
    }
    size_t off = 0;
    while (off + sizeof(__wasi_dirent_t) <= used) {
        __wasi_dirent_t d;
        memcpy(&d, buf + off, sizeof d);
        off += sizeof d;
        size_t nl = d.d_namlen;
        if (off + nl > used)
            break;
        if (n + nl + 2 < sizeof names) {
            if (n)
                names[n++] = ',';
            memcpy(names + n, buf + off, nl);
            n += nl;
        }
        off += nl;
    }
    names[n] = 0;
    say("  list %s\n", names);
}

/* Prints what an fd a path_open gave shows: its listing for a directory,
 * its first bytes for anything else. */
static void reveal(int32_t fd) {
    __wasi_filestat_t st;
    if (__wasi_fd_filestat_get((__wasi_fd_t)fd, &st) == 0 &&
        st.filetype == __WASI_FILETYPE_DIRECTORY) {
        list_dir(fd);
        return;
    }
    char data[256];
    __wasi_iovec_t iov = {(uint8_t *)data, sizeof data - 1};
    __wasi_size_t got = 0;
    __wasi_errno_t e = __wasi_fd_read((__wasi_fd_t)fd, &iov, 1, &got);
    if (e != 0) {
        say("  read errno=%u\n", e);
        return;
    }
    say("  data %.*s\n", (int)got, data);
}

static int32_t create_file(int32_t fd, const char *name) {
    int32_t f;
    int32_t e = open_at(fd, 0, name, LEN(name), __WASI_OFLAGS_CREAT, WRITE_RIGHTS, 0, &f);
    closefd(f);
    return e;
}

/* ---- the ops ---- */

static const char *opset = "all";

static int want(const char *op) {
    if (streq(opset, "all"))
        return 1;
    size_t l = strlen(op);
    for (const char *p = opset; (p = strstr(p, op)) != NULL; p += l) {
        int start = p == opset || p[-1] == ',';
        int end = p[l] == 0 || p[l] == ',';
        if (start && end)
            return 1;
    }
    return 0;
}

static void report(const char *op, const char *item, int32_t e) {
    say("%s %s errno=%d\n", op, item, e);
}

static int32_t op_open(int32_t fd, const char *item, const char *op, int32_t follow,
                       const char *p, int32_t len, int32_t oflags, int64_t base,
                       int32_t fdflags, int write) {
    if (!want(op))
        return -1;
    int32_t f;
    int32_t e = open_at(fd, follow, p, len, oflags, base, fdflags, &f);
    report(op, item, e);
    if (e == 0) {
        if (write) {
            __wasi_ciovec_t iov = {(const uint8_t *)"PWNED", 5};
            __wasi_size_t done;
            say("  write errno=%u\n", __wasi_fd_write((__wasi_fd_t)f, &iov, 1, &done));
        } else {
            reveal(f);
        }
        closefd(f);
    }
    return e;
}

static int32_t op_stat(int32_t fd, const char *item, const char *op, int32_t follow,
                       const char *p, int32_t len) {
    if (!want(op))
        return -1;
    __wasi_filestat_t st;
    int32_t e = sb_path_filestat_get(fd, follow, PTR(p), len, PTR(&st));
    report(op, item, e);
    if (e == 0)
        say("  stat type=%u size=%llu\n", st.filetype, (unsigned long long)st.size);
    return e;
}

static int32_t op_readlink(int32_t fd, const char *item, const char *p, int32_t len) {
    if (!want("readlink"))
        return -1;
    char buf[512];
    int32_t got = 0;
    int32_t e = sb_path_readlink(fd, PTR(p), len, PTR(buf), sizeof buf, PTR(&got));
    report("readlink", item, e);
    if (e == 0)
        say("  link %.*s\n", (int)got, buf);
    return e;
}

static void op_times(int32_t fd, const char *item, const char *op, int32_t follow,
                     const char *p, int32_t len) {
    if (!want(op))
        return;
    /* One second after the epoch: far from any time the tree has. */
    report(op, item,
           sb_path_filestat_set_times(fd, follow, PTR(p), len, 1000000000LL, 1000000000LL,
                                      __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
}

static void op_link_from_report(int32_t fd) {
    int32_t f;
    int32_t e = open_at(fd, FOLLOW, TMP, LEN(TMP), 0, READ_RIGHTS, 0, &f);
    if (e != 0) {
        say("  open errno=%d\n", e);
    } else {
        reveal(f);
        closefd(f);
    }
}

/* Runs every wanted op on one path, relative to `fd`. */
static void run_ops(int32_t fd, const char *item, const char *p, int32_t len, int guarded) {
    int any_ok = 0;
    int32_t e;
#define RO(x)          \
    do {               \
        e = (x);       \
        if (e == 0)    \
            any_ok = 1; \
    } while (0)
    RO(op_open(fd, item, "open_r", FOLLOW, p, len, 0, READ_RIGHTS, 0, 0));
    RO(op_open(fd, item, "open_r_nofollow", 0, p, len, 0, READ_RIGHTS, 0, 0));
    RO(op_open(fd, item, "open_dir", FOLLOW, p, len, __WASI_OFLAGS_DIRECTORY, READ_RIGHTS, 0,
               0));
    RO(op_stat(fd, item, "stat", FOLLOW, p, len));
#undef RO
    /* These two look at a final symlink itself, so they may succeed on a
     * guarded path that is a symlink in the jail. */
    (void)op_stat(fd, item, "lstat", 0, p, len);
    (void)op_readlink(fd, item, p, len);
    if (guarded && any_ok) {
        say("guard %s tripped\n", item);
        return;
    }
    op_open(fd, item, "open_w", FOLLOW, p, len, 0, WRITE_RIGHTS, 0, 1);
    op_open(fd, item, "open_append", FOLLOW, p, len, 0, WRITE_RIGHTS, __WASI_FDFLAGS_APPEND, 1);
    op_open(fd, item, "open_trunc", FOLLOW, p, len, __WASI_OFLAGS_TRUNC, WRITE_RIGHTS, 0, 1);
    op_open(fd, item, "open_creat", FOLLOW, p, len, __WASI_OFLAGS_CREAT, WRITE_RIGHTS, 0, 1);
    op_open(fd, item, "open_creat_nofollow", 0, p, len, __WASI_OFLAGS_CREAT, WRITE_RIGHTS, 0,
            1);
    op_open(fd, item, "open_excl", FOLLOW, p, len, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL,
            WRITE_RIGHTS, 0, 1);
    op_times(fd, item, "times", FOLLOW, p, len);
    op_times(fd, item, "times_nofollow", 0, p, len);
    if (want("mkdir")) {
        e = sb_path_create_directory(fd, PTR(p), len);
        report("mkdir", item, e);
        if (e == 0)
            say("  undo errno=%d\n", sb_path_remove_directory(fd, PTR(p), len));
    }
    if (want("rmdir"))
        report("rmdir", item, sb_path_remove_directory(fd, PTR(p), len));
    if (want("rename_from")) {
        e = sb_path_rename(fd, PTR(p), len, fd, PTR(TMP), LEN(TMP));
        report("rename_from", item, e);
        if (e == 0)
            say("  undo errno=%d\n", sb_path_rename(fd, PTR(TMP), LEN(TMP), fd, PTR(p), len));
    }
    if (want("rename_to")) {
        (void)create_file(fd, VICTIM);
        report("rename_to", item, sb_path_rename(fd, PTR(VICTIM), LEN(VICTIM), fd, PTR(p), len));
    }
    if (want("link_from")) {
        e = sb_path_link(fd, 0, PTR(p), len, fd, PTR(TMP), LEN(TMP));
        report("link_from", item, e);
        if (e == 0) {
            op_link_from_report(fd);
            (void)sb_path_unlink_file(fd, PTR(TMP), LEN(TMP));
        }
    }
    if (want("link_to")) {
        (void)create_file(fd, VICTIM);
        report("link_to", item, sb_path_link(fd, 0, PTR(VICTIM), LEN(VICTIM), fd, PTR(p), len));
    }
    if (want("symlink_at")) {
        report("symlink_at", item,
               sb_path_symlink(PTR(VICTIM), LEN(VICTIM), fd, PTR(p), len));
    }
    if (want("unlink"))
        report("unlink", item, sb_path_unlink_file(fd, PTR(p), len));
    (void)sb_path_unlink_file(fd, PTR(VICTIM), LEN(VICTIM));
}

static int32_t fd_of(char c) {
    switch (c) {
    case '3':
        return 3;
    case '4':
        return 4;
    case 'D':
        return fd_d;
    case 'S':
        return fd_s;
    default:
        say("bad fd prefix %c\n", c);
        abort();
    }
}

static void run_items(int argc, char **argv, int first) {
    const char *global = opset;
    for (int i = first; i < argc; i++) {
        /* "ITEM#OPSET" runs only OPSET on ITEM; the label is ITEM. */
        static char item[1 << 16];
        snprintf(item, sizeof item, "%s", argv[i]);
        char *hash = strrchr(item, '#');
        opset = global;
        if (hash) {
            *hash = 0;
            opset = argv[i] + (hash - item) + 1;
        }
        const char *p = item;
        int32_t fd = 3;
        if (p[0] && p[1] == ':') {
            fd = fd_of(p[0]);
            p += 2;
        }
        int guarded = p[0] == '@';
        if (guarded)
            p++;
        run_ops(fd, item, p, LEN(p), guarded);
    }
}

static void open_d_s(void) {
    int32_t e = open_at(3, FOLLOW, "dir", 3, __WASI_OFLAGS_DIRECTORY, NOWRITE_RIGHTS, 0, &fd_d);
    if (e != 0)
        fd_d = -1;
    e = open_at(3, FOLLOW, "dir/sub", 7, __WASI_OFLAGS_DIRECTORY, NOWRITE_RIGHTS, 0, &fd_s);
    if (e != 0)
        fd_s = -1;
}

static void sleep_ms(uint64_t ms) {
    __wasi_subscription_t sub;
    memset(&sub, 0, sizeof sub);
    sub.userdata = 1;
    sub.u.tag = __WASI_EVENTTYPE_CLOCK;
    sub.u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    sub.u.u.clock.timeout = ms * 1000000ull;
    __wasi_event_t ev;
    __wasi_size_t n;
    (void)__wasi_poll_oneoff(&sub, &ev, 1, &n);
}

static int wait_for_go(void) {
    for (int i = 0; i < 1000; i++) {
        __wasi_filestat_t st;
        if (sb_path_filestat_get(3, 0, PTR("go"), 2, PTR(&st)) == 0)
            return 1;
        sleep_ms(10);
    }
    return 0;
}

/* ---- guest-made symlinks ---- */

static void gsym(const char *abs_target) {
    static const struct {
        const char *target, *name;
    } links[] = {
        {"../outside/secret.txt", "g_file"},
        {"../outside", "g_dir"},
        {"../outside/g_created", "g_dangle"},
        {"../../../../../../../../../../etc", "g_deep"},
        {"dir/../../outside/secret.txt", "g_dotdot"},
        {"g_loop2", "g_loop1"},
        {"g_loop1", "g_loop2"},
        {"file", "g_ok"},
        {"/etc/passwd", "g_abs_etc"},
        {"/", "g_abs_root"},
    };
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        say("made %s -> %s errno=%d\n", links[i].name, links[i].target,
            sb_path_symlink(PTR(links[i].target), LEN(links[i].target), 3,
                            PTR(links[i].name), LEN(links[i].name)));
    }
    say("made g_abs_host -> ABS errno=%d\n",
        sb_path_symlink(PTR(abs_target), LEN(abs_target), 3, PTR("g_abs_host"), 10));
    /* Inside a subdirectory too: "../../outside" from jail/dir. */
    say("made dir/g_up -> ../../outside errno=%d\n",
        sb_path_symlink(PTR("../../outside"), 13, 3, PTR("dir/g_up"), 8));
}

/* ---- read-only preopen ---- */

static void readonly(void) {
    __wasi_fdstat_t st;
    __wasi_errno_t e = __wasi_fd_fdstat_get(3, &st);
    say("fdstat errno=%u base=%s\n", e, rights_names(st.fs_rights_base));
    say("  inheriting=%s\n", rights_names(st.fs_rights_inheriting));

    /* Asking for fd_write is refused at open... */
    int32_t f;
    e = open_at(3, FOLLOW, "file", 4, 0, ALL_RIGHTS, 0, &f);
    say("open_all_rights errno=%u\n", e);
    closefd(f);
    /* ...and a file opened with every other right cannot write either. */
    e = open_at(3, FOLLOW, "file", 4, 0, NOWRITE_RIGHTS, 0, &f);
    say("open_nowrite_rights errno=%u\n", e);
    if (e == 0) {
        (void)__wasi_fd_fdstat_get((__wasi_fd_t)f, &st);
        say("  base=%s\n", rights_names(st.fs_rights_base));
        reveal(f);
        __wasi_ciovec_t iov = {(const uint8_t *)"PWNED", 5};
        __wasi_size_t done;
        say("fd_write errno=%u\n", __wasi_fd_write((__wasi_fd_t)f, &iov, 1, &done));
        say("fd_pwrite errno=%u\n", __wasi_fd_pwrite((__wasi_fd_t)f, &iov, 1, 0, &done));
        say("fd_filestat_set_size errno=%u\n", __wasi_fd_filestat_set_size((__wasi_fd_t)f, 0));
        say("fd_filestat_set_times errno=%u\n",
            __wasi_fd_filestat_set_times((__wasi_fd_t)f, 1, 1,
                                         __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
        say("fd_allocate errno=%u\n", __wasi_fd_allocate((__wasi_fd_t)f, 0, 4096));
        say("fd_fdstat_set_rights_add errno=%u\n",
            __wasi_fd_fdstat_set_rights((__wasi_fd_t)f, (__wasi_rights_t)ALL_RIGHTS,
                                        (__wasi_rights_t)ALL_RIGHTS));
        closefd(f);
    }
    /* The preopen cannot get its rights back either. */
    say("preopen_set_rights_add errno=%u\n",
        __wasi_fd_fdstat_set_rights(3, (__wasi_rights_t)ALL_RIGHTS,
                                    (__wasi_rights_t)ALL_RIGHTS));
    say("fd_filestat_set_times_dir errno=%u\n",
        __wasi_fd_filestat_set_times(3, 1, 1, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
    /* A subdirectory opened through it is read-only too. */
    e = open_at(3, FOLLOW, "dir", 3, __WASI_OFLAGS_DIRECTORY, NOWRITE_RIGHTS, 0, &fd_d);
    say("open_dir errno=%u\n", e);
    if (e == 0) {
        (void)__wasi_fd_fdstat_get((__wasi_fd_t)fd_d, &st);
        say("  base=%s\n", rights_names(st.fs_rights_base));
        say("  inheriting=%s\n", rights_names(st.fs_rights_inheriting));
    }
    /* Cross-directory rename and link, each direction, between the two. */
    say("rename_3_to_D errno=%d\n", sb_path_rename(3, PTR("file"), 4, fd_d, PTR("x"), 1));
    say("rename_D_to_3 errno=%d\n", sb_path_rename(fd_d, PTR("sub"), 3, 3, PTR("x"), 1));
    say("link_3_to_D errno=%d\n", sb_path_link(3, 0, PTR("file"), 4, fd_d, PTR("x"), 1));
    say("link_D_to_3 errno=%d\n",
        sb_path_link(fd_d, 0, PTR("sub/subfile"), 11, 3, PTR("x"), 1));
}

/* ---- fd 3 closed / replaced ---- */

/* Every path call on `fd`, once, with an ordinary path. */
static void every_path_call(const char *label, int32_t fd, int32_t other) {
    int32_t f;
    __wasi_filestat_t st;
    char buf[64];
    int32_t got;
    say("%s path_open errno=%d\n", label, open_at(fd, FOLLOW, "file", 4, 0, READ_RIGHTS, 0, &f));
    closefd(f);
    say("%s path_open_creat errno=%d\n", label,
        open_at(fd, FOLLOW, "new", 3, __WASI_OFLAGS_CREAT, WRITE_RIGHTS, 0, &f));
    closefd(f);
    say("%s path_filestat_get errno=%d\n", label,
        sb_path_filestat_get(fd, FOLLOW, PTR("file"), 4, PTR(&st)));
    say("%s path_filestat_set_times errno=%d\n", label,
        sb_path_filestat_set_times(fd, FOLLOW, PTR("file"), 4, 1, 1, __WASI_FSTFLAGS_MTIM));
    say("%s path_create_directory errno=%d\n", label,
        sb_path_create_directory(fd, PTR("newdir"), 6));
    say("%s path_remove_directory errno=%d\n", label,
        sb_path_remove_directory(fd, PTR("a"), 1));
    say("%s path_unlink_file errno=%d\n", label, sb_path_unlink_file(fd, PTR("file"), 4));
    say("%s path_rename_from errno=%d\n", label,
        sb_path_rename(fd, PTR("file"), 4, other, PTR("x"), 1));
    say("%s path_rename_to errno=%d\n", label,
        sb_path_rename(other, PTR("subfile"), 7, fd, PTR("x"), 1));
    say("%s path_link_from errno=%d\n", label,
        sb_path_link(fd, 0, PTR("file"), 4, other, PTR("x"), 1));
    say("%s path_link_to errno=%d\n", label,
        sb_path_link(other, 0, PTR("subfile"), 7, fd, PTR("x"), 1));
    say("%s path_symlink errno=%d\n", label, sb_path_symlink(PTR("file"), 4, fd, PTR("x"), 1));
    say("%s path_readlink errno=%d\n", label,
        sb_path_readlink(fd, PTR("ok_link"), 7, PTR(buf), sizeof buf, PTR(&got)));
    __wasi_size_t used;
    say("%s fd_readdir errno=%u\n", label,
        __wasi_fd_readdir((__wasi_fd_t)fd, (uint8_t *)buf, sizeof buf, 0, &used));
    __wasi_prestat_t ps;
    say("%s fd_prestat_get errno=%u\n", label, __wasi_fd_prestat_get((__wasi_fd_t)fd, &ps));
}

static void closed(void) {
    /* "dir/sub" opened while fd 3 is open, as the other side of renames. */
    open_d_s();
    say("open_s errno=%d\n", fd_s < 0 ? -1 : 0);
    say("close errno=%u\n", __wasi_fd_close(3));
    every_path_call("closed", 3, fd_s);
    /* The fd opened before the close still works, and is still confined. */
    __wasi_filestat_t st;
    say("S stat_subfile errno=%d\n", sb_path_filestat_get(fd_s, 0, PTR("subfile"), 7, PTR(&st)));
    say("S stat_dotdot_file errno=%d\n",
        sb_path_filestat_get(fd_s, 0, PTR("../../file"), 10, PTR(&st)));
    /* A new open gets the lowest free fd: 3 again, but it is no preopen. */
    int32_t f;
    int32_t e = open_at(fd_s, FOLLOW, "subfile", 7, 0, READ_RIGHTS, 0, &f);
    say("reopen errno=%d fd=%d\n", e, f);
    __wasi_prestat_t ps;
    say("reopen prestat errno=%u\n", __wasi_fd_prestat_get((__wasi_fd_t)f, &ps));
}

static void renumber(void) {
    open_d_s();
    int32_t f;
    int32_t e = open_at(3, FOLLOW, "file", 4, 0, READ_RIGHTS, 0, &f);
    say("open_file errno=%d\n", e);
    say("renumber_file errno=%u\n", __wasi_fd_renumber((__wasi_fd_t)f, 3));
    say("old_fd close errno=%u\n", __wasi_fd_close((__wasi_fd_t)f));
    say("fd3 reads:\n");
    reveal(3);
    every_path_call("file3", 3, fd_s);
    /* Now a subdirectory onto fd 3: it is that directory, not the jail, and
     * it does not become a preopen. */
    say("renumber_dir errno=%u\n", __wasi_fd_renumber((__wasi_fd_t)fd_s, 3));
    __wasi_filestat_t st;
    say("dir3 stat_subfile errno=%d\n", sb_path_filestat_get(3, 0, PTR("subfile"), 7, PTR(&st)));
    say("dir3 stat_file errno=%d\n", sb_path_filestat_get(3, 0, PTR("file"), 4, PTR(&st)));
    say("dir3 stat_dotdot errno=%d\n", sb_path_filestat_get(3, 0, PTR(".."), 2, PTR(&st)));
    say("dir3 stat_up_file errno=%d\n",
        sb_path_filestat_get(3, 0, PTR("../../file"), 10, PTR(&st)));
    __wasi_prestat_t ps;
    say("dir3 prestat errno=%u\n", __wasi_fd_prestat_get(3, &ps));
}

/* ---- long names and paths ---- */

static char big[1 << 20];

static void long_paths(void) {
    int32_t f;
    __wasi_filestat_t st;
    /* A 255-byte name: the longest a component may be. */
    memset(big, 'L', 255);
    int32_t e = open_at(3, 0, big, 255, __WASI_OFLAGS_CREAT, WRITE_RIGHTS, 0, &f);
    say("name255 create errno=%d\n", e);
    closefd(f);
    say("name255 stat errno=%d\n", sb_path_filestat_get(3, 0, PTR(big), 255, PTR(&st)));
    /* 256 bytes: one too many. */
    memset(big, 'M', 256);
    say("name256 create errno=%d\n",
        open_at(3, 0, big, 256, __WASI_OFLAGS_CREAT, WRITE_RIGHTS, 0, &f));
    closefd(f);
    say("name256 mkdir errno=%d\n", sb_path_create_directory(3, PTR(big), 256));
    say("name256 stat errno=%d\n", sb_path_filestat_get(3, 0, PTR(big), 256, PTR(&st)));
    say("name256 symlink errno=%d\n", sb_path_symlink(PTR("file"), 4, 3, PTR(big), 256));
    /* Paths of 4096 bytes and more. */
    static const struct {
        const char *label, *unit;
        size_t len;
    } cases[] = {
        {"dirs4100", "dir/", 4100},       {"dots4100", "./", 4100},
        {"dirs65536", "dir/", 65536},      {"up4101", "../", 4101},
        {"up_and_back8000", "a/../", 8000}, {"one1m", "z", 1 << 20},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t ul = strlen(cases[i].unit);
        for (size_t j = 0; j < cases[i].len; j++)
            big[j] = cases[i].unit[j % ul];
        int32_t len = (int32_t)cases[i].len;
        say("%s open errno=%d\n", cases[i].label, open_at(3, FOLLOW, big, len, 0, READ_RIGHTS,
                                                          0, &f));
        closefd(f);
        say("%s create errno=%d\n", cases[i].label,
            open_at(3, FOLLOW, big, len, __WASI_OFLAGS_CREAT, WRITE_RIGHTS, 0, &f));
        closefd(f);
        say("%s stat errno=%d\n", cases[i].label,
            sb_path_filestat_get(3, FOLLOW, PTR(big), len, PTR(&st)));
        say("%s mkdir errno=%d\n", cases[i].label, sb_path_create_directory(3, PTR(big), len));
        say("%s rename errno=%d\n", cases[i].label,
            sb_path_rename(3, PTR("file"), 4, 3, PTR(big), len));
        say("%s symlink_target errno=%d\n", cases[i].label,
            sb_path_symlink(PTR(big), len, 3, PTR("longlink"), 8));
        (void)sb_path_unlink_file(3, PTR("longlink"), 8);
    }
}

/* ---- path pointers outside memory ---- */

static void fault(void) {
    int32_t f = 12345;
    __wasi_filestat_t st;
    char buf[16];
    int32_t got;
    int32_t end = (int32_t)mem_end();
    struct {
        const char *label;
        int32_t ptr, len;
    } bad[] = {
        {"bad_ptr", PTR(BAD_PTR), 4},
        {"straddle", end - 2, 4},
        {"huge_len", PTR("file"), -16},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *l = bad[i].label;
        int32_t p = bad[i].ptr, n = bad[i].len;
        say("%s path_open errno=%d fd=%d\n", l,
            sb_path_open(3, FOLLOW, p, n, __WASI_OFLAGS_CREAT, WRITE_RIGHTS, 0, 0, PTR(&f)), f);
        say("%s filestat errno=%d\n", l, sb_path_filestat_get(3, FOLLOW, p, n, PTR(&st)));
        say("%s mkdir errno=%d\n", l, sb_path_create_directory(3, p, n));
        say("%s rmdir errno=%d\n", l, sb_path_remove_directory(3, p, n));
        say("%s unlink errno=%d\n", l, sb_path_unlink_file(3, p, n));
        say("%s rename_from errno=%d\n", l, sb_path_rename(3, p, n, 3, PTR("x"), 1));
        say("%s rename_to errno=%d\n", l, sb_path_rename(3, PTR("file"), 4, 3, p, n));
        say("%s link_from errno=%d\n", l, sb_path_link(3, 0, p, n, 3, PTR("x"), 1));
        say("%s link_to errno=%d\n", l, sb_path_link(3, 0, PTR("file"), 4, 3, p, n));
        say("%s symlink_target errno=%d\n", l, sb_path_symlink(p, n, 3, PTR("x"), 1));
        say("%s symlink_at errno=%d\n", l, sb_path_symlink(PTR("file"), 4, 3, p, n));
        say("%s readlink errno=%d\n", l,
            sb_path_readlink(3, p, n, PTR(buf), sizeof buf, PTR(&got)));
        say("%s times errno=%d\n", l,
            sb_path_filestat_set_times(3, FOLLOW, p, n, 1, 1, __WASI_FSTFLAGS_MTIM));
    }
    /* A good path with a bad out-pointer: fault, and nothing created. */
    say("out_ptr path_open_creat errno=%d\n",
        sb_path_open(3, FOLLOW, PTR("created_by_fault"), 16, __WASI_OFLAGS_CREAT, WRITE_RIGHTS,
                     0, 0, PTR(BAD_PTR)));
    say("out_ptr readlink errno=%d\n",
        sb_path_readlink(3, PTR("ok_link"), 7, PTR(BAD_PTR), 16, PTR(&got)));
}

int main(int argc, char **argv) {
    if (argc < 2) {
        say("usage: sandbox MODE ...\n");
        return 2;
    }
    const char *mode = argv[1];
    if (streq(mode, "ops") && argc >= 3) {
        opset = argv[2];
        open_d_s();
        run_items(argc, argv, 3);
    } else if (streq(mode, "wait") && argc >= 3) {
        opset = argv[2];
        open_d_s();
        say("opened d=%d s=%d\n", fd_d, fd_s);
        if (!wait_for_go()) {
            say("timeout\n");
            return 1;
        }
        run_items(argc, argv, 3);
    } else if (streq(mode, "gsym") && argc >= 4) {
        gsym(argv[2]);
        opset = argv[3];
        open_d_s();
        run_items(argc, argv, 4);
    } else if (streq(mode, "readonly")) {
        readonly();
    } else if (streq(mode, "closed")) {
        closed();
    } else if (streq(mode, "renumber")) {
        renumber();
    } else if (streq(mode, "long")) {
        long_paths();
    } else if (streq(mode, "fault")) {
        fault();
    } else {
        say("unknown mode %s\n", mode);
        return 2;
    }
    return 0;
}
