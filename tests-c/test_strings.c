/*
 * The NUL-terminated convenience functions (`_str`): the same as their
 * (pointer, length) twins, and NULL strings refused with an error that
 * names the argument. Guests: guests/env.c and guests/files.c.
 */
#include "util.h"

static void test_str_functions_work_like_their_twins(void) {
    char *path = guest_path("env");
    wasihost_module_t *m = NULL;
    REQUIRE_OK(wasihost_module_from_file_str(g_engine, path, &m));
    wasihost_config_t *c = capture_config();
    CHECK_OK(wasihost_config_push_arg_str(c, "env"));
    CHECK_OK(wasihost_config_push_arg_str(c, "a b"));
    CHECK_OK(wasihost_config_set_env_str(c, "GREETING", "hello"));
    CHECK_OK(wasihost_config_set_env_str(c, "EMPTY", ""));
    struct run_out r;
    if (CHECK_OK(run_captured(m, c, &r))) {
        CHECK_EQ_U(r.code, 0);
        CHECK_STR_EQ(r.out, "argc=2\nargv[0]=env\nargv[1]=a b\nenv:GREETING=hello\nenv:EMPTY=\n");
        run_out_free(&r);
    }
    wasihost_config_delete(c);
    wasihost_module_delete(m);
    free(path);

    char *dir = temp_dir();
    char *file = path_join(dir, "x.txt");
    write_file(file, "abc", 3);
    path = guest_path("files");
    REQUIRE_OK(wasihost_module_from_file_str(g_engine, path, &m));
    c = capture_config();
    CHECK_OK(wasihost_config_push_arg_str(c, "files"));
    CHECK_OK(wasihost_config_push_arg_str(c, "read"));
    CHECK_OK(wasihost_config_push_arg_str(c, "/data/x.txt"));
    CHECK_OK(wasihost_config_preopen_dir_str(c, dir, "/data", WASIHOST_PREOPEN_READONLY));
    if (CHECK_OK(run_captured(m, c, &r))) {
        CHECK_EQ_U(r.code, 0);
        CHECK_STR_EQ(r.out, "abc");
        run_out_free(&r);
    }
    wasihost_config_delete(c);
    wasihost_module_delete(m);
    free(path);
    free(file);
    remove_tree(dir);
}

static void test_str_functions_refuse_null_and_bad_strings(void) {
    const int INV = WASIHOST_ERROR_KIND_INVALID_ARGUMENT;
    wasihost_module_t *m = NULL;
    CHECK_ERR(wasihost_module_from_file_str(g_engine, NULL, &m), INV, "path");
    CHECK_ERR(wasihost_module_from_file_str(g_engine, "", &m), INV, "path");
    CHECK_ERR_ERRNO(wasihost_module_from_file_str(g_engine, "/no/such/module.wasm", &m),
                    WASIHOST_ERROR_KIND_IO, WASIHOST_ERRNO_NOENT, NULL);
    CHECK(m == NULL);
    wasihost_config_t *c = wasihost_config_new();
    CHECK_ERR(wasihost_config_push_arg_str(c, NULL), INV, "arg");
    CHECK_ERR(wasihost_config_set_env_str(c, NULL, "v"), INV, "name");
    CHECK_ERR(wasihost_config_set_env_str(c, "N", NULL), INV, "value");
    CHECK_ERR(wasihost_config_set_env_str(c, "A=B", "v"), INV, "'='");
    CHECK_ERR(wasihost_config_preopen_dir_str(c, NULL, "/d", 0), INV, "host_path");
    CHECK_ERR(wasihost_config_preopen_dir_str(c, "/tmp", NULL, 0), INV, "guest_path");
    CHECK_ERR(wasihost_config_preopen_dir_str(c, "/tmp", "", 0), INV, "guest path");
    CHECK_ERR(wasihost_config_push_arg_str(NULL, "a"), INV, "config");
    wasihost_config_delete(c);
}

static const struct test_case tests[] = {
    TEST_CASE(test_str_functions_work_like_their_twins),
    TEST_CASE(test_str_functions_refuse_null_and_bad_strings),
};

int main(int argc, char **argv) { return run_suite(argc, argv, tests, sizeof tests / sizeof tests[0]); }
