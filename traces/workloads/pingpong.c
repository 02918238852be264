/* Pipe ping-pong between a parent and a child: each round trip is two 1-byte writes and
 * reads, i.e. two wakeups and two context switches.
 * usage: pingpong ROUNDS [CPU_PARENT CPU_CHILD]   (CPUs: pin each side with sched_setaffinity) */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void pin(int cpu) {
    if (cpu < 0) return;
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(cpu, &s);
    if (sched_setaffinity(0, sizeof s, &s) != 0) { perror("sched_setaffinity"); exit(1); }
}

int main(int argc, char **argv) {
    long rounds = argc > 1 ? atol(argv[1]) : 10000;
    int cpuParent = argc > 3 ? atoi(argv[2]) : -1, cpuChild = argc > 3 ? atoi(argv[3]) : -1;
    int ab[2], ba[2];
    if (pipe(ab) || pipe(ba)) { perror("pipe"); return 1; }
    char c = 'x';
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); return 1; }
    if (pid == 0) {
        pin(cpuChild);
        for (long i = 0; i < rounds; i++) {
            if (read(ab[0], &c, 1) != 1 || write(ba[1], &c, 1) != 1) _exit(1);
        }
        _exit(0);
    }
    pin(cpuParent);
    for (long i = 0; i < rounds; i++) {
        if (write(ab[1], &c, 1) != 1 || read(ba[0], &c, 1) != 1) return 1;
    }
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
