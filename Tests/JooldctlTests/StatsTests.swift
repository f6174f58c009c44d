import Configuration
import ControlProtocol
@testable import JooldctlCommands
import Testing

/// `jooldctl stats`: the stock stats server's six lines first, then ours.
@Suite struct StatsTests {
    static func counters(_ values: [Int64]) -> JSONValue {
        .object(zip(Formatting.stockCounters, values).map { JSONValue.Member($0, .integer($1)) })
    }

    static let extra = JSONValue.object([
        JSONValue.Member("rejected-wrong-format", .integer(0)),
        JSONValue.Member("kernel-errors", .integer(1)),
        JSONValue.Member("acks-sent", .integer(9)),
    ])

    static func entry(_ instance: String, netns: String, state: String = "running", counters: JSONValue?, extra: JSONValue?) -> JSONValue {
        .object(["instance": .string(instance), "netns": .string(netns), "state": .string(state),
                 "counters": counters ?? .null, "extra": extra ?? .null])
    }

    @Test func oneInstanceIsTheSixStockLinesThenOurs() {
        let supervisor = FakeSupervisor(.result(.object(["instances": .array([
            Self.entry("potato", netns: "blue", counters: Self.counters([4, 208, 0, 0, 4, 208]), extra: Self.extra),
        ])])))
        defer { supervisor.stop() }

        let result = jooldctl(["stats", "potato", "--netns", "blue"], supervisor: supervisor)

        #expect(result.exitCode == 0)
        #expect(result.standardError == "")
        // The first six lines are byte for byte the stock stats reply
        // (docs/jool-kernel-protocol.md §13).
        #expect(result.standardOutput == """
            KERNEL_SENT_PKTS,4
            KERNEL_SENT_BYTES,208
            NET_RCVD_PKTS,0
            NET_RCVD_BYTES,0
            NET_SENT_PKTS,4
            NET_SENT_BYTES,208
            rejected-wrong-format,0
            kernel-errors,1
            acks-sent,9

            """)
    }

    @Test func theStockLinesComeInTheStockOrderWhateverTheSupervisorsOrder() {
        let shuffled = JSONValue.object(Formatting.stockCounters.enumerated().reversed().map {
            JSONValue.Member($0.element, .integer(Int64($0.offset)))
        })
        let supervisor = FakeSupervisor(.result(.object(["instances": .array([
            Self.entry("potato", netns: "", counters: shuffled, extra: .object([])),
        ])])))
        defer { supervisor.stop() }

        let lines = jooldctl(["stats", "potato"], supervisor: supervisor).standardOutput.split(separator: "\n")

        #expect(lines == ["KERNEL_SENT_PKTS,0", "KERNEL_SENT_BYTES,1", "NET_RCVD_PKTS,2",
                          "NET_RCVD_BYTES,3", "NET_SENT_PKTS,4", "NET_SENT_BYTES,5"])
    }

    @Test func everyInstanceHasABlock() {
        let supervisor = FakeSupervisor(.result(.object(["instances": .array([
            Self.entry("default", netns: "", counters: Self.counters([1, 2, 3, 4, 5, 6]), extra: .object([JSONValue.Member("acks-sent", .integer(7))])),
            Self.entry("potato", netns: "blue", state: "waiting", counters: nil, extra: nil),
            Self.entry("potato", netns: "red", counters: Self.counters([0, 0, 0, 0, 0, 0]), extra: .object([])),
        ])])))
        defer { supervisor.stop() }

        let result = jooldctl(["stats"], supervisor: supervisor)

        #expect(result.exitCode == 0)
        #expect(result.standardOutput == """
            # instance -/default
            KERNEL_SENT_PKTS,1
            KERNEL_SENT_BYTES,2
            NET_RCVD_PKTS,3
            NET_RCVD_BYTES,4
            NET_SENT_PKTS,5
            NET_SENT_BYTES,6
            acks-sent,7

            # instance blue/potato
            # no counters for 'potato' in namespace blue: its worker is not running (state waiting)

            # instance red/potato
            KERNEL_SENT_PKTS,0
            KERNEL_SENT_BYTES,0
            NET_RCVD_PKTS,0
            NET_RCVD_BYTES,0
            NET_SENT_PKTS,0
            NET_SENT_BYTES,0

            """)
    }

    @Test func noInstances() {
        let supervisor = FakeSupervisor(.result(.object(["instances": .array([])])))
        defer { supervisor.stop() }

        #expect(jooldctl(["stats"], supervisor: supervisor).standardOutput == "# no instances\n")
    }

    @Test func anInstanceWithoutWorkerHasNoLines() {
        let supervisor = FakeSupervisor(.result(.object(["instances": .array([
            Self.entry("potato", netns: "", state: "backing-off", counters: nil, extra: nil),
        ])])))
        defer { supervisor.stop() }

        let result = jooldctl(["stats", "potato"], supervisor: supervisor)

        #expect(result.exitCode == 0)
        #expect(result.standardOutput == "")
        #expect(result.standardError == "jooldctl: no counters for 'potato': its worker is not running (state backing-off)\n")
    }

    @Test func json() {
        let answer = JSONValue.object(["instances": .array([
            Self.entry("potato", netns: "blue", counters: Self.counters([4, 208, 0, 0, 4, 208]), extra: Self.extra),
        ])])
        let supervisor = FakeSupervisor(.result(answer))
        defer { supervisor.stop() }

        #expect(jooldctl(["stats", "potato", "--json"], supervisor: supervisor).standardOutput == answer.serialized() + "\n")
    }

    @Test func countersWithoutAStockCounterAreAProtocolError() {
        let supervisor = FakeSupervisor(.result(.object(["instances": .array([
            Self.entry("potato", netns: "", counters: .object([JSONValue.Member("KERNEL_SENT_PKTS", .integer(1))]), extra: nil),
        ])])))
        defer { supervisor.stop() }

        let result = jooldctl(["stats", "potato"], supervisor: supervisor)

        #expect(result.exitCode == 4)
        #expect(result.standardError.contains("KERNEL_SENT_BYTES"))
    }
}
