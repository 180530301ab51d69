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

static const char USAGE[] =
    "usage: wasihost-run [OPTIONS] [--] FILE.wasm [ARGS...]\n"
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
    "  --no-cache              compile the module without the cache\n"
    "  -h, --help              print this help and exit\n"
    "\n"
    "Exit status: the guest's exit code (0 when its main returns); the OS\n"
    "keeps only the low 8 bits, so a proc_exit code above 255 shows as the\n"
    "code modulo 256. 134 when the guest traps or is interrupted (the reason\n"
    "goes to stderr). 2 for a usage error or a module that cannot be loaded\n"
    "or set up (a missing file, invalid wasm, no _start, a missing --dir).\n";

enum opt {
    OPT_DIR,
    OPT_RO_DIR,
    OPT_ENV,
    OPT_STDIN,
    OPT_CACHE_DIR,
    OPT_CACHE_ALLOW_SHARED,
    OPT_NO_CACHE,
    OPT_HELP
};

static const struct {
    const char *name;
    enum opt opt;
    int takes_value;
} OPTIONS[] = {
    {"--dir", OPT_DIR, 1},
    {"--ro-dir", OPT_RO_DIR, 1},
    {"--env", OPT_ENV, 1},
    {"--stdin", OPT_STDIN, 1},
    {"--cache-dir", OPT_CACHE_DIR, 1},
    {"--cache-allow-shared", OPT_CACHE_ALLOW_SHARED, 0},
    {"--no-cache", OPT_NO_CACHE, 0},
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
static int run_failed(const char *module_path, wasihost_error_t *err) {
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
    case WASIHOST_ERROR_KIND_CONFIG: /* e.g. the --stdin file; names it */
        report(NULL, err);
        return EXIT_USAGE;
    default: /* e.g. an import the host does not provide */
        report(module_path, err);
        return EXIT_USAGE;
    }
}

/* Reads a whole file into *data (malloc'ed), *len. Returns 0, or an errno. */
static int read_file(const char *path, uint8_t **data, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno ? errno : EIO;
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    int err = buf ? 0 : ENOMEM;
    while (!err) {
        if (n == cap) {
            uint8_t *bigger = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
            if (!bigger) {
                err = ENOMEM;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
        errno = 0;
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f))
                err = errno ? errno : EIO;
            break;
        }
    }
    fclose(f);
    if (err) {
        free(buf);
        return err;
    }
    *data = buf;
    *len = n;
    return 0;
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
    case OPT_HELP:
        break;
    }
    if (err) {
        report(NULL, err);
        return EXIT_USAGE;
    }
    return 0;
}

/* Loads the module at `path`: through the cache unless `no_cache`
 * (`cache_flags`: WASIHOST_CACHE_FLAG_* values). Returns 0, or an exit
 * status (after reporting the error). */
static int load_module(const wasihost_engine_t *engine, const char *path, int no_cache,
                       const char *cache_dir, wasihost_cache_flags_t cache_flags,
                       wasihost_module_t **module) {
    wasihost_error_t *err;
    if (no_cache) {
        err = wasihost_module_from_file(engine, bytes(path), strlen(path), module);
    } else {
        uint8_t *data = NULL;
        size_t len = 0;
        int e = read_file(path, &data, &len);
        if (e) {
            fprintf(stderr, "wasihost-run: cannot read %s: %s\n", path, strerror(e));
            return EXIT_USAGE;
        }
        err = wasihost_module_new_cached_flags(engine, data, len, bytes(cache_dir),
                                               cache_dir ? strlen(cache_dir) : 0, cache_flags,
                                               NULL, module);
        /* Without --cache-dir there may be no default directory (no HOME):
         * then run without the cache rather than fail. */
        if (err && !cache_dir &&
            wasihost_error_kind(err) == WASIHOST_ERROR_KIND_INVALID_ARGUMENT) {
            wasihost_error_delete(err);
            err = wasihost_module_new(engine, data, len, module);
        }
        free(data);
    }
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

/* Runs the parsed command line; `first_arg` indexes FILE.wasm in argv. */
static int run(const struct action *actions, size_t nactions, int argc, char **argv,
               int first_arg) {
    const char *module_path = argv[first_arg];
    const char *cache_dir = NULL;
    int no_cache = 0, status = 0;
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
    }

    if ((err = wasihost_engine_new(&engine)) != NULL) {
        report("cannot create the engine", err);
        status = EXIT_USAGE;
        goto out;
    }
    if ((status = load_module(engine, module_path, no_cache, cache_dir, cache_flags, &module)) !=
        0)
        goto out;

    if ((err = wasihost_instance_new(module, config, &instance)) != NULL) {
        status = run_failed(module_path, err);
        goto out;
    }
    uint32_t code = 0;
    if ((err = wasihost_instance_run(instance, &code)) != NULL) {
        status = run_failed(module_path, err);
        goto out;
    }
    /* Passed through as is: the OS keeps the low 8 bits. */
    status = (int)code;

out:
    wasihost_instance_delete(instance);
    wasihost_module_delete(module);
    wasihost_engine_delete(engine);
    wasihost_config_delete(config);
    return status;
}

int main(int argc, char **argv) {
    struct action *actions = calloc((size_t)argc + 1, sizeof *actions);
    size_t nactions = 0;
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
        if (OPTIONS[k].takes_value) {
            if (eq) {
                value = eq + 1;
            } else if (i + 1 < argc) {
                value = argv[++i];
            } else {
                status = usage_error("missing value for", arg);
                goto out;
            }
        } else if (eq) {
            status = usage_error("no value allowed in", arg);
            goto out;
        }
        if (OPTIONS[k].opt == OPT_HELP) {
            fputs(USAGE, stdout);
            status = 0;
            goto out;
        }
        actions[nactions].opt = OPTIONS[k].opt;
        actions[nactions].value = value;
        nactions++;
    }
    if (i >= argc) {
        status = usage_error("missing FILE.wasm", NULL);
        goto out;
    }
    status = run(actions, nactions, argc, argv, i);
out:
    free(actions);
    return status;
}
