import PVKernel
import PVTrace

/// The event the `.` key stepped, and per engine the pv_ops the kernel model derived from it
/// and what that engine's backend made of each (the dashboard's step panel).
public struct SteppedEvent: Sendable, Equatable {
    /// Trace time of the event (ns since the first event).
    public var positionNanoseconds: UInt64
    public var cpu: Int
    /// `comm-pid` as ftrace prints the task.
    public var task: String
    /// The tracepoint as the model knows it (`pageFault`, `schedSwitch`) and its fields.
    public var name: String
    public var fields: String
    /// The trace's line number (0 when the reader keeps none).
    public var line: UInt64
    /// By engine, in display order: each call priced. Empty when a filter dropped the event.
    public var ops: [[PricedOp]]

    public init(positionNanoseconds: UInt64, cpu: Int, task: String, name: String, fields: String, line: UInt64,
                ops: [[PricedOp]]) {
        self.positionNanoseconds = positionNanoseconds; self.cpu = cpu; self.task = task
        self.name = name; self.fields = fields; self.line = line; self.ops = ops
    }

    /// `pageFault(user: true, address: 140…, errorCode: 6)` → (`pageFault`, `user=true
    /// address=0x7f… errorCode=6`): the enum's own spelling, addresses in hex as ftrace prints them.
    public static func describe(_ kind: KernelEvent.Kind) -> (name: String, fields: String) {
        let text = String(describing: kind)
        guard let open = text.firstIndex(of: "("), text.hasSuffix(")") else { return (text, "") }
        let name = String(text[..<open])
        let inner = text[text.index(after: open)..<text.index(before: text.endIndex)]
        let fields = inner.components(separatedBy: ", ").map { field -> String in
            let parts = field.components(separatedBy: ": ")
            // An unlabelled enum prints its type path (`PVTrace.KernelEvent.IRQVector.localTimer`).
            guard parts.count == 2 else { return field.split(separator: ".").last.map(String.init) ?? field }
            if ["address", "value", "length"].contains(parts[0]), let n = UInt64(parts[1]) {
                return parts[0] + "=0x" + String(n, radix: 16)
            }
            return parts[0] + "=" + parts[1]
        }
        return (name, fields.joined(separator: " "))
    }
}
