#!/bin/sh
# Rebuilds perf-script.txt.xz: `perf script --header` of a system-wide `perf record` of
# tracepoints while fork+exec and TLB-shootdown workloads run (needs root and linux-perf).
# The issue's event list `sched:*,raw_syscalls:*,exceptions:*,tlb:*,irq_vectors:*` fails on
# the project's guest ("No permission to enable irq_vectors:irq_work_exit event"), so the
# irq_vectors and sched events are named one by one.
# Usage: Tests/PVTraceTests/Fixtures/make-perf-script.sh   (from the repository root)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -O2 -o "$work/forkexec" "$repo/traces/workloads/forkexec.c"
cc -O2 -pthread -o "$work/tlbshoot" "$repo/traces/workloads/tlbshoot.c"
events=sched:sched_switch,sched:sched_wakeup,sched:sched_wakeup_new,sched:sched_process_fork
events=$events,sched:sched_process_exec,sched:sched_process_exit,raw_syscalls:*,exceptions:*,tlb:*
events=$events,msr:write_msr,irq_vectors:local_timer_entry,irq_vectors:local_timer_exit
events=$events,irq_vectors:reschedule_entry,irq_vectors:reschedule_exit
events=$events,irq_vectors:call_function_single_entry,irq_vectors:call_function_single_exit
events=$events,ipi:ipi_send_cpu,power:cpu_idle,syscalls:sys_enter_mmap,syscalls:sys_enter_munmap
perf record -q -o "$work/perf.data" -e "$events" -a -- sh -c "'$work/forkexec' 2; '$work/tlbshoot' 10"
perf script --header -i "$work/perf.data" 2>/dev/null | xz -9 > "$here/perf-script.txt.xz"
