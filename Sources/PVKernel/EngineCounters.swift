/// A run of counters one engine alone writes, in storage it owns: no copy-on-write check on
/// each write, as an Array in the engine's `EngineMetrics` did (two to six writes per priced
/// call, 4.5 % of a five-engine replay's instructions in swift_isUniquelyReferenced). A
/// snapshot copies them out (`array`), at most once per frame or CSV interval.
///
/// A class, so the storage is freed with its engine and never shared: nothing copies it but
/// `array`. An index out of range stops the program (as an Array would), never writes past
/// the end.
final class EngineCounters<Element: Numeric & BitwiseCopyable> {
    @exclusivity(unchecked) private var storage: UnsafeMutableBufferPointer<Element>

    init(count: Int) {
        storage = .allocate(capacity: count)
        storage.initialize(repeating: 0)
    }

    deinit { storage.deallocate() }

    var count: Int { storage.count }

    subscript(i: Int) -> Element {
        @inline(__always) get {
            precondition(i >= 0 && i < storage.count, "counter index out of range")
            return storage[i]
        }
        @inline(__always) set {
            precondition(i >= 0 && i < storage.count, "counter index out of range")
            storage[i] = newValue
        }
    }

    /// Grows to `n` counters (new ones zero); never shrinks.
    func grow(to n: Int) {
        guard n > storage.count else { return }
        let grown = UnsafeMutableBufferPointer<Element>.allocate(capacity: n)
        _ = grown.initialize(from: storage)
        grown[storage.count...].initialize(repeating: 0)
        storage.deallocate()
        storage = grown
    }

    /// The counters as an Array (a snapshot's copy).
    var array: [Element] { Array(storage) }
}
