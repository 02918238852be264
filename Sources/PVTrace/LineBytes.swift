#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One line of trace text, parsed in place on its bytes (no `String` per line).
///
/// Every read goes through `self[i]`, which returns 0 outside `0..<count`, so a malformed or
/// truncated line can make a parse fail but never read outside the line.
struct LineBytes {
    let base: UnsafePointer<UInt8>
    let count: Int

    @inline(__always) subscript(i: Int) -> UInt8 {
        i >= 0 && i < count ? base[i] : 0
    }

    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c &- 0x30 < 10 }

    @inline(__always) static func hexValue(_ c: UInt8) -> UInt8? {
        if c &- 0x30 < 10 { return c &- 0x30 }
        let lower = c | 0x20
        if lower &- 0x61 < 6 { return lower &- 0x61 &+ 10 }
        return nil
    }

    /// Letters, digits and `_`: the characters of a field name.
    @inline(__always) static func isIdentifier(_ c: UInt8) -> Bool {
        let lower = c | 0x20
        return c &- 0x30 < 10 || lower &- 0x61 < 26 || c == 0x5f
    }

    @inline(__always) func skipSpaces(_ k: inout Int) {
        while k < count && (base[k] == 0x20 || base[k] == 0x09) { k += 1 }
    }

    func hasPrefix(_ s: StaticString, at k: Int = 0) -> Bool {
        let n = s.utf8CodeUnitCount
        guard k >= 0, k + n <= count else { return false }
        return memcmp(base + k, s.utf8Start, n) == 0
    }

    /// First index of `s` at or after `from`, or nil.
    func find(_ s: StaticString, from: Int = 0) -> Int? {
        let n = s.utf8CodeUnitCount
        let end = count
        guard n > 0 else { return from }
        let first = Int32(s.utf8Start[0])
        var i = max(from, 0)
        while i + n <= end {
            guard let hit = memchr(base + i, first, end - n + 1 - i) else { return nil }
            let j = UnsafePointer<UInt8>(hit.assumingMemoryBound(to: UInt8.self)) - base
            if memcmp(base + j, s.utf8Start, n) == 0 { return j }
            i = j + 1
        }
        return nil
    }

    /// Index of the last `c` before `limit`, or nil.
    func lastIndex(of c: UInt8, before limit: Int, notBefore floor: Int = 0) -> Int? {
        var i = min(limit, count) - 1
        while i >= max(floor, 0) {
            if base[i] == c { return i }
            i -= 1
        }
        return nil
    }

    /// Where the value of field `key` starts: the key must stand alone (not the tail of a longer
    /// name, so `pid` does not match `child_pid`) and be followed by `=` (raw / `key=value`
    /// style) or `:` (syscalls and tlb_flush style, `len: 0x2000`, `pages:-1`).
    func value(of key: StaticString, from: Int = 0) -> Int? {
        let n = key.utf8CodeUnitCount
        var i = from
        while let j = find(key, from: i) {
            let sep = self[j + n]
            if (j == 0 || !Self.isIdentifier(self[j - 1])) && (sep == 0x3d || sep == 0x3a) {
                var k = j + n + 1
                skipSpaces(&k)
                return k
            }
            i = j + 1
        }
        return nil
    }

    // MARK: numbers (overflow-safe: nil instead of a trap)

    func decimal(_ k: inout Int) -> UInt64? {
        let start = k
        var v: UInt64 = 0
        // One pass with wrapping arithmetic; 19 digits always fit in UInt64, so only longer
        // runs (rare: garbage or a padded number) are redone with overflow checks.
        while k < count {
            let d = base[k] &- 0x30
            if d >= 10 { break }
            v = v &* 10 &+ UInt64(d)
            k += 1
        }
        if k - start <= 19 { return k > start ? v : nil }
        k = start
        v = 0
        while k < count, Self.isDigit(base[k]) {
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(base[k] &- 0x30))
            if o1 || o2 { return nil }
            v = a
            k += 1
        }
        return k > start ? v : nil
    }

    /// The value of exactly six decimal digits at `k` followed by a non-digit (ftrace's
    /// microseconds, `%06lu` in trace_print_time), read in one 8-byte load without a branch
    /// per digit (the SWAR digit combine); nil otherwise, for the byte loop to take over.
    @inline(__always) static func sixDigits(_ b: LineBytes, at k: Int) -> UInt64? {
        guard k >= 0, k + 8 <= b.count else { return nil }
        let raw = UInt64(littleEndian: UnsafeRawPointer(b.base + k).loadUnaligned(as: UInt64.self))
        let six: UInt64 = 0x0000_ffff_ffff_ffff
        let digits = raw & six
        // Each of the six bytes in 0x30…0x39: its high nibble 3, and still 3 after adding 6.
        guard digits & 0x0000_f0f0_f0f0_f0f0 == 0x0000_3030_3030_3030,
              (digits &+ 0x0000_0606_0606_0606) & 0x0000_f0f0_f0f0_f0f0 == 0x0000_3030_3030_3030,
              !isDigit(UInt8(truncatingIfNeeded: raw >> 48)) else { return nil }
        // Two leading zero digits make eight; first digit in the low byte (little endian).
        var x = (digits &- 0x0000_3030_3030_3030) << 16
        x = (x &* 10 &+ (x >> 8)) & 0x00ff_00ff_00ff_00ff
        x = (x &* 100 &+ (x >> 16)) & 0x0000_ffff_0000_ffff
        x = (x &* 10000 &+ (x >> 32)) & 0xffff_ffff
        return x
    }

    func signedDecimal(_ k: inout Int) -> Int64? {
        var negative = false
        if self[k] == 0x2d { negative = true; k += 1 } else if self[k] == 0x2b { k += 1 }
        guard let magnitude = decimal(&k) else { return nil }
        if negative {
            if magnitude == UInt64(Int64.max) + 1 { return Int64.min }
            guard magnitude <= UInt64(Int64.max) else { return nil }
            return -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }

    /// Hex digits with an optional `0x`.
    func hex(_ k: inout Int) -> UInt64? {
        if self[k] == 0x30 && (self[k + 1] | 0x20) == 0x78 && Self.hexValue(self[k + 2]) != nil { k += 2 }
        let start = k
        var v: UInt64 = 0
        while k < count, let d = Self.hexValue(base[k]) {
            if v > UInt64.max >> 4 { return nil }
            v = v << 4 | UInt64(d)
            k += 1
        }
        return k > start ? v : nil
    }

    /// `0x…` or a token with hex letters is hex, otherwise decimal: ftrace prints
    /// `%lx` fields with a 0x prefix, syscall args print small values bare (`prot: 3`).
    func number(_ k: inout Int) -> UInt64? {
        if self[k] == 0x30 && (self[k + 1] | 0x20) == 0x78 { return hex(&k) }
        var j = k
        var sawLetter = false
        while j < count, let d = Self.hexValue(base[j]) {
            if d >= 10 { sawLetter = true }
            j += 1
        }
        return sawLetter ? hex(&k) : decimal(&k)
    }

    func int32(_ k: inout Int) -> Int32? {
        guard let v = signedDecimal(&k), v >= Int64(Int32.min), v <= Int64(Int32.max) else { return nil }
        return Int32(v)
    }

    func uint32(_ k: inout Int) -> UInt32? {
        guard let v = decimal(&k), v <= UInt64(UInt32.max) else { return nil }
        return UInt32(v)
    }

    /// Whether a number that stopped at `k` was the whole token: the next byte separates fields
    /// (end of line, blank, `,` `)` `]`, as in `len: 0x2000,` or `(0)`). `error_code=0z7` is
    /// then no number at all instead of a 0 read from its prefix.
    @inline(__always) func endsToken(at k: Int) -> Bool {
        let c = self[k]
        return k >= count || c == 0x20 || c == 0x09 || c == 0x2c || c == 0x29 || c == 0x5d
    }

    /// `int32` at the value of `key`, the whole token.
    func int32Field(_ key: StaticString, from: Int = 0) -> Int32? {
        guard var k = value(of: key, from: from), let v = int32(&k), endsToken(at: k) else { return nil }
        return v
    }

    func uint32Field(_ key: StaticString, from: Int = 0) -> UInt32? {
        guard var k = value(of: key, from: from), let v = uint32(&k), endsToken(at: k) else { return nil }
        return v
    }

    /// `number` (hex or decimal) at the value of `key`, the whole token.
    func numberField(_ key: StaticString, from: Int = 0) -> UInt64? {
        guard var k = value(of: key, from: from), let v = number(&k), endsToken(at: k) else { return nil }
        return v
    }

    /// `hex` at the value of `key`, the whole token.
    func hexField(_ key: StaticString, from: Int = 0) -> UInt64? {
        guard var k = value(of: key, from: from), let v = hex(&k), endsToken(at: k) else { return nil }
        return v
    }

    /// `signedDecimal` at the value of `key`, the whole token.
    func signedField(_ key: StaticString, from: Int = 0) -> Int64? {
        guard var k = value(of: key, from: from), let v = signedDecimal(&k), endsToken(at: k) else { return nil }
        return v
    }

    func string(_ range: Range<Int>) -> String {
        let lo = max(range.lowerBound, 0), hi = min(range.upperBound, count)
        guard lo < hi else { return "" }
        return String(decoding: UnsafeBufferPointer(start: base + lo, count: hi - lo), as: UTF8.self)
    }
}
