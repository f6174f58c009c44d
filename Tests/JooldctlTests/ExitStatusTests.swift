import ControlProtocol
import Glibc
@testable import JooldctlCommands
import NetworkTestSupport
import Testing

/// 0 success, 1 refused, 2 usage or configuration file, 3 unreachable, 4 unreadable answer.
@Suite struct ExitStatusTests {
    // MARK: 1: refused

    @Test func refusalPrintsTheMessageAndCode() {
        let supervisor = FakeSupervisor(.refuse(.noSuchInstance, "no instance 'potato' in namespace 'blue'"))
        defer { supervisor.stop() }

        let result = jooldctl(["remove", "potato", "--netns", "blue"], supervisor: supervisor)

        #expect(result.exitCode == 1)
        #expect(result.standardOutput == "")
        #expect(result.standardError == "jooldctl: no instance 'potato' in namespace 'blue' (no-such-instance)\n")
    }

    @Test func refusalWithJSONAlsoPrintsTheErrorObject() {
        let supervisor = FakeSupervisor(.refuse(.instanceExists, "instance 'potato' in namespace 'blue' already exists"))
        defer { supervisor.stop() }
        let files = TemporaryDirectory(prefix: "jctl")
        defer { files.remove() }
        files.write("net.json", "{}")

        let result = jooldctl(["add", "potato", "--netns", "blue", "--net", "net.json", "--json"],
                              supervisor: supervisor, directory: files.path)

        #expect(result.exitCode == 1)
        #expect(result.standardOutput == #"{"error":{"code":"instance-exists","message":"instance 'potato' in namespace 'blue' already exists"}}"# + "\n")
        #expect(result.standardError.contains("(instance-exists)"))
    }

    @Test func refusalWithoutIdIsStillARefusal() {
        let supervisor = FakeSupervisor(.raw(#"{"protocol":1,"ok":false,"error":{"code":"line-too-long","message":"the line exceeds 1 MiB"}}"# + "\n"))
        defer { supervisor.stop() }

        let result = jooldctl(["list"], supervisor: supervisor)

        #expect(result.exitCode == 1)
        #expect(result.standardError == "jooldctl: the line exceeds 1 MiB (line-too-long)\n")
    }

    @Test func refusalBeforeTheRequestIsRead() {
        // What the supervisor does to a user outside its control group.
        let supervisor = FakeSupervisor(greeting: #"{"protocol":1,"ok":false,"error":{"code":"permission-denied","message":"uid 1000 is neither root nor in group 'joold'"}}"# + "\n")
        defer { supervisor.stop() }

        for _ in 0..<20 {
            let result = jooldctl(["list"], supervisor: supervisor)
            #expect(result.exitCode == 1)
            #expect(result.standardError == "jooldctl: uid 1000 is neither root nor in group 'joold' (permission-denied)\n")
        }
    }

    // MARK: 2: configuration files, checked before any connection

    @Test(arguments: [
        ("net.json", #"{"multicast address": "ff08::db8:64:64", "ttl": 300}"#, nil as String?,
         #"file 'net.json', key "ttl": expected an integer from 0 to 255, found 300"#),
        ("net.json", #"{"multicast adress": "ff08::db8:64:64"}"#, nil,
         #"file 'net.json', key "multicast adress": unknown key "multicast adress" (did you mean "multicast address"?)"#),
        ("net.json", #"{"multicast port": true}"#, nil, #"file 'net.json', key "multicast port": expected a port number"#),
        ("net.json", #"{"reuseaddr": 1,"#, nil, "file 'net.json', line 1"),
        ("net.json", "[]", nil, "file 'net.json': the top level must be a JSON object"),
        ("net.json", "{}", #"{"port": 70000}"#, #"file 'stats.json', key "port": expected a port number from 1 to 65535, found 70000"#),
        ("net.json", "{}", #"{"adress": "::"}"#, #"file 'stats.json', key "adress": unknown key"#),
    ])
    func badFileIsAUsageErrorNamingFileAndKey(netName: String, net: String, stats: String?, message: String) {
        let supervisor = FakeSupervisor(.result(statusObject("potato")))
        defer { supervisor.stop() }
        let files = TemporaryDirectory(prefix: "jctl")
        defer { files.remove() }
        files.write(netName, net)
        var arguments = ["add", "--instance", "potato", "--net", netName]
        if let stats {
            files.write("stats.json", stats)
            arguments += ["--stats", "stats.json"]
        }

        let result = jooldctl(arguments, supervisor: supervisor, directory: files.path)

        #expect(result.exitCode == 2)
        #expect(result.standardError.hasPrefix("jooldctl: " + message), "\(result.standardError)")
        #expect(result.standardOutput == "")
        #expect(supervisor.connections == 0)
    }

    @Test func missingFileIsAUsageError() {
        let supervisor = FakeSupervisor(.result(statusObject("potato")))
        defer { supervisor.stop() }
        let files = TemporaryDirectory(prefix: "jctl")
        defer { files.remove() }

        let result = jooldctl(["add", "--instance", "potato", "--net", "missing.json"], supervisor: supervisor, directory: files.path)

        #expect(result.exitCode == 2)
        #expect(result.standardError == "jooldctl: file 'missing.json': cannot read the file: No such file or directory\n")
        #expect(supervisor.connections == 0)
    }

    @Test(arguments: [
        (["add", "--instance", "potato", "--net", "net.json", "--stats-port", "1", "--stats", "stats.json"],
         "--stats-port and --stats are mutually exclusive"),
        (["add", "--instance", "potato", "--net", "net.json", "--stats-port", "0"], "--stats-port must be a port number"),
        (["add", "--instance", "potato", "--net", "net.json", "--stats-port", "65536"], "--stats-port must be a port number"),
        (["add", "--instance", "potato"], "Missing expected argument '--net <file>'"),
        (["add", "--net", "net.json"], "missing the instance name"),
        (["add", "sixteen-chars-xx", "--net", "net.json"], "is 16 bytes long; the maximum is 15"),
        (["add", "a", "--instance", "b", "--net", "net.json"], "the instance is given twice"),
        (["add", "potato", "--net", "net.json", "--advertise-rate", "0"],
         "--advertise-rate must be a number of sessions per second from 1 to 100000, found 0"),
        (["add", "potato", "--net", "net.json", "--advertise-rate", "100001"], "--advertise-rate must be a number"),
        (["add", "potato", "--net", "net.json", "--advertise-rate", "fast"], "--advertise-rate"),
        (["advertise", "potato", "--rate=-5"], "--rate must be a number of sessions per second from 1 to 100000, found -5"),
        (["advertise", "potato", "--rate", "1000000"], "--rate must be a number"),
        (["remove"], "missing the instance name"),
        (["advertise"], "missing the instance name"),
        (["status", "--netns", "blue"], "--netns selects the namespace of an instance"),
        (["stats", "--netns", "blue"], "--netns selects the namespace of an instance"),
        (["list", "extra"], "Unexpected argument 'extra'"),
        (["list", "--timeout", "0"], "--timeout must be a positive number"),
        (["list", "--timeout", "soon"], "--timeout"),
        (["frobnicate"], "Unexpected argument 'frobnicate'"),
        ([], "missing subcommand"),
    ])
    func usageErrors(arguments: [String], message: String) {
        let supervisor = FakeSupervisor(.result(.object(["instances": .array([])])))
        defer { supervisor.stop() }
        let files = TemporaryDirectory(prefix: "jctl")
        defer { files.remove() }
        files.write("net.json", "{}")
        files.write("stats.json", "{}")

        let result = jooldctl(arguments, supervisor: supervisor, directory: files.path)

        #expect(result.exitCode == 2)
        #expect(result.standardError.contains(message), "\(result.standardError)")
        #expect(supervisor.connections == 0)
    }

    @Test func socketPathTooLongIsAUsageError() {
        let result = jooldctl(["list", "--socket", "/tmp/" + String(repeating: "s", count: 120)])

        #expect(result.exitCode == 2)
        #expect(result.standardError.contains("a Unix socket path has at most 107"))
    }

    // MARK: 3: unreachable

    @Test func missingSocketNamesThePath() {
        let scratch = TemporaryDirectory(prefix: "jctl")
        defer { scratch.remove() }
        let path = scratch.path + "/supervisor.sock"

        let result = jooldctl(["list", "--socket", path])

        #expect(result.exitCode == 3)
        #expect(result.standardOutput == "")
        #expect(result.standardError == "jooldctl: cannot connect to \(path): No such file or directory; is joold-supervisor running?\n")
    }

    @Test func aSocketNobodyListensOnIsUnreachable() {
        let scratch = TemporaryDirectory(prefix: "jctl")
        defer { scratch.remove() }
        let path = scratch.path + "/stale.sock"
        // Bound, then closed: the file stays, connections are refused.
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        close(fd)

        let result = jooldctl(["status"], environment: ["JOOLDCTL_SOCKET": path])

        #expect(result.exitCode == 3)
        #expect(result.standardError == "jooldctl: cannot connect to \(path): Connection refused; is joold-supervisor running?\n")
    }

    /// Connecting to a file or a directory is refused like connecting to a dead
    /// supervisor's socket: jooldctl says what is there instead.
    @Test func somethingElseAtTheSocketPathIsNamed() {
        let scratch = TemporaryDirectory(prefix: "jctl")
        defer { scratch.remove() }
        let file = scratch.write("plain", "x")
        #expect(mkdir(scratch.path + "/dir", 0o755) == 0)

        for (path, kind) in [(file, "a regular file"), (scratch.path + "/dir", "a directory")] {
            let result = jooldctl(["list", "--socket", path])
            #expect(result.exitCode == 3)
            #expect(result.standardError == "jooldctl: cannot connect to \(path): it is \(kind), not a socket; is --socket (or $JOOLDCTL_SOCKET) right?\n",
                    "\(result)")
        }
    }

    // MARK: 4: unreadable answers

    @Test(arguments: [
        (FakeSupervisor.Reply.raw("this is not json\n"), "the supervisor sent an unreadable response"),
        (.raw("[1, 2]\n"), "lacks 'ok'"),
        (.raw(#"{"protocol":1,"id":"someone else's","ok":true,"result":{"instances":[]}}"# + "\n"), "answered request id \"someone else's\""),
        (.raw(#"{"protocol":1,"ok":true,"result":{"instances":[]}}"# + "\n"), "answered request id (none)"),
        (.rawThenClose(#"{"protocol":1,"ok":true,"res"#), "closed the connection in the middle of its answer"),
        (.raw("{\"ok\": tru\n"), "unreadable"),
        (.close, "closed the connection without answering"),
        (.result(.object(["surprise": .integer(1)])), "lacks 'instances'"),
        (.result(.object(["instances": .array([.object(["instance": .string("x")])])])), "unreadable status object"),
    ])
    func garbageIsAProtocolError(reply: FakeSupervisor.Reply, message: String) {
        let supervisor = FakeSupervisor(reply)
        defer { supervisor.stop() }

        let result = jooldctl(["list"], supervisor: supervisor)

        #expect(result.exitCode == 4)
        #expect(result.standardOutput == "")
        #expect(result.standardError.hasPrefix("jooldctl: "))
        #expect(result.standardError.contains(message), "\(result.standardError)")
    }

    @Test func silenceIsATimeout() {
        let supervisor = FakeSupervisor(.silent)
        defer { supervisor.stop() }
        let start = ContinuousClock.now

        let result = jooldctl(["list", "--timeout", "0.3"], supervisor: supervisor)

        #expect(result.exitCode == 4)
        #expect(result.standardError.contains("timed out after 0.3 s waiting for the answer"), "\(result.standardError)")
        let elapsed = ContinuousClock.now - start
        #expect(elapsed >= .milliseconds(290) && elapsed < .seconds(5))
    }

    @Test func exitStatusesAreDocumentedInHelp() {
        let help = jooldctl(["--help"])

        #expect(help.exitCode == 0)
        for line in ["0  success", "1  the supervisor refused the operation", "2  usage or configuration-file error",
                     "3  the supervisor is unreachable", "4  the supervisor's answer could not be read", "JOOLDCTL_SOCKET"] {
            #expect(help.standardOutput.contains(line), "\(line)")
        }
    }

    @Test func helpOnAnUnknownSubcommandIsAUsageError() {
        let result = jooldctl(["help", "bogus"])

        #expect(result.exitCode == 2)
        #expect(result.standardOutput == "")
        #expect(result.standardError == "jooldctl: help: no subcommand 'bogus' (add, remove, list, status, advertise, stats, follow, version)\n")
    }

    @Test(arguments: ["add", "remove", "list", "status", "advertise", "stats", "follow", "version"])
    func everySubcommandHasHelp(subcommand: String) {
        for arguments in [[subcommand, "--help"], ["help", subcommand]] {
            let result = jooldctl(arguments)
            #expect(result.exitCode == 0)
            #expect(result.standardOutput.contains("USAGE: jooldctl \(subcommand)"))
            #expect(result.standardOutput.contains("--socket <path>"))
            #expect(result.standardOutput.contains("--json"))
            #expect(result.standardOutput.contains("Example:"))
        }
    }

    /// Bytes of a file (or of the supervisor's message) are quoted in errors: their
    /// control characters are shown escaped, never sent to the terminal as they are.
    @Test func controlBytesInMessagesAreEscaped() {
        let files = TemporaryDirectory(prefix: "jctl")
        defer { files.remove() }
        files.write("raw.json", "{\"ttl\": \u{1B}[2J}")
        files.write("net.json", "{}")
        files.write("stats.json", #"{"address": "\u001b[2J::1"}"#)
        let supervisor = FakeSupervisor(.refuse(.noSuchInstance, "no instance '\u{1B}]0;pwned\u{07}'"))
        defer { supervisor.stop() }

        let results = [
            jooldctl(["add", "potato", "--net", "raw.json"], directory: files.path),
            jooldctl(["add", "potato", "--net", "net.json", "--stats", "stats.json"], directory: files.path),
            jooldctl(["status", "potato"], supervisor: supervisor),
        ]
        for result in results {
            #expect(result.exitCode != 0)
            #expect(!result.standardError.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "\(result.standardError.debugDescription)")
            #expect(result.standardError.contains("\\u{1B}"), "\(result.standardError.debugDescription)")
        }
        #expect(results[1].standardError.contains(#"found "\u{1B}[2J::1""#), "\(results[1].standardError)")
        #expect(results[2].standardError.contains(#"\u{1B}]0;pwned\u{7}"#), "\(results[2].standardError)")
    }
}
