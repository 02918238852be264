/// What `Kernel.expand` produces and every engine prices.

/// The kernel's output for one event: calls grouped in segments, each one kernel path.
/// Reused across events (cleared, capacity kept) so expansion does not allocate.
public struct Expansion {
    public var calls: [PVCall] = []
    public var segments: [Segment] = []

    public struct Segment: Sendable, Equatable {
        public var eventClass: EventClass
        public var start: Int
        public var end: Int
        /// False when the path continues in a later event (syscall enter … exit): the engine
        /// keeps the cycles and records one latency sample when the final segment comes.
        public var isFinal: Bool
        public var context: CallContext
    }

    public init() {
        calls.reserveCapacity(64)
        segments.reserveCapacity(8)
    }

    public mutating func removeAll() {
        calls.removeAll(keepingCapacity: true)
        segments.removeAll(keepingCapacity: true)
    }

    public var isEmpty: Bool { segments.isEmpty }
}

extension Expansion {
    /// One kernel path: `out.segment(.fork, context) { $0.add(.pgd_alloc) … }`.
    mutating func segment(_ eventClass: EventClass, _ context: CallContext, final: Bool = true,
                          _ body: (inout Expansion) -> Void) {
        let start = calls.count
        body(&self)
        segments.append(.init(eventClass: eventClass, start: start, end: calls.count,
                              isFinal: final, context: context))
    }

    mutating func add(_ op: PVOp, count: Int = 1, arg: UInt64 = 0) {
        guard count > 0 else { return }
        calls.append(PVCall(op, count: UInt32(clamping: count), arg: arg))
    }

    mutating func add(_ call: PVCall) { calls.append(call) }

    mutating func addIRQPairs(_ n: Int) {
        guard n > 0 else { return }
        add(.save_fl, count: n)
        add(.irq_disable, count: n)
        add(.irq_enable, count: n)
    }

    /// The local flush of `pages` pages: INVLPG each up to the ceiling, else a full flush
    /// (arch/x86/mm/tlb.c flush_tlb_func: `nr_invalidate` against tlb_single_page_flush_ceiling).
    mutating func addLocalFlush(pages: Int32, ceiling: Int) {
        if pages < 0 || Int(pages) > ceiling { add(.flush_tlb_user) } else { add(.flush_tlb_one_user, count: Int(pages)) }
    }
}
