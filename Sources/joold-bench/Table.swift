
/// The tables joold-bench prints (markdown, as docs/benchmarks.md shows them).
enum Table {
    static func relay(_ rows: [RelayMeasurement], count: UInt64, rounds: Int, relayCPU: Int?, driverCPU: Int?) -> String {
        var lines = ["### Relay cost on the host (\(count) packets per run; per row, the median of \(rounds) rounds)", "",
                     "| direction | payload | relay | datagrams/s | sessions/s | CPU µs/datagram | one core's worth (datagrams/s) | latency p50 / p99 µs | worker/floor time | worker/floor CPU | driver CPU µs/datagram |",
                     "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|"]
        for row in rows {
            let floor = rows.first { $0.relay == "floor" && $0.direction == row.direction && $0.format == row.format }
            let latency = row.direction.isKernelToNetwork
                ? "\(fixed(row.result.latency_p50_us, 1)) / \(fixed(row.result.latency_p99_us, 1))" : "–"
            var timeRatio = "", cpuRatio = ""
            if row.relay != "floor", let floor {
                timeRatio = fixed(floor.datagramsPerSecond / row.datagramsPerSecond, 2) + "×"
                cpuRatio = fixed(row.cpuPerDatagram / floor.cpuPerDatagram, 2) + "×"
            }
            lines.append("| \(row.direction.label) | \(payloadLabel(row)) | \(row.relay) | \(grouped(row.datagramsPerSecond)) "
                         + "| \(grouped(row.sessionsPerSecond)) | \(fixed(row.cpuPerDatagram, 2)) "
                         + "| \(grouped(1e6 / row.cpuPerDatagram)) | \(latency) "
                         + "| \(timeRatio) | \(cpuRatio) | \(fixed(row.driverCPUPerDatagram, 2)) |")
        }
        lines.append("")
        let pinning = relayCPU.map { "relay (joold or floor) pinned to CPU \($0)" } ?? "relay not pinned"
        let driver = driverCPU.map { "driver and listener pinned to CPU \($0)" } ?? "driver not pinned"
        lines.append("Pinning (taskset): \(pinning), \(driver). Targets: worker/floor time ≤ 1.5×, ≥ 200,000 datagrams/s.")
        return lines.joined(separator: "\n")
    }

    static func payloadLabel(_ row: RelayMeasurement) -> String {
        row.format == .f1 ? "F1 (4.1.9), \(row.sessionsPerDatagram) × 140 B"
                          : "F3 (4.1.13), \(row.sessionsPerDatagram) × 40 B"
    }

    static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "–" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int((value * scale).rounded())
        let whole = scaled / Int(scale), fraction = abs(scaled % Int(scale))
        guard digits > 0 else { return "\(whole)" }
        let text = String(fraction)
        return "\(scaled < 0 && whole == 0 ? "-" : "")\(whole)." + String(repeating: "0", count: digits - text.count) + text
    }

    /// 1234567 -> "1,234,567".
    static func grouped(_ value: Double) -> String {
        guard value.isFinite else { return "–" }
        let digits = Array(String(Int(value.rounded())))
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return out
    }
}

extension Table {
    static func scale(_ f: ScaleFigures) -> String {
        func ms(_ values: [Double], _ qs: [Double]) -> String {
            qs.map { fixed(quantile(values, $0), 2) }.joined(separator: " / ") + " ms"
        }
        func mib(_ kib: Double) -> String { fixed(kib / 1024, 1) + " MiB" }
        let rss = f.workerRSSKiB.map(Double.init), pss = f.workerPSSKiB.map(Double.init)
        let mean = { (values: [Double]) in values.isEmpty ? Double.nan : values.reduce(0, +) / Double(values.count) }
        return [
            "### Supervisor scale (\(f.instances) instances in \(f.instances) namespaces, one joold-supervisor)", "",
            "| measure | value | target |",
            "|---|--:|---|",
            "| add an instance (`add` request until its worker runs), p50 / p99 / max of \(f.addMilliseconds.count) | \(ms(f.addMilliseconds, [0.5, 0.99, 1])) | |",
            "| RSS per worker, mean / max | \(mib(mean(rss))) / \(mib(rss.max() ?? .nan)) | ≤ 8 MiB |",
            "| PSS per worker (shared pages split), mean | \(mib(mean(pss))) | |",
            "| supervisor RSS with \(f.instances) workers | \(mib(Double(f.supervisorRSSKiB))) | |",
            "| `status` of one instance, p50 / p99 of \(f.statusMilliseconds.count) | \(ms(f.statusMilliseconds, [0.5, 0.99])) | p99 < 5 ms |",
            "| `list` of \(f.instances) instances, p50 / p99 of \(f.listMilliseconds.count) | \(ms(f.listMilliseconds, [0.5, 0.99])) | p99 < 5 ms |",
            "| `kill -9` of a worker until its replacement runs, p50 / max of \(f.restartMilliseconds.count) | \(ms(f.restartMilliseconds, [0.5, 1])) | < 500 ms |",
        ].joined(separator: "\n")
    }
}
