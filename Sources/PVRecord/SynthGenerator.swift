import PVTrace

/// Emits lines in timestamp order on one global clock (so the merged output is ordered
/// exactly as tracefs merges per-CPU buffers), with periodic timer ticks on every CPU.
final class SynthGenerator {
    let cpus: Int
    let sink: ((String) -> Void)?
    private(set) var counts: [String: UInt64] = [:]
    /// Nanoseconds on the trace clock; starts at 100 s like a machine up for a while.
    var now: UInt64 = 100_000_000_000
    var current: [SynthTask]
    var nextTick: [UInt64]
    /// Busy CPUs tick at HZ=250 (4 ms, the guest's CONFIG_HZ: 114 ticks in 214 ms on 2
    /// CPUs in compile.trace.xz); idle CPUs under NOHZ ~32/s (as the bundled idle trace shows).
    static let busyTickNanoseconds: UInt64 = 4_000_000
    static let idleTickNanoseconds: UInt64 = 31_250_000
    /// TSC rate for the IA32_TSC_DEADLINE values (2.1 GHz, the recording machine's).
    static let tscPerNanosecond: UInt64 = 21  // tenths
    var nextPid: Int32 = 2000

    init(cpus: Int, sink: ((String) -> Void)?) {
        self.cpus = cpus
        self.sink = sink
        current = (0..<cpus).map { SynthTask.idle($0) }
        // Staggered so CPUs never tick in the same microsecond.
        nextTick = (0..<cpus).map { 100_000_000_000 + 1_000_000 + UInt64($0) * 1_731_000 }
    }

    // MARK: Lines

    func advance(_ ns: UInt64) { now += ns }

    /// One line at `now`; `name` is the tracepoint (for the counts), `text` what follows
    /// the timestamp.
    func line(_ cpu: Int, _ flags: String, _ name: String, _ text: String, task: SynthTask? = nil) {
        fireTicks()
        emitRaw(cpu, flags, name, text, task: task ?? current[cpu])
    }

    private func emitRaw(_ cpu: Int, _ flags: String, _ name: String, _ text: String, task t: SynthTask) {
        counts[name, default: 0] += 1
        sink?(ftraceLine(task: t, cpu: cpu, flags: flags, nanoseconds: now, text: text))
    }

    /// Timer ticks due by `now`, each on the CPU's current task (or idle), in time order.
    func fireTicks() {
        while true {
            var due = -1
            for c in 0..<cpus where nextTick[c] <= now && (due < 0 || nextTick[c] < nextTick[due]) { due = c }
            guard due >= 0 else { return }
            let saved = now
            now = nextTick[due]
            tick(due)
            now = max(saved, now + 1000)
        }
    }

    /// Shapes from the fixture and traces/idle: entry, TSC-deadline rearm, exit, TIMER softirq;
    /// on an idle CPU the tick ends HLT (cpu_idle exit) and the idle loop halts again.
    private func tick(_ cpu: Int) {
        let t = current[cpu]
        let idle = t.pid == 0
        let interval = idle ? Self.idleTickNanoseconds : Self.busyTickNanoseconds
        nextTick[cpu] = now + interval
        let deadline = (now + interval) * Self.tscPerNanosecond / 10
        let hardirq = idle ? "d.h1." : "d.h.."
        emitRaw(cpu, hardirq, "local_timer_entry", "local_timer_entry: vector=236", task: t)
        now += 5_000
        emitRaw(cpu, hardirq, "write_msr", "write_msr: 6e0, value " + hex(deadline), task: t)
        emitRaw(cpu, hardirq, "local_timer_exit", "local_timer_exit: vector=236", task: t)
        now += 1_000
        let soft = idle ? "..s1." : "..s.."
        emitRaw(cpu, soft, "softirq_entry", "softirq_entry: vec=1 [action=TIMER]", task: t)
        now += 2_000
        emitRaw(cpu, soft, "softirq_exit", "softirq_exit: vec=1 [action=TIMER]", task: t)
        if idle {
            emitRaw(cpu, "d..1.", "cpu_idle", "cpu_idle: state=4294967295 cpu_id=\(cpu)", task: t)
            now += 1_000
            emitRaw(cpu, "d..1.", "cpu_idle", "cpu_idle: state=1 cpu_id=\(cpu)", task: t)
        }
    }

    // MARK: Event helpers (formats as the bundled recordings print them)

    func sysEnter(_ cpu: Int, _ nr: Int, _ args: [UInt64]) {
        let a = (args + [0, 0, 0, 0, 0, 0]).prefix(6).map(hex).joined(separator: ", ")
        line(cpu, ".....", "sys_enter", "sys_enter: NR \(nr) (\(a))")
    }

    func sysExit(_ cpu: Int, _ nr: Int, _ ret: Int64, flags: String = ".....") {
        line(cpu, flags, "sys_exit", "sys_exit: NR \(nr) = \(ret)")
    }

    func switchTo(_ cpu: Int, _ next: SynthTask, prevState: String) {
        let prev = current[cpu]
        line(cpu, "d..2.", "sched_switch",
             "sched_switch: prev_comm=\(prev.comm) prev_pid=\(prev.pid) prev_prio=120 prev_state=\(prevState) ==> next_comm=\(next.comm) next_pid=\(next.pid) next_prio=120")
        if next.pid == 0 {
            current[cpu] = next
            line(cpu, "d..1.", "cpu_idle", "cpu_idle: state=1 cpu_id=\(cpu)")
            nextTick[cpu] = max(nextTick[cpu], now + Self.idleTickNanoseconds / 2)
            return
        }
        // switch_mm_irqs_off logs the CR3 load in the previous task's name (as the bundled recordings show);
        // switches between threads of one mm and from idle (lazy TLB, same mm) log nothing.
        if prev.tgid != next.tgid {
            line(cpu, "d..2.", "tlb_flush", "tlb_flush: pages:\(prev.pid == 0 ? -1 : 0) reason:flush on task switch (0)")
        }
        current[cpu] = next
        advance(1_000)
    }

    func wakeup(_ cpu: Int, _ task: SynthTask, target: Int, flags: String = "d..4.", new: Bool = false) {
        let name = new ? "sched_wakeup_new" : "sched_wakeup"
        line(cpu, flags, name, "\(name): comm=\(task.comm) pid=\(task.pid) prio=120 target_cpu=\(zeroPad(target, 3))")
    }

    func tlbFlush(_ cpu: Int, pages: Int, reason: Int, flags: String) {
        let names = ["flush on task switch", "remote shootdown", "local shootdown", "local MM shootdown",
                     "remote IPI send", "remote ipi send"]
        line(cpu, flags, "tlb_flush", "tlb_flush: pages:\(pages) reason:\(names[reason]) (\(reason))")
    }

    func pageFault(_ cpu: Int, user: Bool, address: UInt64, ip: String, code: Int) {
        let name = user ? "page_fault_user" : "page_fault_kernel"
        line(cpu, "d....", name, "\(name): address=0x\(hex(address)) ip=\(ip) error_code=0x\(hex(UInt64(code)))")
    }

    func newTask(comm: String, tgid: Int32? = nil) -> SynthTask {
        nextPid += 1
        return SynthTask(pid: nextPid, tgid: tgid ?? nextPid, comm: comm)
    }
}
