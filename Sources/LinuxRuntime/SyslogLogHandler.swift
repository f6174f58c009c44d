#if canImport(Glibc)
import Glibc
#endif
import CShim
import Logging

/// swift-log handler for the daemon: every message goes to syslog (facility
/// LOG_DAEMON, ident from `openSyslog`), and in the foreground also to a
/// descriptor (stderr) with a timestamp.
public struct SyslogLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level
    public let label: String
    /// Where foreground lines go (2 = stderr); nil for syslog only.
    public let echoDescriptor: Int32?
    public let writesToSyslog: Bool

    public init(label: String, logLevel: Logger.Level = .info, echoDescriptor: Int32? = nil,
                writesToSyslog: Bool = true, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.logLevel = logLevel
        self.echoDescriptor = echoDescriptor
        self.writesToSyslog = writesToSyslog
        self.metadataProvider = metadataProvider
    }

    /// openlog(ident, LOG_PID, LOG_DAEMON). Call once per process, before logging.
    public static func openSyslog(ident: String) {
        // openlog keeps the pointer, so the copy must live as long as the process.
        openlog(strdup(ident), LOG_PID, LOG_DAEMON)
    }

    /// Opens syslog and makes this handler the process-wide default. LoggingSystem
    /// accepts one bootstrap per process.
    public static func bootstrap(ident: String, foreground: Bool, logLevel: Logger.Level = .info) {
        openSyslog(ident: ident)
        LoggingSystem.bootstrap { label in
            SyslogLogHandler(label: label, logLevel: logLevel, echoDescriptor: foreground ? STDERR_FILENO : nil)
        }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var text = "[\(label)] \(event.message)"
        let merged = mergedMetadata(event.metadata)
        if !merged.isEmpty {
            text += " " + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
        if let error = event.error { text += " error=\(error)" }
        // Messages quote files and clients: their control bytes must not reach a terminal.
        text = TerminalText.escaped(text)

        if writesToSyslog { cshim_syslog(Self.priority(event.level), text) }
        if let echoDescriptor {
            let line = "\(Self.timestamp()) \(event.level) \(text)\n"
            // One write per line so lines from several processes do not interleave.
            _ = line.utf8CString.withUnsafeBufferPointer { text in
                try? SystemCall.retrying("write") { write(echoDescriptor, text.baseAddress, text.count - 1) }
            }
        }
    }

    public static func priority(_ level: Logger.Level) -> Int32 {
        switch level {
        case .trace, .debug: return LOG_DEBUG
        case .info: return LOG_INFO
        case .notice: return LOG_NOTICE
        case .warning: return LOG_WARNING
        case .error: return LOG_ERR
        case .critical: return LOG_CRIT
        }
    }

    private func mergedMetadata(_ extra: Logger.Metadata?) -> Logger.Metadata {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra { merged.merge(extra) { _, new in new } }
        return merged
    }

    /// Local time, "2025-01-31 23:59:58.123".
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        localtime_r(&seconds, &parts)
        var text = [CChar](repeating: 0, count: 32)
        let length = strftime(&text, text.count, "%Y-%m-%d %H:%M:%S", &parts)
        let milliseconds = Int(now.tv_nsec / 1_000_000)
        let fraction = milliseconds < 10 ? "00\(milliseconds)" : milliseconds < 100 ? "0\(milliseconds)" : "\(milliseconds)"
        return String(decoding: text.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self) + "." + fraction
    }
}
