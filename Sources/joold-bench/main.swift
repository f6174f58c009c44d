import Glibc
import LinuxRuntime

// joold-bench: the benchmark behind scripts/bench (docs/benchmarks.md). Not a test.
//
//   joold-bench --work DIR --binaries DIR [--relay] [--scale] [--count N]
//               [--relay-cpu N] [--driver-cpu N]
//
// Prints markdown tables on stdout and progress on stderr.

var options = BenchOptions()
do {
    options = try BenchOptions.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
    printError("joold-bench: \(error)")
    exit(2)
}
let work = WorkDirectory(path: options.work)
func progress(_ text: String) { printError("joold-bench: \(text)") }

do {
    if options.relay {
        var bench = RelayBench(binaries: options.binaries, work: work, count: options.count, relayCPU: options.relayCPU)
        bench.rounds = options.rounds
        bench.formats = options.formats
        bench.directions = options.directions
        let rows = try bench.run(progress: progress)
        print(Table.relay(rows, count: options.count, rounds: options.rounds, relayCPU: options.relayCPU, driverCPU: options.driverCPU))
        print("")
    }
    if options.scale {
        var bench = ScaleBench(binaries: options.binaries, work: work, instances: options.instances)
        bench.hold = options.hold
        print(Table.scale(try bench.run(progress: progress)))
        print("")
    }
} catch {
    printError("joold-bench: \(error)")
    exit(1)
}

func printError(_ text: String) {
    writeAll(STDERR_FILENO, text + "\n")
}
