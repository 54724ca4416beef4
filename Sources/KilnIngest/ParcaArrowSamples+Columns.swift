import KilnArrow
import KilnModel

extension ParcaArrowSamples {
    /// The v2 record's columns, type-checked once, with readers that see
    /// through run-end encoding and dictionaries.
    struct Columns {
        let stream: ArrowStreamReader.Stream
        let labels: [(name: String, array: ArrowArray)]
        let stacktrace: ArrowArray
        let value, producer, sampleType, sampleUnit, periodType, periodUnit, period, duration, timestamp: ArrowArray

        init(_ c: [String: ArrowArray], stream: ArrowStreamReader.Stream) throws(IngestError) {
            self.stream = stream
            func column(_ name: String, _ accepts: (ArrowField.DataType) -> Bool, _ what: String) throws(IngestError) -> ArrowArray {
                let a = c[name]!
                guard accepts(Self.logicalType(a, stream)) else {
                    throw IngestError(.invalidArgument, "expected column \"\(name)\" to be of type \(what), got \(a.field.type)")
                }
                return a
            }
            let text: (ArrowField.DataType) -> Bool = { $0 == .utf8 || $0 == .utf8View || $0 == .largeUtf8 || $0 == .binary }
            let integer: (ArrowField.DataType) -> Bool = {
                if case .int = $0 { return true }
                if case .timestamp = $0 { return true }
                return false
            }
            let labelsColumn = try column("labels", { $0 == .structure }, "Struct")
            labels = try zip(labelsColumn.field.children, labelsColumn.children).map { (f, a) throws(IngestError) in
                guard text(Self.logicalType(a, stream)) else {
                    throw IngestError(.invalidArgument, "decode label \"\(f.name)\": expected a string column, got \(f.type)")
                }
                return (f.name, a)
            }
            stacktrace = try column("stacktrace", { [.list, .listView, .largeList, .largeListView].contains($0) }, "ListView")
            let location = stacktrace.children[0]
            guard location.field.type == .structure, location.field.child("address") != nil else {
                throw IngestError(.invalidArgument, "expected column \"stacktrace\" to hold location structs with an address")
            }
            value = try column("value", integer, "Int64")
            producer = try column("producer", text, "RunEndEncoded<String>")
            sampleType = try column("sample_type", text, "RunEndEncoded<String>")
            sampleUnit = try column("sample_unit", text, "RunEndEncoded<String>")
            periodType = try column("period_type", text, "RunEndEncoded<String>")
            periodUnit = try column("period_unit", text, "RunEndEncoded<String>")
            period = try column("period", integer, "RunEndEncoded<Int64>")
            duration = try column("duration", integer, "RunEndEncoded<UInt64>")
            timestamp = try column("timestamp", integer, "Timestamp")
        }

        /// The type a reader sees through run-end encoding and dictionaries.
        static func logicalType(_ a: ArrowArray, _ stream: ArrowStreamReader.Stream) -> ArrowField.DataType {
            if a.field.dictionary != nil { return stream.dictionary(of: a).map { logicalType($0, stream) } ?? a.field.type }
            if a.field.type == .runEndEncoded { return logicalType(a.children[1], stream) }
            return a.field.type
        }

        /// The array and row holding logical row `i` of `a`, through runs and dictionaries; nil for a null.
        func resolve(_ a: ArrowArray, _ i: Int) -> (ArrowArray, Int)? {
            var (a, i) = (a, i)
            while true {
                if a.field.type == .runEndEncoded {
                    (a, i) = (a.children[1], a.physicalIndex(i))
                } else if a.field.dictionary != nil {
                    guard !a.isNull(i), let d = stream.dictionary(of: a) else { return nil }
                    (a, i) = (d, a.index(i))
                } else {
                    return a.isNull(i) ? nil : (a, i)
                }
            }
        }

        /// Which entry of the values logical row `i` of `a` reads (through runs and dictionaries), -1 for a null:
        /// rows with equal ids hold equal values.
        func id(_ a: ArrowArray, _ i: Int) -> Int { resolve(a, i)?.1 ?? -1 }

        func text(_ a: ArrowArray, _ i: Int) -> String? { resolve(a, i).map { $0.0.string($0.1) } }
        func integer(_ a: ArrowArray, _ i: Int) -> Int64? { resolve(a, i).map { $0.0.int($0.1) } }
    }
}
