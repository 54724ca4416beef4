import KilnProto

extension OTLPProfiles {
    /// The request's shared dictionary, with every access bounds-checked and
    /// each attribute's key and text value resolved once.
    ///
    /// Invariant: `attributeKeys.count == attributeValues.count == table.attributeTable.count`.
    struct Dictionary {
        let table: Opentelemetry_Proto_Profiles_V1development_ProfilesDictionary
        /// Each attribute's key; nil where its `key_strindex` is out of range.
        let attributeKeys: [String?]
        /// Each attribute's value as text (`stringValue`); nil where it has none.
        let attributeValues: [String?]
        /// Whether each attribute's key is `service.name`.
        let isServiceName: [Bool]
        /// Each string of the table by its first index, for strings a profile names (types, attribute values).
        let stringIndex: [String: Int64]

        init(_ table: Opentelemetry_Proto_Profiles_V1development_ProfilesDictionary) {
            self.table = table
            let strings = table.stringTable
            attributeKeys = table.attributeTable.map { strings.indices.contains(Int($0.keyStrindex)) ? strings[Int($0.keyStrindex)] : nil }
            attributeValues = table.attributeTable.map { OTLPProfiles.stringValue($0.value, strings: strings) }
            isServiceName = attributeKeys.map { $0 == OTLPProfiles.serviceNameKey }
            var index: [String: Int64] = [:]
            for (i, s) in strings.enumerated() where index[s] == nil { index[s] = Int64(i) }
            stringIndex = index
        }

        func string(_ i: Int32, _ field: @autoclosure () -> String) throws(OTLPError) -> String {
            guard table.stringTable.indices.contains(Int(i)) else { throw outOfRange(i, "string_table", table.stringTable.count, field()) }
            return table.stringTable[Int(i)]
        }

        /// Attribute `i`'s key and text value.
        func attribute(_ i: Int32, _ field: @autoclosure () -> String) throws(OTLPError) -> (key: String, value: String?) {
            guard attributeKeys.indices.contains(Int(i)) else { throw outOfRange(i, "attribute_table", attributeKeys.count, field()) }
            guard let key = attributeKeys[Int(i)] else {
                throw OTLPError(
                    field: "dictionary.attribute_table[\(i)].key_strindex",
                    "index \(table.attributeTable[Int(i)].keyStrindex) is out of range (string_table has \(table.stringTable.count) entries)")
            }
            return (key, attributeValues[Int(i)])
        }

        /// The `service.name` of attributes `indices`; "" when none has one. Checks only the indices it reads past.
        func serviceName(in indices: [Int32], _ field: @autoclosure () -> String) throws(OTLPError) -> String {
            for (n, i) in indices.enumerated() {
                guard isServiceName.indices.contains(Int(i)) else { throw outOfRange(i, "attribute_table", isServiceName.count, "\(field())[\(n)]") }
                if isServiceName[Int(i)] { return attributeValues[Int(i)] ?? "" }
            }
            return ""
        }

        /// The text value of the first of `indices` whose key is `key`; "" when none has it.
        func value(of key: String, in indices: [Int32], _ field: @autoclosure () -> String) throws(OTLPError) -> String {
            for (n, i) in indices.enumerated() {
                let a = try attribute(i, "\(field())[\(n)]")
                if a.key == key { return a.value ?? "" }
            }
            return ""
        }

        func outOfRange(_ i: Int32, _ tableName: String, _ count: Int, _ field: String) -> OTLPError {
            OTLPError(field: field, "index \(i) is out of range (dictionary.\(tableName) has \(count) entries)")
        }
    }
}
