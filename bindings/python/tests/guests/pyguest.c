/*
 * The guest of the Python binding's tests: one small WASI command per
 * mode (argv[1]). Errors are printed as WASI errno numbers (wasi-libc's
 * errno values are the WASI ones: 44 noent, 63 perm, 76 notcapable, 29 io).
 *
 *   args              "argv[I]=VALUE" per argument
 *   env               "ENV=VALUE" per environment entry, in order
 *   cat PATH          PATH's bytes to stdout; else "cat errno=E" on stderr, exit 1
 *   write PATH TEXT   creates/truncates PATH with TEXT: "write errno=E"
 *   append PATH TEXT  appends TEXT to PATH: "append errno=E"
 *   mkdir PATH        "mkdir errno=E"
 *   unlink PATH       "unlink errno=E"
 *   ls DIR            the names in DIR, sorted, one a line
 *   escape PATH...    raw path_open of each PATH from fd 3 (the first
 *                     preopen): "PATH errno=E", and "  LEAK <bytes>" if it
 *                     opened and reading gave anything
 *   echo              copies stdin to stdout
 *   upper             stdin to stdout, in capitals
 *   big N             N bytes of 'x' to stdout; "wrote N" on stderr
 *   writes            3 raw fd_writes of "line K\n" to stdout; their errnos
 *                     on stderr ("write K errno=E")
 *   readerr           one raw fd_read of stdin: "read errno=E n=N" on stderr
 *   stderr TEXT       TEXT to stderr
 *   exit N            "before exit" to stdout, then proc_exit(N)
 *   trap              "before trap" to stdout, then a trap
 *   spin              "spinning" to stdout, then loops forever (for interrupts)
 *   openmany PATH     opens PATH until it fails: "opened N errno=E"
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

extern char **environ;

static int streq(const char *a, const char *b) { return strcmp(a, b) == 0; }

static int cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cat(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        fprintf(stderr, "cat errno=%d\n", errno);
        return 1;
    }
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        fwrite(buf, 1, (size_t)n, stdout);
    close(fd);
    return n < 0;
}

static int write_file(const char *label, const char *path, const char *text, int flags) {
    int fd = open(path, O_WRONLY | O_CREAT | flags, 0644);
    int e = 0;
    if (fd < 0) {
        e = errno;
    } else {
        if (write(fd, text, strlen(text)) < 0)
            e = errno;
        close(fd);
    }
    printf("%s errno=%d\n", label, e);
    return e != 0;
}

static int ls(const char *path) {
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "ls errno=%d\n", errno);
        return 1;
    }
    char *names[256];
    size_t n = 0;
    struct dirent *ent;
    while ((ent = readdir(d)) && n < 256)
        if (!streq(ent->d_name, ".") && !streq(ent->d_name, ".."))
            names[n++] = strdup(ent->d_name);
    closedir(d);
    qsort(names, n, sizeof *names, cmp);
    for (size_t i = 0; i < n; i++)
        printf("%s\n", names[i]);
    return 0;
}

static void escape(int argc, char **argv) {
    for (int i = 2; i < argc; i++) {
        __wasi_fd_t fd;
        __wasi_errno_t e =
            __wasi_path_open(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, argv[i], 0,
                             __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_READDIR, 0, 0, &fd);
        printf("%s errno=%u\n", argv[i], e);
        if (e == 0) {
            char buf[256];
            __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
            __wasi_size_t n = 0;
            if (__wasi_fd_read(fd, &iov, 1, &n) == 0 && n > 0)
                printf("  LEAK %.*s\n", (int)n, buf);
            (void)__wasi_fd_close(fd);
        }
    }
}

static void copy(int upper) {
    int c;
    while ((c = getchar()) != EOF)
        putchar(upper && c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
}

static __wasi_errno_t raw_write(__wasi_fd_t fd, const char *s, size_t len) {
    __wasi_ciovec_t iov = {(const uint8_t *)s, len};
    __wasi_size_t n;
    return __wasi_fd_write(fd, &iov, 1, &n);
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    const char *a2 = argc > 2 ? argv[2] : "";
    const char *a3 = argc > 3 ? argv[3] : "";
    if (streq(mode, "args")) {
        for (int i = 0; i < argc; i++)
            printf("argv[%d]=%s\n", i, argv[i]);
    } else if (streq(mode, "env")) {
        for (char **e = environ; *e; e++)
            printf("ENV=%s\n", *e);
    } else if (streq(mode, "cat")) {
        return cat(a2);
    } else if (streq(mode, "write")) {
        return write_file("write", a2, a3, O_TRUNC);
    } else if (streq(mode, "append")) {
        return write_file("append", a2, a3, O_APPEND);
    } else if (streq(mode, "mkdir")) {
        printf("mkdir errno=%d\n", mkdir(a2, 0755) ? errno : 0);
    } else if (streq(mode, "unlink")) {
        printf("unlink errno=%d\n", unlink(a2) ? errno : 0);
    } else if (streq(mode, "ls")) {
        return ls(a2);
    } else if (streq(mode, "escape")) {
        escape(argc, argv);
    } else if (streq(mode, "echo") || streq(mode, "upper")) {
        copy(streq(mode, "upper"));
    } else if (streq(mode, "big")) {
        static char buf[4096];
        memset(buf, 'x', sizeof buf);
        size_t total = strtoul(a2, NULL, 10), done = 0;
        while (done < total) {
            size_t k = total - done < sizeof buf ? total - done : sizeof buf;
            if (raw_write(1, buf, k) != 0)
                break;
            done += k;
        }
        fprintf(stderr, "wrote %zu\n", done);
    } else if (streq(mode, "writes")) {
        for (int k = 1; k <= 3; k++) {
            char line[16];
            int n = snprintf(line, sizeof line, "line %d\n", k);
            fprintf(stderr, "write %d errno=%u\n", k, raw_write(1, line, (size_t)n));
        }
    } else if (streq(mode, "readerr")) {
        char buf[64];
        __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
        __wasi_size_t n = 0;
        __wasi_errno_t e = __wasi_fd_read(0, &iov, 1, &n);
        fprintf(stderr, "read errno=%u n=%u\n", e, (unsigned)n);
    } else if (streq(mode, "stderr")) {
        fputs(a2, stderr);
    } else if (streq(mode, "exit")) {
        raw_write(1, "before exit\n", 12);
        __wasi_proc_exit((__wasi_exitcode_t)strtoul(a2, NULL, 10));
    } else if (streq(mode, "trap")) {
        raw_write(1, "before trap\n", 12);
        __builtin_trap();
    } else if (streq(mode, "spin")) {
        raw_write(1, "spinning\n", 9);
        volatile unsigned long i = 0;
        for (;;)
            i++;
    } else if (streq(mode, "openmany")) {
        int n = 0;
        while (open(a2, O_RDONLY) >= 0)
            n++;
        printf("opened %d errno=%d\n", n, errno);
    } else {
        fprintf(stderr, "unknown mode %s\n", mode);
        return 2;
    }
    return 0;
}
