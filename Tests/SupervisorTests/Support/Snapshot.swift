import Foundation
import Glibc

/// What a refused request must leave as it was: the instances listed, the state file
/// and the worker processes.
struct Snapshot: Equatable {
    var list: [String]
    var stateFile: String?
    var workers: Set<pid_t>

    init(_ s: Scenario) throws {
        // uptime_seconds moves: keep what identifies each instance and its worker.
        list = try s.list().map { status in
            ["instance", "netns", "state", "pid", "restarts", "last_error", "waiting_for"]
                .map { status[$0]?.serialized() ?? "absent" }.joined(separator: " ")
        }
        stateFile = s.directory.read("state.json")
        workers = try s.current.workerPIDs()
    }
}

/// The snapshot once any worker started for the refused request has gone.
func settled(_ s: Scenario, like expected: Snapshot) throws -> Snapshot {
    try eventually(within: .seconds(6)) { () -> Snapshot? in
        let now = try Snapshot(s)
        return now == expected ? now : nil
    } ?? Snapshot(s)
}
