import ArgumentParser
import Configuration

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
        var fields = try target.fields()
        fields.append(JSONValue.Member("net", try ConfigurationFiles.netSocket(path: net, currentDirectory: context.currentDirectory)))
        if let stats {
            fields.append(JSONValue.Member("stats", try ConfigurationFiles.statsSocket(path: stats, currentDirectory: context.currentDirectory)))
        } else if let statsPort {
            fields.append(JSONValue.Member("stats", ConfigurationFiles.statsObject(port: statsPort)))
        }
        fields.append(JSONValue.Member("enable_ss", .bool(enableSS)))
        if let advertiseRate { fields.append(JSONValue.Member("advertise_rate", .integer(Int64(advertiseRate)))) }
        let result = try context.call("add", fields, options: options)
        if options.json {
            context.print(result.serialized())
        } else {
            context.print(Formatting.statusTable(try statusRecords(result)))
        }
    }
}
