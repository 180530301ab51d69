/*
 * fd_readdir through a read-write preopen at fd 3 ("/sandbox"). argv[1]:
 *   list   the tree file "abc", dir/inner, sym -> file, dangling -> nowhere:
 *          entries, types, inodes, cookies, small buffers, errors, and
 *          wasi-libc's opendir/readdir/seekdir
 *   many   the tree many/ with 10,000 files and one long name: every name
 *          through wasi-libc readdir, then raw fd_readdir with 64- and
 *          300-byte buffers; each section is "== <name>" then one name a
 *          line
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "util.c"
#include "fs_util.c"

#define SB 3
#define HEAD sizeof(__wasi_dirent_t)

struct ent {
    char name[256];
    uint64_t next, ino;
    uint8_t type;
};

static struct ent ents[32], other[32];
static uint8_t buf[8192];

/* Parses the complete entries of `used` bytes of `buf` into `out`; gives
 * how many. */
static int parse(const uint8_t *b, size_t used, struct ent *out, int max) {
    size_t pos = 0;
    int n = 0;
    while (pos + HEAD <= used && n < max) {
        __wasi_dirent_t d;
        memcpy(&d, b + pos, HEAD);
        if (pos + HEAD + d.d_namlen > used || d.d_namlen > 255)
            break;
        memcpy(out[n].name, b + pos + HEAD, d.d_namlen);
        out[n].name[d.d_namlen] = 0;
        out[n].next = d.d_next;
        out[n].ino = d.d_ino;
        out[n].type = d.d_type;
        n++;
        pos += HEAD + d.d_namlen;
    }
    return n;
}

/* One fd_readdir into buf, parsed; -1 and a printed line on error. */
static int list_at(const char *label, __wasi_fd_t fd, uint64_t cookie, struct ent *out) {
    __wasi_size_t used = 0;
    __wasi_errno_t e = __wasi_fd_readdir(fd, buf, sizeof buf, cookie, &used);
    if (e) {
        say("%s errno=%u\n", label, e);
        return -1;
    }
    if (used >= sizeof buf)
        say("%s buffer too small\n", label);
    return parse(buf, used, out, 32);
}

static int by_name(const void *a, const void *b) {
    return strcmp(((const struct ent *)a)->name, ((const struct ent *)b)->name);
}

struct named {
    char name[256];
    int type;
};

static int by_named(const void *a, const void *b) {
    return strcmp(((const struct named *)a)->name, ((const struct named *)b)->name);
}

static uint64_t ino_of(__wasi_fd_t fd, const char *path) {
    __wasi_filestat_t st;
    memset(&st, 0, sizeof st);
    if (path)
        (void)__wasi_path_filestat_get(fd, 0, path, &st);
    else
        (void)__wasi_fd_filestat_get(fd, &st);
    return st.ino;
}

static void say_used(const char *label, __wasi_fd_t fd, size_t len, uint64_t cookie) {
    __wasi_size_t used = 999999;
    memset(buf, 0xAA, sizeof buf);
    __wasi_errno_t e = __wasi_fd_readdir(fd, buf, len, cookie, &used);
    say("%s errno=%u used=%u after_untouched=%d\n", label, e, (unsigned)used,
        all_eq(buf + len, 64, 0xAA));
}

static void list(void) {
    int n = list_at("list", SB, 0, ents);
    if (n < 0)
        return;
    say("count=%d first=%s second=%s\n", n, ents[0].name, n > 1 ? ents[1].name : "-");
    int seq = 1;
    for (int i = 0; i < n; i++)
        seq &= ents[i].next == (uint64_t)i + 1;
    say("d_next_sequential=%d\n", seq);
    uint64_t dot = ino_of(SB, NULL);
    say("dot_ino_is_dir=%d dotdot_ino_is_dir=%d\n", ents[0].ino == dot, ents[1].ino == dot);
    int inos = 1;
    for (int i = 2; i < n; i++)
        inos &= ents[i].ino == ino_of(SB, ents[i].name);
    say("entry_inos_match_filestat=%d\n", inos);

    /* Every cookie resumes at exactly the rest of the listing. */
    int resume_ok = 1;
    for (int c = 0; c <= n; c++) {
        int m = list_at("resume", SB, (uint64_t)c, other);
        int ok = m == n - c;
        for (int i = 0; ok && i < m; i++)
            ok = streq(other[i].name, ents[c + i].name) && other[i].next == ents[c + i].next &&
                 other[i].type == ents[c + i].type;
        if (!ok)
            say("resume cookie=%d got=%d want=%d\n", c, m, n - c);
        resume_ok &= ok;
    }
    say("resume_from_every_cookie=%d\n", resume_ok);
    say("past_end count=%d\n", list_at("past_end", SB, (uint64_t)n + 5, other));
    say("huge_cookie count=%d\n", list_at("huge_cookie", SB, UINT64_MAX, other));

    struct ent sorted[32];
    memcpy(sorted, ents, sizeof(struct ent) * (size_t)n);
    qsort(sorted, (size_t)n, sizeof sorted[0], by_name);
    for (int i = 0; i < n; i++)
        say("entry %s type=%u namlen=%zu\n", sorted[i].name, sorted[i].type,
            strlen(sorted[i].name));

    /* Buffers too small for what comes next are filled to the last byte. */
    say_used("buf0", SB, 0, 0);
    say_used("buf10", SB, 10, 0);
    say_used("buf24", SB, HEAD, 0);
    say_used("buf25", SB, HEAD + 1, 0);
    say_used("buf26", SB, HEAD + 2, 0);
    say_used("buf_two_dots", SB, HEAD + 1 + HEAD + 2, 0);
    {
        /* The first 10 bytes are the first 10 of the full listing. */
        uint8_t full[64];
        __wasi_size_t used = 0;
        (void)__wasi_fd_readdir(SB, full, sizeof full, 0, &used);
        uint8_t part[10];
        (void)__wasi_fd_readdir(SB, part, sizeof part, 0, &used);
        say("buf10 prefix_matches=%d\n", memcmp(full, part, 10) == 0);
    }
    {
        __wasi_size_t used = 0;
        (void)__wasi_fd_readdir(SB, buf, sizeof buf, 0, &used);
        say("big_buffer used_lt_len=%d\n", used < sizeof buf);
    }

    /* A subdirectory: its ".." is the preopen. */
    __wasi_fd_t d = open_say("open_dir", SB, 0, "dir", __WASI_OFLAGS_DIRECTORY, ALL_RIGHTS & ~RT(FD_WRITE),
                             0, 0);
    int m = list_at("sub", d, 0, other);
    qsort(other, (size_t)(m < 0 ? 0 : m), sizeof other[0], by_name);
    for (int i = 0; i < m; i++)
        say("sub entry %s type=%u\n", other[i].name, other[i].type);
    for (int i = 0; i < m; i++) {
        if (streq(other[i].name, "."))
            say("sub dot_is_dir=%d\n", other[i].ino == ino_of(d, NULL));
        if (streq(other[i].name, ".."))
            say("sub dotdot_is_parent=%d\n", other[i].ino == dot);
    }
    close_fd(d);

    /* Errors. */
    {
        __wasi_size_t used = 7;
        __wasi_fd_t f = open_say("open_file", SB, 0, "file", 0, RO_RIGHTS, 0, 0);
        say_e("file_fd", __wasi_fd_readdir(f, buf, sizeof buf, 0, &used));
        close_fd(f);
        say_e("stdout", __wasi_fd_readdir(1, buf, sizeof buf, 0, &used));
        say_e("bad_fd", __wasi_fd_readdir(77, buf, sizeof buf, 0, &used));
        say_e("buf_oob", __wasi_fd_readdir(SB, BAD_PTR, 64, 0, &used));
        say_e("out_oob", __wasi_fd_readdir(SB, buf, 64, 0, BAD_PTR));
        say("used_untouched=%d\n", used == 7);
        d = open_say("open_no_right", SB, 0, "dir", __WASI_OFLAGS_DIRECTORY, RT(PATH_OPEN), 0, 0);
        say_e("no_right", __wasi_fd_readdir(d, buf, sizeof buf, 0, &used));
        close_fd(d);
    }

    /* wasi-libc. */
    DIR *dir = opendir("/sandbox");
    say("opendir ok=%d\n", dir != NULL);
    struct named seen[32];
    int k = 0;
    long pos3 = -1;
    struct dirent *de;
    while (k < 32 && (de = readdir(dir)) != NULL) {
        snprintf(seen[k].name, sizeof seen[k].name, "%s", de->d_name);
        seen[k].type = de->d_type;
        if (++k == 3)
            pos3 = telldir(dir);
    }
    qsort(seen, (size_t)k, sizeof seen[0], by_named);
    for (int i = 0; i < k; i++)
        say("libc %s d_type=%d\n", seen[i].name, seen[i].type);
    /* seekdir back to after the third entry gives the same rest. */
    seekdir(dir, pos3);
    int rest = 0;
    while (readdir(dir) != NULL)
        rest++;
    say("libc seekdir rest=%d of %d\n", rest, k);
    rewinddir(dir);
    rest = 0;
    while (readdir(dir) != NULL)
        rest++;
    say("libc rewinddir count=%d\n", rest);
    closedir(dir);
    errno = 0;
    dir = opendir("/sandbox/file");
    say("libc opendir_file ok=%d errno=%d\n", dir != NULL, errno);

    /* Cookie 0 reads the directory afresh. */
    __wasi_fd_t f = open_say("create", SB, 0, "late", __WASI_OFLAGS_CREAT, RW_RIGHTS, 0, 0);
    close_fd(f);
    int after = list_at("after_create", SB, 0, other);
    int found = 0;
    for (int i = 0; i < after; i++)
        found |= streq(other[i].name, "late");
    say("after_create count=%d found=%d\n", after, found);
}

/* Output for "many", gathered in big writes. */
static char out_buf[65536];
static size_t out_len;

static void out_flush(void) {
    size_t off = 0;
    while (off < out_len) {
        __wasi_ciovec_t iov = {(const uint8_t *)out_buf + off, out_len - off};
        __wasi_size_t n = 0;
        if (__wasi_fd_write(1, &iov, 1, &n) != 0 || n == 0)
            abort();
        off += n;
    }
    out_len = 0;
}

static void out_line(const char *s, size_t len) {
    if (out_len + len + 1 > sizeof out_buf)
        out_flush();
    memcpy(out_buf + out_len, s, len);
    out_len += len;
    out_buf[out_len++] = '\n';
}

/* Lists `fd` with fd_readdir, starting with a `start`-byte buffer: after
 * each call the cookie moves to the last complete entry; a call that gave
 * no complete entry doubles the buffer for the next call only. */
static void raw_list(const char *section, __wasi_fd_t fd, size_t start) {
    static uint8_t big[4096];
    size_t size = start;
    uint64_t cookie = 0;
    int grows = 0, calls = 0;
    char head[32];
    snprintf(head, sizeof head, "== %s", section);
    out_line(head, strlen(head));
    for (;;) {
        __wasi_size_t used = 0;
        __wasi_errno_t e = __wasi_fd_readdir(fd, big, size, cookie, &used);
        calls++;
        if (e) {
            say("%s readdir errno=%u\n", section, e);
            abort();
        }
        size_t pos = 0;
        int complete = 0;
        while (pos + HEAD <= used) {
            __wasi_dirent_t d;
            memcpy(&d, big + pos, HEAD);
            if (pos + HEAD + d.d_namlen > used)
                break;
            out_line((const char *)big + pos + HEAD, d.d_namlen);
            cookie = d.d_next;
            pos += HEAD + d.d_namlen;
            complete++;
        }
        if (used < size) {
            if (pos != used) {
                say("%s partial entry at the end\n", section);
                abort();
            }
            break;
        }
        if (complete == 0) {
            if (size * 2 > sizeof big) {
                say("%s entry larger than %zu bytes\n", section, sizeof big);
                abort();
            }
            size *= 2;
            grows++;
        } else {
            size = start;
        }
    }
    out_flush();
    say("%s grew=%d more_calls_than_grows=%d\n", section, grows > 0, calls > grows);
}

static void many(void) {
    DIR *dir = opendir("/sandbox/many");
    if (!dir) {
        say("opendir errno=%d\n", errno);
        return;
    }
    out_line("== libc", 7);
    struct dirent *de;
    while ((de = readdir(dir)) != NULL)
        out_line(de->d_name, strlen(de->d_name));
    out_flush();
    closedir(dir);

    __wasi_fd_t d = open_say("open_many", SB, 0, "many", __WASI_OFLAGS_DIRECTORY,
                             RT(FD_READDIR), 0, 0);
    raw_list("raw64", d, 64);
    raw_list("raw300", d, 300);
    close_fd(d);
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    if (streq(mode, "list"))
        list();
    else if (streq(mode, "many"))
        many();
    else {
        say("unknown mode %s\n", mode);
        return 2;
    }
    return 0;
}
