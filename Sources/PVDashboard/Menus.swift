import PVKernel
import PVReplay

/// What a menu did with a key.
public enum MenuOutcome: Sendable, Equatable { case stay, apply, cancel, quit }

/// A small checklist (backends, KVM features): ↑/↓ move, Space or a digit toggles, Enter
/// applies, Esc (or the key that opened it) cancels, `q` quits.
public struct ToggleMenu: Sendable, Equatable {
    public struct Item: Sendable, Equatable {
        /// What the item stands for (`pv_eoi`, `no-ept`, `xen-pv`): the menu is read back by
        /// this key, never by position.
        public var key: String
        public var label: String
        public var isOn: Bool
        public init(key: String, label: String, isOn: Bool) { self.key = key; self.label = label; self.isOn = isOn }
    }
    public var title: String
    public var items: [Item]
    public var cursor = 0

    public init(title: String, items: [Item]) { self.title = title; self.items = items }

    /// Whether the item with `key` is ticked (false for a key the menu does not have).
    public func isOn(_ key: String) -> Bool { items.first { $0.key == key }?.isOn ?? false }

    public mutating func handle(_ input: Input, closeKey: Character) -> MenuOutcome {
        switch input {
        case .character("q"), .character("Q"): return .quit
        case .escape, .character(closeKey): return .cancel
        case .enter: return .apply
        case .up, .backTab: cursor = (cursor + items.count - 1) % items.count
        case .down, .tab: cursor = (cursor + 1) % items.count
        case .character(" "), .left, .right: items[cursor].isOn.toggle()
        case .character(let c) where c.isASCII && c.isNumber:
            let i = Int(String(c))! - 1
            if i >= 0 && i < items.count { items[i].isOn.toggle(); cursor = i }
        default: break
        }
        return .stay
    }
}

/// The `f` form: event class and CPU cycle with ←/→, the process field takes typed text
/// (a comm or a pid, as `EventFilter.process`).
public struct FilterForm: Sendable, Equatable {
    public enum Field: Int, Sendable, CaseIterable { case eventClass, cpu, process }
    public var filter: EventFilter
    public var field: Field = .eventClass

    public init(filter: EventFilter) { self.filter = filter }

    public static func describe(_ f: EventFilter) -> String {
        var parts: [String] = []
        if let c = f.eventClass { parts.append("class=\(c.label)") }
        if let c = f.cpu { parts.append("cpu=\(c)") }
        if let p = f.process { parts.append("proc=\(p)") }
        return parts.joined(separator: " ")
    }

    public mutating func handle(_ input: Input, cpuCount: Int) -> MenuOutcome {
        switch input {
        case .escape: return .cancel
        case .enter: return .apply
        case .up, .backTab: field = Field(rawValue: (field.rawValue + 2) % 3)!
        case .down, .tab: field = Field(rawValue: (field.rawValue + 1) % 3)!
        case .left, .right:
            let step = input == .right ? 1 : -1
            switch field {
            case .eventClass:
                // nil (all) followed by every class, as a ring.
                let all: [EventClass?] = [nil] + EventClass.allCases.map { Optional($0) }
                let i = all.firstIndex(of: filter.eventClass) ?? 0
                filter.eventClass = all[(i + step + all.count) % all.count]
            case .cpu:
                let all: [Int?] = [nil] + (0..<max(cpuCount, 1)).map { Optional($0) }
                let i = all.firstIndex(of: filter.cpu) ?? 0
                filter.cpu = all[(i + step + all.count) % all.count]
            case .process: break
            }
        case .backspace:
            if field == .process, var p = filter.process {
                p.removeLast()
                filter.process = p.isEmpty ? nil : p
            } else if field == .eventClass { filter.eventClass = nil } else if field == .cpu { filter.cpu = nil }
        case .character(let c):
            if field == .process {
                if !c.isWhitespace { filter.process = (filter.process ?? "") + String(c) }
            } else if c == "q" || c == "Q" {
                return .quit
            } else if c == "f" {
                return .cancel
            }
        default: break
        }
        return .stay
    }
}
