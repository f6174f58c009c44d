import Configuration
import ControlProtocol
@testable import JooldctlCommands
import NetworkTestSupport
import Testing

/// What people and scripts see: tables, --json, messages.
@Suite struct OutputTests {
    static let threeInstances = JSONValue.object(["instances": .array([
        statusObject("potato", netns: "", state: .running, pid: 4242, uptime: 3725.5),
        statusObject("potato", netns: "blue", state: .waiting, pid: nil, uptime: nil, restarts: 2,
                     lastError: "worker killed by signal 9", waitingFor: "the jool kernel module is not loaded"),
        statusObject("default", netns: "K", state: .backingOff, pid: nil, uptime: nil, restarts: 5,
                     lastError: "worker killed by signal 9"),
    ])])

    @Test func listIsAnAlignedTable() {
        let supervisor = FakeSupervisor(.result(Self.threeInstances))
        defer { supervisor.stop() }

        let result = jooldctl(["list"], supervisor: supervisor)

        #expect(result.exitCode == 0)
        #expect(result.standardError == "")
        #expect(result.standardOutput == """
            INSTANCE  NETNS  STATE        PID   UPTIME  RESTARTS  ADV-RATE  DETAIL
            potato    -      running      4242  1h02m   0         2000      -
            potato    blue   waiting      -     -       2         2000      the jool kernel module is not loaded
            default   K      backing-off  -     -       5         2000      worker killed by signal 9

            """)
    }

    @Test func listWithoutInstances() {
        let supervisor = FakeSupervisor(.result(.object(["instances": .array([])])))
        defer { supervisor.stop() }

        #expect(jooldctl(["list"], supervisor: supervisor).standardOutput == "(no instances)\n")
    }

    /// `status NAME` is answered with one status object; --json prints it in the shape of
    /// every other status: `{"instances": [object]}`.
    @Test func statusOfOneInstanceAsJSONHasTheShapeOfEveryStatus() throws {
        let one = statusObject("potato", netns: "blue")
        let supervisor = FakeSupervisor(.result(one))
        defer { supervisor.stop() }

        let result = jooldctl(["status", "potato", "--netns", "blue", "--json"], supervisor: supervisor)

        #expect(result.exitCode == 0, "\(result)")
        #expect(result.standardOutput == JSONValue.object([.init("instances", .array([one]))]).serialized() + "\n")
    }

    @Test(arguments: [["list", "--json"], ["status", "--json"], ["status", "potato", "--json"]])
    func jsonPrintsTheResultObject(arguments: [String]) {
        let supervisor = FakeSupervisor(.result(Self.threeInstances))
        defer { supervisor.stop() }

        let result = jooldctl(arguments, supervisor: supervisor)

        #expect(result.exitCode == 0)
        #expect(result.standardOutput == Self.threeInstances.serialized() + "\n")
    }

    @Test func statusOfOneInstance() {
        let supervisor = FakeSupervisor(.result(.object(["instances": .array([
            statusObject("potato", netns: "/proc/1234/ns/net", state: .starting, pid: 77, uptime: 0.4),
        ])])))
        defer { supervisor.stop() }

        #expect(jooldctl(["status", "potato", "--netns", "/proc/1234/ns/net"], supervisor: supervisor).standardOutput == """
            INSTANCE  NETNS              STATE     PID  UPTIME  RESTARTS  ADV-RATE  DETAIL
            potato    /proc/1234/ns/net  starting  77   0s      0         2000      -

            """)
    }

    @Test func addPrintsTheNewInstancesStatus() {
        let supervisor = FakeSupervisor(.result(statusObject("potato", netns: "blue", state: .waiting, pid: 99, uptime: 1,
                                                             waitingFor: "instance 'potato' does not exist in the namespace")))
        defer { supervisor.stop() }
        let files = TemporaryDirectory(prefix: "jctl")
        defer { files.remove() }
        files.write("net.json", "{}")

        let result = jooldctl(["add", "--instance", "potato", "--netns", "blue", "--net", "net.json"],
                              supervisor: supervisor, directory: files.path)

        #expect(result.standardOutput == """
            INSTANCE  NETNS  STATE    PID  UPTIME  RESTARTS  ADV-RATE  DETAIL
            potato    blue   waiting  99   1s      0         2000      instance 'potato' does not exist in the namespace

            """)
    }

    @Test func addJSON() {
        let status = statusObject("potato")
        let supervisor = FakeSupervisor(.result(status))
        defer { supervisor.stop() }
        let files = TemporaryDirectory(prefix: "jctl")
        defer { files.remove() }
        files.write("net.json", "{}")

        let result = jooldctl(["add", "--instance", "potato", "--net", "net.json", "--json"], supervisor: supervisor, directory: files.path)

        #expect(result.standardOutput == status.serialized() + "\n")
    }

    @Test func remove() {
        let supervisor = FakeSupervisor(
            .result(.object(["instance": .string("potato"), "netns": .string("blue"), "state": .string("stopped")])),
            .result(.object(["instance": .string("potato"), "netns": .string(""), "state": .string("stopped")])))
        defer { supervisor.stop() }

        #expect(jooldctl(["remove", "potato", "--netns", "blue"], supervisor: supervisor).standardOutput
                == "removed 'potato' in namespace blue\n")
        #expect(jooldctl(["remove", "potato"], supervisor: supervisor).standardOutput == "removed 'potato'\n")
    }

    @Test func advertisePrintsMethodSessionsAndSeconds() {
        let supervisor = FakeSupervisor(
            .result(.object(["instance": .string("default"), "netns": .string("K"), "method": .string("kernel"),
                             "sessions": .null, "seconds": .real(0.0123)])),
            .result(.object(["instance": .string("default"), "netns": .string(""), "method": .string("kernel"),
                             "sessions": .integer(1500), "seconds": .real(2.5)])))
        defer { supervisor.stop() }

        #expect(jooldctl(["advertise", "default", "--netns", "K"], supervisor: supervisor).standardOutput
                == "advertised 'default' in namespace K: method kernel, sessions -, seconds 0.012\n")
        #expect(jooldctl(["advertise", "default"], supervisor: supervisor).standardOutput
                == "advertised 'default': method kernel, sessions 1500, seconds 2.5\n")
    }

    @Test func advertiseWithoutWaiting() {
        let supervisor = FakeSupervisor(.result(.object(["instance": .string("default"), "netns": .string("K"), "started": .bool(true)])))
        defer { supervisor.stop() }

        #expect(jooldctl(["advertise", "default", "--netns", "K", "--no-wait"], supervisor: supervisor).standardOutput
                == "started advertising 'default' in namespace K (not waiting for it to finish)\n")
    }

    /// Jool accepts spaces, quotes, "/" and "$(...)" in instance names: such a name is
    /// one shell-quoted word in the table, and so is a namespace name that could be
    /// taken for "-" (the supervisor's own namespace).
    @Test func oddNamesAreQuotedSoThatTheTableStaysUnambiguous() {
        let supervisor = FakeSupervisor(.result(.object(["instances": .array([
            statusObject("a b", netns: "", pid: 1, uptime: 1),
            statusObject("x/y", netns: "-", pid: 2, uptime: 1),
            statusObject("$(id)", netns: "my ns", pid: 3, uptime: 1),
            statusObject("it's", netns: "/proc/1/ns/net", pid: 4, uptime: 1),
        ])])))
        defer { supervisor.stop() }

        #expect(jooldctl(["list"], supervisor: supervisor).standardOutput == """
            INSTANCE   NETNS           STATE    PID  UPTIME  RESTARTS  ADV-RATE  DETAIL
            'a b'      -               running  1    1s      0         2000      -
            'x/y'      '-'             running  2    1s      0         2000      -
            '$(id)'    'my ns'         running  3    1s      0         2000      -
            'it'\\''s'  /proc/1/ns/net  running  4    1s      0         2000      -

            """)
        #expect(Formatting.pair(instance: "x/y", netns: "/run/netns/a") == "/run/netns/a/'x/y'")
        #expect(Formatting.label(instance: "it's", netns: "") == "'it'\\''s'")
    }

    @Test func statusAnsweredWithABareStatusObject() {
        let supervisor = FakeSupervisor(.result(statusObject("potato", netns: "blue", state: .running, pid: 5, uptime: 90000)))
        defer { supervisor.stop() }

        #expect(jooldctl(["status", "potato", "--netns", "blue"], supervisor: supervisor).standardOutput == """
            INSTANCE  NETNS  STATE    PID  UPTIME  RESTARTS  ADV-RATE  DETAIL
            potato    blue   running  5    1d01h   0         2000      -

            """)
    }

    @Test func version() {
        let supervisor = FakeSupervisor(.result(.object(["supervisor": .string("0.2.0"), "protocol": .integer(1)])))
        defer { supervisor.stop() }

        let human = jooldctl(["version"], supervisor: supervisor)
        let script = jooldctl(["version", "--json"], supervisor: supervisor)

        #expect(human.standardOutput == """
            jooldctl \(Jooldctl.version) (control protocol 1)
            joold-supervisor 0.2.0 (control protocol 1)

            """)
        #expect(script.standardOutput == #"{"jooldctl":"\#(Jooldctl.version)","jooldctl_protocol":1,"supervisor":"0.2.0","protocol":1}"# + "\n")
    }

    @Test func versionWithoutSupervisorStillPrintsTheClients() {
        let result = jooldctl(["version", "--socket", "/nonexistent/s.sock"])

        #expect(result.exitCode == 3)
        #expect(result.standardOutput == "jooldctl \(Jooldctl.version) (control protocol 1)\n")
    }

    @Test(arguments: [
        (nil, "-"), (0, "0s"), (59.9, "59s"), (60, "1m00s"), (307, "5m07s"), (3599, "59m59s"),
        (3600.5, "1h00m"), (3720, "1h02m"), (86399, "23h59m"), (86400, "1d00h"), (4 * 86400 + 3 * 3600 + 59, "4d03h"),
    ] as [(Double?, String)])
    func uptime(seconds: Double?, text: String) {
        #expect(Formatting.uptime(seconds) == text)
    }

    @Test func tableCellsKeepToOneLine() {
        #expect(Formatting.table(headers: ["A", "B"], rows: [["x\ny", "last\tcell"]]) == "A    B\nx y  last cell\n")
    }
}
