/*
 * The guest of the Go binding's tests. argv[1] selects the case:
 *   args               one line per argument: "arg I VALUE"
 *   env                one line per environment variable, as given
 *   cat PATH...        copies each file to stdout; "cat PATH errno=E" on
 *                      failure (exit 1)
 *   write PATH TEXT    writes TEXT to PATH (created or truncated): "write
 *                      PATH ok" or "write PATH errno=E" (exit 1)
 *   append PATH TEXT   the same, appending
 *   ls DIR             the entries of DIR, sorted, one per line
 *   escape             raw path_open on fd 3 of paths that lead out:
 *                      "escape PATH errno=E" each (0 would be an escape)
 *   fds                opens DIR/f until it fails: "opened N errno=E"
 *   loop               an endless loop (until interrupted)
 *   stdin              reads stdin to its end in 7-byte raw reads, writes
 *                      it to stdout, then "read N bytes" on stderr, or
 *                      "read errno=E" (exit 1)
 *   write_status       writes "hello\n" to stdout, then says on stderr
 *                      whether that succeeded: "stdout errno=E"
 *   big N              writes N bytes of 'x' to stdout in 1000-byte writes
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

extern char **environ;

static int streq(const char *a, const char *b) { return strcmp(a, b) == 0; }

static int cat(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        printf("cat %s errno=%d\n", path, errno);
        return 1;
    }
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, stdout);
    fclose(f);
    return 0;
}

static int write_file(const char *path, const char *text, int append) {
    int fd = open(path, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), 0644);
    if (fd < 0) {
        printf("write %s errno=%d\n", path, errno);
        return 1;
    }
    size_t len = strlen(text);
    if (write(fd, text, len) != (ssize_t)len) {
        printf("write %s errno=%d\n", path, errno);
        close(fd);
        return 1;
    }
    close(fd);
    printf("write %s ok\n", path);
    return 0;
}

static int cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int ls(const char *path) {
    DIR *d = opendir(path);
    if (!d) {
        printf("ls %s errno=%d\n", path, errno);
        return 1;
    }
    char *names[256];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256) {
        if (streq(e->d_name, ".") || streq(e->d_name, ".."))
            continue;
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof names[0], cmp);
    for (size_t i = 0; i < n; i++)
        printf("%s\n", names[i]);
    return 0;
}

static void escape(void) {
    static const char *paths[] = {"..", "../outside.txt", "/etc/passwd", "out/outside.txt",
                                  "sub/../../outside.txt"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        __wasi_fd_t fd = 0;
        __wasi_errno_t e =
            __wasi_path_open(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, paths[i], 0,
                             __WASI_RIGHTS_FD_READ, 0, 0, &fd);
        printf("escape %s errno=%u\n", paths[i], e);
        if (e == 0)
            (void)__wasi_fd_close(fd);
    }
}

static void fds(const char *path) {
    int n = 0;
    for (;;) {
        int fd = open(path, O_RDONLY);
        if (fd < 0) {
            printf("opened %d errno=%d\n", n, errno);
            return;
        }
        if (++n > 5000) {
            printf("opened %d without a limit\n", n);
            return;
        }
    }
}

static int read_stdin(void) {
    char buf[7];
    size_t total = 0;
    for (;;) {
        __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
        __wasi_size_t n = 0;
        __wasi_errno_t e = __wasi_fd_read(0, &iov, 1, &n);
        if (e != 0) {
            fprintf(stderr, "read errno=%u\n", e);
            return 1;
        }
        if (n == 0)
            break;
        fwrite(buf, 1, n, stdout);
        total += n;
    }
    fflush(stdout);
    fprintf(stderr, "read %zu bytes\n", total);
    return 0;
}

static void write_status(void) {
    __wasi_ciovec_t iov = {(const uint8_t *)"hello\n", 6};
    __wasi_size_t n = 0;
    __wasi_errno_t e = __wasi_fd_write(1, &iov, 1, &n);
    fprintf(stderr, "stdout errno=%u\n", e);
}

static void big(size_t n) {
    static char buf[1000];
    memset(buf, 'x', sizeof buf);
    while (n > 0) {
        size_t k = n < sizeof buf ? n : sizeof buf;
        __wasi_ciovec_t iov = {(const uint8_t *)buf, k};
        __wasi_size_t w = 0;
        if (__wasi_fd_write(1, &iov, 1, &w) != 0)
            return;
        n -= k;
    }
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    if (streq(mode, "args")) {
        for (int i = 0; i < argc; i++)
            printf("arg %d %s\n", i, argv[i]);
    } else if (streq(mode, "env")) {
        for (char **e = environ; *e; e++)
            printf("%s\n", *e);
    } else if (streq(mode, "cat")) {
        int rc = 0;
        for (int i = 2; i < argc; i++)
            rc |= cat(argv[i]);
        return rc;
    } else if ((streq(mode, "write") || streq(mode, "append")) && argc > 3) {
        return write_file(argv[2], argv[3], streq(mode, "append"));
    } else if (streq(mode, "ls") && argc > 2) {
        return ls(argv[2]);
    } else if (streq(mode, "escape")) {
        escape();
    } else if (streq(mode, "fds") && argc > 2) {
        fds(argv[2]);
    } else if (streq(mode, "loop")) {
        volatile unsigned long n = 0;
        for (;;)
            n++;
    } else if (streq(mode, "stdin")) {
        return read_stdin();
    } else if (streq(mode, "write_status")) {
        write_status();
    } else if (streq(mode, "big") && argc > 2) {
        big(strtoul(argv[2], NULL, 10));
    } else {
        printf("unknown mode %s\n", mode);
        return 2;
    }
    return 0;
}
