import Configuration
import ControlProtocol
import Foundation
@testable import JooldctlCommands
import JoolWire
import Testing

/// `jooldctl follow`: the text of each event, and the request.
@Suite struct FollowTests {
    static let tcp = Session(proto: .tcp, state: .v4Init, timer: .syn4,
                             src6: .init(address: IPv6Address("2001:db8::1")!, port: 1024),
                             dst6: .init(address: IPv6Address("64:ff9b::cb00:7107")!, port: 443),
                             src4: .init(address: IPv4Address("192.0.2.1")!, port: 61001),
                             dst4: .init(address: IPv4Address("203.0.113.7")!, port: 443),
                             expirationMilliseconds: 5_999)
    static let icmpF3 = Session(proto: .icmp, src6: .init(address: IPv6Address("2001:db8::2")!, port: 7),
                                src4: .init(address: IPv4Address("192.0.2.1")!, port: 9),
                                dst4: .init(address: IPv4Address("198.51.100.1")!, port: 9), expirationMilliseconds: 60_000)

    private func text(_ event: FollowEvent) -> FollowFormatting.Output {
        FollowFormatting.text(event) { _ in "12:00:00.000" }
    }

    @Test func sessionLines() {
        #expect(text(.session(instance: "default", netns: "K", origin: .kernel, time: 0, session: SessionJSON.encode(Self.tcp)))
                == .standardOutput("12:00:00.000 K/default out TCP 2001:db8::1#1024 64:ff9b::cb00:7107#443 192.0.2.1#61001 203.0.113.7#443 V4_INIT 0:00:05.999"))
        #expect(text(.session(instance: "potato", netns: "", origin: .peer, time: 0, session: SessionJSON.encode(Self.icmpF3)))
                == .standardOutput("12:00:00.000 -/potato in ICMP 2001:db8::2#7 - 192.0.2.1#9 198.51.100.1#9 - 0:01:00"))
        #expect(text(.session(instance: "default", netns: "K", origin: .advertise, time: 0, session: SessionJSON.encode(Self.icmpF3)))
                == .standardOutput("12:00:00.000 K/default out ICMP 2001:db8::2#7 - 192.0.2.1#9 198.51.100.1#9 - 0:01:00 (advertise)"))
    }

    @Test func lossesAndTheEndGoToStandardError() {
        #expect(text(.lost(count: 12, reason: FollowEvent.followerBehind, instance: nil, netns: nil))
                == .standardError("jooldctl: 12 session(s) not shown: this follower did not read them in time (follower-behind)"))
        #expect(text(.lost(count: 3, reason: FollowEvent.workerChannelFull, instance: "default", netns: "K"))
                == .standardError("jooldctl: 3 session(s) of 'default' in namespace K not shown: its worker's channel to the supervisor was full (worker-channel-full)"))
        #expect(text(.end(instance: "default", netns: "J", reason: "removed"))
                == .standardError("jooldctl: end of the feed of 'default' in namespace J: removed"))
        #expect(text(.end(instance: nil, netns: nil, reason: "supervisor-stopping"))
                == .standardError("jooldctl: end of the feed: supervisor-stopping"))
    }

    @Test(arguments: [
        FollowEvent.session(instance: "a", netns: "b", origin: .peer, time: 1_700_000_000.125, session: SessionJSON.encode(tcp)),
        .lost(count: 7, reason: FollowEvent.followerBehind, instance: nil, netns: nil),
        .lost(count: 2, reason: FollowEvent.workerChannelFull, instance: "a", netns: ""),
        .end(instance: "a", netns: "b", reason: "removed"),
    ])
    func eventsRoundTrip(event: FollowEvent) throws {
        let line = String(decoding: event.line, as: UTF8.self)
        #expect(line.hasSuffix("\n") && line.filter { $0 == "\n" }.count == 1)
        #expect(FollowEvent(json: try JSONValue.parse(line, path: "event")) == event)
    }

    @Test func localTimeHasMilliseconds() {
        #expect(FollowFormatting.localTime(1_700_000_000.042).range(of: #"^\d\d:\d\d:\d\d\.042$"#, options: .regularExpression) != nil)
    }

    @Test func usage() {
        let result = jooldctl(["follow", "--netns", "K"])
        #expect(result.exitCode == 2 && result.standardError.contains("--netns selects the namespace of an instance"))
    }
}
