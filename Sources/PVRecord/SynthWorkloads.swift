import PVTrace

/// The synthetic profiles, each one loop iteration copied from the bundled recordings.
extension SynthGenerator {
    func run(_ profile: SyntheticProfile, iterations n: Int) {
        // Every CPU starts idle, halted.
        for c in 0..<cpus { line(c, "d..1.", "cpu_idle", "cpu_idle: state=1 cpu_id=\(c)") }
        advance(10_000)
        switch profile {
        case .nullSyscall: nullSyscall(n)
        case .pipePingPong: pingPong(n)
        case .forkExit: forkLoop(n, exec: false)
        case .exec: forkLoop(n, exec: true)
        case .pageFault: pageFaults(n)
        case .mmapMunmap: mmapLoop(n)
        case .tlbShootdown: tlbShootdown(n)
        case .idle: idleTicks(n)
        }
    }

    /// Wakes `task` on CPU `cpu` out of idle (the first event of every busy profile).
    private func start(_ task: SynthTask, on cpu: Int) {
        line(cpu, "dN.1.", "cpu_idle", "cpu_idle: state=4294967295 cpu_id=\(cpu)")
        switchTo(cpu, task, prevState: "R")
    }

    private func nullSyscall(_ n: Int) {
        let t = newTask(comm: "nullsys")
        start(t, on: 0)
        for _ in 0..<n {
            sysEnter(0, 39, [0, 0, 0, 0, 0, 0])  // getpid
            advance(300)
            sysExit(0, 39, Int64(t.pid))
            advance(400)
        }
        sysEnter(0, 231, [0])  // exit_group
        line(0, ".....", "sched_process_exit", "sched_process_exit: comm=\(t.comm) pid=\(t.pid) prio=120 group_dead=true")
        switchTo(0, .idle(0), prevState: "Z")
    }

    private func pingPong(_ n: Int) {
        let a = newTask(comm: "pingpong")
        let b = newTask(comm: "pingpong")
        start(a, on: 0)
        // b is blocked in read(3) when the loop starts.
        for _ in 0..<n {
            for (me, peer, wfd, rfd) in [(a, b, UInt64(4), UInt64(5)), (b, a, UInt64(6), UInt64(3))] {
                sysEnter(0, 1, [wfd, 0x7ffe86bdda5b, 1])  // write(wfd, &c, 1)
                advance(600)
                wakeup(0, peer, target: 0)
                sysExit(0, 1, 1)
                advance(300)
                sysEnter(0, 0, [rfd, 0x7ffe86bdda5b, 1])  // read(rfd, &c, 1) blocks
                advance(500)
                switchTo(0, peer, prevState: "S")
                _ = me
                sysExit(0, 0, 1)  // the peer's read returns
                advance(400)
            }
        }
        sysEnter(0, 231, [0])
        line(0, ".....", "sched_process_exit", "sched_process_exit: comm=pingpong pid=\(a.pid) prio=120 group_dead=true")
        switchTo(0, b, prevState: "Z")
        sysEnter(0, 231, [0])
        line(0, ".....", "sched_process_exit", "sched_process_exit: comm=pingpong pid=\(b.pid) prio=120 group_dead=true")
        switchTo(0, .idle(0), prevState: "Z")
    }

    /// fork (+ exec /bin/true) + exit + wait4, on CPU 0 (shape of traces/forkexec).
    private func forkLoop(_ n: Int, exec: Bool) {
        let parentComm = exec ? "execloop" : "forkexit"
        let parent = newTask(comm: parentComm)
        start(parent, on: 0)
        for _ in 0..<n {
            // After exec the child's lines carry its final comm: `trace` resolves comms at
            // read time from saved_cmdlines (seen in traces/forkexec).
            let child = newTask(comm: exec ? "true" : parentComm)
            pageFault(0, user: false, address: 0x7f16ede43068, ip: "__put_user_8", code: 0x3)
            sysEnter(0, 56, [0x1200011, 0, 0, 0x7f16ede42a10])  // clone(SIGCHLD|CLONE_CHILD_*)
            advance(30_000)
            tlbFlush(0, pages: -1, reason: 3, flags: "d..1.")  // parent's PTEs write-protected for COW
            advance(4_000)
            line(0, ".....", "sched_process_fork",
                 "sched_process_fork: comm=\(parentComm) pid=\(parent.pid) child_comm=\(parentComm) child_pid=\(child.pid)")
            advance(2_000)
            wakeup(0, child, target: 0, flags: "d..2.", new: true)
            sysExit(0, 56, Int64(child.pid))
            advance(3_000)
            sysEnter(0, 61, [UInt64(child.pid), 0x7ffd6e9186fc, 0, 0])  // wait4
            advance(3_000)
            switchTo(0, child, prevState: "S")
            pageFault(0, user: false, address: 0x7f16ede42a10, ip: "__put_user_4", code: 0x3)
            sysExit(0, 56, 0)
            for k in 0..<6 {  // COW breaks in the child: write-protect faults + 1-page flushes
                advance(3_000)
                pageFault(0, user: true, address: 0x7f16ede43000 &- UInt64(k) * 0x1000, ip: "0x7f16edce1a40", code: 0x7)
                tlbFlush(0, pages: 1, reason: 3, flags: "d..2.")
            }
            if exec {
                execSequence(child)
            }
            advance(5_000)
            sysEnter(0, 231, [0])  // exit_group
            advance(8_000)
            line(0, ".....", "sched_process_exit", "sched_process_exit: comm=\(child.comm) pid=\(child.pid) prio=120 group_dead=true")
            advance(20_000)
            tlbFlush(0, pages: -1, reason: 0, flags: "d..1.")  // exit_mm: off the dying mm
            advance(17_000)
            wakeup(0, parent, target: 0, flags: "dN.6.")
            advance(2_000)
            switchTo(0, parent, prevState: "Z")
            sysExit(0, 61, Int64(child.pid))
            advance(5_000)
        }
        sysEnter(0, 231, [0])
        line(0, ".....", "sched_process_exit", "sched_process_exit: comm=\(parentComm) pid=\(parent.pid) prio=120 group_dead=true")
        switchTo(0, .idle(0), prevState: "Z")
    }

    private func execSequence(_ child: SynthTask) {
        advance(2_000)
        sysEnter(0, 59, [0x55ccab9a1004, 0x7ffd6e918710, 0x7ffd6e918708])
        pageFault(0, user: false, address: 0x55ccab9a1004, ip: "strncpy_from_user", code: 0x0)
        advance(20_000)
        tlbFlush(0, pages: -1, reason: 0, flags: "d..1.")  // exec_mmap: the new mm's CR3
        advance(26_000)
        tlbFlush(0, pages: 1, reason: 3, flags: "d..3.")
        tlbFlush(0, pages: -1, reason: 3, flags: "d..1.")
        advance(11_000)
        pageFault(0, user: false, address: 0x55c25cbb91e0, ip: "elf_load", code: 0x2)
        advance(13_000)
        pageFault(0, user: false, address: 0x7f2191129110, ip: "elf_load", code: 0x2)
        advance(9_000)
        line(0, ".....", "sched_process_exec", "sched_process_exec: filename=/bin/true pid=\(child.pid) old_pid=\(child.pid)")
        sysExit(0, 59, 0)
        // The dynamic loader of /bin/true, at the per-exec rates of traces/forkexec (500
        // fork+execs): ~56 user faults after exec, ~26 other syscalls, 8 mmap, 3 mprotect,
        // 2 brk, 1 munmap, COW/mprotect flushes of one page.
        let codes = [0x14, 0x14, 0x4, 0x6, 0x14, 0x4, 0x7, 0x6]
        let others = [257, 5, 0, 3, 21, 158, 218, 273, 334, 302, 318, 262, 17]  // openat, fstat, read, …
        for k in 0..<56 {
            advance(3_000)
            pageFault(0, user: true, address: 0x7f2191100000 + UInt64(k) * 0x3000, ip: "0x7f21910ff0d0",
                      code: codes[k % codes.count])
            if codes[k % codes.count] == 0x7 { tlbFlush(0, pages: 1, reason: 3, flags: "d..2.") }
            if k % 2 == 1 {
                let nr = others[(k / 2) % others.count]
                sysEnter(0, nr, [3, 0x7ffd6e918710, 0x340])
                advance(1_000)
                sysExit(0, nr, nr == 0 ? 832 : 0)
            }
        }
        for (k, brk) in [(0, "0"), (1, "0x55c905f13000")] {
            sysEnter(0, 12, [k == 0 ? 0 : 0x55c905f13000])
            line(0, ".....", "sys_enter_brk", "sys_brk(brk: \(brk))")
            advance(1_000)
            sysExit(0, 12, k == 0 ? 94_321_876_344_832 : 94_321_876_480_000)
            line(0, ".....", "sys_exit_brk", "sys_brk -> " + (k == 0 ? "0x55c905ef2000" : "0x55c905f13000"))
        }
        let maps = [(0x2000, 3, 0x22, -1), (0x82ef, 1, 0x2, 3), (0x1e1f50, 1, 0x802, 3), (0x158000, 5, 0x812, 3),
                    (0x55000, 1, 0x812, 3), (0x6000, 3, 0x812, 3), (0xd50, 3, 0x32, -1), (0x3000, 3, 0x22, -1)]
        for (len, prot, flags, fd) in maps {
            advance(5_000)
            sysEnter(0, 9, [0, UInt64(len), UInt64(prot), UInt64(flags), UInt64(bitPattern: Int64(fd)) & 0xffff_ffff, 0])
            line(0, ".....", "sys_enter_mmap",
                 "sys_mmap(addr: 0, len: 0x\(hex(UInt64(len))), prot: \(prot), flags: \(flags < 10 ? String(flags) : "0x" + hex(UInt64(flags))), fd: \(fd < 0 ? "0xffffffff" : String(fd)), off: 0)")
            advance(3_000)
            sysExit(0, 9, 140_376_585_121_792)
            line(0, ".....", "sys_exit_mmap", "sys_mmap -> 0x7fabb561b000")
        }
        for (start, len) in [(0x7fabb55f9000, 0x16000), (0x55c905e8e000, 0x1000), (0x7fabb5648000, 0x2000)] {
            advance(5_000)
            sysEnter(0, 10, [UInt64(start), UInt64(len), 1])
            line(0, ".....", "sys_enter_mprotect", "sys_mprotect(start: 0x\(hex(UInt64(start))), len: 0x\(hex(UInt64(len))), prot: 1)")
            advance(4_000)
            tlbFlush(0, pages: len / 0x1000, reason: 3, flags: "d..1.")
            sysExit(0, 10, 0)
            line(0, ".....", "sys_exit_mprotect", "sys_mprotect -> 0x0")
        }
        advance(5_000)
        sysEnter(0, 11, [0x7fabb5612000, 0x82ef])
        line(0, ".....", "sys_enter_munmap", "sys_munmap(addr: 0x7fabb5612000, len: 0x82ef)")
        advance(4_000)
        tlbFlush(0, pages: 9, reason: 3, flags: "d..1.")
        sysExit(0, 11, 0)
        line(0, ".....", "sys_exit_munmap", "sys_munmap -> 0x0")
    }

    private func pageFaults(_ n: Int) {
        let t = newTask(comm: "pagefault")
        start(t, on: 0)
        for i in 0..<n {
            pageFault(0, user: true, address: 0x7f0000000000 + UInt64(i) * 0x1000, ip: "0x55d0c0de1190", code: 0x6)
            advance(1_800)
        }
        sysEnter(0, 231, [0])
        line(0, ".....", "sched_process_exit", "sched_process_exit: comm=\(t.comm) pid=\(t.pid) prio=120 group_dead=true")
        switchTo(0, .idle(0), prevState: "Z")
    }

    private static let mapAddress: UInt64 = 0x7fb27efc8000

    /// One mmap + touch of `pages` on `cpu` (shape of traces/mmap-touch).
    private func mapAndTouch(_ cpu: Int, pages: Int) {
        let len = UInt64(pages) * 0x1000
        sysEnter(cpu, 9, [0, len, 3, 0x22, 0xffff_ffff, 0])
        line(cpu, ".....", "sys_enter_mmap", "sys_mmap(addr: 0, len: 0x\(hex(len)), prot: 3, flags: 0x22, fd: 0xffffffff, off: 0)")
        advance(1_000)
        sysExit(cpu, 9, Int64(Self.mapAddress))
        line(cpu, ".....", "sys_exit_mmap", "sys_mmap -> 0x\(hex(Self.mapAddress))")
        for k in 0..<pages {
            advance(1_500)
            pageFault(cpu, user: true, address: Self.mapAddress + UInt64(k) * 0x1000, ip: "0x5630ce8dc0f0", code: 0x6)
        }
        advance(1_500)
        sysEnter(cpu, 11, [Self.mapAddress, len, 0x10, 0x22, 0xffff_ffff, 0])
        line(cpu, ".....", "sys_enter_munmap", "sys_munmap(addr: 0x\(hex(Self.mapAddress)), len: 0x\(hex(len)))")
    }

    private func mmapLoop(_ n: Int) {
        let t = newTask(comm: "mmaploop")
        start(t, on: 0)
        for _ in 0..<n {
            mapAndTouch(0, pages: 16)
            advance(4_000)
            tlbFlush(0, pages: 16, reason: 3, flags: "d..1.")
            advance(2_000)
            sysExit(0, 11, 0)
            line(0, ".....", "sys_exit_munmap", "sys_munmap -> 0x0")
        }
        sysEnter(0, 231, [0])
        line(0, ".....", "sched_process_exit", "sched_process_exit: comm=\(t.comm) pid=\(t.pid) prio=120 group_dead=true")
        switchTo(0, .idle(0), prevState: "Z")
    }

    private func tlbShootdown(_ n: Int) {
        let sender = newTask(comm: "tlbshoot")
        let spinner = newTask(comm: "tlbshoot", tgid: sender.tgid)
        start(sender, on: 0)
        start(spinner, on: 1)
        for _ in 0..<n {
            mapAndTouch(0, pages: 8)
            advance(1_000)
            // flush_tlb_mm_range on CPU 0: the IPI decision is logged first, then the send
            // and the ICR write, then the local flush (as the bundled tlb-shootdown trace records).
            tlbFlush(0, pages: 8, reason: 4, flags: "...1.")
            advance(1_000)
            line(0, "...2.", "ipi_send_cpu",
                 "ipi_send_cpu: cpu=1 callsite=on_each_cpu_cond_mask+0x20/0x60 callback=generic_smp_call_function_single_interrupt+0x0/0x10")
            // x2APIC ICR: destination APIC id 1 in bits 32-63, vector 0xfb CALL_FUNCTION_SINGLE.
            line(0, "...2.", "write_msr", "write_msr: 830, value 1000000fb")
            advance(1_000)
            line(1, "d.h..", "call_function_single_entry", "call_function_single_entry: vector=251")
            tlbFlush(0, pages: 8, reason: 3, flags: "d..2.")
            advance(2_000)
            tlbFlush(1, pages: 8, reason: 1, flags: "d.h..")
            line(1, "d.h..", "call_function_single_exit", "call_function_single_exit: vector=251")
            advance(1_000)
            sysExit(0, 11, 0)
            line(0, ".....", "sys_exit_munmap", "sys_munmap -> 0x0")
        }
        sysEnter(0, 231, [0])
        line(1, ".....", "sched_process_exit", "sched_process_exit: comm=tlbshoot pid=\(spinner.pid) prio=120 group_dead=false")
        switchTo(1, .idle(1), prevState: "Z")
        line(0, ".....", "sched_process_exit", "sched_process_exit: comm=tlbshoot pid=\(sender.pid) prio=120 group_dead=true")
        switchTo(0, .idle(0), prevState: "Z")
    }

    private func idleTicks(_ n: Int) {
        // Ticks fire inside `line`, so run the clock to just past the n-th tick of the last CPU.
        let end = nextTick[cpus - 1] + UInt64(n - 1) * Self.idleTickNanoseconds + 1
        now = end
        fireTicks()
    }
}

