@testable import JooldCommandLine
import Testing

/// joold's hidden command lines for packaging: the man page and the completion scripts,
/// generated from the option table (scripts/generate-docs; Tests/package/docs.sh renders
/// and runs what they produce).
@Suite struct GeneratedDocumentTests {
    func document(_ arguments: [String]) throws -> String {
        let command = try JooldCommandLine.parse(arguments: arguments, currentDirectory: "/nonexistent")
        guard case let .document(text) = command else {
            Issue.record("expected a document for \(arguments), got \(command)")
            return ""
        }
        return text
    }

    @Test func manualPageListsEverySpellingOfEveryOptionWithItsSummary() throws {
        let page = try document(["--generate-manual"])
        #expect(page == JooldCommandLine.manualPage)
        #expect(page.contains(".Dt JOOLD 8\n"))
        for spec in OptionTable.all {
            let item = page.split(separator: "\n").first { $0.hasPrefix(".It ") && $0.contains(spec.mdocName(spec.names[0])) }
            #expect(item != nil, "no entry for \(spec.primaryName)")
            for name in spec.names { #expect(item?.contains(spec.mdocName(name)) == true, "\(name)") }
            #expect(page.contains("\n" + spec.summary + "\n"), "summary of \(spec.primaryName)")
        }
        #expect(page.contains(".Op Fl -net.ttl Ns = Ns Ar INT\n"))
        #expect(page.contains(".It Fl -help , Fl h\n"))
        for positional in JooldCommandLine.positionals { #expect(page.contains(".It Ar \(positional.name)\n")) }
        #expect(page.contains("\"reuseaddr\" (1/0 or true/false; default on)"))
        #expect(page.contains("Jool 4.1.9 to 4.1.15"))
    }

    @Test func manualTextCannotStartARequest() {
        var page = Mdoc()
        page.text(".not a macro \\ here")
        page.text("'neither")
        #expect(page.text == "\\&.not a macro \\e here\n\\&'neither\n")
    }

    @Test func completionScriptsNameEveryOption() throws {
        for shell in CompletionShell.allCases {
            let script = try document(["--generate-completion-script", shell.rawValue])
            #expect(script == (try document(["--generate-completion-script=\(shell.rawValue)"])))
            for spec in OptionTable.all {
                for name in spec.names {
                    let spelled = shell == .fish
                        ? (name.hasPrefix("--") ? "-l \(name.dropFirst(2)) " : "-s \(name.dropFirst()) ")
                        : name
                    #expect(script.contains(spelled), "\(shell): \(name)")
                }
            }
            for level in JooldLogLevel.allCases { #expect(script.contains(level.rawValue), "\(shell): \(level)") }
        }
        let zsh = try document(["--generate-completion-script", "zsh"])
        #expect(zsh.hasPrefix("#compdef joold\n"))
        #expect(zsh.contains("'--net.dev.in=[receiving interface\\: its address (IPv4 group) or name (IPv6 group)]:STR:_net_interfaces'"))
        #expect(zsh.contains("'(- *)--help[print this help and exit]'"))
        #expect(zsh.contains("'(--stats.addr --stats.address)--stats.address=["))
        let bash = try document(["--generate-completion-script", "bash"])
        #expect(bash.contains("        --mod|--net|--stats)\n"))
        #expect(bash.hasSuffix("complete -F _joold joold\n"))
        let fish = try document(["--generate-completion-script", "fish"])
        #expect(fish.contains("complete -c joold -l mod -r -F -d 'modsocket JSON file (same as MODSOCKET)'\n"))
    }

    @Test func onlyTheWholeCommandLineAndKnownShells() throws {
        func usage(_ arguments: [String]) -> String? {
            do {
                let command = try JooldCommandLine.parse(arguments: arguments, currentDirectory: "/nonexistent")
                Issue.record("no error for \(arguments): \(command)")
            } catch let JooldCommandLineError.usage(message) {
                return message
            } catch {
                Issue.record("\(error)")
            }
            return nil
        }
        #expect(usage(["--generate-completion-script", "tcsh"]) == "--generate-completion-script: no shell 'tcsh' (bash, zsh, fish)")
        #expect(usage(["--generate-completion-script"]) == "--generate-completion-script takes one shell name and nothing else")
        #expect(usage(["--generate-completion-script=bash", "--help"]) == "--generate-completion-script takes one shell name and nothing else")
        #expect(usage(["--generate-manual", "x"]) == "--generate-manual takes no other argument")
        // Anywhere else they are unknown options, as in the stock daemon.
        #expect(usage(["--instance", "x", "--generate-manual"])?.hasPrefix("unknown option '--generate-manual'") == true)
        #expect(JooldCommandLine.evaluate(arguments: ["--generate-manual"], currentDirectory: "/")
                == .exit(status: 0, standardOutput: JooldCommandLine.manualPage, standardError: ""))
        // Not offered to users: the help and the completions do not list them.
        #expect(!JooldCommandLine.helpText.contains("--generate"))
        for shell in CompletionShell.allCases {
            let code = JooldCommandLine.completionScript(for: shell).split(separator: "\n").filter { !$0.hasPrefix("#") }
            #expect(!code.contains { $0.contains("--generate") }, "\(shell)")
        }
    }
}
