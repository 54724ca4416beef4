import Testing

@testable import KilnBytes

/// CRC-32C: the standard check value, and the hardware path (when the CPU
/// has one) equal to the table-driven one over every length and split.
@Suite struct CRC32CTests {
    @Test func checkValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
    }

    @Test func hardwareEqualsSoftware() {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<4099).map { _ in UInt8.random(in: 0...255, using: &rng) }
        bytes.withUnsafeBytes { all in
            for n in [0, 1, 7, 8, 9, 15, 16, 63, 64, 65, 1000, 4099] {
                let b = UnsafeRawBufferPointer(rebasing: all[0..<n])
                #expect(CRC32C.checksum(b) == CRC32C.software(b), "length \(n)")
                for split in [0, 1, n / 2, n] where split <= n {
                    let first = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: all[0..<split]))
                    #expect(
                        CRC32C.checksum(UnsafeRawBufferPointer(rebasing: all[split..<n]), continuing: first) == CRC32C.software(b),
                        "\(n) split at \(split)")
                }
            }
        }
        print("CRC32C hardware instruction: \(CRC32C.hardware)")
    }
}
