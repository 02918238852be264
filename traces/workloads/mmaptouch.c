/* mmap 16 anonymous pages, write one byte per page (16 user page faults), munmap; N times
 *. usage: mmaptouch N */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 5000;
    long page = sysconf(_SC_PAGESIZE);
    for (long i = 0; i < n; i++) {
        volatile char *p = mmap(NULL, 16 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) { perror("mmap"); return 1; }
        for (int k = 0; k < 16; k++) p[k * page] = (char)k;
        if (munmap((void *)p, 16 * page) != 0) { perror("munmap"); return 1; }
    }
    return 0;
}
