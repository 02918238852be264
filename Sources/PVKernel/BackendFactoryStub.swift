// Temporary until the backends land: lets the replay build. Replaced by Backends/BackendFactory.swift.
public enum BackendFactory {
    public static func make(_ id: BackendID, profile: CostProfile, options: BackendOptions) throws -> any Backend {
        throw CostProfile.LoadError.malformed(id.rawValue, "backends are not built yet")
    }
}
