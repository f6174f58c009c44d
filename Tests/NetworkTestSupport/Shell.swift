import Foundation

/// Runs iproute2 and friends for the namespace tests. These tests need root,
/// iproute2 and network-namespace support; without them they fail, loudly.
public enum Shell {
    public struct CommandFailed: Error, CustomStringConvertible {
        public let command: [String]
        public let status: Int32
        public let output: String
        public var description: String {
            "`\(command.joined(separator: " "))` exited with \(status): \(output)"
            + " (the SyncEngine namespace tests need root, iproute2 and network namespaces)"
        }
    }

    static let ipTool: String? = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    @discardableResult
    public static func ip(_ arguments: String...) throws -> String {
        guard let ipTool else {
            throw CommandFailed(command: ["ip"] + arguments, status: 127, output: "iproute2 `ip` not found")
        }
        return try run([ipTool] + arguments)
    }

    @discardableResult
    public static func run(_ command: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let output = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw CommandFailed(command: command, status: process.terminationStatus, output: output)
        }
        return output
    }
}
