import Testing
import PVKernel
import PVRecord
import PVReplay
import PVTrace

/// Synthetic micro traces mirroring Adams & Agesen's nanobenchmarks, replayed end to end
/// (text → reader → kernel → engines) under the matching profile: within ±10 % of the paper.
@Suite struct NanobenchmarkReplayTests {
    /// Mean cycles per sample of `eventClass` for each engine, after replaying `bench`.
    func meanCycles(_ bench: Nanobenchmark, profile: String = "vtx-2006", eventClass: EventClass) throws -> [BackendID: Double] {
        let text = bench.trace(iterations: 200)
        let replay = try Replay(name: "nanobench-\(bench.rawValue)",
                                configuration: ReplayConfiguration(backends: [.kvm, .xenPV, .vmi, .lguest], profile: profile),
                                parameters: try KernelParameters.load()) {
            FtraceTextReader(stream: MemoryByteStream(text), name: "nanobench-\(bench.rawValue)", strict: true)
        }
        try replay.advance(toTraceTime: .max, eventBudget: .max)
        var out: [BackendID: Double] = [:]
        for e in replay.snapshot().engines {
            let n = e.metrics.classCounts[eventClass.index]
            #expect(n == 200, "\(e.descriptor.id) saw \(n) samples")
            out[e.descriptor.id] = e.metrics.classCycles[eventClass.index] / Double(max(n, 1))
        }
        return out
    }

    static func within10(_ value: Double?, _ target: Double) -> Bool {
        guard let value else { return false }
        return abs(value - target) <= 0.1 * target
    }

    @Test func pageFaultReproducesAdamsAndAgesen() throws {
        let c = try meanCycles(.pgfault, eventClass: .pageFault)
        #expect(Self.within10(c[.native], 1093), "native \(c[.native] ?? -1)")
        #expect(Self.within10(c[.kvm], 11242), "kvm \(c[.kvm] ?? -1)")
    }

    @Test func pteWriteReproducesAdamsAndAgesen() throws {
        let c = try meanCycles(.ptemod, eventClass: .micro)
        #expect(Self.within10(c[.kvm], 12733), "kvm \(c[.kvm] ?? -1)")
        #expect((c[.native] ?? 99) < 10)
    }

    @Test func portIOReproducesAdamsAndAgesen() throws {
        let c = try meanCycles(.in, eventClass: .micro)
        #expect(Self.within10(c[.native], 3209), "native \(c[.native] ?? -1)")
        #expect(Self.within10(c[.kvm], 15826), "kvm \(c[.kvm] ?? -1)")
    }

    @Test func syscallCostsTheSameUnderHardwareVirtualizationAsNatively() throws {
        let c = try meanCycles(.syscall, eventClass: .syscall)
        #expect(c[.kvm] == c[.native])
        // …while Xen PV's 64-bit syscall bounces through the hypervisor.
        #expect((c[.xenPV] ?? 0) > (c[.native] ?? 0) * 2)
    }

    @Test func everyExitProbeExitsOnceUnderKVM() throws {
        for bench in [Nanobenchmark.probeHLT, .probeMSRWrite, .probeCPUID, .probeWBINVD, .probeHypercall] {
            let text = bench.trace(iterations: 10)
            // haltpoll off: with it the guest polls first and some halts never exit (by design).
            var options = BackendOptions(cpuCount: 1)
            options.kvmFeatures.remove(.haltpoll)
            let replay = try Replay(name: bench.rawValue, configuration: ReplayConfiguration(backends: [.kvm], profile: "modern-2020", options: options),
                                    parameters: try KernelParameters.load()) {
                FtraceTextReader(stream: MemoryByteStream(text), name: bench.rawValue, strict: true)
            }
            try replay.advance(toTraceTime: .max, eventBudget: .max)
            let kvm = replay.snapshot().engines[1]
            #expect(kvm.metrics.transitions(of: .vmExit, in: kvm.descriptor) == 10, "\(bench.rawValue)")
            #expect(replay.snapshot().native.metrics.totalTransitions == 0)
        }
    }
}

/// docs/validation.md's fitted / predicted split.
@Suite struct CalibrationTests {
    let rows = try! Calibration.comparisons(parameters: try! KernelParameters.load())

    @Test func fittedRowsReachTheirMeasurementAndNameSourcedConstants() throws {
        let fitted = rows.filter { !$0.isPrediction }
        #expect(fitted.count >= 10)
        for r in fitted {
            #expect(abs(r.distance ?? 1) <= 0.1, "\(r.what): model \(r.model) vs \(r.measured)")
            let profile = try CostProfile.load(r.profile)
            for key in r.fittedFrom {
                let cost = try #require(profile.costs[key], "\(r.profile) lacks \(key)")
                #expect(!cost.isAssumption, "\(key) is fitted to a measurement, so it must cite it")
            }
        }
    }

    @Test func predictedMeasurementsAreNotConstantsOfTheProfile() throws {
        let predicted = rows.filter(\.isPrediction)
        #expect(predicted.count >= 4)
        for r in predicted where r.measured > 0 {
            let profile = try CostProfile.load(r.profile)
            let hits = profile.costs.filter { abs($0.value.value - r.measured) <= 1 }.map(\.key)
            #expect(hits.isEmpty, "\(r.what): measured \(r.measured) appears as \(hits)")
        }
    }
}
