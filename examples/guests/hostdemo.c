/*
 * hostdemo: a guest for the programmable-host examples (call handlers,
 * the trace stream, deterministic mode). Modes:
 *
 *   hostdemo time DIR        print the wall clock (seconds), the monotonic
 *                            clock, sleep 1.5 s, the monotonic clock again,
 *                            8 random bytes in hex, then the names in DIR
 *                            (in the order the host lists them)
 *   hostdemo open PATH...    open each PATH for reading, print
 *                            "PATH: N bytes" or "PATH: error MESSAGE"
 *   hostdemo random PATH N   read N bytes from PATH, print them in hex
 *
 * Exits 0, or 1 when an argument is wrong (2 for a failed read in
 * `random`).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static long long nanos(clockid_t id) {
    struct timespec ts;
    if (clock_gettime(id, &ts) != 0) {
        return -1;
    }
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void hex(const unsigned char *b, size_t n) {
    for (size_t i = 0; i < n; i++) {
        printf("%02x", b[i]);
    }
    printf("\n");
}

static int time_mode(const char *dir) {
    printf("wall: %lld s\n", nanos(CLOCK_REALTIME) / 1000000000LL);
    long long before = nanos(CLOCK_MONOTONIC);
    printf("monotonic: %lld ns\n", before);
    struct timespec nap = {1, 500000000};
    nanosleep(&nap, NULL);
    long long after = nanos(CLOCK_MONOTONIC);
    printf("monotonic after sleeping 1.5 s: %lld ns (+%lld)\n", after, after - before);
    unsigned char r[8];
    if (getentropy(r, sizeof r) != 0) {
        printf("random: error %s\n", strerror(errno));
    } else {
        printf("random: ");
        hex(r, sizeof r);
    }
    DIR *d = opendir(dir);
    if (!d) {
        printf("%s: error %s\n", dir, strerror(errno));
        return 0;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            printf("entry: %s\n", e->d_name);
        }
    }
    closedir(d);
    return 0;
}

static int open_mode(int argc, char **argv) {
    for (int i = 0; i < argc; i++) {
        int fd = open(argv[i], O_RDONLY);
        if (fd < 0) {
            printf("%s: error %s\n", argv[i], strerror(errno));
            continue;
        }
        char buf[4096];
        long total = 0;
        ssize_t n;
        while ((n = read(fd, buf, sizeof buf)) > 0) {
            total += n;
        }
        close(fd);
        printf("%s: %ld bytes\n", argv[i], total);
    }
    return 0;
}

static int random_mode(const char *path, const char *count) {
    long n = strtol(count, NULL, 10);
    if (n <= 0 || n > 4096) {
        fprintf(stderr, "random: N must be 1 to 4096\n");
        return 1;
    }
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        printf("%s: error %s\n", path, strerror(errno));
        return 2;
    }
    unsigned char buf[4096];
    ssize_t got = read(fd, buf, (size_t)n);
    close(fd);
    if (got < 0) {
        printf("%s: read error %s\n", path, strerror(errno));
        return 2;
    }
    printf("%s: ", path);
    hex(buf, (size_t)got);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 3 && strcmp(argv[1], "time") == 0) {
        return time_mode(argv[2]);
    }
    if (argc >= 2 && strcmp(argv[1], "open") == 0) {
        return open_mode(argc - 2, argv + 2);
    }
    if (argc == 4 && strcmp(argv[1], "random") == 0) {
        return random_mode(argv[2], argv[3]);
    }
    fprintf(stderr, "usage: hostdemo time DIR | open PATH... | random PATH N\n");
    return 1;
}
