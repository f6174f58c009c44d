/// joold-bench's command line (scripts/bench builds it).
struct BenchOptions {
    var work = "/tmp"
    var binaries = ".build/release"
    var relay = false
    var scale = false
    var count: UInt64 = 50_000
    var rounds = 3
    var hold: UInt32 = 0
    var instances = 64
    var relayCPU: Int? = nil
    var driverCPU: Int? = nil
    var formats: Set<String> = []
    var directions: Set<String> = []

    static func parse(_ arguments: [String]) throws -> BenchOptions {
        var options = BenchOptions()
        var rest = arguments[...]
        func value(_ name: String) throws -> String {
            guard let next = rest.popFirst() else { throw BenchError("\(name) needs a value") }
            return next
        }
        func number(_ name: String) throws -> Int {
            let text = try value(name)
            guard let number = Int(text), number >= 0 else { throw BenchError("\(name): '\(text)' is not a number") }
            return number
        }
        while let argument = rest.popFirst() {
            switch argument {
            case "--work": options.work = try value(argument)
            case "--binaries": options.binaries = try value(argument)
            case "--relay": options.relay = true
            case "--scale": options.scale = true
            case "--count": options.count = UInt64(max(1, try number(argument)))
            case "--hold": options.hold = UInt32(try number(argument))
            case "--rounds": options.rounds = max(1, try number(argument))
            case "--instances": options.instances = max(1, try number(argument))
            case "--relay-cpu": options.relayCPU = try number(argument)
            case "--driver-cpu": options.driverCPU = try number(argument)
            case "--format": options.formats.insert(try value(argument).lowercased())
            case "--direction": options.directions.insert(try value(argument).lowercased())
            default: throw BenchError("unknown argument '\(argument)'")
            }
        }
        if !options.relay && !options.scale { options.relay = true; options.scale = true }
        return options
    }
}
