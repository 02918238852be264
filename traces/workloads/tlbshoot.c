/* TLB shootdowns: a spinning thread pinned to CPU 1 keeps the mm live there while the main
 * thread, pinned to CPU 0, maps, touches and unmaps 8 pages N times. Each munmap flushes
 * locally (tlb_flush reason 3) and IPIs CPU 1 (reason 4 + ipi_send_cpu + ICR write on the
 * sender, call_function_single + reason 1 on the target).
 * usage: tlbshoot N */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static atomic_int stop;

static void pin(int cpu) {
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(cpu, &s);
    if (pthread_setaffinity_np(pthread_self(), sizeof s, &s) != 0) { fprintf(stderr, "affinity\n"); exit(1); }
}

static void *spin(void *arg) {
    (void)arg;
    pin(1);
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) { }
    return NULL;
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 5000;
    long page = sysconf(_SC_PAGESIZE);
    pin(0);
    pthread_t t;
    if (pthread_create(&t, NULL, spin, NULL) != 0) { fprintf(stderr, "pthread_create\n"); return 1; }
    usleep(1000); /* let the spinner reach CPU 1 */
    for (long i = 0; i < n; i++) {
        volatile char *p = mmap(NULL, 8 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) { perror("mmap"); return 1; }
        for (int k = 0; k < 8; k++) p[k * page] = (char)k;
        if (munmap((void *)p, 8 * page) != 0) { perror("munmap"); return 1; }
    }
    atomic_store(&stop, 1);
    pthread_join(t, NULL);
    return 0;
}
