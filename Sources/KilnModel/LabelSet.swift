/// A set of labels with unique names, kept sorted by name: the identity of a series.
///
/// Invariant: `labels` is strictly ascending by name, so two sets with the same
/// labels are equal and have the same `fingerprint`, whatever order they were
/// built in. Empty values are dropped on construction: in the Prometheus model a
/// label with an empty value is the same as no label.
public struct LabelSet: Hashable, Comparable, Sendable, CustomStringConvertible {
    public private(set) var labels: [Label]

    /// Builds a set from labels in any order.
    /// - Throws: `LabelSetError.duplicateName` when two labels share a name.
    public init(_ labels: [Label]) throws(LabelSetError) {
        var sorted = labels.filter { !$0.value.isEmpty }
        sorted.sort()
        for i in sorted.indices.dropFirst() where sorted[i].name == sorted[i - 1].name {
            throw .duplicateName(sorted[i].name)
        }
        self.labels = sorted
    }

    /// Builds a set from labels known to be sorted with unique names and no empty values.
    public init(sortedUnique labels: [Label]) {
        assert(zip(labels, labels.dropFirst()).allSatisfy { $0.name < $1.name }, "labels must be sorted and unique")
        self.labels = labels
    }

    public init() { self.labels = [] }

    public var isEmpty: Bool { labels.isEmpty }
    public var count: Int { labels.count }

    /// The value of `name`, or nil when absent.
    /// - Complexity: O(log n).
    public subscript(name: String) -> String? {
        var lo = 0
        var hi = labels.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if labels[mid].name < name { lo = mid + 1 } else { hi = mid }
        }
        return lo < labels.count && labels[lo].name == name ? labels[lo].value : nil
    }

    /// Returns a copy with `name` set to `value` (removed when `value` is empty).
    public func setting(_ name: String, _ value: String) -> LabelSet {
        var out = labels.filter { $0.name != name }
        if !value.isEmpty {
            let at = out.firstIndex { $0.name > name } ?? out.count
            out.insert(Label(name, value), at: at)
        }
        return LabelSet(sortedUnique: out)
    }

    /// Returns a copy with every `(name, value)` of `overrides` set (removed
    /// when the value is empty): one copy and one sort, where chained
    /// `setting(_:_:)` calls copy the set once per label.
    /// - Precondition: the names in `overrides` are distinct.
    public func setting(_ overrides: [(name: String, value: String)]) -> LabelSet {
        var out = labels.filter { l in !overrides.contains { $0.name == l.name } }
        for o in overrides where !o.value.isEmpty { out.append(Label(o.name, o.value)) }
        out.sort()
        return LabelSet(sortedUnique: out)
    }

    /// Returns a copy without `name`.
    public func removing(_ name: String) -> LabelSet {
        LabelSet(sortedUnique: labels.filter { $0.name != name })
    }

    /// Returns only the labels whose names are in `names` (all when `names` is empty is NOT implied).
    public func projected(onto names: Set<String>) -> LabelSet {
        LabelSet(sortedUnique: labels.filter { names.contains($0.name) })
    }

    /// A stable 64-bit hash of the sorted labels (see `Fingerprint`).
    public var fingerprint: UInt64 { Fingerprint.of(labels) }

    public static func < (lhs: LabelSet, rhs: LabelSet) -> Bool {
        for (l, r) in zip(lhs.labels, rhs.labels) where l != r { return l < r }
        return lhs.labels.count < rhs.labels.count
    }

    public var description: String { "{" + labels.map(\.description).joined(separator: ", ") + "}" }
}

public enum LabelSetError: Error, Equatable, Sendable, CustomStringConvertible {
    case duplicateName(String)

    public var description: String {
        switch self {
        case .duplicateName(let name): "duplicate label name \(quoted(name))"
        }
    }
}
