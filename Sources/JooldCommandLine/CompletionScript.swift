/// The shells `joold --generate-completion-script` writes for (the flag and the shells
/// of swift-argument-parser, which joold-supervisor and jooldctl use).
public enum CompletionShell: String, CaseIterable, Sendable {
    case bash, zsh, fish
}

/// What may follow an option that takes a value, for the completion scripts.
enum ValueCompletion: Equatable {
    /// Anything: nothing is offered.
    case freeText
    case file
    case interface
    case choices([String])
}

extension OptionSpec {
    var valueCompletion: ValueCompletion {
        switch id {
        case .mod, .net, .stats: return .file
        case .netInInterface, .netOutInterface: return .interface
        case .logLevel: return .choices(JooldLogLevel.allCases.map(\.rawValue))
        default: return .freeText
        }
    }
}

extension JooldCommandLine {
    /// A completion script for `shell`, generated from `OptionTable`: every spelling of
    /// every option, files for the JSON files and the positional NETSOCKET and MODSOCKET,
    /// interface names for --net.dev.*, the levels of --log-level.
    public static func completionScript(for shell: CompletionShell) -> String {
        switch shell {
        case .bash: return bashCompletion
        case .zsh: return zshCompletion
        case .fish: return fishCompletion
        }
    }

    private static let generatedBy = "generated from joold's option table (joold --generate-completion-script"

    private static var bashCompletion: String {
        let valued = OptionTable.all.filter(\.takesValue)
        func names(_ completion: ValueCompletion) -> String {
            valued.filter { $0.valueCompletion == completion }.flatMap(\.names).joined(separator: "|")
        }
        var lines = [
            "# bash completion for \(programName), \(generatedBy) bash)",
            "_\(programName)() {",
            "    local cur=${COMP_WORDS[COMP_CWORD]} prev=",
            "    (( COMP_CWORD > 0 )) && prev=${COMP_WORDS[COMP_CWORD-1]}",
            "    # --option=VALUE: bash makes \"=\" a word of its own.",
            "    if [[ $cur == = ]]; then",
            "        cur=",
            "    elif [[ $prev == = ]] && (( COMP_CWORD > 1 )); then",
            "        prev=${COMP_WORDS[COMP_CWORD-2]}",
            "    fi",
            "    COMPREPLY=()",
            "    case $prev in",
            "        \(names(.file)))",
            "            compopt -o filenames 2>/dev/null",
            "            mapfile -t COMPREPLY < <(compgen -f -- \"$cur\"); return ;;",
            "        \(names(.interface)))",
            "            mapfile -t COMPREPLY < <(compgen -W \"$(command ls /sys/class/net 2>/dev/null)\" -- \"$cur\"); return ;;",
        ]
        for spec in valued {
            if case let .choices(values) = spec.valueCompletion {
                lines += [
                    "        \(spec.names.joined(separator: "|")))",
                    "            mapfile -t COMPREPLY < <(compgen -W '\(values.joined(separator: " "))' -- \"$cur\"); return ;;",
                ]
            }
        }
        lines += [
            "        \(names(.freeText)))",
            "            return ;;",
            "    esac",
            "    if [[ $cur == -* ]]; then",
            "        mapfile -t COMPREPLY < <(compgen -W '\(OptionTable.all.flatMap(\.names).joined(separator: " "))' -- \"$cur\")",
            "        return",
            "    fi",
            "    # NETSOCKET and MODSOCKET are files (PORT is a number).",
            "    compopt -o filenames 2>/dev/null",
            "    mapfile -t COMPREPLY < <(compgen -f -- \"$cur\")",
            "}",
            "complete -F _\(programName) \(programName)",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    private static var zshCompletion: String {
        var lines = [
            "#compdef \(programName)",
            "# zsh completion for \(programName), \(generatedBy) zsh)",
            "_\(programName)() {",
            "    _arguments -S \\",
        ]
        for spec in OptionTable.all {
            let description = "[\(zshEscaped(spec.summary))]"
            // Every spelling excludes the others; help and version exclude everything.
            let exclusion = spec.id == .help || spec.id == .version
                ? "(- *)" : spec.names.count > 1 ? "(\(spec.names.joined(separator: " ")))" : ""
            for name in spec.names {
                guard let valueName = spec.valueName else {
                    lines.append("        '\(exclusion)\(name)\(description)' \\")
                    continue
                }
                // "--opt=" takes its value after "=" or as the next word.
                let action: String
                switch spec.valueCompletion {
                case .freeText: action = ""
                case .file: action = "_files"
                case .interface: action = "_net_interfaces"
                case let .choices(values): action = "(\(values.joined(separator: " ")))"
                }
                let separator = name.hasPrefix("--") ? "=" : ""
                lines.append("        '\(exclusion)\(name)\(separator)\(description):\(valueName):\(action)' \\")
            }
        }
        for (index, positional) in positionals.enumerated() {
            let action = positional.name == "PORT" ? "" : "_files"
            lines.append("        '\(index + 1)::\(positional.name):\(action)'" + (index == positionals.count - 1 ? "" : " \\"))
        }
        lines += ["}", "", "_\(programName) \"$@\""]
        return lines.joined(separator: "\n") + "\n"
    }

    /// For a description inside '...[...]' of _arguments: brackets and colons escaped.
    private static func zshEscaped(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "'": result += "'\\''"
            case "[", "]", ":", "\\": result += "\\\(character)"
            default: result.append(character)
            }
        }
        return result
    }

    private static var fishCompletion: String {
        var lines = ["# fish completion for \(programName), \(generatedBy) fish)"]
        for spec in OptionTable.all {
            var words = ["complete", "-c", programName]
            for name in spec.names {
                words += name.hasPrefix("--") ? ["-l", String(name.dropFirst(2))] : ["-s", String(name.dropFirst())]
            }
            if spec.takesValue {
                switch spec.valueCompletion {
                case .freeText: words.append("-x")
                case .file: words += ["-r", "-F"]
                case .interface: words += ["-x", "-a", "'(__fish_print_interfaces)'"]
                case let .choices(values): words += ["-x", "-a", fishQuoted(values.joined(separator: " "))]
                }
            }
            words += ["-d", fishQuoted(spec.summary)]
            lines.append(words.joined(separator: " "))
        }
        // Positionals (NETSOCKET, MODSOCKET, PORT) get fish's default: file names.
        return lines.joined(separator: "\n") + "\n"
    }

    private static func fishQuoted(_ text: String) -> String {
        "'" + text.replacing("\\", with: "\\\\").replacing("'", with: "\\'") + "'"
    }
}
