import Foundation
import Glibc
import JoolSimulator
import NetworkTestSupport
import Testing

extension SupervisorProcessTests {
    /// The real supervisor's control socket against garbage, huge lines, a crowd of
    /// concurrent clients and clients that vanish; it keeps answering correctly.
    @Suite struct Robustness {
        @Test func controlSocketSurvivesGarbageHugeLinesCrowdsAndVanishingClients() throws {
            try Scenario.with(namespaces: 1) { s in
                let netns = s.namespaces[0]
                let net = try s.netFile("net.json", NetFiles.disabled)
                let added = try s.ctl("add", "--instance", "default", "--net", net, "--netns", netns, "--json")
                try #require(added.status == 0, "\(added)")
                let workerPID = try #require(try added.json().pid)
                let supervisorPID = try s.current.pid

                // Random bytes with newlines: every non-blank line is answered with bad-request,
                // in order, and the connection stays usable.
                var random = SystemRandomNumberGenerator()
                var garbage = (0..<65536).map { _ in UInt8.random(in: 0...255, using: &random) }
                garbage = garbage.map { $0 == UInt8(ascii: "{") ? UInt8(ascii: "z") : $0 }   // never a JSON object
                garbage.append(0x0A)
                let blank: Set<UInt8> = [0x20, 0x09, 0x0D]
                let expectedAnswers = garbage.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast()
                    .filter { !$0.allSatisfy(blank.contains) }.count
                #expect(expectedAnswers > 100)
                let flooded = try RawControlClient(socketPath: s.socketPath)
                try flooded.send(garbage)
                var codes: [String: Int] = [:]
                for _ in 0..<expectedAnswers {
                    let response = try flooded.response()
                    codes[response.errorCode?.rawValue ?? "ok", default: 0] += 1
                    #expect(response.id == nil)
                }
                #expect(codes == ["bad-request": expectedAnswers], "\(codes)")
                let afterFlood = try flooded.request(#"{"id": "after-flood", "op": "list"}"#)
                #expect(afterFlood.id == .string("after-flood"))
                #expect(try afterFlood.result.map(instances(in:))?.count == 1, "\(afterFlood)")

                // Random bytes without a newline (no '\n' at all), then the newline: one answer.
                let noNewline = (0..<300_000).map { _ in UInt8.random(in: 0x0B...0xFF, using: &random) }
                let unterminated = try RawControlClient(socketPath: s.socketPath)
                try unterminated.send(noNewline)
                usleep(50_000)
                try unterminated.send("\n")
                #expect(try unterminated.response().errorCode == .badRequest)
                #expect(try unterminated.request(#"{"id": 2, "op": "version"}"#).result?["supervisor"] != nil)

                // A line over 1 MiB: line-too-long, then the same connection still works.
                let huge = try RawControlClient(socketPath: s.socketPath)
                try huge.send(#"{"op": "list", "pad": ""# + String(repeating: "x", count: 1 << 20) + "\"}\n")
                let tooLong = try huge.response(timeout: .seconds(10))
                #expect(tooLong.errorCode == .lineTooLong, "\(tooLong)")
                let afterHuge = try huge.request(#"{"id": 3, "op": "list"}"#)
                #expect(afterHuge.id == .integer(3) && afterHuge.result != nil, "\(afterHuge)")

                // 200 clients at once, each with its own connection: all answered.
                let crowd = try crowdOfListClients(200, socketPath: s.socketPath)
                print("[SupervisorTests] 200 concurrent list clients: all connected in \(crowd.connecting), all answered \(crowd.answering) after the go")
                #expect(crowd.failures.isEmpty, "\(crowd.failures.count) failed: \(crowd.failures.prefix(5))")
                #expect(crowd.answered == 200)

                // Clients that vanish: at once, in the middle of a line, before reading their
                // answer, and half-closed in the middle of a line (answered, then closed).
                for _ in 0..<50 { _ = try RawControlClient(socketPath: s.socketPath) }
                for _ in 0..<50 { try RawControlClient(socketPath: s.socketPath).send(#"{"op": "li"#) }
                for _ in 0..<50 { try RawControlClient(socketPath: s.socketPath).send(#"{"op": "list"}"# + "\n") }
                for _ in 0..<20 {
                    let half = try RawControlClient(socketPath: s.socketPath)
                    try half.send(#"{"op": "sta"#)
                    shutdown(half.fd, Int32(SHUT_WR))
                    #expect(try half.response().errorCode == .badRequest)
                    #expect(try half.readLine() == nil, "closed after the answer")
                }
                // Random bytes then gone, with and without newlines.
                for index in 0..<20 {
                    let client = try RawControlClient(socketPath: s.socketPath)
                    try? client.send((0..<4096).map { _ in UInt8.random(in: index.isMultiple(of: 2) ? 0x0B...0xFF : 0...0xFF, using: &random) })
                }

                // Still the same supervisor, answering correctly.
                let final = try s.ctl("list", "--json")
                #expect(final.status == 0 && final.stderr == "", "\(final)")
                let list = try instances(in: try final.json())
                #expect(list.count == 1)
                #expect(list.first?["instance"] == .string("default") && list.first?["netns"] == .string(netns))
                #expect(list.first.map(isRunning) == true && list.first?.pid == workerPID)
                #expect(try s.current.isRunning && s.current.pid == supervisorPID)
                let table = try s.ctl("list")
                let row = table.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: " ").map(String.init) }
                #expect(table.status == 0 && row.count == 1 && row.first?.prefix(4) == ["default", netns, "running", String(workerPID)],
                        "\(table)")
            }
        }

        private struct Crowd {
            var connecting: Duration
            var answering: Duration
            var answered: Int
            var failures: [String]
        }

        /// `count` threads connect, wait until all are connected, then each sends
        /// `{"op":"list"}` and reads its answer.
        private func crowdOfListClients(_ count: Int, socketPath: String) throws -> Crowd {
            let connected = DispatchGroup()
            let finished = DispatchGroup()
            let go = DispatchSemaphore(value: 0)
            let failures = Locked<[String]>([])
            let answered = Locked(0)
            let start = ContinuousClock.now
            for index in 0..<count {
                connected.enter()
                finished.enter()
                let thread = Thread {
                    defer { finished.leave() }
                    let client: RawControlClient
                    do {
                        client = try RawControlClient(socketPath: socketPath)
                    } catch {
                        failures.mutate { $0.append("client \(index): \(error)") }
                        connected.leave()
                        return
                    }
                    connected.leave()
                    go.wait()
                    do {
                        let response = try client.request(#"{"id": \#(index), "op": "list"}"#, timeout: .seconds(20))
                        guard response.id == .integer(Int64(index)), let result = response.result,
                              let list = result["instances"]?.arrayValue, list.count == 1 else {
                            failures.mutate { $0.append("client \(index): \(response)") }
                            return
                        }
                        answered.mutate { $0 += 1 }
                    } catch {
                        failures.mutate { $0.append("client \(index): \(error)") }
                    }
                }
                thread.stackSize = 256 * 1024
                thread.start()
            }
            guard connected.wait(timeout: .now() + 20) == .success else { throw TestFailure("clients did not connect within 20 s") }
            let connectedAt = ContinuousClock.now
            for _ in 0..<count { go.signal() }
            guard finished.wait(timeout: .now() + 30) == .success else { throw TestFailure("clients not answered within 30 s") }
            return Crowd(connecting: connectedAt - start, answering: ContinuousClock.now - connectedAt,
                         answered: answered.get(), failures: failures.get())
        }
    }
}
