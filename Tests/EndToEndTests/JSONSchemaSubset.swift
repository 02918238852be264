import Foundation

/// A validator for the subset of JSON Schema (draft 2020-12) that docs/summary.schema.json
/// uses: `type`, `properties`, `required`, `additionalProperties`, `items`, `enum`, `minimum`,
/// `maximum` and `$ref` to `#/$defs/…`. A keyword outside that subset is itself an error, so
/// the schema cannot grow a rule this validator would silently skip.
struct JSONSchemaSubset {
    let root: [String: Any]

    static let keywords: Set<String> = [
        "$schema", "title", "description", "$defs", "type", "properties", "required",
        "additionalProperties", "items", "enum", "minimum", "maximum", "$ref",
    ]

    /// Every violation as `path: reason` (empty when `value` is valid).
    func errors(_ value: Any) -> [String] {
        var out: [String] = []
        check(value, against: root, at: "$", into: &out)
        return out
    }

    /// Keywords anywhere in the schema that this validator does not check.
    func unsupportedKeywords() -> [String] {
        var out: [String] = []
        func walk(_ schema: [String: Any], _ path: String) {
            for key in schema.keys where !Self.keywords.contains(key) { out.append("\(path).\(key)") }
            for container in ["properties", "$defs"] {
                for (name, sub) in schema[container] as? [String: Any] ?? [:] {
                    if let sub = sub as? [String: Any] { walk(sub, "\(path).\(container).\(name)") }
                }
            }
            for single in ["items", "additionalProperties"] {
                if let sub = schema[single] as? [String: Any] { walk(sub, "\(path).\(single)") }
            }
        }
        walk(root, "$")
        return out
    }

    private func check(_ value: Any, against schema: [String: Any], at path: String, into out: inout [String]) {
        for key in schema.keys where !Self.keywords.contains(key) {
            out.append("\(path): schema keyword \"\(key)\" is outside the supported subset")
        }
        if let ref = schema["$ref"] as? String {
            let name = ref.replacingOccurrences(of: "#/$defs/", with: "")
            guard let target = (root["$defs"] as? [String: Any])?[name] as? [String: Any] else {
                out.append("\(path): unresolved $ref \(ref)"); return
            }
            check(value, against: target, at: path, into: &out)
        }
        if let type = schema["type"] as? String, !Self.matches(value, type) {
            out.append("\(path): expected \(type), found \(Self.typeName(value))"); return
        }
        if let allowed = schema["enum"] as? [Any], !allowed.contains(where: { Self.equal($0, value) }) {
            out.append("\(path): \(value) is not one of \(allowed)")
        }
        if let number = Self.number(value) {
            if let min = schema["minimum"].flatMap(Self.number), number < min { out.append("\(path): \(number) < minimum \(min)") }
            if let max = schema["maximum"].flatMap(Self.number), number > max { out.append("\(path): \(number) > maximum \(max)") }
        }
        if let object = value as? [String: Any] {
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for key in schema["required"] as? [String] ?? [] where object[key] == nil {
                out.append("\(path): missing required \"\(key)\"")
            }
            for (key, member) in object {
                if let sub = properties[key] as? [String: Any] {
                    check(member, against: sub, at: "\(path).\(key)", into: &out)
                } else if let extra = schema["additionalProperties"] {
                    if let allowed = extra as? Bool {
                        if !allowed { out.append("\(path): unexpected key \"\(key)\"") }
                    } else if let sub = extra as? [String: Any] {
                        check(member, against: sub, at: "\(path).\(key)", into: &out)
                    }
                }
            }
        }
        if let array = value as? [Any], let items = schema["items"] as? [String: Any] {
            for (i, element) in array.enumerated() { check(element, against: items, at: "\(path)[\(i)]", into: &out) }
        }
    }

    /// The summary has no booleans, so every NSNumber JSONSerialization gives is a number.
    private static func number(_ v: Any) -> Double? {
        (v as? NSNumber)?.doubleValue
    }

    private static func matches(_ v: Any, _ type: String) -> Bool {
        switch type {
        case "object": return v is [String: Any]
        case "array": return v is [Any]
        case "string": return v is String
        case "number": return number(v) != nil
        case "integer": return number(v).map { $0.rounded() == $0 && !String(describing: v).contains(".") } ?? false
        case "null": return v is NSNull
        default: return false
        }
    }

    private static func typeName(_ v: Any) -> String {
        for t in ["object", "array", "string", "integer", "number", "null"] where matches(v, t) { return t }
        return "\(type(of: v))"
    }

    private static func equal(_ a: Any, _ b: Any) -> Bool {
        if let a = a as? String, let b = b as? String { return a == b }
        if let a = number(a), let b = number(b) { return a == b }
        return false
    }
}
