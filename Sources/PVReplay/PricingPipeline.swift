import Dispatch
import PVKernel

/// Batches between the replay's thread and the pricers, three stages deep: while the replay
/// reads and expands batch k+2, another thread runs the recording environment's time line over
/// batch k+1 and, at the same time, every engine over batch k (each on its own worker). Reading
/// overlaps pricing and the serial time line leaves the critical path, so a replay on N cores
/// approaches min(reader, N × one engine) instead of reader + time line + engines ÷ N.
///
/// Order, and so the output, is unchanged: the time line sees the batches in order, each
/// engine sees a batch only after its steps are made and after the batch before it, and
/// `drain` finishes everything before anyone reads the engines. With one thread everything is
/// priced on the caller's thread, one batch after the other, as before.
final class PricingPipeline {
    let threads: Int
    /// The batch the replay fills.
    @exclusivity(unchecked) private(set) var filling = PricingBatch()
    /// A batch whose time-line steps are made, waiting for the engines.
    @exclusivity(unchecked) private var stepped: PricingBatch?
    @exclusivity(unchecked) private var spares: [PricingBatch] = [PricingBatch(), PricingBatch()]
    @exclusivity(unchecked) private var inFlight = false
    private let queue = DispatchQueue(label: "pvtop.pricing")
    private let done = DispatchSemaphore(value: 0)

    init(threads: Int) { self.threads = max(threads, 1) }

    /// Takes the full `filling` batch: priced now on one thread, else in the background.
    func submit(_ engines: [any PricingEngine], timeline: RecordedTimeline) {
        guard threads > 1 else {
            filling.step(timeline)
            filling.price(engines, threads: 1)
            return
        }
        waitForInFlight()
        let full = filling
        let previous = stepped
        filling = spares.removeLast()
        stepped = full
        // The job alone touches `full`, `previous`, the engines and the time line until
        // `waitForInFlight` returns (the semaphore orders the memory); meanwhile the replay's
        // thread works on `filling` and the kernel, which the job never sees.
        let job = UnsafeSendable((full: full, previous: previous, engines: engines, timeline: timeline))
        inFlight = true
        queue.async { [done] in
            let j = job.value
            if let previous = j.previous {
                // The time line over the new batch is one more lane beside the engines.
                let lanes = UnsafeSendable((j.full, previous, j.engines, j.timeline))
                DispatchQueue.concurrentPerform(iterations: j.engines.count + 1) { i in
                    let (full, previous, engines, timeline) = lanes.value
                    if i == engines.count { full.step(timeline) } else { previous.price(engine: engines[i]) }
                }
                previous.removeAll()
            } else {
                j.full.step(j.timeline)
            }
            done.signal()
        }
        // Back among the spares at once, but taken again only after `waitForInFlight`.
        if let previous { spares.append(previous) }
    }

    /// Everything priced, in order: the batch in flight, the stepped one, the one being filled.
    func drain(_ engines: [any PricingEngine], timeline: RecordedTimeline) {
        waitForInFlight()
        if let stepped {
            stepped.price(engines, threads: threads)
            spares.append(stepped)
            self.stepped = nil
        }
        filling.step(timeline)
        filling.price(engines, threads: threads)
    }

    /// Waits for the batch in flight and forgets what is not priced (a restart).
    func reset() {
        waitForInFlight()
        if let stepped { stepped.removeAll(); spares.append(stepped); self.stepped = nil }
        filling.removeAll()
    }

    private func waitForInFlight() {
        guard inFlight else { return }
        done.wait()
        inFlight = false
    }
}
