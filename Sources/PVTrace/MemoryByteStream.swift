/// Bytes in memory (a synthetic trace, a test), handed out at most `chunk` bytes per read so
/// tests can split lines across reads.
public final class MemoryByteStream: ByteStream {
    private let bytes: [UInt8]
    private var offset = 0
    private let chunk: Int
    public init(_ text: String, chunk: Int = .max) { bytes = Array(text.utf8); self.chunk = chunk }
    public init(bytes: [UInt8], chunk: Int = .max) { self.bytes = bytes; self.chunk = chunk }
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, chunk, bytes.count - offset)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { src in
            buffer.baseAddress!.copyMemory(from: src.baseAddress! + offset, byteCount: n)
        }
        offset += n
        return n
    }
    public func close() {}
}
