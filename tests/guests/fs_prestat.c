/*
 * Preopened directories as the guest sees them. argv[1]:
 *   names   preopens "/sandbox" (fd 3) and "/other/dir" (fd 4):
 *           fd_prestat_get / fd_prestat_dir_name on them and on other fds
 *   nested  preopens "/a" and "/a/b" (either order): files written through
 *           wasi-libc at "/a/b/x", "/a/y", "/a/b2/z", "/a/b/sub/w" land in
 *           the preopen with the longest matching guest path
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.c"
#include "fs_util.c"

__attribute__((import_module("wasi_snapshot_preview1"), import_name("fd_prestat_get"))) int32_t
raw_fd_prestat_get(int32_t fd, int32_t out);

static void say_prestat(const char *label, __wasi_fd_t fd) {
    __wasi_prestat_t p;
    memset(&p, 0x55, sizeof p);
    __wasi_errno_t e = __wasi_fd_prestat_get(fd, &p);
    if (e)
        say("%s prestat errno=%u\n", label, e);
    else
        say("%s prestat errno=0 tag=%u len=%u\n", label, p.tag, (unsigned)p.u.dir.pr_name_len);
}

/* fd_prestat_dir_name into a buffer of `len` bytes (of a poisoned 64). */
static void say_name(const char *label, __wasi_fd_t fd, size_t len) {
    uint8_t b[64];
    memset(b, 0xAA, sizeof b);
    __wasi_errno_t e = __wasi_fd_prestat_dir_name(fd, b, len);
    size_t n = 0;
    while (n < sizeof b && b[n] != 0xAA)
        n++;
    say("%s dir_name len=%zu errno=%u written=\"%s\" rest_untouched=%d\n", label, len, e,
        esc(b, n), all_eq(b + n, sizeof b - n, 0xAA));
}

static void names(void) {
    for (__wasi_fd_t fd = 3; fd <= 4; fd++) {
        char label[16];
        snprintf(label, sizeof label, "fd%u", fd);
        say_prestat(label, fd);
        __wasi_prestat_t p;
        (void)__wasi_fd_prestat_get(fd, &p);
        size_t len = p.u.dir.pr_name_len;
        say_name(label, fd, len);
        say_name(label, fd, len - 1);
        say_name(label, fd, 0);
        say_name(label, fd, 64);
    }
    say_prestat("fd5", 5);
    say_name("fd5", 5, 64);
    for (__wasi_fd_t fd = 0; fd < 3; fd++) {
        char label[16];
        snprintf(label, sizeof label, "stdio%u", fd);
        say_prestat(label, fd);
        say_name(label, fd, 64);
    }
    __wasi_fd_t sub = open_say("open_sub", 3, 0, "sub", __WASI_OFLAGS_DIRECTORY,
                               RT(PATH_OPEN) | RT(FD_READDIR), 0, 0);
    say_prestat("sub", sub);
    say_name("sub", sub, 64);
    __wasi_fd_t f = open_say("open_file", 3, 0, "sub/f", 0, RO_RIGHTS, 0, 0);
    say_prestat("file", f);
    say_name("file", f, 64);
    close_fd(f);

    say_e("out_oob", (__wasi_errno_t)raw_fd_prestat_get(3, (int32_t)0xFFFFFFF0u));
    {
        static __wasi_prestat_t p[2];
        say_e("out_misaligned", (__wasi_errno_t)raw_fd_prestat_get(3, PTR(p) + 1));
    }
    say_e("name_oob", __wasi_fd_prestat_dir_name(3, BAD_PTR, 8));

    /* A renumbered preopen is still a preopen, at its new number. */
    say_e("renumber", __wasi_fd_renumber(4, sub));
    say_prestat("renumbered", sub);
    say_name("renumbered", sub, 64);
    say_prestat("old_number", 4);
}

static void write_file(const char *path, const char *text) {
    errno = 0;
    FILE *f = fopen(path, "w");
    if (!f) {
        say("fopen %s errno=%d\n", path, errno);
        return;
    }
    fputs(text, f);
    say("wrote %s fclose=%d\n", path, fclose(f));
}

static int by_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void nested(void) {
    write_file("/a/b/x", "x");
    write_file("/a/y", "y");
    write_file("/a/b2/z", "z");
    errno = 0;
    int r = mkdir("/a/b/sub", 0755);
    say("mkdir /a/b/sub ret=%d errno=%d\n", r, r ? errno : 0);
    write_file("/a/b/sub/w", "w");
    DIR *d = opendir("/a/b");
    char *names[16];
    int n = 0;
    struct dirent *de;
    while (d && n < 16 && (de = readdir(d)) != NULL)
        names[n++] = strdup(de->d_name);
    if (d)
        closedir(d);
    qsort(names, (size_t)n, sizeof names[0], by_str);
    for (int i = 0; i < n; i++)
        say("ls /a/b: %s\n", names[i]);
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    if (streq(mode, "names"))
        names();
    else if (streq(mode, "nested"))
        nested();
    else {
        say("unknown mode %s\n", mode);
        return 2;
    }
    return 0;
}
