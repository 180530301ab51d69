/*
 * wasihost-run: run a WASI command (a .wasm or .wat file) in the wasihost
 * sandbox. The command-line front end of the C API (include/wasihost.h);
 * it follows the CLI contract shared with the Python and Go runners.
 *
 *   wasihost-run [OPTIONS] [--] FILE.wasm [ARGS...]
 *
 * See usage() below, or run `wasihost-run --help`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

#include "wasihost.h"

/* Exit statuses of the runner itself (a guest's own code passes through). */
#define EXIT_USAGE 2 /* bad usage, or the module cannot be loaded or set up */
#define EXIT_TRAP 134 /* the guest trapped or was interrupted */
#define EXIT_TIMEOUT 124 /* --timeout: the guest ran out of time (as timeout(1)) */
#define EXIT_MEMORY 137 /* --max-memory: its memories as declared exceed the cap */
#define EXIT_FUEL 152 /* --fuel: the guest ran out of fuel */

static const char USAGE[] =
    "usage: wasihost-run [OPTIONS] [--] FILE.wasm [ARGS...]\n"
    "       wasihost-run [--cache-dir DIR] --cache-clear\n"
    "\n"
    "Runs the WASI command FILE.wasm (binary or WAT text) in a sandbox. The\n"
    "guest gets FILE.wasm (as given) as argv[0], then ARGS; it sees no\n"
    "directory and no environment variable unless granted below. stdin,\n"
    "stdout and stderr pass through. Options end at the first argument that\n"
    "is not an option (or at --): what follows goes to the guest.\n"
    "\n"
    "Options (VALUE may also be given as --option=VALUE):\n"
    "  --dir HOST[::GUEST]     grant the host directory HOST, read-write, at\n"
    "                          the guest path GUEST (default: HOST itself)\n"
    "  --ro-dir HOST[::GUEST]  the same, read-only\n"
    "  --env NAME=VALUE        set a guest environment variable\n"
    "  --env NAME              pass the host's NAME through (if it is set)\n"
    "  --stdin FILE            the guest reads FILE as its stdin\n"
    "  --cache-dir DIR         keep compiled modules in DIR (default:\n"
    "                          $WASIHOST_CACHE_DIR, else $XDG_CACHE_HOME/wasihost,\n"
    "                          else $HOME/.cache/wasihost)\n"
    "  --cache-allow-shared    use the cache directory even if others may write\n"
    "                          it or another user owns it (refused otherwise:\n"
    "                          anyone who can write it can replace the code run)\n"
    "  --cache-max-size BYTES  bound the cache to BYTES of disk (default 1G; 0:\n"
    "                          no bound): after storing a module, the least\n"
    "                          recently used ones are deleted to fit\n"
    "  --cache-clear           delete every compiled module in the cache, print\n"
    "                          how many bytes that freed, and exit (no FILE)\n"
    "  --no-cache              compile the module without the cache\n"
    "  -h, --help              print this help and exit\n";

/* The rest of the help (one string would pass the length C compilers must
 * support). */
static const char USAGE_LIMITS[] =
    "\n"
    "Limits (none of them by default but the memory and fd caps):\n"
    "  --timeout DURATION      stop the guest after DURATION (its start function,\n"
    "                          then its run, each get the whole of it): a number\n"
    "                          (decimals allowed) with a unit ns, us, ms, s, m or h,\n"
    "                          e.g. 100ms or 1.5s; a bare number is seconds; > 0.\n"
    "                          Only with this option does the guest's code carry\n"
    "                          the checks that make it interruptible\n"
    "  --fuel N                stop the guest after N units of fuel (about one per\n"
    "                          wasm instruction); N >= 1. Turns on fuel metering\n"
    "  --max-memory BYTES      the most bytes all the guest's memories may hold\n"
    "                          together (default 4 GiB); memory.grow past it\n"
    "                          returns -1 to the guest. BYTES: an integer, with an\n"
    "                          optional K, M, G or T (powers of 1024; KiB, MiB,\n"
    "                          GiB, TiB too), e.g. 64M\n"
    "  --max-open-fds N        the most fds the guest may hold open (default 1024;\n"
    "                          at least 3 plus the --dir and --ro-dir preopens)\n"
    "\n"
    "Tracing and reproducible runs:\n"
    "  --trace FILE            write every WASI call the guest makes to FILE, one\n"
    "                          JSON object per line: call, arguments (paths as\n"
    "                          text, flags by name), errno, results, duration\n"
    "  --trace-filter LIST     trace only these calls: a comma-separated list of\n"
    "                          groups (args, clock, fd, path, poll, proc, random,\n"
    "                          sock; fs = fd,path; all) and call names (path_open)\n"
    "  --deterministic[=SEED]  frozen wall clock (2000-01-01T00:00:00Z), a\n"
    "                          monotonic clock that starts at 0 and advances only\n"
    "                          by what the guest sleeps (without waiting), and\n"
    "                          random bytes from SEED (default 0): two runs with\n"
    "                          the same inputs print the same\n"
    "\n"
    "Exit status: the guest's exit code (0 when its main returns); the OS\n"
    "keeps only the low 8 bits, so a proc_exit code above 255 shows as the\n"
    "code modulo 256. 134 when the guest traps or is interrupted (the reason\n"
    "goes to stderr). 124 when it timed out (--timeout), 152 when it ran out\n"
    "of fuel (--fuel), 137 when its memories as declared exceed --max-memory.\n"
    "A guest that fails after a memory.grow was refused gets a note on stderr.\n"
    "2 for a usage error (a bad DURATION, N or BYTES included) or a module\n"
    "that cannot be loaded or set up (a missing file, invalid wasm, no _start,\n"
    "a missing --dir).\n";

enum opt {
    OPT_DIR,
    OPT_RO_DIR,
    OPT_ENV,
    OPT_STDIN,
    OPT_CACHE_DIR,
    OPT_CACHE_ALLOW_SHARED,
    OPT_CACHE_MAX_SIZE,
    OPT_CACHE_CLEAR,
    OPT_NO_CACHE,
    OPT_TIMEOUT,
    OPT_FUEL,
    OPT_MAX_MEMORY,
    OPT_MAX_OPEN_FDS,
    OPT_TRACE,
    OPT_TRACE_FILTER,
    OPT_DETERMINISTIC,
    OPT_HELP
};

static const struct {
    const char *name;
    enum opt opt;
    int takes_value; /* 0 no, 1 yes, 2 optional (only as --option=VALUE) */
} OPTIONS[] = {
    {"--dir", OPT_DIR, 1},
    {"--ro-dir", OPT_RO_DIR, 1},
    {"--env", OPT_ENV, 1},
    {"--stdin", OPT_STDIN, 1},
    {"--cache-dir", OPT_CACHE_DIR, 1},
    {"--cache-allow-shared", OPT_CACHE_ALLOW_SHARED, 0},
    {"--cache-max-size", OPT_CACHE_MAX_SIZE, 1},
    {"--cache-clear", OPT_CACHE_CLEAR, 0},
    {"--no-cache", OPT_NO_CACHE, 0},
    {"--timeout", OPT_TIMEOUT, 1},
    {"--fuel", OPT_FUEL, 1},
    {"--max-memory", OPT_MAX_MEMORY, 1},
    {"--max-open-fds", OPT_MAX_OPEN_FDS, 1},
    {"--trace", OPT_TRACE, 1},
    {"--trace-filter", OPT_TRACE_FILTER, 1},
    {"--deterministic", OPT_DETERMINISTIC, 2},
    {"--help", OPT_HELP, 0},
    {"-h", OPT_HELP, 0},
};

/* One option from the command line, with its value (or NULL). */
struct action {
    enum opt opt;
    const char *value;
};

static int usage_error(const char *msg, const char *what) {
    fprintf(stderr, "wasihost-run: %s%s%s%s (try --help)\n", msg, what ? " \"" : "",
            what ? what : "", what ? "\"" : "");
    return EXIT_USAGE;
}

/* The limits from the command line (0 / NULL: not given). */
struct limits {
    uint64_t timeout_ns;
    const char *timeout_text; /* as given, for the message */
    uint64_t fuel;
    uint64_t max_memory;
    int has_max_memory;
    uint64_t max_open_fds;
    const char *max_open_fds_text;
    const char *trace;        /* --trace FILE */
    const char *trace_filter; /* --trace-filter LIST */
    int deterministic;
    uint64_t seed;
    uint64_t cache_max_size;
    int has_cache_max_size;
    int cache_clear;
};

/* Reads decimal digits at *s into *out, advancing *s. Returns 0, or -1
 * when there are none or the number does not fit. */
static int parse_digits(const char **s, uint64_t *out) {
    const char *p = *s;
    uint64_t n = 0;
    if (*p < '0' || *p > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (n > (UINT64_MAX - d) / 10)
            return -1;
        n = n * 10 + d;
    }
    *s = p;
    *out = n;
    return 0;
}

/* An integer and nothing else. */
static int parse_u64(const char *s, uint64_t *out) {
    return parse_digits(&s, out) == 0 && *s == '\0' ? 0 : -1;
}

/* A DURATION: digits, optionally a fraction, then a unit (ns, us, ms, s,
 * m, h; none: seconds), in nanoseconds. The fraction is exact down to the
 * nanosecond (each unit is a multiple of every lower power of ten), finer
 * digits are dropped. Returns 0, or -1 (also for a duration of 0 ns or
 * one past UINT64_MAX ns). */
static int parse_duration(const char *s, uint64_t *ns) {
    static const struct {
        const char *name;
        uint64_t ns;
    } UNITS[] = {{"ns", 1},
                 {"us", 1000},
                 {"ms", 1000000},
                 {"s", 1000000000},
                 {"", 1000000000},
                 {"m", 60000000000ull},
                 {"h", 3600000000000ull}};
    uint64_t whole = 0;
    const char *p = s, *frac = NULL;
    if (*p != '.' && parse_digits(&p, &whole) != 0)
        return -1;
    if (*p == '.') {
        frac = ++p;
        while (*p >= '0' && *p <= '9')
            p++;
        if (p == frac && p - 1 == s) /* "." alone */
            return -1;
    }
    size_t k = 0, n = sizeof UNITS / sizeof UNITS[0];
    while (k < n && strcmp(UNITS[k].name, p) != 0)
        k++;
    if (k == n)
        return -1;
    uint64_t unit = UNITS[k].ns;
    if (whole > UINT64_MAX / unit)
        return -1;
    uint64_t total = whole * unit;
    for (uint64_t scale = unit / 10; frac && *frac >= '0' && *frac <= '9' && scale > 0;
         frac++, scale /= 10) {
        uint64_t add = (uint64_t)(*frac - '0') * scale;
        if (total > UINT64_MAX - add)
            return -1;
        total += add;
    }
    if (total == 0)
        return -1;
    *ns = total;
    return 0;
}

/* BYTES: an integer, optionally followed by K, M, G or T (or KiB, MiB,
 * GiB, TiB): powers of 1024. Returns 0, or -1. */
static int parse_bytes(const char *s, uint64_t *out) {
    static const char SUFFIXES[] = "KMGT";
    uint64_t n = 0;
    if (parse_digits(&s, &n) != 0)
        return -1;
    if (*s != '\0') {
        const char *at = strchr(SUFFIXES, *s);
        if (!at || !(s[1] == '\0' || strcmp(s + 1, "iB") == 0))
            return -1;
        for (int shift = 10 * (int)(at - SUFFIXES + 1); shift > 0; shift -= 10) {
            if (n > UINT64_MAX >> 10)
                return -1;
            n <<= 10;
        }
    }
    *out = n;
    return 0;
}

/* Parses the value of a limit option into `lim`. Returns 0, or the exit
 * status of a usage error naming the option and the value. */
static int parse_limit(enum opt opt, const char *value, struct limits *lim) {
    switch (opt) {
    case OPT_TIMEOUT:
        if (parse_duration(value, &lim->timeout_ns) != 0)
            return usage_error("--timeout needs a DURATION above 0: a number with a unit ns, "
                               "us, ms, s, m or h (e.g. 100ms, 1.5s; none: seconds), not",
                               value);
        lim->timeout_text = value;
        return 0;
    case OPT_FUEL:
        if (parse_u64(value, &lim->fuel) != 0 || lim->fuel == 0)
            return usage_error("--fuel needs an integer N >= 1, not", value);
        return 0;
    case OPT_MAX_MEMORY:
        if (parse_bytes(value, &lim->max_memory) != 0)
            return usage_error("--max-memory needs BYTES: an integer, optionally followed by "
                               "K, M, G or T (e.g. 64M), not",
                               value);
        lim->has_max_memory = 1;
        return 0;
    case OPT_CACHE_MAX_SIZE:
        if (parse_bytes(value, &lim->cache_max_size) != 0)
            return usage_error("--cache-max-size needs BYTES: an integer, optionally followed "
                               "by K, M, G or T (e.g. 512M), not",
                               value);
        lim->has_cache_max_size = 1;
        return 0;
    case OPT_CACHE_CLEAR:
        lim->cache_clear = 1;
        return 0;
    case OPT_TRACE:
        if (value[0] == '\0')
            return usage_error("--trace needs a FILE, not", value);
        lim->trace = value;
        return 0;
    case OPT_TRACE_FILTER:
        lim->trace_filter = value;
        return 0;
    case OPT_DETERMINISTIC:
        lim->deterministic = 1;
        if (value && parse_u64(value, &lim->seed) != 0)
            return usage_error("--deterministic=SEED needs an integer SEED, not", value);
        return 0;
    case OPT_MAX_OPEN_FDS:
        /* The lower bound depends on the preopens: checked in run(). */
        if (parse_u64(value, &lim->max_open_fds) != 0 || lim->max_open_fds < 3 ||
            lim->max_open_fds > SIZE_MAX)
            return usage_error("--max-open-fds needs an integer N >= 3 (stdio, plus one per "
                               "--dir and --ro-dir), not",
                               value);
        lim->max_open_fds_text = value;
        return 0;
    default:
        return 0;
    }
}

/* Prints "wasihost-run: [CONTEXT: ]MESSAGE" and frees the error. */
static void report(const char *context, wasihost_error_t *err) {
    if (context)
        fprintf(stderr, "wasihost-run: %s: %s\n", context, wasihost_error_message(err));
    else
        fprintf(stderr, "wasihost-run: %s\n", wasihost_error_message(err));
    wasihost_error_delete(err);
}

/* The exit status for an error from instantiating or running the guest
 * (after reporting it); frees the error. */
static int run_failed(const char *module_path, const struct limits *lim,
                      wasihost_error_t *err) {
    uint32_t code = 0;
    switch (wasihost_error_kind(err)) {
    case WASIHOST_ERROR_KIND_EXIT: /* proc_exit from a start function */
        wasihost_error_exit_code(err, &code);
        wasihost_error_delete(err);
        return (int)code;
    case WASIHOST_ERROR_KIND_TRAP:
        report("trap", err);
        return EXIT_TRAP;
    case WASIHOST_ERROR_KIND_INTERRUPTED:
        report("interrupted", err);
        return EXIT_TRAP;
    case WASIHOST_ERROR_KIND_TIMEOUT:
        fprintf(stderr, "wasihost-run: timed out after %s\n",
                lim->timeout_text ? lim->timeout_text : "the timeout");
        wasihost_error_delete(err);
        return EXIT_TIMEOUT;
    case WASIHOST_ERROR_KIND_FUEL_EXHAUSTED:
        fprintf(stderr, "wasihost-run: out of fuel after %llu units\n",
                (unsigned long long)lim->fuel);
        wasihost_error_delete(err);
        return EXIT_FUEL;
    case WASIHOST_ERROR_KIND_MEMORY_LIMIT: {
        char context[160];
        if (lim->has_max_memory)
            snprintf(context, sizeof context, "%.80s: more memory than --max-memory (%llu bytes)",
                     module_path, (unsigned long long)lim->max_memory);
        else
            snprintf(context, sizeof context, "%.80s: more memory than --max-memory (default 4 GiB)",
                     module_path);
        report(context, err);
        return EXIT_MEMORY;
    }
    case WASIHOST_ERROR_KIND_CONFIG: /* e.g. the --stdin file; names it */
        report(NULL, err);
        return EXIT_USAGE;
    default: /* e.g. an import the host does not provide */
        report(module_path, err);
        return EXIT_USAGE;
    }
}

static const uint8_t *bytes(const char *s) { return (const uint8_t *)s; }

/* Applies one option to the config. Returns 0, or an exit status. */
static int apply(wasihost_config_t *config, const struct action *a) {
    wasihost_error_t *err = NULL;
    switch (a->opt) {
    case OPT_DIR:
    case OPT_RO_DIR: {
        /* HOST::GUEST, or HOST alone: the guest sees it under the same
         * name, as with wasmtime. */
        const char *host = a->value, *sep = strstr(a->value, "::");
        size_t host_len = sep ? (size_t)(sep - host) : strlen(host);
        const char *guest = sep ? sep + 2 : host;
        if (host_len == 0 || *guest == '\0')
            return usage_error(a->opt == OPT_DIR ? "--dir needs HOST[::GUEST], not"
                                                 : "--ro-dir needs HOST[::GUEST], not",
                               a->value);
        uint32_t flags = a->opt == OPT_RO_DIR ? WASIHOST_PREOPEN_READONLY : 0;
        err = wasihost_config_preopen_dir(config, bytes(host), host_len, bytes(guest),
                                          strlen(guest), flags);
        break;
    }
    case OPT_ENV: {
        const char *eq = strchr(a->value, '=');
        if (eq)
            err = wasihost_config_set_env(config, bytes(a->value), (size_t)(eq - a->value),
                                          bytes(eq + 1), strlen(eq + 1));
        else
            err = wasihost_config_inherit_env_var(config, bytes(a->value), strlen(a->value));
        if (err) {
            char context[64];
            snprintf(context, sizeof context, "--env \"%.40s\"", a->value);
            report(context, err);
            return EXIT_USAGE;
        }
        break;
    }
    case OPT_STDIN:
        err = wasihost_config_stdin_file(config, bytes(a->value), strlen(a->value));
        break;
    case OPT_CACHE_DIR:
    case OPT_CACHE_ALLOW_SHARED:
    case OPT_NO_CACHE:
    case OPT_TIMEOUT: /* the limits: parsed in main(), applied in run() */
    case OPT_FUEL:
    case OPT_MAX_MEMORY:
    case OPT_CACHE_MAX_SIZE:
    case OPT_CACHE_CLEAR:
    case OPT_TRACE:
    case OPT_TRACE_FILTER:
    case OPT_DETERMINISTIC:
    case OPT_MAX_OPEN_FDS:
    case OPT_HELP:
        break;
    }
    if (err) {
        report(NULL, err);
        return EXIT_USAGE;
    }
    return 0;
}

/* A cache handle for `cache_dir` (NULL: the default directory) with the
 * flags and the size limit of the command line. Returns NULL with *err set
 * (kind INVALID_ARGUMENT when there is no default directory). */
static wasihost_cache_t *open_cache(const char *cache_dir, wasihost_cache_flags_t cache_flags,
                                    const struct limits *lim, wasihost_error_t **err) {
    wasihost_cache_t *cache = NULL;
    *err = wasihost_cache_new(bytes(cache_dir), cache_dir ? strlen(cache_dir) : 0, &cache);
    if (!*err)
        *err = wasihost_cache_set_flags(cache, cache_flags);
    if (!*err && lim->has_cache_max_size)
        *err = wasihost_cache_set_max_size(
            cache, lim->cache_max_size ? lim->cache_max_size : WASIHOST_CACHE_UNBOUNDED);
    if (*err) {
        wasihost_cache_delete(cache);
        return NULL;
    }
    return cache;
}

/* Loads the module at `path`: through the cache unless `no_cache`
 * (`cache_flags`: WASIHOST_CACHE_FLAG_* values). Returns 0, or an exit
 * status (after reporting the error). */
static int load_module(const wasihost_engine_t *engine, const char *path, int no_cache,
                       const char *cache_dir, wasihost_cache_flags_t cache_flags,
                       const struct limits *lim, wasihost_module_t **module) {
    wasihost_error_t *err = NULL;
    wasihost_cache_t *cache = NULL;
    if (!no_cache) {
        cache = open_cache(cache_dir, cache_flags, lim, &err);
        /* Without --cache-dir there may be no default directory (no HOME):
         * then run without the cache rather than fail. */
        if (err && !cache_dir &&
            wasihost_error_kind(err) == WASIHOST_ERROR_KIND_INVALID_ARGUMENT) {
            wasihost_error_delete(err);
            err = NULL;
            no_cache = 1;
        }
    }
    if (!err) {
        if (cache)
            err = wasihost_cache_load_file(cache, engine, bytes(path), strlen(path), NULL, module);
        else
            err = wasihost_module_from_file(engine, bytes(path), strlen(path), module);
    }
    wasihost_cache_delete(cache);
    if (err && !no_cache && wasihost_error_kind(err) == WASIHOST_ERROR_KIND_IO &&
        wasihost_error_errno(err) == 63 /* perm */) {
        /* The cache directory is not private: the message names it and
         * says what to do; add the option that allows it anyway. */
        fprintf(stderr, "wasihost-run: %s (--cache-allow-shared)\n", wasihost_error_message(err));
        wasihost_error_delete(err);
        return EXIT_USAGE;
    }
    if (err) {
        /* An I/O error names the file already; wasmtime's does not. */
        report(wasihost_error_kind(err) == WASIHOST_ERROR_KIND_IO ? NULL : path, err);
        return EXIT_USAGE;
    }
    if (!wasihost_module_has_export(*module, bytes("_start"), 6)) {
        fprintf(stderr, "wasihost-run: %s: the module exports no _start function "
                        "(not a WASI command)\n", path);
        wasihost_module_delete(*module);
        *module = NULL;
        return EXIT_USAGE;
    }
    return 0;
}

/* Sets the limits on the config. Returns 0, or an exit status. */
static int apply_limits(wasihost_config_t *config, const struct limits *lim, size_t npreopens) {
    wasihost_error_t *err = NULL;
    if (lim->max_open_fds_text && lim->max_open_fds < 3 + (uint64_t)npreopens) {
        char msg[128];
        snprintf(msg, sizeof msg,
                 "--max-open-fds must be at least %llu (stdio and %zu preopened "
                 "director%s), not",
                 3 + (unsigned long long)npreopens, npreopens, npreopens == 1 ? "y" : "ies");
        return usage_error(msg, lim->max_open_fds_text);
    }
    if (lim->timeout_ns)
        err = wasihost_config_set_timeout_ns(config, lim->timeout_ns);
    if (!err && lim->fuel)
        err = wasihost_config_set_fuel(config, lim->fuel);
    if (!err && lim->has_max_memory)
        err = wasihost_config_set_max_memory(config, lim->max_memory);
    if (!err && lim->max_open_fds_text)
        err = wasihost_config_set_max_open_fds(config, (size_t)lim->max_open_fds);
    if (lim->trace_filter && !lim->trace)
        return usage_error("--trace-filter needs --trace FILE", NULL);
    if (!err && lim->trace) {
        const char *filter = lim->trace_filter ? lim->trace_filter : "";
        err = wasihost_config_set_trace_file(config, bytes(lim->trace), strlen(lim->trace),
                                             bytes(filter), strlen(filter));
        if (err) {
            report("--trace", err);
            return EXIT_USAGE;
        }
    }
    if (!err && lim->deterministic)
        err = wasihost_config_set_deterministic(config, lim->seed);
    if (err) {
        report(NULL, err);
        return EXIT_USAGE;
    }
    return 0;
}

/* Runs the parsed command line; `first_arg` indexes FILE.wasm in argv. */
static int run(const struct action *actions, size_t nactions, const struct limits *lim,
               int argc, char **argv, int first_arg) {
    const char *module_path = argv[first_arg];
    const char *cache_dir = NULL;
    int no_cache = 0, status = 0;
    size_t npreopens = 0;
    wasihost_cache_flags_t cache_flags = 0;
    wasihost_config_t *config = NULL;
    wasihost_engine_t *engine = NULL;
    wasihost_module_t *module = NULL;
    wasihost_instance_t *instance = NULL;
    wasihost_error_t *err = NULL;

    config = wasihost_config_new();
    if (!config) {
        fprintf(stderr, "wasihost-run: cannot create a config\n");
        return EXIT_USAGE;
    }
    /* The guest's argv: the module path as given, then its arguments. */
    for (int i = first_arg; i < argc && !err; i++)
        err = wasihost_config_push_arg(config, bytes(argv[i]), strlen(argv[i]));
    if (!err)
        err = wasihost_config_stdin_inherit(config);
    if (!err)
        err = wasihost_config_output_inherit(config, WASIHOST_STDOUT);
    if (!err)
        err = wasihost_config_output_inherit(config, WASIHOST_STDERR);
    if (err) {
        report(NULL, err);
        status = EXIT_USAGE;
        goto out;
    }
    for (size_t i = 0; i < nactions; i++) {
        if (actions[i].opt == OPT_CACHE_DIR)
            cache_dir = actions[i].value;
        else if (actions[i].opt == OPT_CACHE_ALLOW_SHARED)
            cache_flags |= WASIHOST_CACHE_FLAG_ALLOW_SHARED_DIR;
        else if (actions[i].opt == OPT_NO_CACHE)
            no_cache = 1;
        else if ((status = apply(config, &actions[i])) != 0)
            goto out;
        if (actions[i].opt == OPT_DIR || actions[i].opt == OPT_RO_DIR)
            npreopens++;
    }
    if ((status = apply_limits(config, lim, npreopens)) != 0)
        goto out;

    /* Interruption and fuel metering cost time in every loop of the
     * guest's compiled code: the engine has them only when asked for. */
    wasihost_engine_flags_t flags = 0;
    if (lim->timeout_ns)
        flags |= WASIHOST_ENGINE_INTERRUPTIBLE;
    if (lim->fuel)
        flags |= WASIHOST_ENGINE_FUEL;
    if ((err = wasihost_engine_new_with_flags(flags, &engine)) != NULL) {
        report("cannot create the engine", err);
        status = EXIT_USAGE;
        goto out;
    }
    if ((status = load_module(engine, module_path, no_cache, cache_dir, cache_flags, lim,
                              &module)) != 0)
        goto out;

    if ((err = wasihost_instance_new(module, config, &instance)) != NULL) {
        status = run_failed(module_path, lim, err);
        goto out;
    }
    uint32_t code = 0;
    if ((err = wasihost_instance_run(instance, &code)) != NULL)
        status = run_failed(module_path, lim, err);
    else
        status = (int)code; /* passed through as is: the OS keeps the low 8 bits */
    /* A guest that fails after being refused memory most likely fails
     * because of it: say so. */
    if (status != 0 && wasihost_instance_memory_limit_reached(instance))
        fprintf(stderr, "wasihost-run: note: the guest reached the --max-memory limit\n");

out:
    wasihost_instance_delete(instance);
    wasihost_module_delete(module);
    wasihost_engine_delete(engine);
    wasihost_config_delete(config);
    return status;
}

/* --cache-clear: deletes the compiled modules of the cache the command
 * line names (--cache-dir, --cache-allow-shared) and prints how many bytes
 * that freed. Returns the exit status. */
static int clear_cache(const struct action *actions, size_t nactions) {
    const char *cache_dir = NULL;
    wasihost_cache_flags_t cache_flags = 0;
    for (size_t i = 0; i < nactions; i++) {
        if (actions[i].opt == OPT_CACHE_DIR)
            cache_dir = actions[i].value;
        else if (actions[i].opt == OPT_CACHE_ALLOW_SHARED)
            cache_flags |= WASIHOST_CACHE_FLAG_ALLOW_SHARED_DIR;
    }
    wasihost_error_t *err = NULL;
    wasihost_cache_t *cache = NULL;
    struct limits none;
    memset(&none, 0, sizeof none);
    cache = open_cache(cache_dir, cache_flags, &none, &err);
    uint64_t freed = 0;
    if (!err)
        err = wasihost_cache_clear(cache, &freed);
    wasihost_cache_delete(cache);
    if (err) {
        report("--cache-clear", err);
        return EXIT_USAGE;
    }
    printf("freed %llu bytes\n", (unsigned long long)freed);
    return 0;
}

int main(int argc, char **argv) {
    struct action *actions = calloc((size_t)argc + 1, sizeof *actions);
    struct limits lim;
    size_t nactions = 0;
    memset(&lim, 0, sizeof lim);
    int i = 1, status;
    if (!actions) {
        fprintf(stderr, "wasihost-run: out of memory\n");
        return EXIT_USAGE;
    }
    /* Options, up to the first non-option (the module) or "--". */
    for (; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--") == 0) {
            i++;
            break;
        }
        if (arg[0] != '-' || arg[1] == '\0')
            break;
        const char *eq = strncmp(arg, "--", 2) == 0 ? strchr(arg, '=') : NULL;
        size_t name_len = eq ? (size_t)(eq - arg) : strlen(arg);
        size_t k = 0, n = sizeof OPTIONS / sizeof OPTIONS[0];
        while (k < n && !(strlen(OPTIONS[k].name) == name_len &&
                          strncmp(OPTIONS[k].name, arg, name_len) == 0))
            k++;
        if (k == n) {
            status = usage_error("unknown option", arg);
            goto out;
        }
        const char *value = NULL;
        if (OPTIONS[k].takes_value == 1) {
            if (eq) {
                value = eq + 1;
            } else if (i + 1 < argc) {
                value = argv[++i];
            } else {
                status = usage_error("missing value for", arg);
                goto out;
            }
        } else if (eq && OPTIONS[k].takes_value == 0) {
            status = usage_error("no value allowed in", arg);
            goto out;
        } else if (eq) {
            value = eq + 1;
        }
        if (OPTIONS[k].opt == OPT_HELP) {
            fputs(USAGE, stdout);
            fputs(USAGE_LIMITS, stdout);
            status = 0;
            goto out;
        }
        if ((status = parse_limit(OPTIONS[k].opt, value, &lim)) != 0)
            goto out;
        actions[nactions].opt = OPTIONS[k].opt;
        actions[nactions].value = value;
        nactions++;
    }
    if (lim.cache_clear) {
        status = i < argc ? usage_error("--cache-clear takes no FILE.wasm, got", argv[i])
                          : clear_cache(actions, nactions);
        goto out;
    }
    if (i >= argc) {
        status = usage_error("missing FILE.wasm", NULL);
        goto out;
    }
    status = run(actions, nactions, &lim, argc, argv, i);
out:
    free(actions);
    return status;
}
