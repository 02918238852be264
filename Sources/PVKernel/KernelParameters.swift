import Foundation

/// The kernel model's parameters: what no tracepoint shows (page-table pages per fork, irq
/// save pairs per syscall, kernel work per path …). Each is a named value with a `source` or an
/// `assumption`, read from Profiles/kernel-model.json or a user's file (`--kernel-model`).
public struct KernelParameters: Sendable {
    public var values: [String: CostProfile.Parameter]
    public var origin: String

    public static let bundledName = "kernel-model"

    public static func load(_ path: String? = nil) throws -> KernelParameters {
        let url: URL
        let origin: String
        if let path {
            url = URL(fileURLWithPath: path); origin = path
        } else {
            guard let u = Bundle.module.resourceURL?.appendingPathComponent("Profiles/\(bundledName).json") else {
                throw CostProfile.LoadError.unreadable(bundledName, "bundled kernel model missing")
            }
            url = u; origin = bundledName
        }
        return try parse(ParameterFile.contents(path: url.path, origin: origin), origin: origin)
    }

    public static func parse(_ data: Data, origin: String) throws -> KernelParameters {
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let params = root["parameters"] as? [String: Any]
        else { throw CostProfile.LoadError.malformed(origin, "expected an object with \"parameters\"") }
        var values: [String: CostProfile.Parameter] = [:]
        for (key, raw) in params {
            values[key] = try CostProfile.parameter(raw, key: key, valueKey: "value", origin: origin)
        }
        let result = KernelParameters(values: values, origin: origin)
        for key in KernelParameters.requiredKeys where values[key] == nil {
            throw CostProfile.LoadError.missingCost(profile: origin, key: key)
        }
        return result
    }

    public func value(_ key: String) -> Double { values[key]?.value ?? 0 }

    static var requiredKeys: [String] {
        ["syscall.irq_save_pairs", "page_fault.irq_save_pairs", "context_switch.irq_save_pairs",
         "page_fault.pte_page_alloc_fraction", "page_fault.fault_around_pages", "fork.page_table_pages",
         "exit.page_table_pages", "mm.untraced_private_pages", "tlb.single_page_flush_ceiling"]
    }
}

extension Kernel {
    /// Parameters resolved once to integers (the hot path reads no dictionary).
    struct Resolved {
        let syscallIRQPairs, faultIRQPairs, switchIRQPairs: Int
        let pteAllocFraction: Double
        let forkPTPages, exitPTPages, untracedPrivatePages, faultAroundPages, flushCeiling: Int
        init(_ k: KernelParameters) {
            // Parameters are finite and ≥ 0 (checked at load); clamp so no cast can trap.
            func int(_ key: String) -> Int { Int(min(k.value(key), 1e9).rounded()) }
            syscallIRQPairs = int("syscall.irq_save_pairs")
            faultIRQPairs = int("page_fault.irq_save_pairs")
            switchIRQPairs = int("context_switch.irq_save_pairs")
            pteAllocFraction = k.value("page_fault.pte_page_alloc_fraction")
            forkPTPages = int("fork.page_table_pages")
            exitPTPages = int("exit.page_table_pages")
            untracedPrivatePages = int("mm.untraced_private_pages")
            faultAroundPages = max(min(int("page_fault.fault_around_pages"), 512), 1)
            flushCeiling = int("tlb.single_page_flush_ceiling")
        }
    }
}
