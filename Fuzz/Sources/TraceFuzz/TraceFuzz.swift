import FuzzDriver
import PVKernel
import PVReplay
import PVTrace

/// One fuzz input = one trace file's bytes. It goes through everything `pvtop replay
/// --headless` does with a trace: the reader (strict or not, per the first byte), the kernel's
/// event → pv_ops expansion, all five backends' pricing, and the headless interval loop.
/// A trap, a sanitizer report or a hang (libFuzzer's -timeout) is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let strict = bytes.first.map { $0 & 1 == 1 } ?? false
    do {
        let replay = try Replay(name: "fuzz", configuration: FuzzSetup.configuration, parameters: FuzzSetup.parameters,
                                loadProfile: { _ in FuzzSetup.profile }) {
            FtraceTextReader(stream: MemoryByteStream(bytes: bytes, chunk: 4096), name: "fuzz", strict: strict)
        }
        _ = try Headless.run(replay, intervalNanoseconds: 1_000_000, emit: { _ in })  // 1 ms: many intervals, empty stretches
        // inspect's pass as well: its counters and report take the same input.
        let inspection = try TraceInspection(
            source: FtraceTextReader(stream: MemoryByteStream(bytes: bytes), name: "fuzz", strict: strict), name: "fuzz")
        _ = inspection.report()
    } catch is TraceError {
        // Unusable input is an answer, not a finding.
    } catch {
        fatalError("unexpected error \(error)")
    }
    return 0
}

enum FuzzSetup {
    static let parameters = try! KernelParameters.load(nil)
    static let profile = try! CostProfile.load("modern-2020")
    static let configuration = ReplayConfiguration()
}
