import PVTrace

/// Time carried between one engine's CPU clocks. Each engine owns
/// one: engines never share clocks, so they can later run on separate threads.
///
/// - An IPI (`ipi_send_cpu`, or an x2APIC ICR write without one) reaches its target no earlier
///   than the sender's simulated send + delivery; the target's handler (`*_entry`) waits for it.
/// - A `sched_wakeup` of a task on another CPU makes it runnable there at the waker's
///   simulated wakeup + delivery; the `sched_switch` that runs it waits for that.
/// - A TLB-shootdown sender (`tlb_flush` reason 4) resumes, at its next event after the send,
///   no earlier than its slowest receiver's flush (`tlb_flush` reason 1 in the handler).
/// - Under `--overcommit` a hypervisor engine's wakeup or IPI target may be preempted by the
///   host: delivery then also waits for the host to run it. (Shootdown IPIs are left to the
///   backend, which knows whether pv TLB flush skips the preempted target.)
/// A CPU only ever moves forward: busy time never shrinks. A CPU that was idle until the
/// arrival starts when it comes (its recorded idle held the recording's delivery latency): a
/// late arrival makes it start later, an early one ends its idle earlier.
struct CrossCPUTime {
    private struct Arrival {
        var recordedSend: UInt64
        var sent: Double
        var simulated: Double
        var shootdownFrom: Int
    }
    private let costs: CausalityCosts
    private var arrivals: [[Arrival]] = []
    private var lastWasIPISend: [Bool] = []
    private var shootdownSending: [Bool] = []
    private var shootdownAck: [Double] = []
    /// Per CPU: the sender whose shootdown the current handler serves (-1 none).
    private var servingShootdownOf: [Int] = []
    private var runnableAt: [Int32: Double] = [:]
    /// Per CPU: when the IPI that the current handler serves was sent (sender's clock), or nil.
    private(set) var handlerIPISentAt: [Double?] = []
    /// Simulated nanoseconds CPUs waited for another CPU (the causality term of the report).
    private(set) var waitedNanoseconds = 0.0
    /// Recorded idle time that an earlier arrival cut short (the recording's delivery latency).
    private(set) var absorbedNanoseconds = 0.0
    /// Shootdown acknowledgements that came after their sender had already resumed in the trace.
    private(set) var lateAcks: UInt64 = 0

    init(costs: CausalityCosts, cpuCount: Int) {
        self.costs = costs
        grow(to: max(cpuCount, 1))
    }

    mutating func grow(to n: Int) {
        guard n > arrivals.count else { return }
        let add = n - arrivals.count
        arrivals += repeatElement([], count: add)
        lastWasIPISend += repeatElement(false, count: add)
        shootdownSending += repeatElement(false, count: add)
        shootdownAck += repeatElement(0, count: add)
        servingShootdownOf += repeatElement(-1, count: add)
        handlerIPISentAt += repeatElement(nil, count: add)
    }

    /// The CPU's clock once what `event` waits for has arrived. `clock` is the CPU's own clock
    /// after the recorded gap; `idleSince` is its clock when that gap began if the CPU was idle
    /// in it: an idle CPU woken by another CPU starts when the arrival comes, whatever the
    /// recorded idle lasted (it held the recording's delivery and wake-up latency).
    @inline(__always)
    mutating func arrive(_ event: KernelEvent, cpu: Int, clock: Double, idleSince: Double?) -> Double {
        var t = clock
        var arrival = -Double.infinity
        if shootdownSending[cpu] && !Self.continuesShootdownSend(event.kind) {
            shootdownSending[cpu] = false
            t = wait(t, until: shootdownAck[cpu])
        }
        switch event.kind {
        case let .vectorEntry(vector) where vector == .reschedule || vector == .callFunction || vector == .callFunctionSingle:
            guard !arrivals[cpu].isEmpty else { break }
            // The latest send recorded before this entry is the one being delivered; older
            // ones never showed an entry (an IPI to a polling idle CPU is elided).
            var pick: Arrival?
            var keep: [Arrival] = []
            for a in arrivals[cpu] {
                if a.recordedSend <= event.timestampNanoseconds { pick = a } else { keep.append(a) }
            }
            arrivals[cpu] = keep
            // An entry long after the send is not its delivery (a send without an entry, then
            // an IPI whose send the trace does not show, e.g. a pv IPI hypercall).
            if let a = pick, event.timestampNanoseconds &- a.recordedSend <= Self.maxRecordedDelivery {
                arrival = a.simulated
                servingShootdownOf[cpu] = a.shootdownFrom
                handlerIPISentAt[cpu] = a.sent
            }
        case let .schedSwitch(_, _, nextPid) where nextPid != 0:
            if let ready = runnableAt.removeValue(forKey: nextPid) { arrival = ready }
        default:
            break
        }
        guard arrival > -Double.infinity else { return t }
        if let idleSince, arrival < t {
            let woken = max(idleSince, arrival)
            absorbedNanoseconds += t - woken
            return woken
        }
        return wait(t, until: arrival)
    }

    /// Longest recorded send → entry taken as one IPI's delivery.
    static let maxRecordedDelivery: UInt64 = 1_000_000

    /// What `event` sends to other CPUs, at this CPU's clock `clock` after its ops.
    @inline(__always)
    mutating func depart(_ event: KernelEvent, cpu: Int, clock: Double, eventIndex: UInt64) {
        let wasIPISend = lastWasIPISend[cpu]
        lastWasIPISend[cpu] = false
        switch event.kind {
        case .tlbFlush(.remoteSendIPI, _):
            shootdownSending[cpu] = true
            shootdownAck[cpu] = 0
        case .tlbFlush(.remoteShootdown, _):
            let sender = servingShootdownOf[cpu]
            if sender >= 0 {
                if shootdownSending[sender] { shootdownAck[sender] = max(shootdownAck[sender], clock) } else { lateAcks &+= 1 }
                servingShootdownOf[cpu] = -1
            }
        case let .ipiSend(target):
            lastWasIPISend[cpu] = true
            send(to: Int(target), from: cpu, at: clock, event: event, eventIndex: eventIndex)
        case let .msrWrite(msr, value) where UInt64(msr) == MSR.x2apicICR:
            // The ICR write of an `ipi_send_cpu` just seen is the same IPI.
            if !wasIPISend { send(to: Int(truncatingIfNeeded: value >> 32), from: cpu, at: clock, event: event, eventIndex: eventIndex) }
        case let .schedWakeup(pid, target, _) where Int(target) != cpu:
            let ready = clock + costs.deliveryNanoseconds + preemption(eventIndex)
            runnableAt[pid] = max(runnableAt[pid] ?? 0, ready)
        case let .schedWakeup(pid, _, _):
            runnableAt[pid] = max(runnableAt[pid] ?? 0, clock)
        case .vectorExit, .irqHandlerExit:
            servingShootdownOf[cpu] = -1
            handlerIPISentAt[cpu] = nil
        default:
            break
        }
    }

    private mutating func send(to target: Int, from cpu: Int, at clock: Double, event: KernelEvent, eventIndex: UInt64) {
        guard target >= 0, target < 4096, target != cpu else { return }
        if target >= arrivals.count { grow(to: target + 1) }
        let shootdown = shootdownSending[cpu]
        let delay = costs.deliveryNanoseconds + (shootdown ? 0 : preemption(eventIndex))
        arrivals[target].append(Arrival(recordedSend: event.timestampNanoseconds, sent: clock, simulated: clock + delay,
                                        shootdownFrom: shootdown ? cpu : -1))
        if arrivals[target].count > 64 { arrivals[target].removeFirst(arrivals[target].count - 64) }
    }

    /// The host's delay when the target vCPU is preempted: a coin seeded by the event, so every
    /// engine draws the same coin for the same event.
    private func preemption(_ eventIndex: UInt64) -> Double {
        guard costs.preemptionChance > 0 else { return 0 }
        var coin = SplitMix64(seed: eventIndex ^ 0xC0FF_EE00_DEAD_BEEF)
        return coin.nextUnit() < costs.preemptionChance ? costs.preemptedDelayNanoseconds : 0
    }

    private mutating func wait(_ clock: Double, until arrival: Double) -> Double {
        guard arrival > clock else { return clock }
        waitedNanoseconds += arrival - clock
        return arrival
    }

    /// Events a shootdown sender logs while it sends (before it waits for the acknowledgements):
    /// the IPIs, their ICR writes and its own local flush (as the bundled tlb-shootdown trace records: reason 4 comes first).
    private static func continuesShootdownSend(_ kind: KernelEvent.Kind) -> Bool {
        switch kind {
        case .ipiSend, .ipiSendMask, .tlbFlush(.localMMShootdown, _), .tlbFlush(.remoteSendIPI, _): return true
        case let .msrWrite(msr, _): return UInt64(msr) == MSR.x2apicICR
        default: return false
        }
    }
}
