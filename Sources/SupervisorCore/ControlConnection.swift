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
    /// What the connection does now; each mode holds what exists only in it.
    private enum Mode {
        /// Reading requests and answering them in order, from `output`; `inFlight` is the
        /// sequence number of the request the handler has not answered yet.
        case requests(inFlight: UInt64?)
        /// After a streaming request: only sending, from the stream's bounded queue.
        case streaming(Stream)
        /// The stream's last line is queued: the connection closes once it is sent.
        case finishing(Stream)
        case closed
    }

    /// A streaming connection's handle (the handler's end) and its bounded output.
    private final class Stream {
        let handle: ControlStream
        var queue: StreamQueue

        init(handle: ControlStream, queue: StreamQueue) {
            self.handle = handle
            self.queue = queue
        }
    }

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
    private var mode = Mode.requests(inFlight: nil)
    /// The responses not sent yet (in `requests` mode; a stream's go to its queue).
    private var output: [UInt8] = []
    private var outputStart = 0
    /// The interest currently set on the loop.
    private var watchingInput = true
    private var watchingOutput = false
    private var processing = false
    /// Last complete request or response (monotonic nanoseconds), for the idle timeout.
    private var lastActivity = MonotonicClock.nanoseconds()

    init(id: UInt64, fd: Int32, peer: PeerCredentials, server: ControlServer) {
        self.id = id
        self.fd = fd
        self.peer = peer
        self.server = server
    }

    var closed: Bool {
        if case .closed = mode { return true }
        return false
    }

    /// A request is with the handler: new input waits (at most one line of it).
    private var awaitingAnswer: Bool {
        if case .requests(inFlight: .some) = mode { return true }
        return false
    }

    private var unprocessed: Int { input.count - inputStart }

    private var pendingOutput: Int {
        switch mode {
        case .requests: return output.count - outputStart
        case let .streaming(stream), let .finishing(stream): return stream.queue.pending
        case .closed: return 0
        }
    }

    /// Idle: no request in flight, not streaming, and nothing heard for `limit`.
    func isIdle(now: UInt64, limit: UInt64) -> Bool {
        guard case .requests(inFlight: nil) = mode else { return false }
        return now &- lastActivity >= limit
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
            if awaitingAnswer && unprocessed > maxLine { break }
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
            guard case .requests = mode else { continue }   // a following client has nothing more to ask
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
        while case .requests(inFlight: nil) = mode {
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
        mode = .requests(inFlight: sequence)
        server.logger.debug("control connection \(id): '\(request.op)' from \(peer)")
        let requestID = request.id
        handler.handle(request, peer: peer) { [weak self] outcome in
            guard let self else { return }
            self.server.assertOwnerThread()
            guard case .requests(inFlight: sequence) = self.mode else { return }
            self.mode = .requests(inFlight: nil)
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
        mode = .streaming(Stream(handle: opened, queue: queue))
        dropInput()
        answer(id: request.id, .success(result))
    }

    /// A line for a streaming connection (see `ControlStream.send`).
    func streamOffer(_ line: [UInt8], sessions: UInt64) {
        guard case let .streaming(stream) = mode else { return }
        let wasEmpty = stream.queue.pending == 0
        stream.queue.offer(line, sessions: sessions, lossReport: stream.handle.lossReport)
        // Otherwise the socket is full already and the loop reports it writable later.
        if wasEmpty {
            flush()
            settle()
        }
    }

    /// The last line of a stream (see `ControlStream.finish`), after the report of what
    /// the client lost, if anything.
    func streamFinish(_ line: [UInt8]) {
        guard case let .streaming(stream) = mode else { return }
        mode = .finishing(stream)
        stream.queue.finish(line, lossReport: stream.handle.lossReport)
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
        switch mode {
        case .closed:
            return
        case let .streaming(stream), let .finishing(stream):
            stream.queue.force(Array((ControlResponse(id: id, outcome).line + "\n").utf8))
            lastActivity = MonotonicClock.nanoseconds()
            flush()
            return
        case .requests:
            break
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
        switch mode {
        case .requests: flushResponses()
        case let .streaming(stream), let .finishing(stream): flushStream(stream)
        case .closed: return
        }
    }

    private func flushResponses() {
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

    private func flushStream(_ stream: Stream) {
        while !closed {
            var failure: SystemError?
            let sent = stream.queue.send { pending in
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
                // After the last line, nothing more: its loss report went before it.
                if case .streaming = mode { stream.queue.resumeIfRoom(lossReport: stream.handle.lossReport) }
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
        switch mode {
        case .closed:
            return
        case let .finishing(stream) where stream.queue.pending == 0:
            close(reason: nil)
            return
        case .requests(inFlight: nil) where inputClosed && unprocessed == 0 && pendingOutput == 0:
            close(reason: nil)
            return
        default:
            break
        }
        let wantInput = !inputClosed && !(awaitingAnswer && unprocessed > maxLine)
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
        let ending = mode
        if case .closed = ending { return }
        mode = .closed
        server.loop.unregister(fd: fd)
        Glibc.close(fd)
        server.forget(self)
        input = []
        output = []
        switch ending {
        case let .streaming(stream), let .finishing(stream): stream.handle.closed()
        case .requests, .closed: break
        }
        if let reason { server.logger.debug("control connection \(id) from \(peer) closed: \(reason)") }
    }
}
