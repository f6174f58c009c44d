#if canImport(Glibc)
import Glibc
#endif
import Configuration
import JoolWire

/// Gives the scanned arguments their meaning: chooses the files (positional,
/// flag or default), reads them with the Configuration module's loaders, applies the flags over
/// them and resolves the result into a `WorkerConfiguration`.
///
/// Precedence, lowest first: built-in defaults, file values, positional PORT,
/// flags.
struct ConfigurationAssembler {
    let scanned: ScannedArguments
    let currentDirectory: String

    /// Positional arguments of the legacy form, by rank.
    private enum Positional: Int, CaseIterable {
        case netSocket, modSocket, port

        var label: String {
            switch self {
            case .netSocket: return "first positional argument (NETSOCKET)"
            case .modSocket: return "second positional argument (MODSOCKET)"
            case .port: return "third positional argument (PORT)"
            }
        }
    }

    private static let positionalSyntax = "positional arguments are NETSOCKET MODSOCKET PORT, in this order"

    func assemble() throws(JooldCommandLineError) -> JooldLaunch {
        if scanned.positionals.count > Positional.allCases.count {
            let extra = scanned.positionals[Positional.allCases.count...].map { "'\($0)'" }.joined(separator: " ")
            throw .usage("too many positional arguments: \(extra) (\(Self.positionalSyntax))")
        }
        var warnings: [String] = []

        let netFile = try chooseFile(role: "netsocket", positional: .netSocket, option: .net,
                                     defaultName: JooldCommandLine.defaultNetSocketFile)
        let network = try networkSettings(file: netFile, warnings: &warnings)

        let modFile = try chooseFile(role: "modsocket", positional: .modSocket, option: .mod,
                                     defaultName: JooldCommandLine.defaultModSocketFile)
        let instance = try instanceName(file: modFile)

        let statsFile = try chooseFile(role: "stats", positional: nil, option: .stats, defaultName: nil)
        let stats = try statsEndpoint(file: statsFile)

        let configuration = WorkerConfiguration(
            instance: instance, network: network, stats: stats,
            enableSessionSync: scanned.switches.contains(.enableSessionSync))
        return JooldLaunch(configuration: configuration, options: JooldProcessOptions(logLevel: try logLevel()),
                           netSocketFile: netFile?.resolvedPath, modSocketFile: modFile?.resolvedPath,
                           statsFile: statsFile?.resolvedPath, warnings: warnings)
    }

    // MARK: Files

    struct FileChoice {
        let path: String
        let resolvedPath: String
    }

    /// The file named positionally or by `option` (it must exist), else the default
    /// file if it exists in the current directory, else none.
    private func chooseFile(role: String, positional: Positional?, option: OptionID,
                            defaultName: String?) throws(JooldCommandLineError) -> FileChoice? {
        let byPosition = positional.flatMap { scanned.positionals.indices.contains($0.rawValue)
            ? scanned.positionals[$0.rawValue] : nil }
        let byFlag = scanned.value(option)

        if let byPosition, let positional, let byFlag {
            throw .usage("the \(role) file is named twice: '\(byPosition)' as the \(positional.label) "
                         + "and '\(byFlag.text)' by \(byFlag.name); name it once (\(Self.positionalSyntax))")
        }
        let explicit: (path: String, givenBy: String)?
        if let byFlag {
            explicit = (byFlag.text, byFlag.name)
        } else if let byPosition, let positional {
            explicit = (byPosition, positional.label)
        } else {
            explicit = nil
        }

        if let explicit {
            guard !explicit.path.isEmpty else {
                throw .usage("the \(role) file name given by \(explicit.givenBy) is empty")
            }
            let resolved = resolve(explicit.path)
            guard fileExists(resolved) else {
                var hint: String?
                if explicit.path.allSatisfy({ $0.isASCII && $0.isNumber }) {
                    hint = "to serve stats on a port, give it as the third positional argument "
                        + "(joold NETSOCKET MODSOCKET PORT) or with --stats.port"
                }
                throw .missingFile(.init(role: role, path: explicit.path, resolvedPath: resolved,
                                         givenBy: explicit.givenBy, hint: hint))
            }
            return FileChoice(path: explicit.path, resolvedPath: resolved)
        }
        if let defaultName {
            let resolved = resolve(defaultName)
            if fileExists(resolved) { return FileChoice(path: defaultName, resolvedPath: resolved) }
        }
        return nil
    }

    private func resolve(_ path: String) -> String {
        if path.hasPrefix("/") || currentDirectory.isEmpty { return path }
        return currentDirectory.hasSuffix("/") ? currentDirectory + path : currentDirectory + "/" + path
    }

    private func fileExists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    // MARK: Network socket

    private func networkSettings(file: FileChoice?,
                                 warnings: inout [String]) throws(JooldCommandLineError) -> NetSocketSettings? {
        let overrides = NetSocketOverrides(
            multicastAddress: scanned.value(.netMulticastAddress)?.text,
            multicastPort: scanned.value(.netMulticastPort)?.text,
            inInterface: scanned.value(.netInInterface)?.text,
            outInterface: scanned.value(.netOutInterface)?.text,
            ttl: try ttlOverride())
        let config = try configured { () throws(ConfigurationError) in
            try (file.map { f throws(ConfigurationError) in try NetSocketConfig.load(path: f.resolvedPath) }
                ?? NetSocketConfig()).applying(overrides)
        }

        if !config.isEnabled {
            // The network socket is disabled (sessions go to stdout as CSV). A flag
            // that cannot take effect is a mistake; a file setting only a warning,
            // since the documentation allows the address to be absent.
            let settings: [ValueOrigin] = [config.multicastPort?.origin, config.inInterface?.origin,
                                           config.outInterface?.origin, config.ttl?.origin,
                                           config.reuseAddress?.origin].compactMap { $0 }
            if let option = settings.first(where: { if case .option = $0 { true } else { false } }) {
                throw .usage("\(option) needs a multicast address (--net.mcast.addr, or \"multicast address\" "
                             + "in the netsocket file); without one the network socket is disabled")
            }
            for origin in settings {
                warnings.append("\(origin) is ignored: there is no \"multicast address\", so the network socket "
                                + "is disabled and sessions are printed on standard output")
            }
        }
        return try configured { () throws(ConfigurationError) in try config.resolve() }
    }

    private func ttlOverride() throws(JooldCommandLineError) -> Int? {
        guard let ttl = scanned.value(.netTTL) else { return nil }
        guard let number = Int(ttl.text) else {
            throw .configuration(ConfigurationError(
                kind: .invalidValue, location: ValueOrigin.option(ttl.name).description, file: nil, key: nil,
                message: "expected an integer from 0 to 255, found \"\(ttl.text)\""))
        }
        return number
    }

    // MARK: Kernel socket

    private func instanceName(file: FileChoice?) throws(JooldCommandLineError) -> InstanceName {
        try configured { () throws(ConfigurationError) in
            var config = try file.map { f throws(ConfigurationError) in try ModSocketConfig.load(path: f.resolvedPath) }
                ?? ModSocketConfig()
            if let instance = scanned.value(.instance) {
                try config.override(instance: instance.text, option: instance.name)
            }
            return config.instance.value
        }
    }

    // MARK: Stats server

    private func statsEndpoint(file: FileChoice?) throws(JooldCommandLineError) -> WorkerConfiguration.StatsEndpoint? {
        let positionalPort = scanned.positionals.indices.contains(Positional.port.rawValue)
            ? scanned.positionals[Positional.port.rawValue] : nil
        let addressFlag = scanned.value(.statsAddress)
        let portFlag = scanned.value(.statsPort)
        guard file != nil || positionalPort != nil || addressFlag != nil || portFlag != nil else { return nil }

        var config = try configured { () throws(ConfigurationError) in
            try file.map { f throws(ConfigurationError) in try StatsSocketConfig.load(path: f.resolvedPath) }
                ?? StatsSocketConfig()
        }
        if let positionalPort {
            guard positionalPort.allSatisfy({ $0.isASCII && $0.isNumber }), let number = UInt16(positionalPort),
                  number > 0 else {
                var message = "the \(Positional.port.label) must be a port number from 1 to 65535, "
                    + "found '\(positionalPort)'"
                if !positionalPort.contains(where: { $0.isNumber }) {
                    message += " (joold takes at most two files: NETSOCKET MODSOCKET)"
                }
                throw .usage(message)
            }
            config.port = Configured(.number(number), from: .option(Positional.port.label))
        }
        return try configured { () throws(ConfigurationError) in
            config = try config.applying(address: addressFlag?.text, port: portFlag?.text,
                                         addressOption: addressFlag?.name ?? "--stats.addr",
                                         portOption: portFlag?.name ?? "--stats.port")
            if let address = config.address, address.value.isEmpty {
                throw ConfigurationError(kind: .invalidValue, location: address.origin.description,
                                         file: address.origin.file, key: address.origin.key,
                                         message: "expected an address to bind to (e.g. ::, 0.0.0.0 or 127.0.0.1), "
                                             + "found an empty string")
            }
            return WorkerConfiguration.StatsEndpoint(address: config.resolvedAddress,
                                                     port: String(try config.resolvedPort()))
        }
    }

    // MARK: Process options

    private func logLevel() throws(JooldCommandLineError) -> JooldLogLevel {
        guard let option = scanned.value(.logLevel) else { return .default }
        guard let level = JooldLogLevel(rawValue: option.text.lowercased()) else {
            throw .configuration(ConfigurationError(
                kind: .invalidValue, location: ValueOrigin.option(option.name).description, file: nil, key: nil,
                message: "expected one of " + JooldLogLevel.allCases.map(\.rawValue).joined(separator: ", ")
                    + ", found \"\(option.text)\""))
        }
        return level
    }

    /// Runs Configuration code, passing its errors through unchanged.
    private func configured<T>(_ body: () throws(ConfigurationError) -> T) throws(JooldCommandLineError) -> T {
        do {
            return try body()
        } catch {
            throw .configuration(error)
        }
    }
}
