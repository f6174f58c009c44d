import Configuration
import ControlProtocol
import JoolWire

/// Text for people: tables, durations, stats lines.
public enum Formatting {
    /// The six counters of the stock stats server, in its order.
    public static let stockCounters = JooldCounters().namedValues.map(\.name)

    public static let statusHeaders = ["INSTANCE", "NETNS", "STATE", "PID", "UPTIME", "RESTARTS", "ADV-RATE", "DETAIL"]

    /// Columns separated by two spaces, each as wide as its widest cell; no trailing spaces.
    public static func table(headers: [String], rows: [[String]]) -> String {
        let all = [headers] + rows.map { $0.map(cell) }
        var widths = [Int](repeating: 0, count: headers.count)
        for row in all {
            for (index, value) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], value.count)
            }
        }
        return all.map { row in
            var line = ""
            for (index, value) in row.enumerated() {
                if index > 0 { line += "  " }
                line += value
                if index < row.count - 1 { line += String(repeating: " ", count: widths[index] - value.count) }
            }
            while line.hasSuffix(" ") { line.removeLast() }
            return line + "\n"
        }.joined()
    }

    /// The status table of `list`, `status` and `add`.
    public static func statusTable(_ records: [InstanceStatusRecord]) -> String {
        table(headers: statusHeaders, rows: records.map { record in
            [name(record.instance), netns(record.netns), record.state.rawValue,
             record.pid.map { String($0) } ?? "-", uptime(record.uptimeSeconds),
             String(record.restarts), String(record.advertiseRate), record.waitingFor ?? record.lastError ?? "-"]
        })
    }

    /// "-" for the supervisor's own namespace; a name that could be mistaken (for "-",
    /// or for two words) in shell quotes.
    public static func netns(_ name: String) -> String { name.isEmpty ? "-" : word(name, safe: pathCharacters) }

    /// An instance name as a table or a `NETNS/NAME` pair shows it: Jool accepts spaces,
    /// quotes, "/" and "$(...)" in names, so such a name is written in shell quotes
    /// (`'my potato'`, `'it'\''s'`), which make it one word and keep it unambiguous.
    public static func name(_ name: String) -> String { word(name, safe: nameCharacters) }

    /// `NETNS/NAME`, as `stats` and `follow` head their lines.
    public static func pair(instance: String, netns: String) -> String { "\(Self.netns(netns))/\(name(instance))" }

    /// `text` as is when it is made of `safe` characters only (and is not "-", which
    /// stands for nothing), else single-quoted for a POSIX shell.
    static func word(_ text: String, safe: Set<Character>) -> String {
        guard text.isEmpty || text == "-" || !text.allSatisfy(safe.contains) else { return text }
        return quoted(text)
    }

    /// Single quotes; a quote inside is written `'\''`.
    static func quoted(_ text: String) -> String {
        "'" + text.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
    }

    private static let nameCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-+:@%=,")
    private static let pathCharacters = nameCharacters.union(["/"])

    /// "42s", "5m07s", "1h02m", "3d04h"; "-" when unknown.
    public static func uptime(_ seconds: Double?) -> String {
        guard let seconds, seconds.isFinite, seconds >= 0 else { return "-" }
        let total = Int(seconds.rounded(.down))
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
        switch total {
        case ..<60: return "\(total)s"
        case ..<3600: return "\(total / 60)m\(two(total % 60))s"
        case ..<86400: return "\(total / 3600)h\(two(total % 3600 / 60))m"
        default: return "\(total / 86400)d\(two(total % 86400 / 3600))h"
        }
    }

    /// `'potato'` or `'potato' in namespace blue`, for messages.
    public static func label(instance: String, netns: String) -> String {
        netns.isEmpty ? quoted(instance) : "\(quoted(instance)) in namespace \(Self.netns(netns))"
    }

    /// A number as the stats server writes it; other JSON values as JSON text.
    public static func counterValue(_ value: JSONValue) -> String {
        switch value {
        case let .integer(number): return String(number)
        case let .real(number) where number == number.rounded() && abs(number) < 1e15: return String(Int64(number))
        default: return value.serialized()
        }
    }

    /// Control characters (a multi-line error, say) would break the table.
    private static func cell(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return text }
        return String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : $0 }))
    }
}
