import Configuration
import ControlProtocol
import Testing

/// The one instance schema and the typed operations: every wrong type, unknown field
/// and bad value is refused with the key named, in requests as in the state file.
@Suite struct InstanceSpecTests {
    private func operation(_ line: String) throws -> ControlOperation {
        try ControlOperation(try ControlRequest.parse(line).get())
    }

    private func refusal(_ line: String) -> ControlError? {
        do {
            _ = try operation(line)
            return nil
        } catch let error as ControlError {
            return error
        } catch {
            return ControlError(.internal, "\(error)")
        }
    }

    @Test(arguments: [
        (#""netns": 5"#, "field 'netns' must be a string, found an integer"),
        (#""netns": ["blue"]"#, "field 'netns' must be a string, found an array"),
        (#""enable_ss": "yes""#, "field 'enable_ss' must be true or false, found a string"),
        (#""enable_ss": 1"#, "field 'enable_ss' must be true or false, found an integer"),
        (#""advertise_rate": "fast""#, "field 'advertise_rate' must be an integer, found a string"),
        (#""stats": 45678"#, "field 'stats' must be an object, found an integer"),
    ])
    func wrongTypesAreRefusedNamingTheKey(field: String, message: String) {
        let error = refusal(#"{"op": "add", "instance": "potato", "net": {}, \#(field)}"#)
        #expect(error == ControlError(.wrongType, message))
    }

    @Test func requiredFieldsAreNamed() {
        #expect(refusal(#"{"op": "add", "net": {}}"#) == ControlError(.missingField, "field 'instance' is missing"))
        #expect(refusal(#"{"op": "add", "instance": "potato"}"#) == ControlError(.missingField, "field 'net' is missing"))
        #expect(refusal(#"{"op": "add", "instance": 3, "net": {}}"#)
                == ControlError(.wrongType, "field 'instance' must be a string, found an integer"))
        #expect(refusal(#"{"op": "status", "netns": "blue"}"#)?.code == .missingField)
        #expect(refusal(#"{"op": "advertise"}"#) == ControlError(.missingField, "field 'instance' is missing"))
    }

    @Test func unknownFieldsAreRefusedWithASuggestion() throws {
        let misspelt = refusal(#"{"op": "add", "instance": "potato", "net": {}, "enable-ss": true}"#)
        #expect(misspelt?.code == .unknownField)
        #expect(misspelt?.message.hasPrefix("unknown field 'enable-ss' (did you mean 'enable_ss'?)") == true, "\(String(describing: misspelt))")
        #expect(refusal(#"{"op": "list", "verbose": true}"#)?.message == "unknown field 'verbose'; known fields: protocol, id, op")
        #expect(refusal(#"{"op": "remove", "instance": "potato", "wait": false}"#)?.code == .unknownField)
        // The envelope is always allowed.
        #expect(try operation(#"{"protocol": 1, "id": [1], "op": "version"}"#) == .version)
    }

    @Test func nullIsAbsent() throws {
        let spec = try operation(#"{"op": "add", "instance": "potato", "netns": null, "net": {}, "stats": null, "enable_ss": null, "advertise_rate": null}"#)
        #expect(spec == .add(try InstanceSpec(name: "potato", net: .object([]), netPath: "net")))
    }

    @Test(arguments: [
        (#"{"address": "nope", "port": 45678}"#, "\"address\""),
        (#"{"address": "localhost"}"#, "\"address\""),
        (#"{"address": "::", "port": "no-such-service-jsc"}"#, "\"port\""),
        (#"{"address": "::", "port": 0}"#, "\"port\""),
        (#"{"addr": "::"}"#, "\"addr\""),
    ])
    func statsObjectsAreCheckedWhenAdded(stats: String, key: String) {
        let error = refusal(#"{"op": "add", "instance": "potato", "net": {}, "stats": \#(stats)}"#)
        #expect(error?.code == .invalidConfig)
        #expect(error?.message.hasPrefix("field 'stats', key \(key): ") == true, "\(String(describing: error))")
    }

    @Test(arguments: [#"{"address": "::", "port": 45678}"#, #"{"address": "127.0.0.1"}"#, #"{"address": "fe80::1%lo"}"#,
                      #"{"port": "6401"}"#, "{}"])
    func statsAddressesThatBindAreAccepted(stats: String) throws {
        _ = try operation(#"{"op": "add", "instance": "potato", "net": {}, "stats": \#(stats)}"#)
    }

    @Test func netObjectsAreCheckedWhenAdded() {
        let error = refusal(#"{"op": "add", "instance": "potato", "net": {"ttl": 300}}"#)
        #expect(error == ControlError(.invalidConfig, #"field 'net', key "ttl": expected an integer from 0 to 255, found 300"#))
    }

    /// Jool's iname_validate (src/common/config.c) takes up to 15 bytes, each at least
    /// 32 as a signed char: spaces, quotes, "/" and "$(...)" are fine; control bytes and
    /// (on x86, where char is signed) bytes of 128 and more are not.
    @Test(arguments: ["a b", "x/y", "$(id)", "it's", "-", "123456789012345"])
    func namesJoolAcceptsAreAccepted(name: String) throws {
        let spec = try InstanceSpec(name: name, net: .object([]), netPath: "net")
        #expect(spec.name == name)
    }

    @Test(arguments: ["", "1234567890123456", "a\tb", "a\u{7F}", "pätato"])
    func namesJoolRefusesAreRefused(name: String) {
        #expect(throws: ControlError.self) { try InstanceSpec(name: name, net: .object([]), netPath: "net") }
        let error = #expect(throws: ControlError.self) { try InstanceSpec(name: name, net: .object([]), netPath: "net") }
        #expect(error?.code == .invalidName)
    }

    @Test func advertiseRatesOutOfRangeAreInvalidValues() {
        #expect(refusal(#"{"op": "add", "instance": "potato", "net": {}, "advertise_rate": 0}"#)?.code == .invalidValue)
        #expect(refusal(#"{"op": "advertise", "instance": "potato", "rate": 100001}"#)?.code == .invalidValue)
    }

    /// Each operation reads back what it writes.
    @Test func operationsRoundTrip() throws {
        let spec = try InstanceSpec(name: "potato", netns: "blue",
                                    net: try JSONValue.parse(#"{"multicast address": "ff08::db8:64:64", "multicast port": "6464", "reuseaddr": 1}"#, path: "t"),
                                    netPath: "net", stats: try JSONValue.parse(#"{"port": 45678}"#, path: "t"),
                                    enableSessionSync: true, advertiseRate: 500)
        let blue = InstanceSelector(instance: "potato", netns: "blue")
        let operations: [ControlOperation] = [
            .version, .list, .add(spec), .remove(blue), .status(nil), .status(InstanceSelector(instance: "potato")),
            .stats(blue), .advertise(blue, wait: false, rate: 300), .advertise(blue, wait: true, rate: nil), .follow(nil),
        ]
        for original in operations {
            let line = ControlRequest(original, id: .integer(1)).line
            #expect(try operation(line) == original, "\(line)")
        }
        // The configuration objects travel as written: key order and value forms kept.
        guard case let .add(decoded) = try operation(ControlRequest(.add(spec)).line) else { return }
        #expect(decoded.netObject.serialized() == #"{"multicast address":"ff08::db8:64:64","multicast port":"6464","reuseaddr":1}"#)
    }

    @Test func workerSpecsAreDecodedStrictly() throws {
        let good = WorkerMessage.configure(WorkerSpec(instance: try! InstanceSpec(name: "a", net: .object([]), netPath: "net"),
                                                      netnsPath: "/run/netns/a"))
        #expect(WorkerMessage.decode(good.encoded) == good)
        #expect(WorkerMessage.decode(Array(#"{"type":"configure","instance":"a","net":{},"netns_path":"","enable_ss":"yes"}"#.utf8)) == nil)
        #expect(WorkerMessage.decode(Array(#"{"type":"configure","instance":"a","net":{},"netns_path":"","extra":1}"#.utf8)) == nil)
    }
}
