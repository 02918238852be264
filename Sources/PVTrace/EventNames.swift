#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How the reader decodes an event's fields, chosen once per distinct event name.
enum EventDecoder: Equatable {
    case schedSwitch
    case schedWakeup(isNew: Bool)
    case processFork, processExec, processExit
    case rawSyscallEnter, rawSyscallExit
    case pageFault(user: Bool)
    case tlbFlush
    case msrWrite, msrRead
    case vectorEntry(KernelEvent.IRQVector), vectorExit(KernelEvent.IRQVector)
    case irqHandlerEntry, irqHandlerExit
    case softirqEntry, softirqExit
    case cpuIdle
    case ipiSendCPU, ipiSendCPUMask
    /// `tracing_mark_write: text` (tracefs) or `print: tracing_mark_write: text` (trace-cmd).
    case marker, print
    case memorySyscall(KernelEvent.MemorySyscall)
    case other

    /// Tracepoint name (as printed before the colon) -> decoder. Syscall events printed in the
    /// `sys_mmap(…)` style are looked up as `sys_enter_mmap`, as trace-cmd names them.
    static func forName(_ name: String) -> EventDecoder {
        switch name {
        case "sched_switch": return .schedSwitch
        case "sched_wakeup": return .schedWakeup(isNew: false)
        case "sched_wakeup_new": return .schedWakeup(isNew: true)
        case "sched_process_fork": return .processFork
        case "sched_process_exec": return .processExec
        case "sched_process_exit": return .processExit
        case "sys_enter": return .rawSyscallEnter
        case "sys_exit": return .rawSyscallExit
        case "page_fault_user": return .pageFault(user: true)
        case "page_fault_kernel": return .pageFault(user: false)
        case "tlb_flush": return .tlbFlush
        case "write_msr": return .msrWrite
        case "read_msr": return .msrRead
        case "irq_handler_entry": return .irqHandlerEntry
        case "irq_handler_exit": return .irqHandlerExit
        case "softirq_entry": return .softirqEntry
        case "softirq_exit": return .softirqExit
        case "cpu_idle": return .cpuIdle
        case "ipi_send_cpu": return .ipiSendCPU
        case "ipi_send_cpumask": return .ipiSendCPUMask
        case "tracing_mark_write": return .marker
        case "print": return .print
        case "sys_enter_mmap": return .memorySyscall(.mmap)
        case "sys_enter_munmap": return .memorySyscall(.munmap)
        case "sys_enter_mprotect": return .memorySyscall(.mprotect)
        case "sys_enter_brk": return .memorySyscall(.brk)
        default: break
        }
        for (prefix, vector) in irqVectorNames {
            if name == prefix + "_entry" { return .vectorEntry(vector) }
            if name == prefix + "_exit" { return .vectorExit(vector) }
        }
        return .other
    }

    /// The irq_vectors tracepoints (arch/x86/include/asm/trace/irq_vectors.h,
    /// DEFINE_IRQ_VECTOR_EVENT): `<name>_entry` / `<name>_exit`.
    static let irqVectorNames: [(String, KernelEvent.IRQVector)] = [
        ("local_timer", .localTimer), ("reschedule", .reschedule),
        ("call_function", .callFunction), ("call_function_single", .callFunctionSingle),
        ("irq_work", .irqWork), ("x86_platform_ipi", .x86PlatformIPI),
        ("error_apic", .errorAPIC), ("spurious_apic", .spuriousAPIC),
        ("thermal_apic", .thermalAPIC), ("deferred_error_apic", .deferredError),
        ("threshold_apic", .thresholdAPIC), ("reboot", .other),
    ]
}

/// Distinct event names seen so far: name bytes -> decoder, interned name, line count.
/// Looked up once per line by a hash of the name bytes; a `String` is built only the first
/// time a name appears.
struct EventNameTable {
    struct Entry {
        var bytes: [UInt8]
        var decoder: EventDecoder
        var nameID: UInt32
        var name: String
        var lines: UInt64 = 0
    }

    private(set) var entries: [Entry] = []
    private var byHash: [UInt64: Int] = [:]

    /// FNV-1a over the name bytes, mixed with the print style (0 `name:`, 1 `name(`, 2 `name ->`).
    @inline(__always) static func hash(_ p: UnsafePointer<UInt8>, _ n: Int, style: UInt8) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(style)
        for i in 0..<n {
            h = (h ^ UInt64(p[i])) &* 0x0000_0100_0000_01b3
        }
        return h
    }

    /// The entry index for the name at `p[0..<n]` printed in `style`, creating it on first sight.
    mutating func index(_ p: UnsafePointer<UInt8>, _ n: Int, style: UInt8, strings: StringTable) -> Int {
        let h = Self.hash(p, n, style: style)
        if let i = byHash[h], entries[i].bytes.count == n,
           entries[i].bytes.withUnsafeBufferPointer({ memcmp($0.baseAddress!, p, n) == 0 }) {
            return i
        }
        return slowIndex(p, n, style: style, hash: h, strings: strings)
    }

    private mutating func slowIndex(_ p: UnsafePointer<UInt8>, _ n: Int, style: UInt8, hash h: UInt64,
                                    strings: StringTable) -> Int {
        let bytes = Array(UnsafeBufferPointer(start: p, count: n))
        let printed = String(decoding: bytes, as: UTF8.self)
        // tracefs prints syscalls:sys_enter_X as `sys_X(args)` and sys_exit_X as `sys_X -> ret`.
        let name: String
        switch style {
        case 1: name = "sys_enter_" + printed.dropFirst(4)
        case 2: name = "sys_exit_" + printed.dropFirst(4)
        default: name = printed
        }
        // A hash collision with a different name: find it by a full scan (never happens in practice).
        for (i, e) in entries.enumerated() where e.name == name && e.bytes == bytes { return i }
        let entry = Entry(bytes: bytes, decoder: EventDecoder.forName(name),
                          nameID: strings.intern(name), name: name)
        entries.append(entry)
        if byHash[h] == nil { byHash[h] = entries.count - 1 }
        return entries.count - 1
    }

    @inline(__always) mutating func count(_ i: Int) { entries[i].lines &+= 1 }
}
