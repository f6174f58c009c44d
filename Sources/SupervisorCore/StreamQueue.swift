/// The bounded output of one streaming connection: event lines wait here until the
/// client's socket takes them. A line that does not fit is dropped and counted; once
/// dropping, the queue keeps dropping until the client has read half of it, then a
/// loss report goes first (so a follower sees one report per gap, not one per line).
struct StreamQueue {
    let capacity: Int
    private var buffer: [UInt8] = []
    private var start = 0
    /// Sessions dropped since the last loss report.
    private(set) var lost: UInt64 = 0
    private(set) var dropping = false

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    var pending: Int { buffer.count - start }

    /// Queued whatever the size: responses, loss reports, the last line.
    mutating func force(_ bytes: some Collection<UInt8>) {
        buffer.append(contentsOf: bytes)
    }

    /// Queues `line` if it fits; else counts `sessions` (what the line stood for) as lost.
    /// Returns whether it was queued.
    @discardableResult
    mutating func offer(_ line: [UInt8], sessions: UInt64, lossReport: (UInt64) -> [UInt8]) -> Bool {
        resumeIfRoom(lossReport: lossReport)
        guard !dropping, pending + line.count <= capacity else {
            dropping = true
            lost &+= sessions
            return false
        }
        buffer.append(contentsOf: line)
        return true
    }

    /// After the client read: ends a gap with its loss report once half the queue is free.
    mutating func resumeIfRoom(lossReport: (UInt64) -> [UInt8]) {
        guard dropping, pending <= capacity / 2 else { return }
        dropping = false
        if lost > 0 {
            force(lossReport(lost))
            lost = 0
        }
    }

    /// Queues the stream's last line whatever the size, after the report of the sessions
    /// dropped since the last one (nothing is queued after the last line).
    mutating func finish(_ line: [UInt8], lossReport: (UInt64) -> [UInt8]) {
        if lost > 0 {
            force(lossReport(lost))
            lost = 0
        }
        dropping = false
        force(line)
    }

    /// Calls `body` with the bytes waiting; it returns how many it sent.
    mutating func send(_ body: (UnsafeRawBufferPointer) -> Int) -> Int {
        guard pending > 0 else { return 0 }
        let sent = buffer.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[start...])) }
        if sent > 0 { consume(sent) }
        return sent
    }

    private mutating func consume(_ count: Int) {
        start += count
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 2 * capacity)
            start = 0
        } else if start >= 65536 && start * 2 >= buffer.count {
            buffer.removeSubrange(0..<start)
            start = 0
        }
    }
}
