import Testing
import PVTrace
@testable import PVRecord

@Suite struct RecordingEventSetTests {
    @Test func lightIsASubsetOfFullAndHasNoSyscallEvents() {
        let light = TraceEventSet.light.events.map(\.name)
        let full = Set(TraceEventSet.full.events.map(\.name))
        #expect(Set(light).isSubset(of: full))
        #expect(!light.contains { $0.hasPrefix("raw_syscalls:") || $0.hasPrefix("syscalls:") })
        #expect(full.contains("raw_syscalls:sys_enter") && full.contains("syscalls:sys_exit_brk"))
    }

    @Test func eventNamesAreSystemColonEventWithoutDuplicates() {
        for set in TraceEventSet.allCases {
            let names = set.events.map(\.name)
            #expect(Set(names).count == names.count, "\(set) has duplicates")
            for e in set.events {
                #expect(!e.system.isEmpty && !e.event.isEmpty && e.name == e.system + ":" + e.event, "\(e.name)")
            }
        }
    }

    @Test func schedulingFaultsAndTLBAreRequiredTheRestOptional() {
        let required = TraceEventSet.full.events.filter(\.required).map(\.name)
        #expect(required.contains("sched:sched_switch") && required.contains("tlb:tlb_flush")
                && required.contains("exceptions:page_fault_user"))
        #expect(!required.contains("msr:write_msr"))  // x86-only: a warning elsewhere
    }

    /// Every event of the fixture (recorded with the full set) is one the full set enables.
    @Test func fullSetCoversEveryEventOfTheFullSetFixture() {
        let enabled = Set(TraceEventSet.full.events.map(\.event))
        var seen = Set<String>()
        for line in RecordingFixture.forkexecLines {
            withLineBytes(line) { b in
                if let scan = TraceLineScan(b) { seen.insert(scan.eventName(b)) }
            }
        }
        seen.remove("tracing_mark_write")  // trace_marker, not an event
        #expect(seen.count > 20)
        #expect(seen.subtracting(enabled).isEmpty, "not in the full set: \(seen.subtracting(enabled).sorted())")
    }
}
