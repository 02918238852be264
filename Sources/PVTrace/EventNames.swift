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
/// Looked up once per line by a hash of the name bytes in a small open-addressed table; a
/// `String` is built only the first time a name appears. The per-line fields are parallel
/// arrays so a lookup copies no `String` or array (no retain/release on the hot path).
struct EventNameTable {
    struct Entry {
        var bytes: [UInt8]
        var name: String
        var hash: UInt64
    }

    private(set) var entries: [Entry] = []
    private(set) var decoders: [EventDecoder] = []
    private(set) var nameIDs: [UInt32] = []
    var lines: [UInt64] = []
    /// The printed name bytes of all entries, back to back (compared without touching `entries`).
    private var pool: [UInt8] = []
    private var poolOffsets: [Int] = []
    private var poolLengths: [Int] = []
    /// Open addressing, linear probing: hash and entry index + 1 (0 = empty slot).
    private var slotHashes = [UInt64](repeating: 0, count: 256)
    private var slotEntries = [Int32](repeating: 0, count: 256)
    /// Distinct names kept; a further name maps to the one `overflowName` entry.
    let capacity: Int
    /// The entry every name past the cap is counted under (created on first need).
    private(set) var overflowIndex: Int?
    static let overflowName = "(other event names)"

    init(capacity: Int = .max) {
        self.capacity = max(capacity, 1)
    }

    /// A hash of the name bytes and the print style (0 `name:`, 1 `name(`, 2 `name ->`,
    /// 3 `<stack trace>`).
    /// Names of 8 bytes or more are hashed from their first and last 8 bytes (two loads instead
    /// of a byte loop); equality is always confirmed with memcmp.
    @inline(__always) static func hash(_ p: UnsafePointer<UInt8>, _ n: Int, style: UInt8) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(style) ^ UInt64(truncatingIfNeeded: n) << 56
        if n >= 8 {
            let raw = UnsafeRawPointer(p)
            let head = raw.loadUnaligned(as: UInt64.self)
            let tail = raw.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
            h ^= head &* 0x9e37_79b9_7f4a_7c15
            h = (h ^ (h >> 29)) &* 0xbf58_476d_1ce4_e5b9
            h ^= tail &* 0x94d0_49bb_1331_11eb
            return h ^ (h >> 32)
        }
        for i in 0..<n {
            h = (h ^ UInt64(p[i])) &* 0x0000_0100_0000_01b3
        }
        return h
    }

    /// The entry index for the name at `p[0..<n]` printed in `style`, creating it on first sight.
    mutating func index(_ p: UnsafePointer<UInt8>, _ n: Int, style: UInt8, strings: StringTable) -> Int {
        let h = Self.hash(p, n, style: style)
        let mask = slotHashes.count - 1
        var slot = Int(truncatingIfNeeded: h) & mask
        while slotEntries[slot] != 0 {
            if slotHashes[slot] == h {
                let i = Int(slotEntries[slot]) - 1
                if poolLengths[i] == n,
                   pool.withUnsafeBufferPointer({ memcmp($0.baseAddress! + poolOffsets[i], p, n) == 0 }) {
                    return i
                }
            }
            slot = (slot + 1) & mask
        }
        return insert(p, n, style: style, hash: h, strings: strings)
    }

    private mutating func insert(_ p: UnsafePointer<UInt8>, _ n: Int, style: UInt8, hash h: UInt64,
                                 strings: StringTable) -> Int {
        if entries.count >= capacity {
            if let overflowIndex { return overflowIndex }
            entries.append(Entry(bytes: [], name: Self.overflowName, hash: 0))
            decoders.append(.other)
            nameIDs.append(strings.intern(Self.overflowName))
            lines.append(0)
            poolOffsets.append(pool.count)
            poolLengths.append(-1)  // matches no name: never found by `index`
            overflowIndex = entries.count - 1
            return entries.count - 1
        }
        let bytes = Array(UnsafeBufferPointer(start: p, count: n))
        let printed = String(decoding: bytes, as: UTF8.self)
        // tracefs prints syscalls:sys_enter_X as `sys_X(args)` and sys_exit_X as `sys_X -> ret`.
        let name: String
        switch style {
        case 1: name = "sys_enter_" + printed.dropFirst(4)
        case 2: name = "sys_exit_" + printed.dropFirst(4)
        default: name = printed
        }
        entries.append(Entry(bytes: bytes, name: name, hash: h))
        decoders.append(EventDecoder.forName(name))
        nameIDs.append(strings.intern(name))
        lines.append(0)
        poolOffsets.append(pool.count)
        poolLengths.append(n)
        pool.append(contentsOf: bytes)
        if entries.count * 2 > slotHashes.count { rehash(slotHashes.count * 2) } else { place(h, entries.count - 1) }
        return entries.count - 1
    }

    private mutating func place(_ h: UInt64, _ index: Int) {
        let mask = slotHashes.count - 1
        var slot = Int(truncatingIfNeeded: h) & mask
        while slotEntries[slot] != 0 { slot = (slot + 1) & mask }
        slotHashes[slot] = h
        slotEntries[slot] = Int32(index + 1)
    }

    private mutating func rehash(_ size: Int) {
        slotHashes = [UInt64](repeating: 0, count: size)
        slotEntries = [Int32](repeating: 0, count: size)
        for (i, e) in entries.enumerated() { place(e.hash, i) }
    }
}
