import ArgumentParser
import Configuration
import ControlProtocol

struct AddCommand: ControlCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Start synchronizing a Jool instance (the supervisor remembers it).",
        discussion: """
            The files are read and checked here (relative paths are relative to the current \
            directory) and sent as JSON objects; a mistake is reported with the file and key, \
            and the supervisor is not contacted.

            Example:
              jooldctl add --instance potato --netns blue --net netsocket.json \\
                  --stats-port 45678
            """)

    @OptionGroup var target: RequiredInstance

    @Option(help: ArgumentHelp("The network socket file, with joold's keys (\"multicast address\", \"multicast port\", \"in interface\", \"out interface\", \"reuseaddr\", \"ttl\").", valueName: "file"))
    var net: String

    @Option(name: .customLong("stats-port"), help: ArgumentHelp("Serve the stats counters on UDP port N of :: (same as a stats file {\"address\": \"::\", \"port\": N}).", valueName: "n"))
    var statsPort: Int?

    @Option(name: .customLong("stats"), help: ArgumentHelp("The stats socket file (\"address\", \"port\"). Default: no stats server.", valueName: "file"))
    var stats: String?

    @Flag(name: .customLong("enable-ss"), help: "Turn ss-enabled on in the instance when it is off.")
    var enableSS = false

    @Option(name: .customLong("advertise-rate"), help: ArgumentHelp("Sessions per second of the worker's own advertisements (Jool 4.1.9, 4.1.10), \(AdvertiseRate.range.lowerBound) to \(AdvertiseRate.range.upperBound) (default \(AdvertiseRate.defaultValue)).", valueName: "n"))
    var advertiseRate: Int?

    @OptionGroup var options: GlobalOptions

    func validate() throws {
        try target.check()
        if statsPort != nil && stats != nil {
            throw ValidationError("--stats-port and --stats are mutually exclusive")
        }
        if let statsPort, !(1...65535).contains(statsPort) {
            throw ValidationError("--stats-port must be a port number from 1 to 65535, found \(statsPort)")
        }
        if let advertiseRate, let problem = AdvertiseRate.problem(Int64(advertiseRate), field: "--advertise-rate") {
            throw ValidationError(problem)
        }
    }

    func execute(_ context: CommandContext) throws {
        let selector = try target.selector()
        let netObject = try ConfigurationFiles.object(path: net, currentDirectory: context.currentDirectory)
        var statsObject: JSONValue?
        var statsPath = "--stats-port"
        if let stats {
            statsObject = try ConfigurationFiles.object(path: stats, currentDirectory: context.currentDirectory)
            statsPath = stats
        } else if let statsPort {
            statsObject = ConfigurationFiles.statsObject(port: statsPort)
        }
        let spec: InstanceSpec
        do {
            spec = try InstanceSpec(name: selector.instance, netns: selector.netns, net: netObject, netPath: net,
                                    stats: statsObject, statsPath: statsPath, enableSessionSync: enableSS,
                                    advertiseRate: advertiseRate)
        } catch {
            throw JooldctlFailure(.usage, error.message)
        }
        let result = try context.call(.add(spec), options: options)
        if options.json {
            context.print(result.serialized())
        } else {
            context.print(Formatting.statusTable(try statusRecords(result)))
        }
    }
}
