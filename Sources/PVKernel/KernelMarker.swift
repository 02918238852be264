import PVTrace

/// `pvtop synth`'s micro traces: ops given by name in a marker, not expanded from an event.
extension Kernel {
    /// Synthetic micro traces carry ops directly, one latency sample per marker:
    /// `tracing_mark_write: pvtop-op [class=page_fault] exception_entry read_cr2 set_pte×1 iret`
    /// (an op may carry `×N` or `*N`). Returns false when the text is not such a marker; a
    /// `pvtop-op` marker naming an op `PVOp` does not have, an unknown class or a bad count is
    /// an error (TraceError at the event's line; the replay fills in the file), never skipped.
    /// Only `pvtop synth` writes these; the replay resolves the marker's text and calls this.
    @discardableResult
    public mutating func expandMarker(_ text: String, event: KernelEvent, into out: inout Expansion) throws -> Bool {
        out.removeAll()
        var words = text.split(separator: " ")
        guard words.first == "pvtop-op" else { return false }
        words.removeFirst()
        func bad(_ message: String) -> TraceError {
            TraceError(file: "", line: event.line, message: "pvtop-op marker: \(message)")
        }
        var eventClass = EventClass.micro
        if let first = words.first, first.hasPrefix("class=") {
            guard let c = EventClass(rawValue: String(first.dropFirst(6))) else {
                throw bad("unknown class \"\(first.dropFirst(6))\" (classes: \(EventClass.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            eventClass = c
            words.removeFirst()
        }
        var calls: [PVCall] = []
        for word in words {
            let parts = word.split(whereSeparator: { $0 == "×" || $0 == "*" })
            guard let name = parts.first, let op = PVOp.byName[String(name)] else {
                throw bad("unknown pv op \"\(word)\" (pvtop model --ops lists them)")
            }
            var count: UInt32 = 1
            if parts.count > 1 {
                guard parts.count == 2, let n = UInt32(parts[1]), n > 0 else { throw bad("bad count in \"\(word)\"") }
                count = n
            }
            calls.append(PVCall(op, count: count))
        }
        let context = CallContext(cpu: Int(event.cpu), inInterrupt: event.context == .hardirq)
        out.segment(eventClass, context) { for c in calls { $0.add(c) } }
        return true
    }
}
