import Configuration

extension JooldCommandLine {
    /// `joold --help`: both forms, one line per option (from `OptionTable`), the
    /// JSON keys of each file, examples. The man page (`ManualPage`) is made of the
    /// same pieces.
    public static var helpText: String {
        let optionColumn = 26
        var lines: [String] = []
        func row(_ left: String, _ right: String) {
            let padded = left.count < optionColumn - 1
                ? left + String(repeating: " ", count: optionColumn - left.count)
                : left + "  "
            lines.append("  " + padded + right)
        }

        lines += ["Usage:"]
        lines += synopsisLines.map { "  " + $0 }
        lines += [""]
        lines += descriptionLines
        lines += ["", "Positional arguments (may be mixed with options):"]
        for positional in positionals { row(positional.name, positional.summary) }

        for spec in OptionTable.all {
            if let section = spec.section {
                lines += ["", "\(section):"]
            }
            row(spec.helpLabel, spec.summary)
        }

        lines += [""]
        lines += valueFormLines
        lines += ["", "JSON keys:"]
        for file in jsonKeys {
            for (index, line) in file.lines.enumerated() { row(index == 0 ? file.file : "", line) }
        }

        lines += [
            "",
            "Examples:",
            "  $ cat netsocket.json",
            "  { \"multicast address\": \"ff08::db8:64:64\", \"multicast port\": \"6464\",",
            "    \"in interface\": \"eth0\", \"out interface\": \"eth0\", \"ttl\": 3 }",
            "  $ cat modsocket.json",
            "  { \"instance\": \"default\" }",
            "  $ \(programName) netsocket.json modsocket.json 45678 &",
            "  $ \(programName) --instance potato --net.mcast.addr 233.252.0.64 --net.mcast.port 6464 \\",
            "        --net.dev.in 192.0.2.1 --net.dev.out 192.0.2.1 --stats.port 45678 --enable-ss &",
            "  $ echo \"\" | nc -u 127.0.0.1 45678      # stats",
            "",
            "Exit status: 0 on success, 2 on a command-line or configuration error, 1 on a",
            "runtime failure.",
            "",
        ]
        return lines.joined(separator: "\n")
    }

    /// The three forms of the command line.
    static var synopsisLines: [String] {
        [
            "\(programName) [NETSOCKET] [MODSOCKET] [PORT]",
            "\(programName) [--mod=FILE] [--instance=STR] [--net=FILE] [--net.mcast.addr=ADDR]",
            "      [--net.mcast.port=STR] [--net.dev.in=STR] [--net.dev.out=STR] [--net.ttl=INT]",
            "      [--stats=FILE] [--stats.addr=ADDR] [--stats.port=PORT] [--enable-ss] [--log-level=LEVEL]",
            "\(programName) --help | --version",
        ]
    }

    /// What joold does (one paragraph, broken for a terminal).
    static var descriptionLines: [String] {
        [
            "Relays NAT64 Jool sessions between a kernel instance (Jool \(supportedKernels)) and the",
            "joold daemons of other NAT64s, over UDP multicast. Without a multicast address the",
            "network socket is disabled and the sessions are printed on standard output as CSV.",
        ]
    }

    static var positionals: [(name: String, summary: String)] {
        [
            ("NETSOCKET", "netsocket JSON file (default: \(defaultNetSocketFile), if present)"),
            ("MODSOCKET", "modsocket JSON file (default: \(defaultModSocketFile), if present)"),
            ("PORT", "start the stats server on [::]:PORT (:: also serves IPv4)"),
        ]
    }

    /// How values are given and how files and options combine (one paragraph).
    static let valueFormLines = [
        "Options take their value as --option=VALUE or --option VALUE. Options override the",
        "values of files. Default files are looked for in the current directory; a file",
        "named explicitly must exist, and may be named positionally or by option, not both.",
    ]

    /// The keys each JSON file may hold, one entry per file, broken for a terminal.
    static var jsonKeys: [(file: String, lines: [String])] {
        [
            ("netsocket file", [
                "\"\(NetSocketConfig.Key.multicastAddress)\" (string), "
                    + "\"\(NetSocketConfig.Key.multicastPort)\" (string or number),",
                "\"\(NetSocketConfig.Key.inInterface)\", \"\(NetSocketConfig.Key.outInterface)\" (strings), "
                    + "\"\(NetSocketConfig.Key.ttl)\" (integer),",
                "\"\(NetSocketConfig.Key.reuseAddress)\" (1/0 or true/false; default on)",
            ]),
            ("modsocket file", ["\"\(ModSocketConfig.Key.instance)\" (string)"]),
            ("stats file", ["\"\(StatsSocketConfig.Key.address)\" (string), "
                + "\"\(StatsSocketConfig.Key.port)\" (string or number)"]),
        ]
    }
}

extension OptionSpec {
    /// "--net.ttl=INT", "--help, -h": how the help text lists the option.
    var helpLabel: String {
        var label = longNames[0]
        if let valueName { label += "=\(valueName)" }
        if let short = shortNames.first { label += ", \(short)" }
        return label
    }

    var longNames: [String] { names.filter { $0.hasPrefix("--") } }
    var shortNames: [String] { names.filter { !$0.hasPrefix("--") } }
}
