/* File operations in the preopened directories, driven by arguments:
 *   files write PATH TEXT   create/truncate PATH, write TEXT: "ok" or
 *                           "open errno=E" / "write errno=E" (exit 1)
 *   files read PATH         print the file's bytes ("open errno=E", exit 1)
 *   files openmany DIR N    open DIR/f0 .. DIR/f<N-1> and keep them open:
 *                           "opened=K errno=E" (E is 0 when all N opened)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int write_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "write") == 0) {
        int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) {
            printf("open errno=%d\n", errno);
            return 1;
        }
        if (write_all(fd, argv[3], strlen(argv[3])) != 0) {
            printf("write errno=%d\n", errno);
            return 1;
        }
        close(fd);
        printf("ok\n");
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "read") == 0) {
        int fd = open(argv[2], O_RDONLY);
        if (fd < 0) {
            printf("open errno=%d\n", errno);
            return 1;
        }
        char buf[512];
        ssize_t n;
        while ((n = read(fd, buf, sizeof buf)) > 0)
            write_all(1, buf, (size_t)n);
        close(fd);
        return 0;
    }
    if (argc == 4 && strcmp(argv[1], "openmany") == 0) {
        int n = atoi(argv[3]);
        for (int i = 0; i < n; i++) {
            char name[256];
            snprintf(name, sizeof name, "%s/f%d", argv[2], i);
            if (open(name, O_WRONLY | O_CREAT, 0644) < 0) {
                printf("opened=%d errno=%d\n", i, errno);
                return 0;
            }
        }
        printf("opened=%d errno=0\n", n);
        return 0;
    }
    fprintf(stderr, "usage: files write PATH TEXT | read PATH | openmany DIR N\n");
    return 2;
}
