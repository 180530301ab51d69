/* Copies stdin to stdout byte for byte, then writes "total=N\n" to stderr.
 * A failed read prints "read error errno=E" to stderr and exits 3; a
 * failed write, "write error errno=E", exit 4. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

int main(void) {
    static char buf[4096];
    unsigned long long total = 0;
    for (;;) {
        ssize_t n = read(0, buf, sizeof buf);
        if (n < 0) {
            fprintf(stderr, "read error errno=%d\n", errno);
            return 3;
        }
        if (n == 0)
            break;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(1, buf + off, (size_t)(n - off));
            if (w < 0) {
                fprintf(stderr, "write error errno=%d\n", errno);
                return 4;
            }
            off += w;
        }
        total += (unsigned long long)n;
    }
    fprintf(stderr, "total=%llu\n", total);
    return 0;
}
