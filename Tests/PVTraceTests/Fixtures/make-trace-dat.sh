#!/bin/sh
# Rebuilds the trace-cmd fixtures (needs root, tracefs and trace-cmd 3.1.6):
#   instance.dat          trace-cmd's own trace.dat of one ftrace instance, small per-CPU
#                         buffers in overwrite mode so both CPUs lose events
#   instance-report.txt   16 lines of `trace-cmd report instance.dat`, both drop lines
#   instance-report-lt.txt.xz  all of `trace-cmd report -l -t instance.dat` (latency flags,
#                         ns): what pvtop's trace.dat reader must agree with, event for event
#
# `trace-cmd record` cannot run on the project's guest (it writes /proc/sys/kernel/ftrace_enabled,
# EPERM), so the instance is set up by hand and read by `trace-cmd extract -B`, which writes
# trace.dat with trace-cmd's own code. /proc/kallsyms is hidden (bind-mounted /dev/null, in a
# private mount namespace) only to keep the file small: 5 MB of symbols otherwise.
# Usage: Tests/PVTraceTests/Fixtures/make-trace-dat.sh   (from the repository root)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -O2 -o "$work/forkexec" "$repo/traces/workloads/forkexec.c"
cc -O2 -pthread -o "$work/tlbshoot" "$repo/traces/workloads/tlbshoot.c"
cc -O2 -o "$work/pingpong" "$repo/traces/workloads/pingpong.c"

unshare -m --propagation private sh -eu -c '
work=$1; out=$2
[ -d /sys/kernel/tracing/instances ] || mount -t tracefs nodev /sys/kernel/tracing
mount --bind /dev/null /proc/kallsyms
name=pvtop-fixture-$$
I=/sys/kernel/tracing/instances/$name
mkdir "$I"
# trace-cmd extract removes the instance itself; this covers every other way out.
cleanup() { if [ -d "$I" ]; then echo 0 > "$I/tracing_on"; echo > "$I/set_event"; rmdir "$I"; fi; }
trap cleanup EXIT
echo 0 > "$I/tracing_on"
echo 96 > "$I/buffer_size_kb"
echo 1 > "$I/options/overwrite"
echo local > "$I/trace_clock"
for e in sched:sched_switch sched:sched_wakeup sched:sched_wakeup_new sched:sched_process_fork \
         sched:sched_process_exec sched:sched_process_exit exceptions:page_fault_user \
         exceptions:page_fault_kernel tlb:tlb_flush msr:write_msr irq_vectors:local_timer_entry \
         irq_vectors:local_timer_exit irq_vectors:reschedule_entry irq_vectors:reschedule_exit \
         irq_vectors:call_function_single_entry irq_vectors:call_function_single_exit power:cpu_idle \
         ipi:ipi_send_cpu ipi:ipi_send_cpumask raw_syscalls:sys_enter raw_syscalls:sys_exit \
         syscalls:sys_enter_mmap syscalls:sys_enter_munmap syscalls:sys_enter_mprotect \
         syscalls:sys_enter_brk irq:softirq_entry irq:softirq_exit; do
    echo "$e" >> "$I/set_event"
done
echo 1 > "$I/tracing_on"
echo "WORKLOAD_START fixture" > "$I/trace_marker"
"$work/pingpong" 300 0 1; "$work/tlbshoot" 60; "$work/forkexec" 4
echo "WORKLOAD_END fixture" > "$I/trace_marker"
echo 0 > "$I/tracing_on"
trace-cmd extract -B "$name" -o "$out" >/dev/null 2>&1
' sh "$work" "$work/instance.dat"
cp "$work/instance.dat" "$here/instance.dat"
# The report's first lines and the other CPU's drop line with the three events after it.
trace-cmd report "$here/instance.dat" > "$work/report.txt"
{ head -12 "$work/report.txt"; tail -n +13 "$work/report.txt" | grep -m1 -A3 'EVENTS DROPPED'; } \
    > "$here/instance-report.txt"
trace-cmd report -l -t "$here/instance.dat" | xz -9 > "$here/instance-report-lt.txt.xz"
