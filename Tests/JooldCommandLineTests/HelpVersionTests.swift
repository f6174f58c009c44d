import Configuration
@testable import JooldCommandLine
import Testing

@Suite struct HelpVersionTests {
    func help(_ arguments: [String]) throws -> String? {
        if case let .help(text) = try JooldCommandLine.parse(arguments: arguments, currentDirectory: "/nonexistent") {
            return text
        }
        return nil
    }

    @Test func helpCoversBothFormsEveryOptionTheKeysAndAnExample() throws {
        let text = try #require(try help(["--help"]))
        #expect(text.contains("joold [NETSOCKET] [MODSOCKET] [PORT]"))
        #expect(text.contains("joold [--mod=FILE] [--instance=STR] [--net=FILE]"))
        for spec in OptionTable.all {
            let left = "  " + spec.primaryName + (spec.valueName.map { "=\($0)" } ?? "")
            let line = text.split(separator: "\n").first {
                $0.hasPrefix(left + " ") || $0.hasPrefix(left + ",")
            }
            #expect(line != nil, "no line for \(spec.primaryName)")
            #expect(line?.contains(spec.summary) == true, "\(spec.primaryName)")
            if let valueName = spec.valueName {
                #expect(line?.contains("\(spec.primaryName)=\(valueName)") == true)
            }
        }
        #expect(text.contains("--stats.address"))
        for key in NetSocketConfig.Key.all + ModSocketConfig.Key.all + StatsSocketConfig.Key.all {
            #expect(text.contains("\"\(key)\""), "key \(key)")
        }
        #expect(text.contains("Examples:"))
        #expect(text.contains("joold netsocket.json modsocket.json 45678"))
        #expect(text.contains("netsocket.json") && text.contains("modsocket.json"))
        #expect(text.contains("4.1.9 to 4.1.15"))
    }

    @Test func helpWinsOverEverythingElse() throws {
        #expect(try help(["-h"]) != nil)
        #expect(try help(["--frobnicate", "too", "many", "positionals", "--help"]) != nil)
        #expect(try help(["missing.json", "--help", "--version"]) != nil)
        // After "--", "--help" is a file name.
        #expect(throws: JooldCommandLineError.self) {
            try JooldCommandLine.parse(arguments: ["--", "--help"], currentDirectory: "/nonexistent")
        }
    }

    @Test func version() throws {
        for flag in ["--version", "-V"] {
            let command = try JooldCommandLine.parse(arguments: [flag], currentDirectory: "/nonexistent")
            guard case let .version(text) = command else {
                Issue.record("\(command)")
                continue
            }
            #expect(text.hasPrefix("joold-supervisor 0.1.0\n"))
            #expect(text.contains("4.1.9 to 4.1.15"))
            #expect(text == JooldCommandLine.versionText)
        }
        #expect(JooldCommandLine.version == "0.1.0")
        let command = try JooldCommandLine.parse(arguments: ["--instance", "x", "--version"],
                                                 currentDirectory: "/nonexistent")
        #expect(command == .version(JooldCommandLine.versionText))
    }

    @Test func evaluateGivesTextAndExitStatus() throws {
        #expect(JooldCommandLine.evaluate(arguments: ["--help"], currentDirectory: "/")
                == .exit(status: 0, standardOutput: JooldCommandLine.helpText, standardError: ""))
        #expect(JooldCommandLine.evaluate(arguments: ["--version"], currentDirectory: "/")
                == .exit(status: 0, standardOutput: JooldCommandLine.versionText, standardError: ""))
        #expect(JooldCommandLine.evaluate(arguments: ["--bogus"], currentDirectory: "/")
                == .exit(status: 2, standardOutput: "",
                         standardError: "joold: unknown option '--bogus'\nTry 'joold --help' for more information.\n"))
        try withScratch { dir throws in
            guard case let .run(launch) = JooldCommandLine.evaluate(arguments: ["--instance", "x"],
                                                                    currentDirectory: dir.path) else {
                Issue.record("expected a launch")
                return
            }
            #expect(launch.configuration.instance == instance("x"))
            #expect(launch == (try dir.launch(["--instance", "x"])))
        }
    }

    @Test func processCurrentDirectory() {
        #expect(JooldCommandLine.processCurrentDirectory().hasPrefix("/"))
    }
}

@Suite struct HelpLayoutTests {
    @Test func linesFitATerminal() {
        for line in (JooldCommandLine.helpText + JooldCommandLine.versionText).split(separator: "\n") {
            #expect(line.count <= 100, "\(line)")
        }
    }
}
