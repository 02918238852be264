import Dispatch
import PVKernel
import PVTrace

/// Events the kernel has expanded but the engines have not priced yet. The replay fills it on
/// one thread; `step` runs the recording environment's time line over the whole batch in trace
/// order, then `price` hands the batch to every engine, the engines spread over the cores.
/// Each engine still sees every event in trace order, so the result is the same, byte for
/// byte, as pricing one event at a time on one thread (a test holds it to that).
///
/// The expansions sit back to back in two flat arrays, lent to the pricers as `ExpansionView`s
/// of one borrowed buffer: an `Expansion` per slot, passed to five engines, cost a retain and
/// a release of its two arrays per engine and event (15 % of a five-engine profile).
///
/// A class, so `PricingPipeline` can price batches on other threads while the replay fills
/// another, without copying any. A batch is written by one thread at a time (the pipeline
/// hands it over and waits for it back) and only read while engines run on it side by side,
/// so its arrays skip the runtime exclusivity checks.
final class PricingBatch {
    static let capacity = 2048

    @exclusivity(unchecked) private(set) var count = 0
    @exclusivity(unchecked) private var events: [KernelEvent] = []
    @exclusivity(unchecked) private var indices: [UInt64] = []
    @exclusivity(unchecked) private var steps: [RecordedStep] = []
    /// Every slot's calls and segments, in slot order; a segment's call indices count from its
    /// slot's first call.
    @exclusivity(unchecked) private var calls: [PVCall] = []
    @exclusivity(unchecked) private var segments: [Expansion.Segment] = []
    /// Per slot: where its calls and segments start in the flat arrays (its end is the next
    /// slot's start, or the arrays' end).
    @exclusivity(unchecked) private var callStarts: [Int] = []
    @exclusivity(unchecked) private var segmentStarts: [Int] = []
    /// The kernel writes each event here first (it clears it), then it is appended above.
    @exclusivity(unchecked) private var scratch = Expansion()

    var isFull: Bool { count == Self.capacity }

    /// Reserves the next slot for `event`, with an empty expansion.
    func reserve(_ event: KernelEvent, eventIndex: UInt64) -> Int {
        if count == events.count {
            events.append(event)
            indices.append(eventIndex)
            steps.append(RecordedStep(gapNanoseconds: 0, mode: .idle))
            callStarts.append(calls.count)
            segmentStarts.append(segments.count)
        } else {
            events[count] = event
            indices[count] = eventIndex
            callStarts[count] = calls.count
            segmentStarts[count] = segments.count
        }
        count += 1
        return count - 1
    }

    /// The kernel's output for the last reserved slot: `body` writes it, then it is kept.
    func withExpansion<R>(_ slot: Int, _ body: (inout Expansion) throws -> R) rethrows -> R {
        precondition(slot == count - 1, "expansions are written in slot order")
        scratch.removeAll()
        let result = try body(&scratch)
        calls.append(contentsOf: scratch.calls)
        segments.append(contentsOf: scratch.segments)
        return result
    }

    /// Forgets the last reserved slot.
    func dropLast() {
        count -= 1
        calls.removeSubrange(callStarts[count]...)
        segments.removeSubrange(segmentStarts[count]...)
    }

    func removeAll() {
        count = 0
        calls.removeAll(keepingCapacity: true)
        segments.removeAll(keepingCapacity: true)
    }

    /// Lends `slot`'s expansion to `body` (the view is valid only inside it): the step panel's
    /// explanation of the event just expanded.
    func withView<R>(_ slot: Int, _ body: (ExpansionView) -> R) -> R {
        precondition(slot < count)
        return calls.withUnsafeBufferPointer { allCalls in
            segments.withUnsafeBufferPointer { allSegments in
                body(view(slot, allCalls, allSegments))
            }
        }
    }

    /// `slot`'s calls and segments within the flat arrays (its end is the next slot's start).
    @inline(__always)
    private func view(_ slot: Int, _ allCalls: UnsafeBufferPointer<PVCall>,
                      _ allSegments: UnsafeBufferPointer<Expansion.Segment>) -> ExpansionView {
        let callEnd = slot + 1 < count ? callStarts[slot + 1] : allCalls.count
        let segmentEnd = slot + 1 < count ? segmentStarts[slot + 1] : allSegments.count
        return ExpansionView(calls: UnsafeBufferPointer(rebasing: allCalls[callStarts[slot]..<callEnd]),
                             segments: UnsafeBufferPointer(rebasing: allSegments[segmentStarts[slot]..<segmentEnd]))
    }

    /// Lends every slot's expansion, in order, to `body` (the views are valid only inside it).
    @inline(__always)
    private func forEachSlot(_ body: (Int, ExpansionView) -> Void) {
        let n = count
        calls.withUnsafeBufferPointer { allCalls in
            segments.withUnsafeBufferPointer { allSegments in
                for i in 0..<n { body(i, view(i, allCalls, allSegments)) }
            }
        }
    }

    /// The recording environment's step of every pending event, in trace order (before any
    /// engine prices them).
    func step(_ timeline: RecordedTimeline) {
        forEachSlot { i, view in steps[i] = timeline.step(events[i], view, eventIndex: indices[i]) }
    }

    /// Every engine prices every pending (stepped) event in order, engines on `threads` cores
    /// at once; the batch is then empty.
    func price(_ engines: [any PricingEngine], threads: Int) {
        guard count > 0 else { return }
        if threads <= 1 || engines.count <= 1 {
            for engine in engines { price(engine: engine) }
        } else {
            // Each engine is touched by exactly one iteration and the batch is only read while
            // they run, so the iterations share nothing mutable; the call returns when all end.
            let batch = UnsafeSendable(self)
            let all = UnsafeSendable(engines)
            DispatchQueue.concurrentPerform(iterations: engines.count) { i in
                batch.value.price(engine: all.value[i])
            }
        }
        removeAll()
    }

    /// One engine prices every pending event in order.
    func price(engine: any PricingEngine) {
        forEachSlot { i, view in engine.consume(events[i], view, step: steps[i], eventIndex: indices[i]) }
    }
}

/// Carries values to other threads (`concurrentPerform`'s iterations, the pricing queue).
/// Safe only where the threads touch disjoint state or take turns, as each use documents.
struct UnsafeSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
