#if canImport(Glibc)
import Glibc
#endif
@testable import LinuxRuntime
import Logging
import Testing

@Suite struct SyslogLogHandlerTests {
    /// Logs through a handler echoing into a pipe and returns what came out.
    static func echoed(_ body: (inout Logger) -> Void) throws -> String {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        defer { close(ends[0]) }
        var logger = Logger(label: "joold.test") { label in
            SyslogLogHandler(label: label, logLevel: .info, echoDescriptor: ends[1], writesToSyslog: false)
        }
        body(&logger)
        close(ends[1])
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while case let count = read(ends[0], &buffer, buffer.count), count > 0 { output += buffer.prefix(count) }
        return String(decoding: output, as: UTF8.self)
    }

    @Test func foregroundLinesCarryTimestampLevelLabelAndMetadata() throws {
        let output = try Self.echoed { logger in
            logger[metadataKey: "instance"] = "default"
            logger.debug("not shown: below the level")
            logger.warning("peer datagram rejected", metadata: ["from": "192.0.2.2:6464"])
        }
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 2 && lines[1].isEmpty, "\(output)")
        let line = String(lines[0])
        let stamp = line.prefix(23)
        // "2025-01-31 23:59:58.123"
        let shape = stamp.map { $0.isNumber ? "9" : String($0) }.joined()
        #expect(shape == "9999-99-99 99:99:99.999", "\(line)")
        #expect(line.dropFirst(24) == "warning [joold.test] peer datagram rejected from=192.0.2.2:6464 instance=default")
    }

    @Test func levelsMapToSyslogPriorities() {
        let expected: [(Logger.Level, Int32)] = [(.trace, LOG_DEBUG), (.debug, LOG_DEBUG), (.info, LOG_INFO),
                                                 (.notice, LOG_NOTICE), (.warning, LOG_WARNING),
                                                 (.error, LOG_ERR), (.critical, LOG_CRIT)]
        for (level, priority) in expected {
            #expect(SyslogLogHandler.priority(level) == priority, "\(level)")
        }
    }

    @Test func writingToSyslogWithoutADaemonDoesNotFail() {
        // syslog(3) copes with a missing /dev/log; this must neither crash nor block.
        SyslogLogHandler.openSyslog(ident: "joold-test")
        let logger = Logger(label: "joold.test") { SyslogLogHandler(label: $0, logLevel: .info) }
        logger.error("LinuxRuntime test message, please ignore")
    }
}
