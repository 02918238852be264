import Testing
@testable import PVKernel
import PVTrace

/// The page-table estimate's memory is bounded by its caps, not by the trace (issue 10):
/// pages past the page cap are only counted, processes past the process cap are not kept,
/// and both are reported as `model-capped`.
@Suite struct AddressSpacesCapTests {
    let write: UInt32 = 0x6, read: UInt32 = 0x4

    @Test func pagesPastTheCapAreCountedNotPlacedAndStillTornDown() {
        var mm = AddressSpaces(untracedPrivatePages: 0, faultAroundPages: 1, maxTrackedPages: 4, maxSpaces: 8)
        for page in 0..<6 { _ = mm.fault(mm: 1, address: 0x7f00_0000_0000 + UInt64(page) << 12, errorCode: write) }
        #expect(mm.trackedPages == 4)
        #expect(mm.spilledPages == 2)
        // All six are present, private and writable for fork and teardown.
        #expect(mm.estimate(1)! == (present: 6, private: 6, writable: 6))
        #expect(mm.tearDown(1, replaceWithEmpty: false) == 6)
        #expect(mm.trackedPages == 0)
    }

    @Test func thePageCapHoldsAcrossProcessesForkAndFaultAround() {
        var mm = AddressSpaces(untracedPrivatePages: 0, faultAroundPages: 16, maxTrackedPages: 20, maxSpaces: 64)
        // A read fault maps a 16-page window; the second window only fits 4 of its pages.
        #expect(mm.fault(mm: 1, address: 0x5555_0000_0000, errorCode: read).ptes == 16)
        #expect(mm.fault(mm: 2, address: 0x5555_0000_0000, errorCode: read).ptes == 16)
        #expect(mm.trackedPages == 20 && mm.spilledPages == 12)
        // Rewriting a page already placed needs no room.
        _ = mm.fault(mm: 1, address: 0x5555_0000_0000, errorCode: write)
        #expect(mm.spilledPages == 12)
        // fork copies the one private page: no room, so the child only counts it.
        let copy = mm.fork(parent: 1, child: 3)
        #expect(copy.copied == 1)
        #expect(mm.trackedPages == 20 && mm.spilledPages == 13)
        #expect(mm.estimate(3)!.private == 1)
        // munmap frees room that later faults reuse.
        #expect(mm.presentPages(mm: 1, address: 0x5555_0000_0000, length: 16 << 12, clear: true) == 16)
        #expect(mm.trackedPages == 4)
        _ = mm.fault(mm: 4, address: 0x7f00_0000_0000, errorCode: write)
        #expect(mm.trackedPages == 5 && mm.spilledPages == 13)
    }

    @Test func processesPastTheCapAreNotKept() {
        var mm = AddressSpaces(untracedPrivatePages: 3, faultAroundPages: 1, maxTrackedPages: 100, maxSpaces: 2)
        for pid: Int32 in 1...5 { _ = mm.fault(mm: pid, address: 0x7f00_0000_0000, errorCode: write) }
        #expect(mm.estimate(1) != nil && mm.estimate(2) != nil)
        #expect(mm.estimate(5) == nil)
        #expect(mm.spilledSpaces == 3)
        #expect(mm.trackedPages == 2)
        // A process not kept is priced as one first seen: its untraced pages, nothing placed.
        #expect(mm.tearDown(5, replaceWithEmpty: false) == 3)
    }

    @Test func aCappedModelIsReportedAsOneCountedWarningKind() throws {
        var kernel = Kernel(parameters: try KernelParameters.load(), cpuCount: 1)
        kernel.mm = AddressSpaces(untracedPrivatePages: 0, faultAroundPages: 1, maxTrackedPages: 1, maxSpaces: 4)
        var out = Expansion()
        for page in 0..<3 {
            kernel.expand(KernelEvent(timestampNanoseconds: 1_000 + UInt64(page), cpu: 0, pid: 7, context: .task,
                                      kind: .pageFault(user: true, address: 0x7f00_0000_0000 + UInt64(page) << 12, errorCode: write)),
                          into: &out)
        }
        let none = TraceDiagnostics()
        let d = kernel.addingModelWarnings(to: none, file: "t.trace")
        #expect(d.countsByKind[.modelCapped] == 2)
        #expect(d.summaryLine?.contains("2 model-capped (first t.trace)") == true)
        #expect(Kernel(parameters: try KernelParameters.load(), cpuCount: 1)
            .addingModelWarnings(to: none, file: "t.trace").warningCount == 0)
    }
}
