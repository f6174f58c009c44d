import Configuration

/// The options `joold` accepts, in the order the help text lists them.
///
/// The table drives the scanner (names, whether a value follows), the help text
/// (one line per option) and the "did you mean" suggestions, so that the three
/// cannot drift apart.
enum OptionID: Hashable, Sendable, CaseIterable {
    case mod, instance
    case net, netMulticastAddress, netMulticastPort, netInInterface, netOutInterface, netTTL
    case stats, statsAddress, statsPort
    case enableSessionSync, logLevel
    case help, version
}

struct OptionSpec: Sendable {
    let id: OptionID
    /// Every accepted spelling, the documented one first ("--stats.addr", "--stats.address").
    let names: [String]
    /// nil for switches (no value); "FILE", "ADDR"... otherwise.
    let valueName: String?
    let summary: String
    /// Heading of the help section the option opens, if any.
    let section: String?

    var primaryName: String { names[0] }
    var takesValue: Bool { valueName != nil }
}

enum OptionTable {
    static let all: [OptionSpec] = [
        OptionSpec(id: .mod, names: ["--mod"], valueName: "FILE",
                   summary: "modsocket JSON file (same as MODSOCKET)",
                   section: "Kernel socket"),
        OptionSpec(id: .instance, names: ["--instance"], valueName: "STR",
                   summary: "Jool instance to synchronize (default: \"default\")", section: nil),
        OptionSpec(id: .net, names: ["--net"], valueName: "FILE",
                   summary: "netsocket JSON file (same as NETSOCKET)",
                   section: "Network socket (disabled when no multicast address is configured)"),
        OptionSpec(id: .netMulticastAddress, names: ["--net.mcast.addr"], valueName: "ADDR",
                   summary: "multicast group the sessions are sent to and received from", section: nil),
        OptionSpec(id: .netMulticastPort, names: ["--net.mcast.port"], valueName: "STR",
                   summary: "UDP port or service name of the group (default: 6400)", section: nil),
        OptionSpec(id: .netInInterface, names: ["--net.dev.in"], valueName: "STR",
                   summary: "receiving interface: its address (IPv4 group) or name (IPv6 group)",
                   section: nil),
        OptionSpec(id: .netOutInterface, names: ["--net.dev.out"], valueName: "STR",
                   summary: "sending interface: its address (IPv4 group) or name (IPv6 group)",
                   section: nil),
        OptionSpec(id: .netTTL, names: ["--net.ttl"], valueName: "INT",
                   summary: "multicast TTL / hop limit, 0 to 255 (default: 1)", section: nil),
        OptionSpec(id: .stats, names: ["--stats"], valueName: "FILE",
                   summary: "stats JSON file",
                   section: "Stats server (started only when one of these, or PORT, is given)"),
        OptionSpec(id: .statsAddress, names: ["--stats.addr", "--stats.address"], valueName: "ADDR",
                   summary: "bind address (default: ::, also serves IPv4); alias --stats.address",
                   section: nil),
        OptionSpec(id: .statsPort, names: ["--stats.port"], valueName: "PORT",
                   summary: "UDP port or service name (default: 6401)", section: nil),
        OptionSpec(id: .enableSessionSync, names: ["--enable-ss"], valueName: nil,
                   summary: "turn ss-enabled on in the instance if it is off",
                   section: "Beyond stock joold"),
        OptionSpec(id: .logLevel, names: ["--log-level"], valueName: "LEVEL",
                   summary: JooldLogLevel.allCases
                       .map { $0 == .default ? "\($0.rawValue) (default)" : $0.rawValue }
                       .joined(separator: ", "),
                   section: nil),
        OptionSpec(id: .help, names: ["--help", "-h"], valueName: nil,
                   summary: "print this help and exit", section: "Other"),
        OptionSpec(id: .version, names: ["--version", "-V"], valueName: nil,
                   summary: "print the program version and exit", section: nil),
    ]

    static func spec(_ id: OptionID) -> OptionSpec {
        all.first { $0.id == id }!
    }

    static func spec(named name: String) -> OptionSpec? {
        all.first { $0.names.contains(name) }
    }

    /// The known long option closest to a misspelt one, if any is close.
    static func suggestion(for name: String) -> String? {
        let candidates = all.flatMap(\.names).filter { $0.hasPrefix("--") }
        let scored = candidates.map { ($0, KeySuggestion.editDistance(Array(name.lowercased()), Array($0))) }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        // A prefix ("--net.mcast") or a small typo ("--instnace").
        if candidates.contains(where: { $0.hasPrefix(name) && name.count >= 4 }),
           let prefixed = candidates.first(where: { $0.hasPrefix(name) }) {
            return prefixed
        }
        return best.1 <= max(2, name.count / 4) ? best.0 : nil
    }
}
