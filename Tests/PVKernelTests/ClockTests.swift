import Testing
@testable import PVKernel
import PVTrace

/// The simulated clock: latency samples on it, time carried across CPUs,
/// time-proportional costs, and the de-virtualized recorded time line.
@Suite struct ClockTests {
    static func event(_ t: UInt64, cpu: UInt16, pid: Int32 = 1, _ kind: KernelEvent.Kind,
                      context: KernelEvent.ExecutionContext = .task) -> KernelEvent {
        KernelEvent(timestampNanoseconds: t, cpu: cpu, pid: pid, context: context, kind: kind)
    }

    // MARK: latency on the simulated clock

    @Test func interruptLatencyRunsFromEntryToExitPerVectorClass() {
        var h = EngineHarness(cpus: 1)
        h.feed([
            Self.event(1_000, cpu: 0, .vectorEntry(.localTimer), context: .hardirq),
            Self.event(4_000, cpu: 0, .vectorExit(.localTimer), context: .hardirq),
            Self.event(10_000, cpu: 0, .vectorEntry(.reschedule), context: .hardirq),
            Self.event(11_000, cpu: 0, .vectorExit(.reschedule), context: .hardirq),
        ])
        let m = h.metrics
        #expect(m.latency(of: .timer).totalCount == 1)
        #expect(m.latency(of: .ipi).totalCount == 1)
        #expect(m.latency(of: .interrupt).totalCount == 0)
        // 3 µs recorded + the priced ops of entry and exit (10 ns per call, 1 GHz).
        #expect(m.latency(of: .timer).valueAtPercentile(50) >= 3_000)
        #expect(m.latency(of: .ipi).valueAtPercentile(50) < m.latency(of: .timer).valueAtPercentile(50))
    }

    @Test func anExitWithoutItsEnterGivesNoSample() {
        var h = EngineHarness(cpus: 1)
        h.feed([Self.event(2_000, cpu: 0, .syscallExit(number: 0, returnValue: 0))])
        #expect(h.metrics.latency(of: .syscall).totalCount == 0)
        #expect(h.metrics.count(of: .syscall) == 1) // still priced and counted
    }

    @Test func pageFaultLatencyEndsAtTheCPUsNextEvent() {
        var h = EngineHarness(cpus: 1)
        h.feed([
            Self.event(1_000, cpu: 0, .pageFault(user: true, address: 0x1000, errorCode: 6)),
            Self.event(3_000, cpu: 0, .syscallEnter(number: 0)),
        ])
        let p = h.metrics.latency(of: .pageFault).valueAtPercentile(50)
        #expect(p >= 2_000 && p < 2_200) // 2 µs + the fault's ops
    }

    @Test func wakeupLatencyRunsFromTheWakeupToTheSwitchThatRunsTheTask() {
        var h = EngineHarness(cpus: 1)
        h.feed([
            Self.event(1_000, cpu: 0, pid: 0, .schedWakeup(pid: 7, targetCPU: 0, isNew: false), context: .hardirq),
            Self.event(6_000, cpu: 0, pid: 0, .schedSwitch(prevPid: 0, prevState: 0, nextPid: 7)),
            // A second wakeup of the running task is not a wakeup latency.
            Self.event(7_000, cpu: 0, pid: 3, .schedWakeup(pid: 7, targetCPU: 0, isNew: false)),
        ])
        let w = h.metrics.latency(of: .wakeup)
        #expect(w.totalCount == 1)
        #expect(w.valueAtPercentile(50) >= 5_000)
    }

    // MARK: causality

    /// CPU 0 wakes a task on CPU 1; CPU 0's clock is 50 µs late (a slow engine): the woken
    /// task cannot run before the waker's simulated wakeup plus delivery, although CPU 1's own
    /// recorded idle gap would have let it run earlier. Busy time on CPU 1 then does not shrink.
    @Test func aWokenTaskCannotRunBeforeItsWakerPlusDelivery() {
        let delivery = CausalityCosts(deliveryNanoseconds: 500, preemptionChance: 0, preemptedDelayNanoseconds: 0)
        var h = EngineHarness(cpus: 2, causality: delivery)
        h.feed([Self.event(1_000, cpu: 0, .syscallEnter(number: 0))])
        // The waker's CPU spent 50 µs more than recorded (a long gap fed as execution).
        h.feed([Self.event(51_000, cpu: 0, .syscallExit(number: 0, returnValue: 0))])
        h.last[0] = 2_000 // …but in the recording, its wakeup came at 3 µs
        h.feed([
            Self.event(3_000, cpu: 0, pid: 1, .schedWakeup(pid: 9, targetCPU: 1, isNew: false)),
            Self.event(5_000, cpu: 1, pid: 0, .schedSwitch(prevPid: 0, prevState: 0, nextPid: 9)),
            Self.event(9_000, cpu: 1, pid: 9, .syscallEnter(number: 0)),
        ])
        let m = h.metrics
        let wakerClock = m.cpuClockNanoseconds[0]
        #expect(wakerClock > 50_000)
        // CPU 1 ran the task no earlier than the wakeup + 500 ns, then its 4 µs of recorded work.
        #expect(m.cpuClockNanoseconds[1] >= wakerClock + 500 + 4_000)
        #expect(m.waitNanoseconds > 40_000)
        #expect(m.latency(of: .wakeup).valueAtPercentile(50) >= 500)
    }

    /// When the receiving CPU is already later than the arrival, nothing moves: idle slack
    /// absorbs an early arrival and the clock never goes back.
    @Test func anEarlyArrivalIsAbsorbedAndNeverMovesAClockBack() {
        let delivery = CausalityCosts(deliveryNanoseconds: 500, preemptionChance: 0, preemptedDelayNanoseconds: 0)
        var h = EngineHarness(cpus: 2, causality: delivery)
        h.feed([
            Self.event(1_000, cpu: 0, .ipiSend(targetCPU: 1)),
            Self.event(20_000, cpu: 1, pid: 0, .vectorEntry(.callFunctionSingle), context: .hardirq),
        ])
        #expect(h.metrics.waitNanoseconds == 0)
        #expect(h.metrics.cpuClockNanoseconds[1] >= 20_000)
    }

    /// A TLB-shootdown sender resumes when its slowest receiver has flushed: the receiver's
    /// handler took 30 µs longer than the sender's recorded wait, so the sender waits for it.
    @Test func aShootdownSenderResumesWhenItsReceiverHasFlushed() {
        var h = EngineHarness(cpus: 2, causality: CausalityCosts(deliveryNanoseconds: 0, preemptionChance: 0, preemptedDelayNanoseconds: 0))
        h.feed([
            Self.event(1_000, cpu: 0, .syscallEnter(number: 11)),
            Self.event(1_000, cpu: 0, .tlbFlush(reason: .remoteSendIPI, pages: 8)),
            Self.event(1_000, cpu: 0, .ipiSend(targetCPU: 1)),
            Self.event(2_000, cpu: 0, .tlbFlush(reason: .localMMShootdown, pages: 8)),
            Self.event(3_000, cpu: 1, pid: 2, .vectorEntry(.callFunctionSingle), context: .hardirq),
        ])
        // The receiver is 30 µs late before it flushes (its own recorded gap, e.g. a slow handler).
        h.feed([Self.event(33_000, cpu: 1, pid: 2, .tlbFlush(reason: .remoteShootdown, pages: 8), context: .hardirq)])
        let receiverFlushed = h.metrics.cpuClockNanoseconds[1]
        h.feed([
            Self.event(34_000, cpu: 1, pid: 2, .vectorExit(.callFunctionSingle), context: .hardirq),
            Self.event(5_000, cpu: 0, .syscallExit(number: 11, returnValue: 0)),
        ])
        let m = h.metrics
        #expect(m.cpuClockNanoseconds[0] >= receiverFlushed)
        // The munmap's syscall latency holds the wait for the receiver.
        #expect(m.latency(of: .syscall).valueAtPercentile(50) >= 32_000)
    }

    @Test func overcommitDelaysAWakeupOnlyInHypervisorEngines() throws {
        let profile = try CostProfile.load("modern-2020")
        let native = try CausalityCosts(backend: .native, profile: profile, overcommit: 1)
        let kvm = try CausalityCosts(backend: .kvm, profile: profile, overcommit: 1)
        #expect(native.preemptionChance == 0)
        #expect(kvm.preemptionChance == 1 && kvm.preemptedDelayNanoseconds > 100_000)
        func wakeupP50(_ c: CausalityCosts) -> UInt64 {
            var h = EngineHarness(cpus: 2, causality: c)
            h.feed([
                Self.event(1_000, cpu: 0, .schedWakeup(pid: 9, targetCPU: 1, isNew: false)),
                Self.event(5_000, cpu: 1, pid: 0, .schedSwitch(prevPid: 0, prevState: 0, nextPid: 9)),
            ])
            return h.metrics.latency(of: .wakeup).valueAtPercentile(50)
        }
        #expect(wakeupP50(kvm) > wakeupP50(native) + 100_000)
    }

    // MARK: time-proportional costs

    @Test func twoDimensionalPagingCostsMoreThanShadowOrNativeAndLessWithHostHugePages() throws {
        let p = try CostProfile.load("modern-2020")
        let native = try TimeCosts(backend: .native, ept: true, profile: p, hostPages: .k4)
        let ept4k = try TimeCosts(backend: .kvm, ept: true, profile: p, hostPages: .k4)
        let ept2m = try TimeCosts(backend: .kvm, ept: true, profile: p, hostPages: .m2)
        let shadow = try TimeCosts(backend: .kvm, ept: false, profile: p, hostPages: .k4)
        let xen = try TimeCosts(backend: .xenPV, ept: true, profile: p, hostPages: .k4)
        let user = ExecutionMode.user.rawValue, idle = ExecutionMode.idle.rawValue
        #expect(native.overheadPerNanosecond == [0, 0, 0])
        #expect(ept4k.overheadPerNanosecond[user] > ept2m.overheadPerNanosecond[user])
        #expect(ept2m.overheadPerNanosecond[user] > 0)
        #expect(shadow.overheadPerNanosecond[user] == 0 && xen.overheadPerNanosecond[user] == 0)
        #expect(ept4k.overheadPerNanosecond[idle] == 0) // a halted CPU walks no page tables
        // The figure the profile's sources give: misses/µs × (4.4 − 1.5) refs × 10 cycles at 3.1 GHz.
        let expected = try p.quantity("tlb.misses_per_us.user") * (4.4 - 1.5) * 10 / 3100
        #expect(abs(ept4k.overheadPerNanosecond[user] - expected) < 1e-12)
    }

    @Test func withoutVPIDEveryExitAlsoRefillsTheTLB() throws {
        let modern = try TimeCosts(backend: .kvm, ept: true, profile: try CostProfile.load("modern-2020"), hostPages: .k4)
        let old = try TimeCosts(backend: .kvm, ept: false, profile: try CostProfile.load("vtx-2006"), hostPages: .k4)
        let lguest = try TimeCosts(backend: .lguest, ept: false, profile: try CostProfile.load("modern-2020"), hostPages: .k4)
        #expect(!modern.flushesTLBOnTransition && old.flushesTLBOnTransition && lguest.flushesTLBOnTransition)
        #expect(old.indirectCyclesPerTransition > modern.indirectCyclesPerTransition)
    }

    @Test func theEngineChargesTLBTimeOnExecutionGapsAndIndirectCostPerTransition() {
        let time = TimeCosts(paging: .twoDimensional, overheadPerNanosecond: [0.1, 0.05, 0],
                             indirectCyclesPerTransition: 500, flushesTLBOnTransition: false)
        var h = EngineHarness(cpus: 1, time: time)
        h.feed([Self.event(10_000, cpu: 0, .syscallEnter(number: 0))], mode: .user)
        h.feed([Self.event(20_000, cpu: 0, .syscallExit(number: 0, returnValue: 0))], mode: .kernel)
        h.feed([Self.event(30_000, cpu: 0, pid: 5, .schedSwitch(prevPid: 5, prevState: 0, nextPid: 0))], mode: .user)
        h.feed([Self.event(40_000, cpu: 0, pid: 0, .cpuIdle(state: 1, cpuID: 0))], mode: .idle)
        let m = h.metrics
        #expect(abs(m.tlbMissNanoseconds - (1_000 + 500 + 1_000)) < 1e-6)
        #expect(m.indirectCycles == 500) // one HLT exit
    }

    // MARK: the recorded time line

    final class FixedPricer: RecordingPricer {
        let ns: Double
        let overheadPerNanosecond: [Double]
        init(ns: Double, overhead: Double) { self.ns = ns; overheadPerNanosecond = [overhead, overhead, 0] }
        func nanoseconds(of expansion: ExpansionView, eventIndex: UInt64) -> Double { expansion.isEmpty ? 0 : ns }
    }

    @Test func theTimelineRemovesTheRecordingCostsAndCarriesWhatAGapCannotHold() {
        var kernel = Kernel(parameters: try! KernelParameters.load(), cpuCount: 1)
        let timeline = RecordedTimeline(environment: .kvm(features: [], ept: true, hostPages: .k4),
                                        pricer: FixedPricer(ns: 300, overhead: 0.25), cpuCount: 1, traceStart: 0)
        var out = Expansion()
        var steps: [RecordedStep] = []
        for (i, e) in [Self.event(0, cpu: 0, .syscallEnter(number: 0)),                           // gap 0: owes 300
                       Self.event(10_000, cpu: 0, .syscallExit(number: 0, returnValue: 0)),        // pays 600
                       Self.event(10_000, cpu: 0, pid: 0, .schedSwitch(prevPid: 1, prevState: 0, nextPid: 0))].enumerated() {
            kernel.expand(e, into: &out)
            steps.append(timeline.step(e, out, eventIndex: UInt64(i)))
        }
        #expect(steps[0].gapNanoseconds == 0)
        #expect(steps[1].mode == .kernel)
        #expect(abs(steps[1].gapNanoseconds - (10_000 - 600) / 1.25) < 1e-9)
        // The switch's 300 ns in a zero gap are below the µs precision: carried, not a clamp.
        #expect(timeline.clampedGaps == 0)
        #expect(steps[2].mode == .user)
    }

    @Test func recordingEnvironmentComesFromProvenanceOrTheCommandLine() throws {
        let (vm, why) = RecordingEnvironment.inferred(from: [("cpu-model", "Xeon"), ("virtualized", "yes (hypervisor CPUID flag)")])
        #expect(vm == .kvm(features: Set(KVMFeature.allCases), ept: true, hostPages: .k4))
        #expect(why.contains("virtualized=yes"))
        #expect(RecordingEnvironment.inferred(from: []).0 == .native)
        #expect(RecordingEnvironment.inferred(from: [("virtualized", "no")]).0 == .native)
        #expect(try RecordingEnvironment.parse("native").get() == .native)
        let custom = try RecordingEnvironment.parse("kvm:pv_eoi=off,ept=off,host-pages=2m").get()
        var features = Set(KVMFeature.allCases)
        features.remove(.pv_eoi)
        #expect(custom == .kvm(features: features, ept: false, hostPages: .m2))
        #expect(custom.label == "kvm:pv_eoi=off,ept=off,host-pages=2m")
        #expect((try? RecordingEnvironment.parse("xen").get()) == nil)
        #expect((try? RecordingEnvironment.parse("kvm:warp=on").get()) == nil)
    }
}
