import ArgumentParser
import Configuration
import ControlProtocol

struct AdvertiseCommand: ControlCommand {
    static let configuration = CommandConfiguration(
        commandName: "advertise",
        abstract: "Have an instance's worker advertise its whole session table to the peers.",
        discussion: """
            What keepalived's notify_backup hook runs. Prints the method (kernel: Jool's own \
            advertisement, Jool 4.1.11 and later; worker: the worker read the session table and \
            sent it itself, paced, on 4.1.9 and 4.1.10 where the kernel's does nothing), the \
            number of sessions sent when known ('-' otherwise), the seconds it took and, for \
            the worker's, its pace. Waits up to 120 s unless --no-wait or --timeout.

            Example:
              jooldctl advertise default --netns K
            """)

    @OptionGroup var target: RequiredInstance

    @Flag(name: .customLong("no-wait"), help: "Return once the advertisement has started (sends \"wait\": false).")
    var noWait = false

    @Option(help: ArgumentHelp("Sessions per second for this advertisement, when the worker sends the table itself (default: the instance's --advertise-rate).", valueName: "n"))
    var rate: Int?

    @OptionGroup var options: GlobalOptions

    func validate() throws {
        try target.check()
        if let rate, let problem = AdvertiseRate.problem(Int64(rate), field: "--rate") {
            throw ValidationError(problem)
        }
    }

    func execute(_ context: CommandContext) throws {
        let name = try target.selectedName()
        let operation = ControlOperation.advertise(try target.selector(), wait: !noWait, rate: rate)
        let result = try context.call(operation, options: options,
                                      defaultTimeout: noWait ? Jooldctl.defaultTimeout : Jooldctl.defaultAdvertiseTimeout)
        if options.json {
            context.print(result.serialized())
            return
        }
        guard case .object = result else {
            throw JooldctlFailure(.protocolError, "the supervisor's advertise result is not an object: \(result.serialized().prefix(200))")
        }
        let instance = result[InstanceSpec.Key.instance]?.stringValue ?? name
        let netns = result[InstanceSpec.Key.netns]?.stringValue ?? (target.netns ?? "")
        if result["method"] == nil, result["started"]?.boolValue == true {
            context.print("started advertising \(Formatting.label(instance: instance, netns: netns)) (not waiting for it to finish)")
            return
        }
        let method = result["method"]?.stringValue ?? "-"
        let sessions = result["sessions"]?.integerValue.map { String($0) } ?? "-"
        let seconds = result["seconds"]?.doubleValue.map { String(($0 * 1000).rounded() / 1000) } ?? "-"
        let pace = result["rate"]?.integerValue.map { ", rate \($0)/s" } ?? ""
        context.print("advertised \(Formatting.label(instance: instance, netns: netns)): method \(method), sessions \(sessions), seconds \(seconds)\(pace)")
    }
}
