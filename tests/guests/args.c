/*
 * Dumps the arguments and the environment exactly as the raw calls give
 * them, checks the layout of the pointer arrays, and compares with what
 * wasi-libc's startup code made of them.
 *
 *   args_sizes errno=0 count=N size=S
 *   args_get errno=0
 *   arg I <hex of the bytes>
 *   args_layout ok|bad
 *   (the same for env)
 *   libc_argc N
 *   libc_argv ok|bad
 *   getenv <GUEST_VAR or (null)>
 */
#include "util.c"

typedef __wasi_errno_t (*sizes_fn)(__wasi_size_t *, __wasi_size_t *);
typedef __wasi_errno_t (*get_fn)(uint8_t **, uint8_t *);

static uint8_t **raw_args;
static __wasi_size_t raw_argc;

static void dump(const char *kind, const char *item, sizes_fn sizes, get_fn get,
                 uint8_t ***keep, __wasi_size_t *keep_count) {
    __wasi_size_t count = 0xdead, size = 0xbeef;
    __wasi_errno_t e = sizes(&count, &size);
    say("%s_sizes errno=%u count=%u size=%u\n", kind, e, (unsigned)count, (unsigned)size);
    uint8_t **ptrs = malloc((count + 1) * sizeof *ptrs);
    uint8_t *buf = malloc(size + 1);
    memset(buf, 0xAA, size + 1);
    ptrs[count] = (uint8_t *)0x12345678;
    e = get(ptrs, buf);
    say("%s_get errno=%u\n", kind, e);
    int ok = 1;
    uint8_t *expect = buf;
    for (__wasi_size_t i = 0; i < count; i++) {
        if (ptrs[i] != expect)
            ok = 0;
        size_t len = strlen((const char *)ptrs[i]);
        char label[64];
        snprintf(label, sizeof label, "%s %u", item, (unsigned)i);
        say_hex(label, ptrs[i], len);
        expect = ptrs[i] + len + 1;
    }
    if (expect != buf + size || ptrs[count] != (uint8_t *)0x12345678 || buf[size] != 0xAA)
        ok = 0;
    say("%s_layout %s\n", kind, ok ? "ok" : "bad");
    if (keep) {
        *keep = ptrs;
        *keep_count = count;
    }
}

int main(int argc, char **argv) {
    dump("args", "arg", __wasi_args_sizes_get, __wasi_args_get, &raw_args, &raw_argc);
    dump("environ", "env", __wasi_environ_sizes_get, __wasi_environ_get, NULL, NULL);
    say("libc_argc %d\n", argc);
    int ok = (__wasi_size_t)argc == raw_argc;
    for (int i = 0; ok && i < argc; i++)
        ok = strcmp(argv[i], (const char *)raw_args[i]) == 0;
    say("libc_argv %s\n", ok ? "ok" : "bad");
    const char *v = getenv("GUEST_VAR");
    say("getenv %s\n", v ? v : "(null)");
    return 0;
}
