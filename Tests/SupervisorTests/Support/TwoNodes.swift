import Foundation
import Glibc
import JoolSimulator
import JoolWire
import NetworkTestSupport
import Testing

/// Two supervisors, K and J, each with instance "default" running; torn down after `body`.
func withTwoNodes(version: JoolVersion, addOptions: [String] = [],
                  _ body: (_ k: Node, _ j: Node) throws -> Void) throws {
    let directory = TemporaryDirectory(prefix: "jsv")
    defer { directory.remove() }
    let namespaces = try TestNamespaces(count: 2, veth: true)
    defer { namespaces.delete() }
    let kernelK = try SimulatedJool(path: directory.file("kernel-k.sock"), version: version)
    defer { kernelK.stop() }
    let kernelJ = try SimulatedJool(path: directory.file("kernel-j.sock"), version: version)
    defer { kernelJ.stop() }
    let supervisorK = try SupervisorProcess(directory: directory, kernel: kernelK, socketPath: directory.file("run-k/s.sock"),
                                            statePath: directory.file("state-k.json"), tag: "supervisor-k")
    defer { supervisorK.stop() }
    let supervisorJ = try SupervisorProcess(directory: directory, kernel: kernelJ, socketPath: directory.file("run-j/s.sock"),
                                            statePath: directory.file("state-j.json"), tag: "supervisor-j")
    defer { supervisorJ.stop() }
    let k = Node(netns: namespaces[0], kernel: kernelK, supervisor: supervisorK)
    let j = Node(netns: namespaces[1], kernel: kernelJ, supervisor: supervisorJ)
    for (node, interface, file) in [(k, namespaces.vethA, "net-k.json"), (j, namespaces.vethB, "net-j.json")] {
        let net = directory.write(file, NetFiles.ipv6(interface: interface))
        let added = try node.ctl(["add", "--instance", "default", "--netns", node.netns, "--net", net, "--json"] + addOptions)
        try #require(added.status == 0 && isRunning(try added.json()), "\(added)\n\(k.supervisor.log)\n\(j.supervisor.log)")
    }
    do {
        try body(k, j)
    } catch {
        print("--- K ---\n\(supervisorK.log)\n--- J ---\n\(supervisorJ.log)")
        throw error
    }
}

struct Node {
    let netns: String
    let kernel: SimulatedJool
    let supervisor: SupervisorProcess

    func ctl(_ arguments: String...) throws -> CommandResult { try ctl(arguments) }

    func ctl(_ arguments: [String]) throws -> CommandResult {
        try runCommand([Binaries.jooldctl] + arguments + ["--socket", supervisor.socketPath], timeout: .seconds(60))
    }
}
