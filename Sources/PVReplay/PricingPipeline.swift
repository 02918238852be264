import Dispatch
import Foundation
import PVKernel

/// Batches between the replay's thread and the pricers. The replay fills a batch and queues
/// it; one serial queue takes the queued batches in order, and for each runs the recording
/// environment's time line over it while every engine (each on its own worker) prices the
/// batch before it. Reading overlaps pricing and the serial time line leaves the critical
/// path, so a replay on N cores approaches min(reader, N × one engine) instead of reader +
/// time line + engines ÷ N.
///
/// Up to `depth` full batches wait in the queue, so the replay's thread reads ahead while the
/// engines finish a batch: with one batch in flight it waited for the slowest engine of every
/// batch while a core stood idle (five engines on 2 cores ran 1.23× one thread, where the
/// work allowed about 2×).
///
/// Order, and so the output, is unchanged: the time line sees the batches in order, each
/// engine sees a batch only after its steps are made and after the batch before it, and
/// `drain` finishes everything before anyone reads the engines. With one thread everything is
/// priced on the caller's thread, one batch after the other, as before.
final class PricingPipeline {
    let threads: Int
    /// Full batches that may wait for the pricers at once.
    static let depth = 4
    /// The batch the replay fills.
    @exclusivity(unchecked) private(set) var filling = PricingBatch()
    /// Emptied batches for the replay to fill next; `free` counts them.
    private var spares: [PricingBatch] = []
    private let sparesLock = NSLock()
    private let free: DispatchSemaphore
    /// The batch whose time-line steps are made, waiting for the engines. Touched only by the
    /// queue's jobs, and by the caller after `queue.sync` (which orders the memory).
    @exclusivity(unchecked) private var stepped: PricingBatch?
    private let queue = DispatchQueue(label: "pvtop.pricing")

    init(threads: Int) {
        self.threads = max(threads, 1)
        spares = (0..<Self.depth).map { _ in PricingBatch() }
        free = DispatchSemaphore(value: Self.depth)
    }

    /// Takes the full `filling` batch: priced now on one thread, else queued for the pricers.
    func submit(_ engines: [any PricingEngine], timeline: RecordedTimeline) {
        guard threads > 1 else {
            filling.step(timeline)
            filling.price(engines, threads: 1)
            return
        }
        let full = filling
        filling = takeSpare()
        // Each job alone touches its batches, the engines and the time line, and the queue
        // runs the jobs one after the other; meanwhile the replay's thread works on `filling`
        // and the kernel, which no job sees.
        let job = UnsafeSendable((pipeline: self, full: full, engines: engines, timeline: timeline))
        queue.async {
            let j = job.value
            j.pipeline.price(stepping: j.full, engines: j.engines, timeline: j.timeline)
        }
    }

    /// On the queue: steps `full` while the engines price the batch stepped before it.
    private func price(stepping full: PricingBatch, engines: [any PricingEngine], timeline: RecordedTimeline) {
        if let previous = stepped {
            // The time line over the new batch is one more lane beside the engines.
            let lanes = UnsafeSendable((full, previous, engines, timeline))
            DispatchQueue.concurrentPerform(iterations: engines.count + 1) { i in
                let (full, previous, engines, timeline) = lanes.value
                if i == engines.count { full.step(timeline) } else { previous.price(engine: engines[i]) }
            }
            previous.removeAll()
            giveBack(previous)
        } else {
            full.step(timeline)
        }
        stepped = full
    }

    /// Everything priced, in order: the queued batches, the stepped one, the one being filled.
    func drain(_ engines: [any PricingEngine], timeline: RecordedTimeline) {
        if threads > 1 { queue.sync {} }
        if let stepped {
            stepped.price(engines, threads: threads)
            self.stepped = nil
            giveBack(stepped)
        }
        filling.step(timeline)
        filling.price(engines, threads: threads)
    }

    /// Waits for the queued batches and forgets what is not priced (a restart).
    func reset() {
        if threads > 1 { queue.sync {} }
        if let stepped {
            stepped.removeAll()
            self.stepped = nil
            giveBack(stepped)
        }
        filling.removeAll()
    }

    private func takeSpare() -> PricingBatch {
        free.wait()
        return sparesLock.withLock { spares.removeLast() }
    }

    private func giveBack(_ batch: PricingBatch) {
        sparesLock.withLock { spares.append(batch) }
        free.signal()
    }
}
