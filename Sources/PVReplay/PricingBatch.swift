import Dispatch
import PVKernel
import PVTrace

/// Events the kernel has expanded but the engines have not priced yet. The replay fills it on
/// one thread; `price` then hands the whole batch to every engine, the engines spread over the
/// cores. Each engine still sees every event in trace order, so the result is the same,
/// byte for byte, as pricing one event at a time on one thread (a test holds it to that).
struct PricingBatch {
    static let capacity = 2048

    private(set) var count = 0
    private var events: [KernelEvent] = []
    private var indices: [UInt64] = []
    private var steps: [RecordedStep] = []
    /// One reusable expansion per slot: the kernel writes into it, nothing is copied.
    private var expansions: [Expansion] = []

    var isFull: Bool { count == Self.capacity }

    /// The next slot's expansion, emptied, for the kernel to write into.
    mutating func reserve(_ event: KernelEvent, eventIndex: UInt64) -> Int {
        if count == expansions.count {
            expansions.append(Expansion())
            events.append(event)
            indices.append(eventIndex)
            steps.append(RecordedStep(gapNanoseconds: 0, mode: .idle))
        } else {
            events[count] = event
            indices[count] = eventIndex
            expansions[count].removeAll()
        }
        count += 1
        return count - 1
    }

    /// Writes the kernel's output straight into `slot`.
    mutating func withExpansion<R>(_ slot: Int, _ body: (inout Expansion) throws -> R) rethrows -> R {
        try body(&expansions[slot])
    }

    func expansion(_ slot: Int) -> Expansion { expansions[slot] }

    /// The recording environment's step for `slot`, made in trace order by the replay.
    mutating func setStep(_ slot: Int, _ step: RecordedStep) { steps[slot] = step }

    /// Forgets the last reserved slot.
    mutating func dropLast() { count -= 1 }

    mutating func removeAll() { count = 0 }

    /// Every engine prices every pending event in order; engines run on `threads` cores at once.
    mutating func price(_ engines: [any PricingEngine], threads: Int) {
        guard count > 0 else { return }
        let n = count
        if threads <= 1 || engines.count <= 1 {
            for engine in engines { feed(engine, n) }
        } else {
            // Each engine is touched by exactly one iteration and the batch is only read while
            // they run, so the iterations share nothing mutable; the call returns when all end.
            let batch = UnsafeSendable(self)
            let all = UnsafeSendable(engines)
            DispatchQueue.concurrentPerform(iterations: engines.count) { i in
                batch.value.feed(all.value[i], n)
            }
        }
        count = 0
    }

    private func feed(_ engine: any PricingEngine, _ n: Int) {
        for i in 0..<n { engine.consume(events[i], expansions[i], step: steps[i], eventIndex: indices[i]) }
    }
}

/// Carries a value into `concurrentPerform`'s iterations. Safe only where the iterations touch
/// disjoint state, as `PricingBatch.price` documents at its one use.
private struct UnsafeSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
