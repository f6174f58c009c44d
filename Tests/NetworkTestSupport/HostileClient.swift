#if canImport(Glibc)
import Glibc
#endif

/// A client of the control socket that misbehaves on purpose, as a real process
/// (python3, through setpriv for another user) that keeps running until `finish()`:
///
/// - `.hold(count, line)`: opens `count` connections, sends `line` (a newline is added;
///   nothing when empty; `@big:N` is a `list` request padded to N bytes) on each, reads the first response line of each, and holds them
///   all open. `lines` has one entry per connection: the response, `CLOSED`,
///   `TIMEOUT` or `CONNECT-ERROR errno`.
/// - `.trickle(count)`: opens `count` connections and sends, on each in turn, one byte
///   of a request that never ends, every 50 ms.
/// - `.flood`: one connection that sends an endless line as fast as the supervisor
///   reads it.
///
/// `lines` is filled once the client printed READY (for `.hold`: once every
/// connection got its line; for the others: once the connections are open).
public final class HostileClient {
    public enum Behaviour {
        case hold(count: Int, line: String)
        case trickle(count: Int)
        case flood
    }

    public let pid: pid_t
    public private(set) var lines: [String] = []
    private var input: Int32
    private let output: Int32
    private var buffer: [UInt8] = []
    private var finished = false

    /// Starts the client and waits (at most `timeout`) for READY.
    public init(_ behaviour: Behaviour, socket: String, prefix: [String] = [], timeout: Duration = .seconds(30)) throws {
        let arguments: [String]
        switch behaviour {
        case let .hold(count, line): arguments = ["hold", String(count), line]
        case let .trickle(count): arguments = ["trickle", String(count), ""]
        case .flood: arguments = ["flood", "1", ""]
        }
        let command = prefix + [Self.python, "-I", "-c", Self.script, socket] + arguments
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        var stdinPair: [Int32] = [-1, -1], stdoutPair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, type, 0, &stdinPair) == 0, socketpair(AF_UNIX, type, 0, &stdoutPair) == 0 else {
            throw HostileClientFailure("socketpair: \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdinPair[1], 0)
        posix_spawn_file_actions_adddup2(&actions, stdoutPair[1], 1)
        let argv = command.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let spawned = posix_spawn(&child, command[0], &actions, nil, argv, environ)
        close(stdinPair[1])
        close(stdoutPair[1])
        guard spawned == 0 else {
            close(stdinPair[0])
            close(stdoutPair[0])
            throw HostileClientFailure("posix_spawn \(command[0]): \(String(cString: strerror(spawned)))")
        }
        pid = child
        input = stdinPair[0]
        output = stdoutPair[0]
        let deadline = ContinuousClock.now + timeout
        while true {
            guard let line = try readLine(until: deadline) else {
                finish()
                throw HostileClientFailure("the hostile client ended before READY; it printed \(lines)")
            }
            if line == "READY" { break }
            lines.append(line)
        }
    }

    deinit { finish() }

    /// Ends the client (its connections close with it) and waits for it.
    public func finish() {
        guard !finished else { return }
        finished = true
        close(input)
        var status: Int32 = 0
        let deadline = ContinuousClock.now + .seconds(5)
        while waitpid(pid, &status, WNOHANG) == 0 {
            if ContinuousClock.now >= deadline {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                break
            }
            usleep(10_000)
        }
        close(output)
    }

    private func readLine(until deadline: ContinuousClock.Instant) throws -> String? {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            guard ContinuousClock.now < deadline else { throw HostileClientFailure("no READY in time; it printed \(lines)") }
            var entry = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, 50) > 0 else { continue }
            let count = read(output, &chunk, chunk.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return nil }
            buffer += chunk[..<count]
        }
    }

    static let python = "/usr/bin/python3"

    private static let script = #"""
        import os, select, socket, sys, time
        path, mode, count, line = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]

        def connect():
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(path)
            except OSError as e:
                print("CONNECT-ERROR", e.errno, flush=True)
                return None
            return s

        def first_line(s):
            s.settimeout(10)
            data = b""
            try:
                while not data.endswith(b"\n"):
                    chunk = s.recv(65536)
                    if not chunk:
                        return data.decode(errors="replace").strip() or "CLOSED"
                    data += chunk
            except socket.timeout:
                return "TIMEOUT"
            except OSError:
                return data.decode(errors="replace").strip() or "CLOSED"
            return data.decode(errors="replace").strip()

        def stdin_closed(timeout):
            return bool(select.select([sys.stdin], [], [], timeout)[0])

        if line.startswith("@big:"):
            size = int(line[5:])
            line = '{"op": "list", "pad": "' + "x" * (size - 30) + '"}'

        held = []
        if mode == "hold":
            for _ in range(count):
                s = connect()
                if s is None:
                    continue
                if line:
                    try:
                        s.sendall(line.encode() + b"\n")
                    except OSError:
                        pass
                print(first_line(s), flush=True)
                held.append(s)
            print("READY", flush=True)
            sys.stdin.read()
        elif mode == "trickle":
            held = [s for s in (connect() for _ in range(count)) if s is not None]
            print("READY", flush=True)
            while not stdin_closed(0.05):
                for s in held:
                    try:
                        s.send(b"{")
                    except OSError:
                        pass
        elif mode == "flood":
            s = connect()
            s.setblocking(False)
            chunk = b"x" * 65536
            print("READY", flush=True)
            while True:
                readable, writable, _ = select.select([sys.stdin], [s], [], 1)
                if readable:
                    break
                if writable:
                    try:
                        s.send(chunk)
                    except BlockingIOError:
                        pass
                    except OSError:
                        time.sleep(0.01)
        """#
}

public struct HostileClientFailure: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
