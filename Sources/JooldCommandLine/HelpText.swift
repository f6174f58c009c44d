import Configuration

extension JooldCommandLine {
    /// `joold --help`: both forms, one line per option (from `OptionTable`), the
    /// JSON keys of each file, examples.
    public static var helpText: String {
        let optionColumn = 26
        var lines: [String] = []
        func row(_ left: String, _ right: String) {
            let padded = left.count < optionColumn - 1
                ? left + String(repeating: " ", count: optionColumn - left.count)
                : left + "  "
            lines.append("  " + padded + right)
        }

        lines += [
            "Usage:",
            "  \(programName) [NETSOCKET] [MODSOCKET] [PORT]",
            "  \(programName) [--mod=FILE] [--instance=STR] [--net=FILE] [--net.mcast.addr=ADDR]",
            "        [--net.mcast.port=STR] [--net.dev.in=STR] [--net.dev.out=STR] [--net.ttl=INT]",
            "        [--stats=FILE] [--stats.addr=ADDR] [--stats.port=PORT] [--enable-ss] [--log-level=LEVEL]",
            "  \(programName) --help | --version",
            "",
            "Relays NAT64 Jool sessions between a kernel instance (Jool \(supportedKernels)) and the",
            "joold daemons of other NAT64s, over UDP multicast. Without a multicast address the",
            "network socket is disabled and the sessions are printed on standard output as CSV.",
            "",
            "Positional arguments (may be mixed with options):",
        ]
        row("NETSOCKET", "netsocket JSON file (default: \(defaultNetSocketFile), if present)")
        row("MODSOCKET", "modsocket JSON file (default: \(defaultModSocketFile), if present)")
        row("PORT", "start the stats server on [::]:PORT (:: also serves IPv4)")

        for spec in OptionTable.all {
            if let section = spec.section {
                lines += ["", "\(section):"]
            }
            var left = spec.names.filter { $0.hasPrefix("--") }.first!
            if let valueName = spec.valueName { left += "=\(valueName)" }
            if let short = spec.names.first(where: { !$0.hasPrefix("--") }) { left += ", \(short)" }
            row(left, spec.summary)
        }

        lines += [
            "",
            "Options take their value as --option=VALUE or --option VALUE. Options override the",
            "values of files. Default files are looked for in the current directory; a file",
            "named explicitly must exist, and may be named positionally or by option, not both.",
            "",
            "JSON keys:",
        ]
        row("netsocket file", "\"\(NetSocketConfig.Key.multicastAddress)\" (string), "
            + "\"\(NetSocketConfig.Key.multicastPort)\" (string or number),")
        row("", "\"\(NetSocketConfig.Key.inInterface)\", \"\(NetSocketConfig.Key.outInterface)\" (strings), "
            + "\"\(NetSocketConfig.Key.ttl)\" (integer),")
        row("", "\"\(NetSocketConfig.Key.reuseAddress)\" (1/0 or true/false; default on)")
        row("modsocket file", "\"\(ModSocketConfig.Key.instance)\" (string)")
        row("stats file", "\"\(StatsSocketConfig.Key.address)\" (string), "
            + "\"\(StatsSocketConfig.Key.port)\" (string or number)")

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
}
