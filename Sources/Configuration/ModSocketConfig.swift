import JoolWire

/// The modsocket JSON file: `{"instance": "<name>"}`, default "default".
public struct ModSocketConfig: Equatable, Sendable, ConfigFile {
    public enum Key {
        public static let instance = "instance"
        public static let all = [instance]
    }

    public var instance: Configured<InstanceName>

    public init(instance: Configured<InstanceName> = Configured(.default, from: .builtInDefault(key: Key.instance))) {
        self.instance = instance
    }

    package static var knownKeys: [String] { Key.all }

    package init(reading reader: ConfigObjectReader) throws(ConfigurationError) {
        self.init()
        if let name = try reader.string(Key.instance) {
            instance = Configured(try Self.validate(name.value, origin: name.origin), from: name.origin)
        }
    }

    /// An instance name from the command line.
    public mutating func override(instance name: String, option: String = "--instance") throws(ConfigurationError) {
        let origin = ValueOrigin.option(option)
        instance = Configured(try Self.validate(name, origin: origin), from: origin)
    }

    private static func validate(_ name: String, origin: ValueOrigin) throws(ConfigurationError) -> InstanceName {
        do {
            return try InstanceName(name)
        } catch {
            throw .at(origin, .invalidValue, "expected an instance name of 1 to 15 printable ASCII characters; \(error)")
        }
    }
}
