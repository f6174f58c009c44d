import CBenchDriver
import Glibc
import JoolWire

/// One measured run of the relay.
struct RelayMeasurement {
    let direction: RelayDirection
    let format: SessionFormat
    let relay: String
    let sessionsPerDatagram: Int
    let result: bench_result
    /// CPU time of the relay process per datagram, in microseconds.
    let cpuPerDatagram: Double
    /// The same for the benchmark process (driver, listener, forwarder): when it nears
    /// the run's time per datagram, the driver side is what limits the rate.
    let driverCPUPerDatagram: Double

    func sameRow(as other: RelayMeasurement) -> Bool {
        direction == other.direction && format == other.format && relay == other.relay
    }

    var datagramsPerSecond: Double { result.seconds > 0 ? Double(result.completed) / result.seconds : 0 }
    var sessionsPerSecond: Double { datagramsPerSecond * Double(sessionsPerDatagram) }
}

enum RelayDirection: Equatable {
    /// Session packets from the kernel with `window` unACKed (Jool keeps 1).
    case kernelToNetwork(window: UInt32)
    /// Datagrams from a peer, at most `window` ahead of the ADDs.
    case networkToKernel(window: UInt32)

    var label: String {
        switch self {
        case let .kernelToNetwork(window) where window == 1: return "kernel → net, 1 in flight"
        case let .kernelToNetwork(window): return "kernel → net, \(window) in flight"
        case let .networkToKernel(window): return "net → kernel, \(window) ahead"
        }
    }
}

/// Part 1: the real `joold` release binary against the floor loop, driven by the same
/// lean C driver, for a 4.1.9 kernel (F1) and a 4.1.13 kernel (F3).
struct RelayBench {
    let binaries: String
    let work: WorkDirectory
    let count: UInt64
    let relayCPU: Int?
    /// Only these session formats and directions ("k2n", "n2k"); all when empty.
    var formats: Set<String> = []
    var directions: Set<String> = []

    static let directions: [RelayDirection] = [.kernelToNetwork(window: 1), .kernelToNetwork(window: 8),
                                               .networkToKernel(window: 64)]
    static let versions = [JoolVersion.v4_1_9, JoolVersion(major: 4, minor: 1, revision: 13)]

    /// Rounds of every run; each row of the table is the round with the median rate.
    var rounds = 3

    func run(progress: (String) -> Void) throws -> [RelayMeasurement] {
        var all: [RelayMeasurement] = []
        for round in 1...max(1, rounds) {
            progress("round \(round) of \(rounds)")
            all += try runOnce(progress: progress)
        }
        // Per row, in first-round order: the run with the median rate (this machine is shared
        // and noisy; the median of a few rounds is what repeats).
        var rows: [RelayMeasurement] = []
        for first in all where !rows.contains(where: { $0.sameRow(as: first) }) {
            let runs = all.filter { $0.sameRow(as: first) }.sorted { $0.datagramsPerSecond < $1.datagramsPerSecond }
            rows.append(runs[runs.count / 2])
        }
        return rows
    }

    private func runOnce(progress: (String) -> Void) throws -> [RelayMeasurement] {
        try RelayLab.with(work: work) { lab in
            var measurements: [RelayMeasurement] = []
            for version in Self.versions where formats.isEmpty || formats.contains("\(version.sessionFormat.rawValue)") {
                let payloads = try Payloads.forKernel(version)
                progress("joold, \(payloads.format)")
                let joold = try RelayTarget.joold("\(binaries)/joold", version: version, payloads: payloads,
                                                  namespace: lab.lab.namespaceA, interface: lab.lab.interfaceA,
                                                  cpu: relayCPU, work: work)
                defer { joold.stop() }
                for direction in Self.directions where wanted(direction) {
                    measurements.append(try measure(joold, "joold", direction, payloads, lab))
                }
                joold.stop()
                for mode in ["k2n", "n2k"] where directions.isEmpty || directions.contains(mode) {
                    progress("floor \(mode), \(payloads.format)")
                    let floor = try RelayTarget.floor("\(binaries)/joold-bench-floor", mode: mode, payloads: payloads,
                                                      namespace: lab.lab.namespaceA, interface: lab.lab.interfaceA,
                                                      cpu: relayCPU, work: work)
                    defer { floor.stop() }
                    for direction in Self.directions where (mode == "k2n") == direction.isKernelToNetwork && wanted(direction) {
                        measurements.append(try measure(floor, "floor", direction, payloads, lab))
                    }
                }
            }
            return measurements
        }
    }

    private func wanted(_ direction: RelayDirection) -> Bool {
        directions.isEmpty || directions.contains(direction.isKernelToNetwork ? "k2n" : "n2k")
    }

    /// A warm-up of a tenth of the count, then the measured run.
    private func measure(_ target: RelayTarget, _ relay: String, _ direction: RelayDirection,
                         _ payloads: Payloads, _ lab: RelayLab) throws -> RelayMeasurement {
        _ = try drive(target, direction, payloads, lab, count: max(1, count / 10))
        target.pump(milliseconds: 50)
        let before = target.cpuMicroseconds, driverBefore = bench_process_cpu_us(getpid())
        let result = try drive(target, direction, payloads, lab, count: count)
        let cpu = target.cpuMicroseconds - before, driverCPU = bench_process_cpu_us(getpid()) - driverBefore
        target.pump(milliseconds: 50)
        return RelayMeasurement(direction: direction, format: payloads.format, relay: relay,
                                sessionsPerDatagram: payloads.sessionsPerPacket, result: result,
                                cpuPerDatagram: result.completed > 0 ? cpu / Double(result.completed) : 0,
                                driverCPUPerDatagram: result.completed > 0 ? driverCPU / Double(result.completed) : 0)
    }

    private func drive(_ target: RelayTarget, _ direction: RelayDirection, _ payloads: Payloads,
                       _ lab: RelayLab, count: UInt64) throws -> bench_result {
        var result = bench_result()
        var classify = target.classify
        switch direction {
        case let .kernelToNetwork(window):
            var message = payloads.kernelPacket
            _ = message.withUnsafeMutableBufferPointer { bytes in
                bench_kernel_to_network(target.kfd, target.simfd, lab.listener, bytes.baseAddress, bytes.count,
                                        payloads.indexOffset, count, window, &classify, &result)
            }
        case let .networkToKernel(window):
            _ = payloads.records.withUnsafeBufferPointer { bytes in
                lab.destination.withSockAddr { address, length in
                    bench_network_to_kernel(target.kfd, target.simfd, lab.sender, bytes.baseAddress, bytes.count,
                                            address, UInt32(length), count, window, &classify, &result)
                }
            }
        }
        guard result.error == 0, result.completed == count else {
            throw BenchError("\(target.name), \(direction.label): \(result.completed) of \(count) done, "
                             + "errno \(result.error) (\(String(cString: strerror(result.error))))\n\(target.child.log)")
        }
        return result
    }
}

extension RelayDirection {
    var isKernelToNetwork: Bool {
        if case .kernelToNetwork = self { return true }
        return false
    }
}
