#if canImport(Glibc)
import Glibc
#endif
import Configuration
import ControlProtocol
import LinuxRuntime
import Logging

/// One accepted, authorized client: its input framing, the one request it may have
/// in flight, and its buffered output.
///
/// Input is read only while it can be used: with a request in flight, at most one
/// maximal line is buffered, then reading pauses until the response is given.
///
/// After a streaming request (`follow`) the connection only sends: its output is a
/// bounded `StreamQueue`, anything the client sends is discarded, and it ends when the
/// client closes it (a half-close keeps it) or the handler finishes the stream.
final class ControlConnection {
    let id: UInt64
    let fd: Int32
    let peer: PeerCredentials
    private unowned let server: ControlServer
    private var maxLine: Int { server.configuration.maxLineLength }

    /// Unprocessed input is `input[inputStart...]`; no newline in `input[inputStart..<scanned]`.
    private var input: [UInt8] = []
    private var inputStart = 0
    private var scanned = 0
    /// Dropping the rest of a line longer than the limit, up to its newline.
    private var discarding = false
    /// The client shut down its sending side (or vanished).
    private var inputClosed = false
    /// The sequence number of the request the handler has not answered yet.
    private var inFlight: UInt64?
    private var output: [UInt8] = []
    private var outputStart = 0
    /// The interest currently set on the loop.
    private var watchingInput = true
    private var watchingOutput = false
    private var processing = false
    private(set) var closed = false
    /// Last complete request or response (monotonic nanoseconds), for the idle timeout.
    private var lastActivity = MonotonicClock.nanoseconds()
    /// Streaming: the handler's handle, the bounded output, and whether the last line
    /// has been queued (close once it is sent).
    private var stream: ControlStream?
    private var streamQueue: StreamQueue?
    private var streamFinishing = false

    init(id: UInt64, fd: Int32, peer: PeerCredentials, server: ControlServer) {
        self.id = id
        self.fd = fd
        self.peer = peer
        self.server = server
    }

    private var unprocessed: Int { input.count - inputStart }
    private var pendingOutput: Int { streamQueue?.pending ?? (output.count - outputStart) }

    func isIdle(now: UInt64, limit: UInt64) -> Bool {
        !closed && inFlight == nil && stream == nil && now &- lastActivity >= limit
    }

    // MARK: - Events

    func readable() {
        guard !closed else { return }
        guard watchingInput else {
            // Only hang-ups and errors are reported while input is paused.
            if peerHungUp() { close(reason: "the client hung up") }
            return
        }
        for _ in 0..<4 {
            if inFlight != nil && unprocessed > maxLine { break }
            let count: Int
            do {
                count = try SystemCall.retrying("recv", "control client \(peer)") {
                    server.readBuffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                }
            } catch {
                if error.errno == EAGAIN || error.errno == EWOULDBLOCK { break }
                close(reason: "\(error)")
                return
            }
            if count == 0 {
                endOfInput()
                break
            }
            if stream != nil { continue }   // a following client has nothing more to ask
            ingest(count)
            process()
            if closed { return }
        }
        settle()
    }

    func writable() {
        guard !closed else { return }
        flush()
        settle()
    }

    // MARK: - Input

    /// Appends what was just read into the server's buffer, dropping the rest of an
    /// overlong line.
    private func ingest(_ count: Int) {
        server.readBuffer.withUnsafeBytes { raw in
            var chunk = UnsafeRawBufferPointer(rebasing: raw[0..<count])
            if discarding {
                guard let newline = chunk.firstIndex(of: 0x0A) else { return }
                discarding = false
                chunk = UnsafeRawBufferPointer(rebasing: chunk[(newline + 1)...])
                answerLineTooLong()
            }
            input.append(contentsOf: chunk)
        }
    }

    private func endOfInput() {
        inputClosed = true
        if discarding {
            discarding = false
            answerLineTooLong()
        }
        process()
    }

    /// Handles buffered lines in order until one waits for the handler.
    private func process() {
        guard !processing else { return }
        processing = true
        defer { processing = false }
        while !closed && inFlight == nil && stream == nil {
            if let newline = findNewline() {
                let line = Array(input[inputStart..<newline])
                consumeInput(through: newline)
                if line.count > maxLine {
                    answerLineTooLong()
                } else {
                    handleLine(line)
                }
                continue
            }
            if unprocessed > maxLine {
                discarding = true
                dropInput()
            } else if inputClosed && unprocessed > 0 {
                let rest = Array(input[inputStart...])
                dropInput()
                if !isBlank(rest) {
                    fail(id: nil, ControlError(.badRequest, "the connection ended in the middle of a request line (each request ends with a newline)"))
                }
            }
            break
        }
    }

    private func findNewline() -> Int? {
        let start = max(scanned, inputStart)
        guard start < input.count else { return nil }
        let found: Int? = input.withUnsafeBytes { raw in
            guard let hit = memchr(raw.baseAddress! + start, 0x0A, input.count - start) else { return nil }
            return UnsafeRawPointer(hit) - raw.baseAddress!
        }
        if found == nil { scanned = input.count }
        return found
    }

    private func consumeInput(through newline: Int) {
        inputStart = newline + 1
        scanned = inputStart
        if inputStart == input.count {
            dropInput()
        } else if inputStart >= 65536 && inputStart * 2 >= input.count {
            input.removeSubrange(0..<inputStart)
            scanned -= inputStart
            inputStart = 0
        }
    }

    private func dropInput() {
        input.removeAll(keepingCapacity: input.capacity <= 262_144)
        inputStart = 0
        scanned = 0
    }

    private func isBlank(_ bytes: [UInt8]) -> Bool {
        bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
    }

    private func handleLine(_ bytes: [UInt8]) {
        lastActivity = MonotonicClock.nanoseconds()
        // Blank lines (an extra newline, "\r\n" endings' leftovers) are not requests.
        if isBlank(bytes) { return }
        if bytes.contains(0) {
            fail(id: nil, ControlError(.badRequest, "the request is not valid JSON: it contains a NUL byte"))
            return
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            fail(id: nil, ControlError(.badRequest, "the request is not valid UTF-8"))
            return
        }
        switch ControlRequest.parse(text) {
        case let .failure(failure):
            fail(id: failure.id, failure.error)
        case let .success(request):
            dispatch(request)
        }
    }

    private func dispatch(_ request: ControlRequest) {
        guard let handler = server.handler else {
            answer(id: request.id, .failure(ControlError(.internal, "the supervisor is shutting down")))
            return
        }
        if ControlRequest.streamingOperations.contains(request.op) {
            openStream(request, handler: handler)
            return
        }
        let sequence = server.takeRequestSequence()
        inFlight = sequence
        server.logger.debug("control connection \(id): '\(request.op)' from \(peer)")
        let requestID = request.id
        handler.handle(request, peer: peer) { [weak self] outcome in
            guard let self else { return }
            self.server.assertOwnerThread()
            guard !self.closed, self.inFlight == sequence else { return }
            self.inFlight = nil
            self.answer(id: requestID, outcome)
            self.process()
            self.settle()
        }
    }

    private func openStream(_ request: ControlRequest, handler: any ControlHandler) {
        server.logger.debug("control connection \(id): '\(request.op)' (streaming) from \(peer)")
        let opened = ControlStream(connection: self)
        let result: JSONValue
        do {
            result = try handler.openStream(request, peer: peer, stream: opened)
        } catch {
            opened.connection = nil
            answer(id: request.id, .failure(error))
            return
        }
        var queue = StreamQueue(capacity: server.configuration.maxStreamBacklog)
        queue.force(output[outputStart...])
        output = []
        outputStart = 0
        streamQueue = queue
        stream = opened
        dropInput()
        answer(id: request.id, .success(result))
    }

    /// A line for a streaming connection (see `ControlStream.send`).
    func streamOffer(_ line: [UInt8], sessions: UInt64) {
        guard !closed, !streamFinishing, let stream else { return }
        let wasEmpty = pendingOutput == 0
        streamQueue!.offer(line, sessions: sessions, lossReport: stream.lossReport)
        // Otherwise the socket is full already and the loop reports it writable later.
        if wasEmpty {
            flush()
            settle()
        }
    }

    /// The last line of a stream (see `ControlStream.finish`).
    func streamFinish(_ line: [UInt8]) {
        guard !closed, !streamFinishing, stream != nil else { return }
        streamFinishing = true
        streamQueue!.force(line)
        flush()
        settle()
    }

    /// A request the server itself rejects: answered and logged (rate-limited).
    private func fail(id: JSONValue?, _ error: ControlError) {
        server.warnings.log(server.logger, .notice, key: "protocol",
                            "control client \(peer): \(error.code.rawValue): \(error.message)")
        answer(id: id, .failure(error))
    }

    private func answerLineTooLong() {
        lastActivity = MonotonicClock.nanoseconds()
        fail(id: nil, ControlError(.lineTooLong, "the request line exceeds \(maxLine) bytes; it was discarded"))
    }

    // MARK: - Output

    private func answer(id: JSONValue?, _ outcome: Result<JSONValue, ControlError>) {
        guard !closed else { return }
        if streamQueue != nil {
            streamQueue!.force(Array((ControlResponse(id: id, outcome).line + "\n").utf8))
            lastActivity = MonotonicClock.nanoseconds()
            flush()
            return
        }
        output.append(contentsOf: ControlResponse(id: id, outcome).line.utf8)
        output.append(0x0A)
        lastActivity = MonotonicClock.nanoseconds()
        flush()
        if !closed && pendingOutput > server.configuration.maxPendingOutput {
            server.warnings.log(server.logger, .warning, key: "slow-reader",
                                "control client \(peer) disconnected: it does not read its responses (\(pendingOutput) bytes pending)")
            close(reason: nil)
        }
    }

    private func flush() {
        if streamQueue != nil {
            flushStream()
            return
        }
        while outputStart < output.count {
            do {
                outputStart += try SystemCall.retrying("send", "control client \(peer)") {
                    output.withUnsafeBytes { raw in
                        send(fd, raw.baseAddress! + outputStart, raw.count - outputStart, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
                    }
                }
            } catch {
                if error.errno == EAGAIN || error.errno == EWOULDBLOCK { break }
                close(reason: "\(error)")
                return
            }
        }
        if outputStart == output.count {
            output.removeAll(keepingCapacity: output.capacity <= 65536)
            outputStart = 0
        } else if outputStart >= 65536 && outputStart * 2 >= output.count {
            output.removeSubrange(0..<outputStart)
            outputStart = 0
        }
    }

    private func flushStream() {
        while !closed {
            var failure: SystemError?
            let sent = streamQueue!.send { pending in
                do throws(SystemError) {
                    return try SystemCall.retrying("send", "control client \(peer)") {
                        Glibc.send(fd, pending.baseAddress!, pending.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
                    }
                } catch {
                    failure = error
                    return 0
                }
            }
            if sent > 0 {
                if let stream { streamQueue!.resumeIfRoom(lossReport: stream.lossReport) }
                continue
            }
            guard let failure, failure.errno != EAGAIN, failure.errno != EWOULDBLOCK else { return }
            close(reason: "\(failure)")
            return
        }
    }

    // MARK: - State

    /// Sets the loop's interest to what the connection can use now, and closes it
    /// once the client has finished and everything is answered and sent.
    private func settle() {
        guard !closed else { return }
        if stream != nil && streamFinishing && pendingOutput == 0 {
            close(reason: nil)
            return
        }
        if stream == nil && inputClosed && inFlight == nil && unprocessed == 0 && pendingOutput == 0 {
            close(reason: nil)
            return
        }
        let wantInput = !inputClosed && !(inFlight != nil && unprocessed > maxLine)
        let wantOutput = pendingOutput > 0
        guard wantInput != watchingInput || wantOutput != watchingOutput else { return }
        do {
            try server.loop.setInterest(fd: fd, readable: wantInput, writable: wantOutput)
            watchingInput = wantInput
            watchingOutput = wantOutput
        } catch {
            close(reason: "\(error)")
        }
    }

    private func peerHungUp() -> Bool {
        var entry = pollfd(fd: fd, events: 0, revents: 0)
        guard poll(&entry, 1, 0) > 0 else { return false }
        return entry.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0
    }

    /// Unregisters and closes the socket; a pending responder does nothing afterwards.
    /// `reason`, when given, is logged at debug level.
    func close(reason: String?) {
        guard !closed else { return }
        closed = true
        server.loop.unregister(fd: fd)
        Glibc.close(fd)
        server.forget(self)
        input = []
        output = []
        streamQueue = nil
        stream?.closed()
        if let reason { server.logger.debug("control connection \(id) from \(peer) closed: \(reason)") }
    }
}
