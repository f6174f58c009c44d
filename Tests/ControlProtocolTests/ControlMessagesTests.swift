import Configuration
import ControlProtocol
import Testing

@Suite struct ControlRequestTests {
    private func failure(_ line: String) -> ControlFailure? {
        if case let .failure(failure) = ControlRequest.parse(line) { return failure }
        return nil
    }

    @Test func validRequestKeepsOpIdAndFields() throws {
        let request = try ControlRequest.parse(#"{"protocol":1,"id":"a7","op":"add","instance":"potato","net":{},"enable_ss":true}"#).get()
        #expect(request.op == "add")
        #expect(request.id == .string("a7"))
        guard case let .add(spec) = try ControlOperation(request) else { Issue.record("not an add"); return }
        #expect(spec.name == "potato" && spec.enableSessionSync && spec.netns == "" && spec.stats == nil)
    }

    @Test func protocolIsOptionalAndOtherVersionsAreRefusedWithTheId() {
        #expect((try? ControlRequest.parse(#"{"op":"list"}"#).get())?.op == "list")
        let refused = failure(#"{"protocol":2,"id":5,"op":"list"}"#)
        #expect(refused?.error.code == .unsupportedProtocol)
        #expect(refused?.id == .integer(5))
    }

    @Test func malformedRequestsGetStableCodes() {
        #expect(failure("not json")?.error.code == .badRequest)
        #expect(failure("[1,2]")?.error.code == .badRequest)
        #expect(failure(#"{"id":1}"#)?.error.code == .missingField)
        #expect(failure(#"{"op":7}"#)?.error.code == .wrongType)
        #expect(failure(#"{"op":"list","protocol":"one"}"#)?.error.code == .wrongType)
        #expect(failure(#"{"op":"list","op":"add"}"#)?.error.code == .badRequest, "duplicate keys are refused")
    }

    @Test func requestLineIsOneCompactLine() {
        let request = ControlRequest(.status(InstanceSelector(instance: "a")), id: .integer(9))
        #expect(request.line == #"{"protocol":1,"op":"status","id":9,"instance":"a"}"#)
    }
}

@Suite struct ControlResponseTests {
    @Test func successAndErrorLinesHaveTheDocumentedShape() {
        let ok = ControlResponse(id: .integer(7), .success(.object([JSONValue.Member("n", .integer(1))])))
        #expect(ok.line == #"{"protocol":1,"id":7,"ok":true,"result":{"n":1}}"#)
        let refused = ControlResponse(id: nil, .failure(ControlError(.noSuchInstance, "no instance 'x'")))
        #expect(refused.line == #"{"protocol":1,"ok":false,"error":{"code":"no-such-instance","message":"no instance 'x'"}}"#)
    }

    @Test func responsesRoundTrip() throws {
        let refused = ControlResponse(id: .string("q"), .failure(ControlError(.busy, "already advertising")))
        #expect(try ControlResponse.parse(refused.line) == refused)
        #expect(throws: ControlError.self) { try ControlResponse.parse("{}") }
    }

    @Test func realsPrintShortAndStringsKeepEmbeddedNULs() {
        #expect(JSONValue.real(1.1).serialized() == "1.1")
        #expect(JSONValue.string("a\u{0}b").serialized() == #""a\u0000b""#)
        #expect(JSONValue.object([JSONValue.Member("k", .array([.bool(true), .null]))]).serialized(indent: 2)
                == "{\n  \"k\": [\n    true,\n    null\n  ]\n}")
    }
}

@Suite struct WorkerMessageTests {
    static let spec = WorkerSpec(instance: try! InstanceSpec(name: "potato", netns: "blue",
                                                             net: .object([JSONValue.Member("multicast address", .string("ff08::db8:64:64"))]),
                                                             netPath: "net", stats: .object([JSONValue.Member("port", .integer(45678))]),
                                                             enableSessionSync: true),
                                 netnsPath: "/run/netns/blue")

    @Test(arguments: [
        WorkerMessage.configure(spec),
        .configure(WorkerSpec(instance: try! InstanceSpec(name: "a", net: .object([]), netPath: "net", advertiseRate: 300),
                              netnsPath: "")),
        .statsRequest(id: 3),
        .advertiseRequest(id: 4, rate: nil),
        .advertiseRequest(id: 5, rate: 500),
        .stop,
        .follow(true),
        .follow(false),
        .sessions(SessionBatch(origin: .peer, sessions: [.object([.init("proto", .string("UDP"))])], lost: 3)),
        .status(WorkerReport(state: .waiting, waitingFor: "the jool kernel module is not loaded")),
        .status(WorkerReport(state: .running, ssEnabled: true, kernelVersion: "4.1.9.0", multicast: "[ff08::db8:64:64]:6464", statsPort: 45678)),
        .fatal(error: "no interface named eth9", configuration: true),
        .stats(id: 5, counters: [("KERNEL_SENT_PKTS", 4), ("NET_SENT_BYTES", 560)], extra: [("acks-sent", 9)]),
        .advertised(id: 6, .success(AdvertiseOutcome(method: "kernel", sessions: nil, seconds: 0.25))),
        .advertised(id: 8, .success(AdvertiseOutcome(method: "worker", sessions: 25, seconds: 0.5, rate: 100))),
        .advertised(id: 7, .failure(ControlError(.kernelError, "The kernel module returned error 22"))),
    ])
    func roundTrips(message: WorkerMessage) {
        #expect(WorkerMessage.decode(message.encoded) == message)
    }

    @Test func garbageIsNotAMessage() {
        #expect(WorkerMessage.decode(Array("{\"type\":\"nope\"}".utf8)) == nil)
        #expect(WorkerMessage.decode([0xff, 0x00, 0x7b]) == nil)
    }

    @Test func statusRecordRoundTripsThroughJSON() {
        let record = InstanceStatusRecord(instance: "a", netns: "", state: .backingOff, pid: nil, uptimeSeconds: nil,
                                          restarts: 3, lastError: "worker was killed by signal 9 (SIGKILL)")
        #expect(InstanceStatusRecord(json: record.json) == record)
        #expect(record.json["pid"] == .null)
    }
}
