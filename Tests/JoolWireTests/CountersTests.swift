@testable import JoolWire
import Testing

@Suite struct CountersTests {
    @Test func statsReplyHasSixLinesInOrder() {
        var counters = JooldCounters()
        #expect(counters.statsReply() == """
            KERNEL_SENT_PKTS,0
            KERNEL_SENT_BYTES,0
            NET_RCVD_PKTS,0
            NET_RCVD_BYTES,0
            NET_SENT_PKTS,0
            NET_SENT_BYTES,0

            """)
        for _ in 0..<4 { counters.countNetworkSent(bytes: 52) }
        counters.countKernelAdd(bytes: 40)
        counters.countNetworkReceived(bytes: 40)
        counters.countNetworkReceived(bytes: 80)
        #expect(counters.statsReply() == """
            KERNEL_SENT_PKTS,1
            KERNEL_SENT_BYTES,40
            NET_RCVD_PKTS,2
            NET_RCVD_BYTES,120
            NET_SENT_PKTS,4
            NET_SENT_BYTES,208

            """)
        #expect(counters.namedValues.map(\.name) == ["KERNEL_SENT_PKTS", "KERNEL_SENT_BYTES", "NET_RCVD_PKTS",
                                                     "NET_RCVD_BYTES", "NET_SENT_PKTS", "NET_SENT_BYTES"])
        var copy = counters
        #expect(copy == counters)
        copy.netSentBytes = UInt64.max
        copy.countNetworkSent(bytes: 2)
        #expect(copy.netSentBytes == 1)
        #expect(copy != counters)
    }

    @Test func extraCounters() {
        var extra = ExtraCounters()
        extra.countRejection(.wrongFormat)
        extra.countRejection(.wrongFormat)
        extra.countRejection(.empty)
        extra.acksSent = 3
        #expect(extra.rejections(.wrongFormat) == 2 && extra.rejections(.tooLarge) == 0)
        #expect(extra.totalRejections == 3)
        let values = Dictionary(uniqueKeysWithValues: extra.namedValues.map { ($0.name, $0.value) })
        #expect(values["rejected-wrong-format"] == 2)
        #expect(values["rejected-empty"] == 1)
        #expect(values["rejected-too-large"] == 0)
        #expect(values["acks-sent"] == 3)
        #expect(extra.namedValues.count == DatagramRejectReason.allCases.count + 8)
        #expect(extra != ExtraCounters())
    }
}
