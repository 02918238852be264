import PVTrace

/// The kernel model's estimate of each process's user page tables: which pages are present,
/// which of them are private (anonymous, so `copy_pte_range` copies them at fork) and which
/// are writable (so fork write-protects them in the parent, COW).
///
/// No tracepoint shows a page table, but the trace shows what fills and empties one: page
/// faults (a not-present fault maps pages, a write fault makes a private writable page),
/// fork / exec / exit, munmap and a shrinking brk. Pages a process mapped before the trace
/// began are unknown: `untracedPrivatePages` (a kernel-model parameter) stands for them.
///
/// Linux facts used (mm/memory.c, 6.x):
/// - `copy_pte_range` runs only for VMAs `vma_needs_copy` accepts, i.e. with an `anon_vma`
///   ("Don't copy ptes where a page fault will fill them correctly"): read-only file pages are
///   not copied; `copy_present_pte` write-protects parent and child only when
///   `is_cow_mapping(vm_flags) && pte_write(pte)`.
/// - `zap_pte_range` (munmap, exit_mmap) clears only present PTEs (`pte_none` is skipped).
/// - `do_fault_around` maps up to `fault_around_pages` PTEs (65536 bytes = 16 pages) in the
///   aligned window around a read fault on a file mapping, skipping PTEs already present.
///
/// Memory is bounded by two caps, not by the trace: at most `maxTrackedPages` pages placed at
/// an address (all processes together) and `maxSpaces` processes. Past them a new page is only
/// counted (as if mapped before the trace: teardown and fork still price it, munmap cannot find
/// it) and a new process is not remembered (each event on it sees a process first seen then);
/// `spilledPages` / `spilledSpaces` count what did not fit, and the replay reports them.
struct AddressSpaces {
    struct Flags: OptionSet {
        let rawValue: UInt8
        /// Private (anonymous or COW-copied) page: in a VMA with an anon_vma, copied at fork.
        static let `private` = Flags(rawValue: 1)
        /// PTE currently writable: fork write-protects it in the parent.
        static let writable = Flags(rawValue: 2)
    }

    struct Space {
        /// Present user pages by virtual page number.
        var pages: [UInt64: Flags] = [:]
        /// Private pages mapped before the trace began, or past the page cap (not placed at any
        /// address).
        var untracedPrivate = 0
        var untracedWritable = 0
        /// Non-private (file) pages mapped past the page cap.
        var unplacedShared = 0
        /// The last program break a brk() call set (0 = none seen).
        var brk: UInt64 = 0

        var present: Int { pages.count + untracedPrivate + unplacedShared }
        var privatePages: Int { pages.values.reduce(0) { $0 + ($1.contains(.private) ? 1 : 0) } + untracedPrivate }
        var writablePages: Int { pages.values.reduce(0) { $0 + ($1.contains(.writable) ? 1 : 0) } + untracedWritable }

        /// Maps one page with `flags`. A page new to the map takes one unit of `room`; with none
        /// left it is counted unplaced instead, and as spilled.
        mutating func map(_ vpn: UInt64, _ flags: Flags, room: inout Room) {
            if pages[vpn] != nil { pages[vpn] = flags; return }
            if room.left > 0 { pages[vpn] = flags; room.left -= 1; return }
            if flags.contains(.private) { untracedPrivate += 1 } else { unplacedShared += 1 }
            if flags.contains(.writable) { untracedWritable += 1 }
            room.spilled &+= 1
        }
    }

    /// How many more pages one change may place, and how many it could not.
    struct Room {
        var left: Int
        var spilled: UInt64 = 0
    }

    private var spaces: [Int32: Space] = [:]
    /// Pages placed in all page maps together.
    private(set) var trackedPages = 0
    /// Pages that were only counted because the page cap was reached, and process page maps
    /// not remembered because the process cap was.
    private(set) var spilledPages: UInt64 = 0
    private(set) var spilledSpaces: UInt64 = 0
    /// 2^20 pages = 4 GiB of touched user memory, some tens of MB of page map: an assumption,
    /// above any bundled trace (forkexec faults on 29,586 distinct pid/page pairs, so with a
    /// 16-page fault-around it places at most ~470 k; the CSV expectations do not move).
    let maxTrackedPages: Int
    /// As many processes as pvtop keeps task names (65,536): an assumption.
    let maxSpaces: Int
    /// What an mm first seen mid-life is assumed to hold.
    let untracedPrivatePages: Int
    let faultAroundPages: Int

    init(untracedPrivatePages: Int, faultAroundPages: Int, maxTrackedPages: Int = 1 << 20, maxSpaces: Int = 1 << 16) {
        self.untracedPrivatePages = max(untracedPrivatePages, 0)
        self.faultAroundPages = max(faultAroundPages, 1)
        self.maxTrackedPages = max(maxTrackedPages, 0)
        self.maxSpaces = max(maxSpaces, 1)
    }

    /// Highest user address on x86-64 (4-level paging: 47 bits); faults above are kernel's.
    static let userTop: UInt64 = 1 << 47
    static let pageShift: UInt64 = 12

    /// Runs `body` on `mm`'s space, taken out of the table so its page map is uniquely
    /// referenced while it changes; `room` is how many pages it may still place.
    private mutating func withSpace<R>(_ mm: Int32, _ body: (inout Space, inout Room) -> R) -> R {
        var s = spaces.removeValue(forKey: mm)
            ?? Space(untracedPrivate: untracedPrivatePages, untracedWritable: untracedPrivatePages)
        trackedPages -= s.pages.count
        var room = Room(left: max(maxTrackedPages - trackedPages - s.pages.count, 0))
        let result = body(&s, &room)
        spilledPages &+= room.spilled
        put(mm, s)
        return result
    }

    /// Stores `s` as `mm`'s space if the process cap allows (a space just taken out always fits
    /// back); otherwise drops it and counts the spill.
    private mutating func put(_ mm: Int32, _ s: Space) {
        guard spaces.count < maxSpaces else { spilledSpaces &+= 1; return }
        spaces[mm] = s
        trackedPages += s.pages.count
    }

    /// What one fault maps: `ptes` PTEs set (1, or a fault-around batch), `isCOW` when a write
    /// hit a present page (wp_page_copy replaces one PTE, maps nothing new).
    struct FaultMapping: Equatable { var ptes: Int; var faultAround: Bool; var isCOW: Bool }

    /// x86 page-fault error code: bit 0 present, bit 1 write, bit 4 instruction fetch.
    mutating func fault(mm: Int32, address: UInt64, errorCode: UInt32) -> FaultMapping {
        let present = errorCode & 0x1 != 0
        let write = errorCode & 0x2 != 0
        guard address < Self.userTop else { return FaultMapping(ptes: 1, faultAround: false, isCOW: false) }
        let vpn = address >> Self.pageShift
        let n = UInt64(faultAroundPages)
        return withSpace(mm) { s, room in
            if write {
                // do_anonymous_page / do_cow_fault / wp_page_copy: one private writable PTE.
                s.map(vpn, [.private, .writable], room: &room)
                return FaultMapping(ptes: 1, faultAround: false, isCOW: present)
            }
            if present { return FaultMapping(ptes: 1, faultAround: false, isCOW: false) }
            // A read or instruction fetch: do_read_fault → do_fault_around on a file mapping.
            // An anonymous read maps the zero page (one PTE); the model takes a read as
            // file-backed unless its window already holds private pages (heap, stack).
            let start = vpn / n * n
            var privateNearby = false
            for p in start..<(start + n) where s.pages[p]?.contains(.private) == true { privateNearby = true; break }
            if privateNearby || n == 1 {
                if s.pages[vpn] == nil { s.map(vpn, [], room: &room) }
                return FaultMapping(ptes: 1, faultAround: false, isCOW: false)
            }
            var mapped = 0
            for p in start..<(start + n) where s.pages[p] == nil {
                s.map(p, [], room: &room)
                mapped += 1
            }
            return FaultMapping(ptes: max(mapped, 1), faultAround: true, isCOW: false)
        }
    }

    /// dup_mmap: the child gets the parent's private pages (read-only, COW); the parent's
    /// writable ones are write-protected. Returns (PTEs copied, PTEs write-protected).
    mutating func fork(parent: Int32, child: Int32) -> (copied: Int, writeProtected: Int) {
        var c = Space(untracedPrivate: 0, untracedWritable: 0)
        let (copied, protected) = withSpace(parent) { p, room -> (Int, Int) in
            let counts = (p.privatePages, p.writablePages)
            c = Space(untracedPrivate: p.untracedPrivate, untracedWritable: 0, brk: p.brk)
            for (vpn, flags) in p.pages where flags.contains(.private) {
                p.pages[vpn] = [.private]
                c.map(vpn, [.private], room: &room)
            }
            p.untracedWritable = 0
            return counts
        }
        if let old = spaces.removeValue(forKey: child) { trackedPages -= old.pages.count }
        put(child, c)
        return (copied, protected)
    }

    /// exec_mmap / exit_mmap: the old mm goes; returns the PTEs its teardown clears.
    mutating func tearDown(_ mm: Int32, replaceWithEmpty: Bool) -> Int {
        let old = spaces.removeValue(forKey: mm)
        trackedPages -= old?.pages.count ?? 0
        if replaceWithEmpty { put(mm, Space()) }
        return old.map(\.present) ?? untracedPrivatePages
    }

    /// Present pages in [address, address + length): munmap's zap and mprotect's
    /// change_pte_range touch only those. `clear` removes them (munmap). Overflow-safe for
    /// any 64-bit address and length.
    mutating func presentPages(mm: Int32, address: UInt64, length: UInt64, clear: Bool) -> Int {
        guard length > 0, spaces[mm] != nil else { return 0 }
        let first = address >> Self.pageShift
        let end = address > UInt64.max - length ? UInt64.max : address + length
        let last = (end >> Self.pageShift) + (end & 0xfff != 0 ? 1 : 0) // exclusive
        return withSpace(mm) { s, _ in
            var hits: [UInt64] = []
            if last &- first <= UInt64(s.pages.count) {
                var p = first
                while p < last { if s.pages[p] != nil { hits.append(p) }; p += 1 }
            } else {
                hits = s.pages.keys.filter { $0 >= first && $0 < last }
            }
            if clear { for p in hits { s.pages[p] = nil } }
            return hits.count
        }
    }

    /// brk(new): a lower break unmaps [new, old). Returns the PTEs cleared.
    mutating func setBreak(mm: Int32, to newBreak: UInt64) -> Int {
        guard newBreak != 0 else { return 0 } // brk(0) asks for the current break
        let old = withSpace(mm) { s, _ in
            defer { s.brk = newBreak }
            return s.brk
        }
        guard old > newBreak else { return 0 }
        return presentPages(mm: mm, address: newBreak, length: old - newBreak, clear: true)
    }

    /// For tests.
    func estimate(_ mm: Int32) -> (present: Int, private: Int, writable: Int)? {
        spaces[mm].map { ($0.present, $0.privatePages, $0.writablePages) }
    }
}

extension Kernel {
    /// `diagnostics` plus a `model-capped` count when the page-table estimate reached its caps
    /// (pages only counted + processes not remembered). It names the trace, not a line: the cap
    /// is reached by the whole trace, not by one line of it.
    public func addingModelWarnings(to diagnostics: TraceDiagnostics, file: String) -> TraceDiagnostics {
        let pages = mm.spilledPages, processes = mm.spilledSpaces
        let total = pages.addingReportingOverflow(processes).overflow ? UInt64.max : pages + processes
        guard total > 0 else { return diagnostics }
        var d = diagnostics
        let message = "the page-table model keeps \(mm.maxTrackedPages) pages and \(mm.maxSpaces) processes: "
            + "\(pages) more pages were only counted, \(processes) process page maps not kept"
        d.record(TraceWarning(file: file, line: 0, message: message, kind: .modelCapped), keep: 20, times: total)
        return d
    }
}
