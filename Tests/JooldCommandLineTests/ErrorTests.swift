import Configuration
import Glibc
@testable import JooldCommandLine
import NetworkTestSupport
import Testing

@Suite struct MissingFileTests {
    @Test func explicitlyNamedFilesMustExist() throws {
        withScratch { dir in
            dir.write("n.json", "{}")
            dir.write("m.json", "{}")
            let cases: [([String], String, String, String)] = [
                (["nope.json"], "netsocket", "nope.json", "first positional argument (NETSOCKET)"),
                (["--net", "nope.json"], "netsocket", "nope.json", "--net"),
                (["n.json", "gone.json"], "modsocket", "gone.json", "second positional argument (MODSOCKET)"),
                (["--mod=gone.json"], "modsocket", "gone.json", "--mod"),
                (["--stats", "s.json"], "stats", "s.json", "--stats"),
            ]
            for (arguments, role, path, givenBy) in cases {
                guard case let .missingFile(missing)? = dir.failure(arguments) else {
                    Issue.record("no missing-file error for \(arguments)")
                    continue
                }
                #expect(missing.role == role)
                #expect(missing.path == path)
                #expect(missing.givenBy == givenBy)
                #expect(missing.resolvedPath == dir.path + "/" + path)
                let message = JooldCommandLineError.missingFile(missing).message
                #expect(message == "\(role) file '\(path)' (given by \(givenBy)) does not exist "
                        + "(looked for \(dir.path)/\(path))")
            }
        }
    }

    @Test func absoluteMissingPathIsNotRepeated() throws {
        withScratch { dir in
            let error = dir.failure(["/nonexistent/net.json"])
            #expect(error?.message == "netsocket file '/nonexistent/net.json' (given by first positional argument "
                    + "(NETSOCKET)) does not exist")
            #expect(error?.exitCode == 2)
        }
    }

    @Test func aPortInFirstPositionIsExplained() throws {
        withScratch { dir in
            let message = dir.failure(["45678"])?.message ?? ""
            #expect(message.contains("netsocket file '45678'"))
            #expect(message.contains("third positional argument"))
            #expect(message.contains("--stats.port"))
        }
    }

    @Test func emptyFileName() throws {
        withScratch { dir in
            guard case let .usage(text)? = dir.failure(["--net="]) else {
                Issue.record("expected a usage error")
                return
            }
            #expect(text.contains("netsocket file name given by --net is empty"))
        }
    }
}

@Suite struct UsageErrorTests {
    func usage(_ arguments: [String], in dir: TemporaryDirectory,
               sourceLocation: SourceLocation = #_sourceLocation) -> String {
        guard case let .usage(text)? = dir.failure(arguments, sourceLocation: sourceLocation) else {
            Issue.record("expected a usage error for \(arguments)", sourceLocation: sourceLocation)
            return ""
        }
        let message = JooldCommandLineError.usage(text).message
        #expect(message.hasSuffix("Try 'joold --help' for more information."), sourceLocation: sourceLocation)
        return text
    }

    @Test func fileNamedPositionallyAndByFlag() throws {
        withScratch { dir in
            dir.write("a.json", "{}")
            dir.write("b.json", "{}")
            let net = usage(["a.json", "--net", "b.json"], in: dir)
            #expect(net.contains("netsocket file is named twice"))
            #expect(net.contains("'a.json' as the first positional argument (NETSOCKET)"))
            #expect(net.contains("'b.json' by --net"))
            // Even the same file.
            #expect(usage(["a.json", "--net=a.json"], in: dir).contains("named twice"))
            let mod = usage(["a.json", "b.json", "--mod", "b.json"], in: dir)
            #expect(mod.contains("modsocket file is named twice"))
            #expect(mod.contains("second positional argument (MODSOCKET)"))
            // With --net, a lone positional is still NETSOCKET.
            #expect(usage(["--net", "a.json", "b.json"], in: dir).contains("in this order"))
        }
    }

    @Test func unknownOptionsSuggestHelp() throws {
        withScratch { dir in
            let close = usage(["--net.mcast.address", "ff08::1"], in: dir)
            #expect(close.contains("unknown option '--net.mcast.address'"))
            #expect(close.contains("did you mean '--net.mcast.addr'?"))
            #expect(usage(["--instnace=x"], in: dir).contains("did you mean '--instance'?"))
            #expect(usage(["--stats.adr=x"], in: dir).contains("did you mean '--stats.addr'?"))
            let far = usage(["--frobnicate"], in: dir)
            #expect(far == "unknown option '--frobnicate'")
            #expect(usage(["-x"], in: dir) == "unknown option '-x'")
        }
    }

    @Test func missingValues() throws {
        withScratch { dir in
            let atEnd = usage(["--instance"], in: dir)
            #expect(atEnd == "option '--instance' needs a value (--instance=STR or --instance STR)")
            let beforeOption = usage(["--net.mcast.addr", "--net.ttl", "3"], in: dir)
            #expect(beforeOption.contains("option '--net.mcast.addr' needs a value"))
            #expect(beforeOption.contains("found option '--net.ttl' instead"))
        }
    }

    @Test func optionsGivenTwice() throws {
        withScratch { dir in
            #expect(usage(["--instance", "a", "--instance", "b"], in: dir) == "'--instance' is given twice; give it once")
            #expect(usage(["--stats.addr", "::", "--stats.address", "::1"], in: dir)
                    == "'--stats.addr' and '--stats.address' are the same option; give it once")
            #expect(usage(["--enable-ss", "--enable-ss"], in: dir).contains("given twice"))
        }
    }

    @Test func switchesTakeNoValue() throws {
        withScratch { dir in
            #expect(usage(["--enable-ss=yes"], in: dir) == "option '--enable-ss' takes no value, found '--enable-ss=yes'")
            #expect(usage(["--help=me"], in: dir).contains("takes no value"))
        }
    }

    @Test func netFlagsWithoutMulticastAddress() throws {
        withScratch { dir in
            let text = usage(["--net.ttl", "3"], in: dir)
            #expect(text.contains("option --net.ttl needs a multicast address"))
            #expect(text.contains("--net.mcast.addr"))
            #expect(usage(["--net.mcast.port=6464", "--net.dev.in=lo"], in: dir)
                .contains("option --net.mcast.port needs a multicast address"))
        }
    }
}

@Suite struct ConfigurationErrorTests {
    /// The ConfigurationError for `arguments`.
    func configurationError(_ arguments: [String], in dir: TemporaryDirectory,
                            sourceLocation: SourceLocation = #_sourceLocation) -> ConfigurationError? {
        guard let error = dir.failure(arguments, sourceLocation: sourceLocation) else { return nil }
        guard let configuration = error.configurationError else {
            Issue.record("expected a configuration error, got \(error)", sourceLocation: sourceLocation)
            return nil
        }
        #expect(error.message == configuration.description, sourceLocation: sourceLocation)
        #expect(error.exitCode == 2, sourceLocation: sourceLocation)
        return configuration
    }

    @Test func fileErrorsSurfaceUnchanged() throws {
        withScratch { dir in
            let path = dir.write("net.json", #"{ "multicast address": "233.252.0.64", "ttl": "three" }"#)
            let error = configurationError(["net.json"], in: dir)
            var direct: ConfigurationError?
            do throws(ConfigurationError) { _ = try NetSocketConfig.load(path: path) } catch { direct = error }
            #expect(error != nil && error == direct)
            #expect(error?.file == path)
            #expect(error?.key == "ttl")
            #expect(error?.description.contains("expected an integer") == true)
        }
    }

    @Test func defaultFileErrorsNameTheFile() throws {
        withScratch { dir in
            let net = dir.write("netsocket.json", "{ not json")
            let syntax = configurationError([], in: dir)
            #expect(syntax?.kind == .syntax)
            #expect(syntax?.file == net)
            #expect(syntax?.description.hasPrefix("file '\(net)', line 1") == true)
        }
        withScratch { dir in
            let mod = dir.write("modsocket.json", #"{ "instanse": "x" }"#)
            let unknown = configurationError([], in: dir)
            #expect(unknown?.kind == .unknownKey)
            #expect(unknown?.file == mod)
            #expect(unknown?.description.contains(#"did you mean "instance"?"#) == true)
        }
        withScratch { dir in
            let stats = dir.write("s.json", #"{ "address": "::", "port": 0 }"#)
            let port = configurationError(["--stats", "s.json"], in: dir)
            #expect(port?.file == stats)
            #expect(port?.key == "port")
            #expect(port?.description.contains("1 to 65535") == true)
        }
    }

    @Test func resolutionErrorsNameFileAndKey() throws {
        withScratch { dir in
            let path = dir.write("net.json", #"{ "multicast address": "233.252.0.64", "in interface": "eth0" }"#)
            let error = configurationError(["net.json"], in: dir)
            #expect(error?.file == path)
            #expect(error?.key == "in interface")
            #expect(error?.description.contains("expected an IPv4 address of the interface") == true)
        }
    }

    @Test func optionValueErrorsNameTheOption() throws {
        withScratch { dir in
            let cases: [([String], String, String)] = [
                (["--net.mcast.addr", "233.252.0.64", "--net.ttl", "abc"], "option --net.ttl",
                 "expected an integer from 0 to 255, found \"abc\""),
                (["--net.mcast.addr", "233.252.0.64", "--net.ttl", "300"], "option --net.ttl",
                 "expected a TTL from 0 to 255, found 300"),
                (["--net.mcast.addr", "192.0.2.1"], "option --net.mcast.addr", "is not a multicast address"),
                (["--net.mcast.addr", "potato"], "option --net.mcast.addr", "expected an IPv4 or IPv6 multicast"),
                (["--net.mcast.addr", "233.252.0.64", "--net.mcast.port", "0"], "option --net.mcast.port",
                 "1 to 65535"),
                (["--net.mcast.addr", "233.252.0.64", "--net.dev.out", "lo"], "option --net.dev.out",
                 "expected an IPv4 address of the interface"),
                (["--net.mcast.addr", "ff08::1", "--net.dev.in", "no-such-if0"], "option --net.dev.in",
                 "no interface named \"no-such-if0\""),
                (["--instance", "way-too-long-instance-name"], "option --instance", "1 to 15 printable ASCII"),
                (["--instance="], "option --instance", "empty"),
                (["--stats.port", "70000"], "option --stats.port", "1 to 65535"),
                (["--stats.addr="], "option --stats.addr", "found an empty string"),
                (["--stats.address", ""], "option --stats.address", "found an empty string"),
                (["--log-level", "loud"], "option --log-level", "expected one of trace, debug, info"),
            ]
            for (arguments, location, text) in cases {
                guard let error = configurationError(arguments, in: dir) else { continue }
                #expect(error.location == location, "\(arguments)")
                #expect(error.file == nil)
                #expect(error.description.hasPrefix("\(location): "), "\(error)")
                #expect(error.description.contains(text), "\(error)")
            }
        }
    }
}

@Suite struct TerminalSafetyTests {
    /// A value quoted from a file keeps its control characters out of the terminal, and
    /// a directory given as a file is named as one.
    @Test func controlBytesAreEscapedAndADirectoryIsNamed() throws {
        withScratch { dir in
            dir.write("n.json", #"{"multicast address": "\u001b[2Jff08::1"}"#)
            guard case let .exit(status, _, standardError) = JooldCommandLine.evaluate(arguments: ["n.json"], currentDirectory: dir.path) else {
                Issue.record("not an exit")
                return
            }
            #expect(status == 2)
            #expect(!standardError.unicodeScalars.contains { $0 == "\u{1B}" }, "\(standardError.debugDescription)")
            #expect(standardError.contains(#"found "\u{1B}[2Jff08::1""#), "\(standardError)")

            #expect(mkdir(dir.path + "/d.json", 0o755) == 0)
            guard case let .exit(_, _, directoryError) = JooldCommandLine.evaluate(arguments: ["d.json"], currentDirectory: dir.path) else {
                Issue.record("not an exit")
                return
            }
            #expect(directoryError.contains("it is a directory, not a regular file"), "\(directoryError)")
        }
    }
}
