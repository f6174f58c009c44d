import ArgumentParser

struct StatsCommand: ControlCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Print the counters of one instance's worker, or of every instance's.",
        discussion: """
            With NAME: the six lines of joold's stats server (KERNEL_SENT_PKTS, \
            KERNEL_SENT_BYTES, NET_RCVD_PKTS, NET_RCVD_BYTES, NET_SENT_PKTS, NET_SENT_BYTES, \
            as NAME,value), then this project's own counters as name,value lines. Without \
            NAME: one such block per instance, each headed by '# instance NETNS/NAME' (NETNS \
            '-' for the supervisor's own namespace), blocks separated by an empty line. An \
            instance whose worker does not run has no counters: a '#' line says so (on \
            stderr when NAME is given).

            Example:
              jooldctl stats potato --netns blue
            """)

    @OptionGroup var target: OptionalInstance

    @OptionGroup var options: GlobalOptions

    func validate() throws {
        try target.check()
    }

    func execute(_ context: CommandContext) throws {
        let name = try target.selectedName()
        let result = try context.call(.stats(try target.selector()), options: options)
        guard case let .array(instances)? = result["instances"] else {
            throw JooldctlFailure(.protocolError, "the supervisor's stats result lacks 'instances': \(result.serialized().prefix(200))")
        }
        if options.json {
            context.print(result.serialized())
            return
        }
        if name != nil {
            guard let only = instances.first else {
                throw JooldctlFailure(.protocolError, "the supervisor's stats result holds no instance")
            }
            let block = try StatsBlock(only)
            if let lines = try block.lines() {
                context.print(lines)
            } else {
                context.printError("jooldctl: \(block.noCounters)")
            }
            return
        }
        if instances.isEmpty {
            context.print("# no instances")
            return
        }
        var blocks: [String] = []
        for item in instances {
            let block = try StatsBlock(item)
            var text = "# instance \(Formatting.pair(instance: block.instance, netns: block.netns))\n"
            text += try block.lines() ?? "# \(block.noCounters)\n"
            blocks.append(text)
        }
        context.print(blocks.joined(separator: "\n"))
    }
}
