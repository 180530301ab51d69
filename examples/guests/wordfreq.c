/*
 * wordfreq: the bundled guest program of the main job.
 *
 *   wordfreq [N [INPUT [OUTPUT]]]
 *
 * Reads text from INPUT (default stdin), counts how often each word occurs
 * (case-folded, letters and apostrophes), and writes the N most frequent
 * words (default 10) to OUTPUT (default stdout), then a summary line on
 * stdout. Exercises args, environ, path_open, fd_read, fd_write,
 * clock_time_get and proc_exit through wasi-libc.
 *
 * Exit status: 0 on success, 1 on bad usage, 2 when a file cannot be
 * opened, 3 when the input holds no word.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct entry {
    char *word;
    unsigned count;
};

static struct entry *table;
static size_t table_cap = 1024, table_len;

static uint64_t hash(const char *s) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    while (*s) {
        h ^= (unsigned char)*s++;
        h *= 1099511628211ull;
    }
    return h;
}

static void grow(void);

static void add(const char *w) {
    if (table_len * 2 >= table_cap)
        grow();
    size_t i = hash(w) & (table_cap - 1);
    while (table[i].word) {
        if (strcmp(table[i].word, w) == 0) {
            table[i].count++;
            return;
        }
        i = (i + 1) & (table_cap - 1);
    }
    table[i].word = strdup(w);
    table[i].count = 1;
    table_len++;
}

static void grow(void) {
    struct entry *old = table;
    size_t old_cap = table_cap;
    table_cap *= 2;
    table = calloc(table_cap, sizeof *table);
    table_len = 0;
    for (size_t i = 0; i < old_cap; i++) {
        if (old[i].word) {
            size_t j = hash(old[i].word) & (table_cap - 1);
            while (table[j].word)
                j = (j + 1) & (table_cap - 1);
            table[j] = old[i];
            table_len++;
        }
    }
    free(old);
}

static int by_count(const void *a, const void *b) {
    const struct entry *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return strcmp(x->word, y->word);
}

int main(int argc, char **argv) {
    long top = 10;
    if (argc > 4) {
        fprintf(stderr, "usage: wordfreq [N [INPUT [OUTPUT]]]\n");
        return 1;
    }
    if (argc >= 2) {
        char *end;
        top = strtol(argv[1], &end, 10);
        if (*end || top <= 0) {
            fprintf(stderr, "wordfreq: N must be a positive number, not '%s'\n", argv[1]);
            return 1;
        }
    }
    FILE *in = stdin, *out = stdout;
    if (argc >= 3 && !(in = fopen(argv[2], "r"))) {
        fprintf(stderr, "wordfreq: cannot open %s: %s\n", argv[2], strerror(errno));
        return 2;
    }
    if (argc >= 4 && !(out = fopen(argv[3], "w"))) {
        fprintf(stderr, "wordfreq: cannot create %s: %s\n", argv[3], strerror(errno));
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);

    table = calloc(table_cap, sizeof *table);
    char word[256];
    size_t wlen = 0;
    unsigned long words = 0, bytes = 0, lines = 0;
    int c;
    while ((c = getc(in)) != EOF) {
        bytes++;
        if (c == '\n')
            lines++;
        if (isalpha(c) || (c == '\'' && wlen > 0)) {
            if (wlen < sizeof word - 1)
                word[wlen++] = (char)tolower(c);
        } else if (wlen > 0) {
            while (wlen > 0 && word[wlen - 1] == '\'')
                wlen--;
            word[wlen] = 0;
            if (wlen > 0) {
                add(word);
                words++;
            }
            wlen = 0;
        }
    }
    if (wlen > 0) {
        word[wlen] = 0;
        add(word);
        words++;
    }
    if (words == 0) {
        fprintf(stderr, "wordfreq: no words on stdin\n");
        return 3;
    }

    struct entry *list = malloc(table_len * sizeof *list);
    size_t n = 0;
    for (size_t i = 0; i < table_cap; i++)
        if (table[i].word)
            list[n++] = table[i];
    qsort(list, n, sizeof *list, by_count);

    clock_gettime(CLOCK_MONOTONIC, &t1);
    long us = (long)((t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000);

    const char *lang = getenv("LANG");
    fprintf(out, "%-16s %s\n", "word", "count");
    for (size_t i = 0; i < n && i < (size_t)top; i++)
        fprintf(out, "%-16s %u\n", list[i].word, list[i].count);
    if (out != stdout && fclose(out) != 0) {
        fprintf(stderr, "wordfreq: cannot write %s: %s\n", argv[3], strerror(errno));
        return 2;
    }
    if (out != stdout)
        printf("wrote the top %ld words to %s\n", top, argv[3]);
    printf("-- %lu lines, %lu words, %zu distinct, %lu bytes (LANG=%s)\n", lines, words, n,
           bytes, lang ? lang : "unset");
    fprintf(stderr, "wordfreq: counted in %ld us\n", us);
    return 0;
}
