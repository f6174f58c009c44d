import Configuration

/// What a control request asks (docs/control-protocol.md), decoded from its fields in one
/// place: each operation's fields are typed and checked here, and a field the operation
/// does not take is refused.
public enum ControlOperation: Equatable, Sendable {
    case version
    case add(InstanceSpec)
    case remove(InstanceSelector)
    case list
    /// nil: every instance.
    case status(InstanceSelector?)
    case stats(InstanceSelector?)
    /// `wait` false: answered when the advertisement starts; `rate` overrides the instance's.
    case advertise(InstanceSelector, wait: Bool, rate: Int?)
    /// A streaming operation: nil follows every instance, including those added later.
    case follow(InstanceSelector?)

    public enum Name: String, Equatable, Sendable, CaseIterable {
        case version, add, remove, list, status, stats, advertise, follow

        /// The fields the operation takes besides the envelope.
        var fieldKeys: [String] {
            switch self {
            case .version, .list: return []
            case .add: return InstanceSpec.Key.all
            case .remove, .status, .stats, .follow: return InstanceSelector.keys
            case .advertise: return InstanceSelector.keys + [Self.waitKey, Self.rateKey]
            }
        }

        static let waitKey = "wait"
        static let rateKey = "rate"
    }

    public var name: Name {
        switch self {
        case .version: return .version
        case .add: return .add
        case .remove: return .remove
        case .list: return .list
        case .status: return .status
        case .stats: return .stats
        case .advertise: return .advertise
        case .follow: return .follow
        }
    }

    /// Decodes `request`: `unknown-op`, `unknown-field`, `missing-field`, `wrong-type`,
    /// `invalid-name`, `invalid-value` or `invalid-config` when it cannot be.
    public init(_ request: ControlRequest) throws(ControlError) {
        guard let name = Name(rawValue: request.op) else {
            let known = Name.allCases.map(\.rawValue).joined(separator: ", ")
            throw ControlError(.unknownOp, "unknown operation '\(request.op)' (\(known))")
        }
        let fields = try JSONFields(request.body, what: "the request")
        try fields.refuseUnknown(ControlRequest.envelopeKeys + name.fieldKeys)
        switch name {
        case .version: self = .version
        case .add: self = .add(try InstanceSpec(reading: fields, extraKeys: ControlRequest.envelopeKeys))
        case .remove: self = .remove(try InstanceSelector(reading: fields))
        case .list: self = .list
        case .status: self = .status(try InstanceSelector.optional(fields))
        case .stats: self = .stats(try InstanceSelector.optional(fields))
        case .advertise:
            self = .advertise(try InstanceSelector(reading: fields), wait: try fields.optionalBool(Name.waitKey) ?? true,
                              rate: try fields.optionalAdvertiseRate(Name.rateKey))
        case .follow: self = .follow(try InstanceSelector.optional(fields))
        }
    }

    /// The request's fields besides the envelope (what `init` reads back).
    public var fields: [JSONValue.Member] {
        switch self {
        case .version, .list: return []
        case let .add(spec): return spec.members
        case let .remove(selector): return selector.members
        case let .status(selector), let .stats(selector), let .follow(selector): return selector?.members ?? []
        case let .advertise(selector, wait, rate):
            return selector.members + (wait ? [] : [.init(Name.waitKey, .bool(false))])
                + (rate.map { [.init(Name.rateKey, .integer(Int64($0)))] } ?? [])
        }
    }
}

/// An instance as requests name it: the Jool instance name and the namespace as the
/// operator spells it ("" for the supervisor's own).
public struct InstanceSelector: Hashable, Sendable {
    public var instance: String
    public var netns: String

    public init(instance: String, netns: String = "") {
        self.instance = instance
        self.netns = netns
    }

    static let keys = [InstanceSpec.Key.instance, InstanceSpec.Key.netns]

    init(reading fields: JSONFields) throws(ControlError) {
        self.init(instance: try fields.string(InstanceSpec.Key.instance),
                  netns: try fields.optionalString(InstanceSpec.Key.netns) ?? "")
    }

    /// nil without `instance`; `netns` alone selects nothing and is refused.
    static func optional(_ fields: JSONFields) throws(ControlError) -> InstanceSelector? {
        guard try fields.optionalString(InstanceSpec.Key.instance) == nil else { return try InstanceSelector(reading: fields) }
        if let netns = try fields.optionalString(InstanceSpec.Key.netns), !netns.isEmpty {
            throw ControlError(.missingField, "field 'instance' is missing: 'netns' selects the namespace of an instance")
        }
        return nil
    }

    /// `instance`, and `netns` unless it is the supervisor's own namespace.
    public var members: [JSONValue.Member] {
        [.init(InstanceSpec.Key.instance, .string(instance))] + (netns.isEmpty ? [] : [.init(InstanceSpec.Key.netns, .string(netns))])
    }
}
