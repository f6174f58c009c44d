import CBenchDriver
import Foundation
import Glibc
import JoolSimulator
import JoolWire
import LinuxRuntime

/// What the driver plays the kernel for: a real `joold` process (which first talks to
/// a SimulatedJool through the driver: family lookup, instance checks, and its
/// instance monitor every 5 s), or the floor loop (which talks to nobody else).
final class RelayTarget {
    let child: Child
    let kfd: Int32
    /// The connection to the simulated kernel, -1 for the floor.
    let simfd: Int32
    private let simulator: SimulatedJool?
    private let forwarder: OpaquePointer?
    private let kernel: KernelSocket
    var classify: bench_classify

    var pid: pid_t { child.pid }
    var name: String { child.name }

    /// Starts `joold NET MOD` in `namespace` and waits for its "started:" line,
    /// answering its requests with the simulator meanwhile.
    static func joold(_ binary: String, version: JoolVersion, payloads: Payloads, namespace: String,
                      interface: String, cpu: Int?, work: WorkDirectory) throws -> RelayTarget {
        let net = #"{"multicast address": "\#(RelayLab.group)", "multicast port": "\#(RelayLab.port)", "in interface": "\#(interface)", "out interface": "\#(interface)", "ttl": 1}"#
        try write(net, to: work.file("net.json"))
        try write(#"{"instance": "default"}"#, to: work.file("mod.json"))
        let kernel = try KernelSocket(path: work.file("kernel.sock"))
        let simulator = try SimulatedJool(path: work.file("simulator.sock"), version: version)
        // JOOLD_BENCH_WRAP (e.g. "valgrind --tool=callgrind") runs joold under a profiler.
        let wrap = (ProcessInfo.processInfo.environment["JOOLD_BENCH_WRAP"] ?? "").split(separator: " ").map(String.init)
        let child = try Child("joold-\(version.sessionFormat.rawValue)", wrap + [binary, "net.json", "mod.json"], cpu: cpu,
                              namespace: namespace,
                              environment: ["JOOLD_TEST_KERNEL_SOCKET": kernel.path,
                                            "JOOLD_TEST_KERNEL_VERSION": version.description],
                              in: work)
        let kfd = try kernel.accept()
        let simfd = try simulator.connect()
        let target = RelayTarget(child: child, kfd: kfd, simfd: simfd, simulator: simulator,
                                 forwarder: bench_forwarder_start(simfd, kfd), kernel: kernel,
                                 classify: payloads.classify)
        try child.waitForLog("started:", seconds: wrap.isEmpty ? 10 : 120) { target.pump(milliseconds: 10) }
        return target
    }

    /// Starts the floor loop (`k2n` or `n2k`) and waits until it is ready.
    static func floor(_ binary: String, mode: String, payloads: Payloads, namespace: String,
                      interface: String, cpu: Int?, work: WorkDirectory) throws -> RelayTarget {
        let kernel = try KernelSocket(path: work.file("kernel.sock"))
        let fixed = mode == "k2n" ? payloads.ackMessage : payloads.addHead
        let child = try Child("floor-\(mode)-\(payloads.format.rawValue)",
                              [binary, mode, kernel.path, RelayLab.group, "\(RelayLab.port)", interface, hex(fixed)],
                              cpu: cpu, namespace: namespace, in: work)
        let kfd = try kernel.accept()
        try child.waitForLog("ready")
        return RelayTarget(child: child, kfd: kfd, simfd: -1, simulator: nil, forwarder: nil, kernel: kernel,
                           classify: payloads.classify)
    }

    private init(child: Child, kfd: Int32, simfd: Int32, simulator: SimulatedJool?, forwarder: OpaquePointer?,
                 kernel: KernelSocket, classify: bench_classify) {
        self.child = child
        self.kfd = kfd
        self.simfd = simfd
        self.simulator = simulator
        self.forwarder = forwarder
        self.kernel = kernel
        self.classify = classify
    }

    /// Answers the worker's requests (through the simulator) for a while, between runs.
    func pump(milliseconds: Int32) {
        _ = bench_pump(kfd, simfd, milliseconds, &classify)
    }

    /// CPU time the process has used so far (all threads), in microseconds.
    var cpuMicroseconds: Double { bench_process_cpu_us(pid) }

    private var stopped = false

    /// Idempotent (descriptor numbers are reused: close each once).
    func stop() {
        guard !stopped else { return }
        stopped = true
        bench_forwarder_stop(forwarder)
        close(kfd)   // the floor ends when its kernel socket closes; joold gets SIGTERM too
        child.stop()
        if simfd >= 0 { close(simfd) }
        simulator?.stop()
    }
}

func write(_ text: String, to path: String) throws {
    let fd = try SystemCall.retrying("open", path) { open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }
    defer { close(fd) }
    try writeAll(fd, Array(text.utf8), context: path)
}
