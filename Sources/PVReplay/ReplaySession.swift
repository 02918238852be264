import Foundation
import PVKernel
import PVTrace

/// What every command that replays builds, from one options value: the kernel model and the
/// cost profile (each loaded once, here), the reader for a trace and the `Replay` over it.
/// `replay` (headless and dashboard), `live`, `bench` and `validate` all start here, so a new
/// option reaches every one of them by being added once.
public struct ReplaySession {
    public struct Options: Sendable {
        public var configuration: ReplayConfiguration
        /// Kernel-model parameters JSON; nil = the bundled kernel-model.json.
        public var kernelModelPath: String?
        public var pricingThreads: Int
        /// Every input warning is an error (the reader throws at the first).
        public var strict: Bool
        /// A jump of the trace clock longer than this is cut out (TraceTimeline).
        public var maxGapNanoseconds: UInt64

        public init(configuration: ReplayConfiguration = ReplayConfiguration(), kernelModelPath: String? = nil,
                    pricingThreads: Int = Replay.defaultPricingThreads, strict: Bool = false,
                    maxGapNanoseconds: UInt64 = TraceTimeline.defaultMaxJumpNanoseconds) {
            self.configuration = configuration; self.kernelModelPath = kernelModelPath
            self.pricingThreads = pricingThreads; self.strict = strict; self.maxGapNanoseconds = maxGapNanoseconds
        }
    }

    public let options: Options
    public let parameters: KernelParameters
    /// The profile `configuration.profile` names, resolved once; the dashboard's `p` loads others.
    public let profile: CostProfile

    /// Loads the kernel model and the profile; a bad file is a `CostProfile.LoadError` naming it.
    public init(_ options: Options) throws {
        self.options = options
        parameters = try KernelParameters.load(options.kernelModelPath)
        profile = try CostProfile.load(options.configuration.profile)
    }

    public var configuration: ReplayConfiguration { options.configuration }

    /// The reader for `path` (chosen by content), with this session's strictness and gap limit.
    public func open(trace path: String) throws -> any TraceSource {
        try openTrace(path: path, strict: options.strict, maxGapNanoseconds: options.maxGapNanoseconds)
    }

    /// A replay of the trace file at `path`, named by its file name. A pipe or device cannot be
    /// read twice: no duration scan, no seek back, no reset (re-opening a FIFO would block in open()).
    public func replay(trace path: String) throws -> Replay {
        try replay(name: (path as NSString).lastPathComponent, restartable: Self.isReopenable(path)) {
            try self.open(trace: path)
        }
    }

    /// A replay of any source (`live`'s ring buffers, a test's lines); `open` is called again
    /// on restart when `restartable`.
    public func replay(name: String, restartable: Bool = true,
                       open: @escaping () throws -> any TraceSource) throws -> Replay {
        let resolved = profile, resolvedName = options.configuration.profile
        return try Replay(name: name, configuration: options.configuration, parameters: parameters,
                          restartable: restartable, pricingThreads: options.pricingThreads,
                          loadProfile: { $0 == resolvedName ? resolved : try CostProfile.load($0) },
                          open: open)
    }

    /// A regular file can be opened again (restart, seek back, the duration scan); stdin, a
    /// FIFO or a device cannot.
    public static func isReopenable(_ path: String) -> Bool {
        guard path != "-" else { return false }
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG
    }
}
