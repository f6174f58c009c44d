/// Splits the argument list into positionals and options, checking only the shape
/// of the command line (known names, values present, nothing given twice). What
/// the values mean is decided later, in `ConfigurationAssembler`.
///
/// Why not swift-argument-parser: the legacy positional form gives each positional
/// a meaning by its rank (the third one is a port, not a file), a file may not be
/// named both positionally and by flag, `--stats.addr` and `--stats.address` must be
/// one option, and configuration errors must reach the user exactly as the Configuration module words
/// them. All of that is post-validation the library cannot express, and its
/// generated help would have to be replaced anyway (both forms, the JSON keys). A
/// table-driven scanner of a hundred lines keeps every message under our control.
struct ScannedArguments: Equatable, Sendable {
    struct Value: Equatable, Sendable {
        /// The spelling the user typed ("--stats.address"), for messages and origins.
        let name: String
        let text: String
    }

    var positionals: [String] = []
    var values: [OptionID: Value] = [:]
    var switches: Set<OptionID> = []

    func value(_ id: OptionID) -> Value? { values[id] }
}

enum ArgumentScanner {
    static func scan(_ arguments: [String]) throws(JooldCommandLineError) -> ScannedArguments {
        var result = ScannedArguments()
        var seen: [OptionID: String] = [:]
        var index = 0
        var onlyPositionals = false

        while index < arguments.count {
            let argument = arguments[index]
            index += 1

            if onlyPositionals || argument == "-" || !argument.hasPrefix("-") {
                result.positionals.append(argument)
                continue
            }
            if argument == "--" {
                onlyPositionals = true
                continue
            }

            let name: String
            let inlineValue: String?
            if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                inlineValue = String(argument[argument.index(after: equals)...])
            } else {
                name = argument
                inlineValue = nil
            }

            guard let spec = OptionTable.spec(named: name) else {
                var message = "unknown option '\(name)'"
                if let suggestion = OptionTable.suggestion(for: name) {
                    message += " (did you mean '\(suggestion)'?)"
                }
                throw .usage(message)
            }
            if let first = seen[spec.id] {
                let spelling = first == name ? "'\(name)' is given twice" : "'\(first)' and '\(name)' are the same option"
                throw .usage("\(spelling); give it once")
            }
            seen[spec.id] = name

            guard spec.takesValue else {
                if inlineValue != nil {
                    throw .usage("option '\(name)' takes no value, found '\(argument)'")
                }
                result.switches.insert(spec.id)
                continue
            }

            let text: String
            if let inlineValue {
                text = inlineValue
            } else if index < arguments.count, !arguments[index].hasPrefix("--") {
                text = arguments[index]
                index += 1
            } else {
                let valueName = spec.valueName ?? "VALUE"
                var message = "option '\(name)' needs a value (\(name)=\(valueName) or \(name) \(valueName))"
                if index < arguments.count { message += ", found option '\(arguments[index])' instead" }
                throw .usage(message)
            }
            result.values[spec.id] = ScannedArguments.Value(name: name, text: text)
        }
        return result
    }

    /// Whether `--help` (or `--version`) appears before any `--`: asking for help
    /// wins over every other argument, even a wrong one.
    static func requests(_ id: OptionID, in arguments: [String]) -> Bool {
        let names = OptionTable.spec(id).names
        for argument in arguments {
            if argument == "--" { return false }
            if names.contains(argument) { return true }
        }
        return false
    }
}
