import FuzzDriver
#if canImport(Glibc)
import Glibc
#endif
import PVKernel
import PVReplay
import PVTrace

/// One fuzz input = one trace file's bytes. It goes through everything `pvtop replay
/// --headless` does with a trace file: format detection and every reader it can choose
/// (ftrace text, `perf script` text, trace.dat through libtracecmd, each also inside .gz / .xz),
/// the kernel's event → pv_ops expansion, all backends' pricing, the headless interval loop,
/// and `inspect`'s pass. The reader is strict or not per the first byte's low bit.
/// A trap, a sanitizer report or a hang (libFuzzer's -timeout) is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let strict = size > 0 && data[0] & 1 == 1
    // openTrace reads a path (libtracecmd needs a file). A new name per input: TraceDatReader
    // remembers its crash probe per path and file identity, and an inode can be reused.
    FuzzSetup.inputs += 1
    let path = "/tmp/pvtop-fuzz-\(getpid())-\(FuzzSetup.inputs).input"
    guard let file = fopen(path, "w") else { fatalError("cannot write \(path)") }
    if size > 0 { fwrite(data, 1, size, file) }
    fclose(file)
    defer { unlink(path) }
    do {
        let replay = try Replay(name: "fuzz", configuration: FuzzSetup.configuration, parameters: FuzzSetup.parameters,
                                loadProfile: { _ in FuzzSetup.profile }) {
            try openTrace(path: path, strict: strict)
        }
        _ = try Headless.run(replay, intervalNanoseconds: 1_000_000, emit: { _ in })  // 1 ms: many intervals, empty stretches
        let inspection = try TraceInspection(source: openTrace(path: path, strict: strict), name: "fuzz")
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
    /// libFuzzer calls the target from one thread.
    nonisolated(unsafe) static var inputs = 0
}
