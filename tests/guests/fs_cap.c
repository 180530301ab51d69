/*
 * The fd cap, with one preopen at fd 3 ("/sandbox") holding hello.txt and
 * d/. argv[1]:
 *   mfile  on a host built with max_open_fds(8): open until mfile, close
 *          one, open again
 *   leak   open 50 files and 5 directories, say "opened", and exit
 *          without closing any
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "util.c"
#include "fs_util.c"

#define SB 3

static __wasi_fd_t open_hello(const char *label) {
    __wasi_fd_t fd;
    __wasi_errno_t e = open_at(SB, 0, "hello.txt", 0, RO_RIGHTS, 0, 0, &fd);
    if (e)
        say("%s errno=%u\n", label, e);
    else
        say("%s errno=0 fd=%u\n", label, fd);
    return fd;
}

static void mfile(void) {
    char label[16];
    for (int i = 0; i < 6; i++) {
        snprintf(label, sizeof label, "open%d", i);
        open_hello(label);
    }
    say_e("close5", __wasi_fd_close(5));
    open_hello("reopen");
    open_hello("full_again");
    __wasi_fd_t fd = open_say("dir_when_full", SB, 0, "d", __WASI_OFLAGS_DIRECTORY,
                              RT(PATH_OPEN), 0, 0);
    close_fd(fd);
    /* Refused before touching the host: nothing is created. */
    fd = open_say("creat_when_full", SB, 0, "new.txt", __WASI_OFLAGS_CREAT, RW_RIGHTS, 0, 0);
    close_fd(fd);
    errno = 0;
    int r = open("/sandbox/hello.txt", O_RDONLY);
    say("libc_open ret=%d errno=%d\n", r, errno);
    /* Other calls still work at the cap. */
    say_read("read_fd4", 4);
    say_e("mkdir_when_full", __wasi_path_create_directory(SB, "made"));
    /* fd_renumber closes its target: one slot frees up. */
    say_e("renumber", __wasi_fd_renumber(6, 7));
    open_hello("after_renumber");
    for (__wasi_fd_t f = 4; f < 8; f++)
        close_fd(f);
    open_hello("after_close_all");
}

static void leak(void) {
    int files = 0, dirs = 0;
    for (int i = 0; i < 50; i++) {
        __wasi_fd_t fd;
        files += open_at(SB, 0, "hello.txt", 0, RO_RIGHTS, 0, 0, &fd) == 0;
    }
    for (int i = 0; i < 5; i++) {
        __wasi_fd_t fd;
        dirs += open_at(SB, 0, "d", __WASI_OFLAGS_DIRECTORY, RT(PATH_OPEN) | RT(FD_READDIR), 0, 0,
                        &fd) == 0;
    }
    say("opened files=%d dirs=%d\n", files, dirs);
    __wasi_proc_exit(0);
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    if (streq(mode, "mfile"))
        mfile();
    else if (streq(mode, "leak"))
        leak();
    else {
        say("unknown mode %s\n", mode);
        return 2;
    }
    return 0;
}
