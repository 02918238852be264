import Foundation
import Testing
@testable import PVKernel

@Suite struct BackendTableTests {
    @Test(arguments: BackendID.allCases)
    func everyBackendMapsEveryOpWithASource(_ id: BackendID) {
        let rules = BackendFactory.rules(id)
        for op in PVOp.allCases {
            let rule = rules[op]
            #expect(rule != nil, "\(id.rawValue) has no rule for \(op)")
            #expect(!(rule?.source.isEmpty ?? true), "\(id.rawValue).\(op) has no source")
            #expect(!(rule?.action.isEmpty ?? true))
        }
        #expect(rules.count == PVOp.allCases.count)
    }

    @Test(arguments: BackendID.allCases)
    func everyBackendBuildsWithEveryBundledProfile(_ id: BackendID) throws {
        #expect(CostProfile.bundledNames.contains("vtx-2006"))
        #expect(CostProfile.bundledNames.contains("modern-2020"))
        for name in CostProfile.bundledNames {
            let p = try CostProfile.load(name)
            _ = try BackendFactory.make(id, profile: p, options: BackendOptions(cpuCount: 2))
            for key in BackendFactory.costKeys(id) { #expect(p.costs[key] != nil, "\(name) lacks \(key)") }
        }
    }

    @Test func everyProfileValueHasExactlyOneOfSourceOrAssumption() throws {
        for name in CostProfile.bundledNames {
            for (key, p) in try CostProfile.load(name).costs {
                #expect((p.source == nil) != (p.assumption == nil), "\(name) \(key)")
                #expect(!(p.source ?? p.assumption ?? "").isEmpty, "\(name) \(key)")
            }
        }
    }

    /// Citations are public (a paper, a post, a commit, a project file), never a note outside
    /// the repository or a machine path.
    @Test func noSourceCitesAPrivateNoteOrAPath() throws {
        // Spelled in pieces so this file does not itself read as such a citation.
        let md = ".md"
        let forbidden = ["costs" + md, "pvops" + md, "tracing" + md, "DESIGN" + md, "calibration-clock", "anchors-ux",
                         "/wo" + "rk/", "/home/", "reference/"]
        var texts: [(String, String)] = []
        for name in CostProfile.bundledNames {
            let p = try CostProfile.load(name)
            for (k, v) in p.costs { texts.append(("\(name) \(k)", (v.source ?? "") + (v.assumption ?? ""))) }
            for (k, v) in p.flags { texts.append(("\(name) \(k)", (v.source ?? "") + (v.assumption ?? ""))) }
            for (k, v) in p.quantities { texts.append(("\(name) \(k)", (v.source ?? "") + (v.assumption ?? ""))) }
            texts.append(("\(name) description", p.description))
        }
        for (k, v) in try KernelParameters.load().values { texts.append(("kernel-model \(k)", (v.source ?? "") + (v.assumption ?? ""))) }
        for id in BackendID.allCases {
            for (op, r) in BackendFactory.rules(id) { texts.append(("\(id.rawValue).\(op)", r.source + r.action)) }
        }
        texts.append(("model-coverage", ModelCoverage.markdown()))
        for (what, text) in texts {
            for f in forbidden { #expect(!text.contains(f), "\(what) cites \(f)") }
        }
    }

    @Test func everyFlagAndQuantityHasExactlyOneOfSourceOrAssumption() throws {
        for name in CostProfile.bundledNames {
            let p = try CostProfile.load(name)
            for (key, f) in p.flags { #expect((f.source == nil) != (f.assumption == nil), "\(name) \(key)") }
            for (key, q) in p.quantities { #expect((q.source == nil) != (q.assumption == nil), "\(name) \(key)") }
        }
    }

    @Test func aProfileMissingACostFailsAtConstruction() throws {
        var p = try CostProfile.load("modern-2020")
        p.costs["xen.hypercall"] = nil
        #expect(throws: CostProfile.LoadError.self) {
            _ = try BackendFactory.make(.xenPV, profile: p, options: BackendOptions(cpuCount: 1))
        }
    }

    @Test func nativeMakesZeroTransitionsForEveryOp() throws {
        var rig = try BackendRig(.native)
        for op in PVOp.allCases { rig.call(op, count: 3, arg: 2) }
        rig.call(.flushTLBMulti(targets: 3, pages: 1))
        rig.call(.write_msr, arg: 0x6e0)
        rig.finish()
        #expect(rig.totalTransitions == 0)
        #expect(rig.backend.descriptor.transitions.isEmpty)
        #expect(rig.ledger.cycles > 0)
    }

    @Test func nativeRowsAreInstructionsOrNothing() {
        for (op, r) in NativeBackend.rules {
            #expect([.instruction, .memory, .nop, .neverSeen].contains(r.kind), "\(op)")
            #expect(r.transition == nil)
        }
    }

    @Test(arguments: BackendID.allCases)
    func tableTransitionsAreInTheDescriptorAndCounted(_ id: BackendID) throws {
        var rig = try BackendRig(id, options: BackendOptions(cpuCount: 2, ept: false))
        for op in PVOp.allCases where ![.lazy_mmu_enter, .start_context_switch].contains(op) {
            rig.call(op, arg: 1)
        }
        rig.finish()
        if id != .native { #expect(rig.totalTransitions > 0) }
    }

    @Test func coverageDocListsEveryOpAndBackend() {
        let doc = ModelCoverage.markdown()
        for op in PVOp.allCases { #expect(doc.contains("`\(op.qualifiedName)`")) }
        #expect(!doc.contains("**unmapped**"))
        let text = ModelCoverage.text()
        #expect(text.split(separator: "\n").count == PVOp.allCases.count + 1)
    }

    @Test func committedCoverageDocMatchesTheTables() throws {
        // Tests/PVKernelTests/<this file> → repository root.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let committed = try String(contentsOf: root.appendingPathComponent("docs/model-coverage.md"), encoding: .utf8)
        #expect(committed == ModelCoverage.markdown(),
                "docs/model-coverage.md is stale: run `swift run pvtop model --ops --markdown`")
    }
}
