import Configuration
import ControlProtocol
import Foundation
import Glibc
import NetworkTestSupport
import SupervisorCore
import Testing

/// The state file read strictly, written without following planted links, never
/// overwriting an edit it did not read, and locked by one supervisor at a time.
@Suite struct StateFileTests {
    private static let entry = #"{"instance": "potato", "netns": "blue", "net": {}, "enable_ss": false}"#

    private func withFile(_ text: String?, _ body: (String, StateFile) throws -> Void) throws {
        let base = TemporaryDirectory(prefix: "jsc")
        defer { base.remove() }
        let path = base.file("state.json")
        if let text { try text.write(toFile: path, atomically: false, encoding: .utf8) }
        try body(path, StateFile(path: path))
    }

    private func refusal(_ text: String) throws -> ControlError? {
        var refusal: ControlError?
        try withFile(text) { (_: String, file: StateFile) throws in
            do {
                _ = try file.load(missingIsEmpty: true)
            } catch let error as ControlError {
                refusal = error
            }
        }
        return refusal
    }

    @Test(arguments: [
        (#""netns": 5"#, "field 'netns' must be a string, found an integer"),
        (#""netns": ["blue"]"#, "field 'netns' must be a string, found an array"),
        (#""enable_ss": "yes""#, "field 'enable_ss' must be true or false, found a string"),
        (#""advertise_rate": 2.5"#, "field 'advertise_rate' must be an integer, found a real number"),
        (#""enable-ss": true"#, "unknown field 'enable-ss' (did you mean 'enable_ss'?)"),
        (#""stats": {"address": "nope"}"#, "\"address\": expected an IPv4 or IPv6 address"),
        (#""netns": "a/b""#, "'a/b' is neither a namespace name"),
    ])
    func wrongEntriesRefuseTheFileNamingTheKey(field: String, message: String) throws {
        let error = try refusal(#"{"version": 1, "instances": [{"instance": "potato", "net": {}, \#(field)}]}"#)
        #expect(error?.code == .invalidConfig)
        #expect(error?.message.contains("instance 1: ") == true && error?.message.contains(message) == true, "\(String(describing: error))")
    }

    @Test(arguments: [
        (#"{"version": 99, "instances": []}"#, "version 99 is not supported; this supervisor reads version 1"),
        (#"{"instances": []}"#, "field 'version' is missing"),
        (#"{"version": "1", "instances": []}"#, "field 'version' must be an integer"),
        (#"{"version": 1}"#, "field 'instances' is missing"),
        (#"{"version": 1, "instances": {}}"#, "field 'instances' must be an array"),
        (#"{"version": 1, "instances": [], "comment": "x"}"#, "unknown field 'comment'"),
        (#"{"version": 1, "instances": [7]}"#, "the entry must be a JSON object"),
        ("[]", "the top level must be a JSON object"),
    ])
    func wrongDocumentsAreRefused(text: String, message: String) throws {
        let error = try refusal(text)
        #expect(error?.code == .invalidConfig)
        #expect(error?.message.contains(message) == true, "\(String(describing: error))")
    }

    @Test func oneInstanceUnderTwoSpellingsOfItsNamespaceIsRefused() throws {
        let twice = #"{"instance": "potato", "netns": "/run/netns/blue", "net": {}}"#
        let error = try refusal(#"{"version": 1, "instances": [\#(Self.entry), \#(twice)]}"#)
        #expect(error?.message.contains("instance 'potato' appears twice: in namespace 'blue' and in namespace '/run/netns/blue'") == true,
                "\(String(describing: error))")
        // Another instance in the same namespace is no duplicate.
        let other = #"{"instance": "tomato", "netns": "/run/netns/blue", "net": {}}"#
        try withFile(#"{"version": 1, "instances": [\#(Self.entry), \#(other)]}"#) { (_: String, file: StateFile) throws in
            #expect(try file.load(missingIsEmpty: false).map(\.name) == ["potato", "tomato"])
        }
    }

    @Test func aDirectoryIsNotAStateFile() throws {
        try withFile(nil) { (path: String, file: StateFile) throws in
            #expect(mkdir(path, 0o755) == 0)
            let error = #expect(throws: ControlError.self) { try file.load(missingIsEmpty: true) }
            #expect(error?.message.contains("cannot read the file: it is a directory, not a regular file") == true, "\(String(describing: error))")
        }
    }

    @Test func aMissingFileIsNoInstanceAtStartAndAnErrorOnReload() throws {
        try withFile(nil) { (path: String, file: StateFile) throws in
            #expect(try file.load(missingIsEmpty: true).isEmpty)
            #expect(throws: ControlError(.invalidConfig, "the state file \(path) does not exist")) { try file.load(missingIsEmpty: false) }
        }
    }

    /// The temporary copy is a new file: a link planted under the name the supervisor
    /// used to take (`state.json.tmp.PID`) or any other is never written through.
    @Test func savingNeverWritesThroughAPlantedLink() throws {
        try withFile(nil) { (path: String, file: StateFile) throws in
            let victim = path + ".victim"
            try "precious\n".write(toFile: victim, atomically: false, encoding: .utf8)
            #expect(symlink(victim, "\(path).tmp.\(getpid())") == 0)
            _ = try file.load(missingIsEmpty: true)

            try file.save([try InstanceSpec(name: "potato", netns: "blue", net: .object([]), netPath: "net")])

            #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious\n")
            var info = stat()
            #expect(lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG, "the state file is a regular file, not the link")
            #expect(info.st_mode & 0o027 == 0, "mode \(String(info.st_mode & 0o777, radix: 8)) is 0640 or tighter")
            #expect(try file.load(missingIsEmpty: false).map(\.name) == ["potato"])
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: (path as NSString).deletingLastPathComponent)
            #expect(leftovers.filter { $0.contains(".tmp.") } == ["state.json.tmp.\(getpid())"], "only the planted link")
        }
    }

    /// What the supervisor did not read is not overwritten: a changed or removed file
    /// refuses the save (state-file-changed) and stays as the operator left it.
    @Test func anEditThatWasNotReadIsNeverOverwritten() throws {
        try withFile(#"{"version": 1, "instances": [\#(Self.entry)]}"#) { (path: String, file: StateFile) throws in
            let specs = try file.load(missingIsEmpty: false)
            try file.checkUnchanged()
            let edit = #"{"version": 1, "instances": [], "oops"#
            try edit.write(toFile: path, atomically: false, encoding: .utf8)

            let error = #expect(throws: ControlError.self) { try file.save(specs) }
            #expect(error?.code == .stateFileChanged)
            #expect(error?.message.contains(path) == true && error?.message.contains("SIGHUP") == true, "\(String(describing: error))")
            #expect(try String(contentsOfFile: path, encoding: .utf8) == edit)

            unlink(path)
            #expect(throws: ControlError.self) { try file.checkUnchanged() }
            // Written back as it was read: saving is allowed again.
            try #"{"version": 1, "instances": [\#(Self.entry)]}"#.write(toFile: path, atomically: false, encoding: .utf8)
            try file.save(specs)
            try file.checkUnchanged()
        }
    }

    @Test func oneSupervisorPerStateFile() throws {
        try withFile(nil) { (path: String, file: StateFile) throws in
            do {
                let first = try StateFileLock(for: file)
                let error = #expect(throws: ControlError.self) { try StateFileLock(for: StateFile(path: path)) }
                #expect(error?.message.contains("another joold-supervisor (pid \(getpid())) uses the state file \(path)") == true,
                        "\(String(describing: error))")
                withExtendedLifetime(first) {}
            }
            // Released with its holder.
            _ = try StateFileLock(for: StateFile(path: path))
        }
    }
}
