/* The start-up row's tiny module (bench/cli/run.py): prints one line. */
#include <stdio.h>

int main(void) {
    puts("hello");
    return 0;
}
