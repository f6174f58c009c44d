import ArgumentParser
import Configuration
import ControlProtocol
import CShim
import Glibc

struct FollowCommand: ControlCommand {
    static let configuration = CommandConfiguration(
        commandName: "follow",
        abstract: "Show the sessions instances send and receive, live, one per line.",
        discussion: """
            One line per session: the time it reached the supervisor, NETNS/NAME, out (sent \
            to the peers: the kernel's, or the worker's advertisement, marked "(advertise)") \
            or in (received from a peer and handed to the kernel), the protocol, the four \
            transport addresses (src6 dst6 src4 dst4, '-' for a dst6 the 4.1.13+ format \
            does not carry), the TCP state ('-' for UDP and ICMP) and the time to expiry. \
            Without a name: every instance, including those added later.

            Sessions this follower does not read in time are dropped, never waited for: \
            their number is reported on stderr once it has caught up (with --json: a \
            "lost" event line). The relay is never slowed. Runs until Ctrl-C (status 0), \
            until the instance is removed or the supervisor stops (an "end" event, status \
            0), or until the reader of its output goes away.

            Example:
              jooldctl follow default --netns K
              jooldctl follow --json | jq -c 'select(.event == "session") | .session'
            """)

    @OptionGroup var target: OptionalInstance

    @OptionGroup var options: GlobalOptions

    func validate() throws {
        try target.check()
    }

    func execute(_ context: CommandContext) throws {
        let request = ControlRequest(.follow(try target.selector()), id: .integer(Int64.random(in: 1...Int64(Int32.max))))
        let client = ControlClient(socketPath: options.socketPath(environment: context.environment),
                                   timeout: options.timeout ?? Jooldctl.defaultTimeout)
        let signals = context.live == nil ? nil : Self.watchSignals()
        defer { if let signals { close(signals) } }
        let (connection, response) = try FollowConnection.open(client, request)
        let result: JSONValue
        switch response.outcome {
        case let .success(value):
            result = value
        case let .failure(error):
            if options.json {
                context.print(JSONValue.object([.init("error", .object([.init("code", .string(error.code.rawValue)),
                                                                         .init("message", .string(error.message))]))]).serialized())
            }
            throw JooldctlFailure(.refused, error.description)
        }
        guard context.emit(output: options.json ? result.serialized() + "\n" : "",
                           error: options.json ? "" : "jooldctl: following \(Self.describe(result)) (Ctrl-C to stop)\n") else { return }
        while true {
            let lines: [String]
            switch try connection.next(signalFD: signals) {
            case .interrupted:
                return
            case .endOfStream:
                throw JooldctlFailure(.protocolError, "the supervisor at \(client.socketPath) closed the feed without an end event")
            case let .lines(read):
                lines = read
            }
            var output = "", errors = ""
            var ended = false
            for line in lines {
                guard let json = try? JSONValue.parse(line, path: "event"), let event = FollowEvent(json: json) else {
                    throw JooldctlFailure(.protocolError, "unreadable event from the supervisor: \(line.prefix(200))")
                }
                if case .end = event { ended = true }
                if options.json {
                    output += line + "\n"
                    continue
                }
                switch FollowFormatting.text(event) {
                case let .standardOutput(text): output += text + "\n"
                case let .standardError(text): errors += text + "\n"
                case .nothing: break
                }
            }
            guard context.emit(output: output, error: errors), !ended else { return }
        }
    }

    /// "'default' in namespace K", "every instance (2 now)".
    static func describe(_ result: JSONValue) -> String {
        guard case let .array(list)? = result["following"] else { return "the feed" }
        if list.count == 1, let name = list[0][InstanceSpec.Key.instance]?.stringValue {
            return Formatting.label(instance: name, netns: list[0][InstanceSpec.Key.netns]?.stringValue ?? "")
        }
        return "every instance (\(list.count) now)"
    }

    /// SIGINT, SIGTERM and SIGHUP end the feed quietly (status 0): they are blocked and
    /// read from a descriptor. SIGPIPE is ignored: a write to a closed pipe fails instead.
    private static func watchSignals() -> Int32? {
        signal(SIGPIPE, SIG_IGN)
        var mask = sigset_t()
        sigemptyset(&mask)
        for number in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&mask, number) }
        pthread_sigmask(SIG_BLOCK, &mask, nil)
        let fd = withUnsafePointer(to: &mask) { cshim_signalfd_create($0) }
        return fd >= 0 ? fd : nil
    }
}
