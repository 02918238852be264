import PVTrace
/// `pvtop record --crop`: keeps the lines between the START and END trace markers that
/// belong to the workload's process tree (followed through `sched_process_fork` from the
/// command's pid), the idle task, interrupt context on any CPU, and the scheduler lines that
/// switch to or wake a workload task. Foreign processes (the shell, daemons, pvtop itself)
/// disappear, while every CPU's timeline stays continuous around the workload.
public final class TraceCropper {
    public let startMarker: [UInt8]
    public let endMarker: [UInt8]
    /// The workload's pids (threads included: sched_process_fork fires for every clone).
    public private(set) var tree: Set<Int32>
    /// With no workload (system-wide recording) only the recorder's own lines are removed.
    let followTree: Bool
    let recorderPid: Int32
    private var state = Phase.beforeStart
    /// Per CPU: the task switched away from by a kept switch into the workload. Its next
    /// lines (the `tlb_flush` reason 0 of the CR3 load, MSR writes) are logged in its name
    /// but belong to the switch (as the bundled recordings show), so they are kept until another pid logs.
    private var switchTail: [Int: Int32] = [:]

    enum Phase { case beforeStart, inside, afterEnd }

    public private(set) var keptLines: UInt64 = 0
    public private(set) var droppedLines: UInt64 = 0
    public var sawStart: Bool { state != .beforeStart }
    public var sawEnd: Bool { state == .afterEnd }

    public init(startMarker: String, endMarker: String, workloadPid: Int32?, recorderPid: Int32) {
        self.startMarker = Array(startMarker.utf8)
        self.endMarker = Array(endMarker.utf8)
        tree = workloadPid.map { [$0] } ?? []
        followTree = workloadPid != nil
        self.recorderPid = recorderPid
    }

    /// Whether to keep one event line (no newline). Header lines are not passed here.
    public func keep(_ line: UnsafeRawBufferPointer) -> Bool {
        let k = decide(line)
        if k { keptLines += 1 } else { droppedLines += 1 }
        return k
    }

    private func decide(_ line: UnsafeRawBufferPointer) -> Bool {
        guard let scan = TraceLineScan(line) else { return false }
        let isMarker = scan.nameIs(line, "tracing_mark_write")
        switch state {
        case .beforeStart:
            if isMarker, lineContains(line, startMarker) {
                state = .inside
                return true
            }
            return false
        case .afterEnd:
            return false
        case .inside:
            if isMarker, lineContains(line, endMarker) {
                state = .afterEnd
                return true
            }
        }
        if isMarker { return true }
        let pid = scan.pid
        if let tail = switchTail[scan.cpu] {
            if tail == pid { return true }
            switchTail[scan.cpu] = nil
        }
        if !followTree {
            return pid != recorderPid || scan.inInterrupt
        }
        if scan.nameIs(line, "sched_process_fork") {
            let parent = integerField(line, "pid=", from: scan.nameEnd).map { Int32($0) } ?? -1
            let child = integerField(line, "child_pid=", from: scan.nameEnd).map { Int32($0) } ?? -1
            if tree.contains(parent) {
                tree.insert(child)
                return true
            }
            return tree.contains(child)
        }
        if pid == 0 || tree.contains(pid) || scan.inInterrupt {
            if scan.nameIs(line, "sched_switch") { noteSwitch(line, scan) }
            return true
        }
        if scan.nameIs(line, "sched_switch") {
            return noteSwitch(line, scan)
        }
        if scan.nameIs(line, "sched_wakeup") || scan.nameIs(line, "sched_wakeup_new") {
            return integerField(line, "pid=", from: scan.nameEnd).map { tree.contains(Int32($0)) } ?? false
        }
        return false
    }

    /// A switch is kept when either side is the workload or idle; a switch into the
    /// workload opens the previous task's tail.
    @discardableResult
    private func noteSwitch(_ line: UnsafeRawBufferPointer, _ scan: TraceLineScan) -> Bool {
        let prev = integerField(line, "prev_pid=", from: scan.nameEnd).map { Int32($0) } ?? -1
        let next = integerField(line, "next_pid=", from: scan.nameEnd).map { Int32($0) } ?? -1
        let nextIn = tree.contains(next)
        if nextIn && !tree.contains(prev) && prev != 0 { switchTail[scan.cpu] = prev }
        return nextIn || next == 0 || tree.contains(prev) || prev == 0
    }
}
