#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Task name ids by pid, so the common case (same pid, same comm as last time) is a compare of
/// a few bytes and a new `String` is built only for a new pid/comm pair.
struct CommCache {
    static let slots = 1024
    static let maxBytes = 64
    private var pids = [Int32](repeating: -1, count: slots)
    private var lengths = [UInt8](repeating: 0, count: slots)
    private var ids = [UInt32](repeating: 0, count: slots)
    private var bytes = [UInt8](repeating: 0, count: slots * maxBytes)

    mutating func id(pid: Int32, _ p: UnsafePointer<UInt8>, _ n: Int, strings: StringTable) -> UInt32 {
        let slot = Int(UInt32(bitPattern: pid) & UInt32(Self.slots - 1))
        if n <= Self.maxBytes && pids[slot] == pid && Int(lengths[slot]) == n {
            let same = bytes.withUnsafeBufferPointer { memcmp($0.baseAddress! + slot * Self.maxBytes, p, n) == 0 }
            if same { return ids[slot] }
        }
        let id = strings.intern(String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self))
        if n <= Self.maxBytes {
            pids[slot] = pid
            lengths[slot] = UInt8(n)
            ids[slot] = id
            bytes.withUnsafeMutableBufferPointer { dst in
                (dst.baseAddress! + slot * Self.maxBytes).update(from: p, count: n)
            }
        }
        return id
    }
}

extension String {
    func trimmingLeadingSpaces() -> String {
        String(drop(while: { $0 == " " || $0 == "\t" }))
    }
    func trimmingTrailingSpaces() -> String {
        var s = Substring(self)
        while let last = s.last, last == " " || last == "\t" { s = s.dropLast() }
        return String(s)
    }
}
