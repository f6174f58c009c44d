import JoolWire

/// What the worker learned about its instance.
public struct InstanceReport: Equatable, Sendable {
    public var version: JoolVersion
    public var ssEnabled: Bool
    public var pool6: IPv6Prefix?
    /// True when this probe turned ss-enabled on itself (--enable-ss).
    public var enabledByUs: Bool
}

/// A prerequisite of syncing that is missing; the worker cannot do its job until the
/// operator (or time) fixes it.
public enum InstanceProblem: Error, Equatable, CustomStringConvertible {
    case instanceMissing(InstanceName)
    case instanceIsSIIT(InstanceName)

    public var description: String {
        switch self {
        case let .instanceMissing(name):
            return "this network namespace has no NAT64 Jool instance named '\(name)' (jool instance add ...)"
        case let .instanceIsSIIT(name):
            return "Jool instance '\(name)' is a SIIT instance; session synchronization needs a NAT64 instance"
        }
    }
}

/// Asks the kernel whether the instance exists, is NAT64, and has ss-enabled on;
/// optionally turns ss-enabled on (docs/jool-kernel-protocol.md §9; Jool's joold(8) lists
/// "the daemon should be able to enable SS" among its known bugs).
public struct InstanceProbe {
    public let link: KernelLink
    public let requests: JoolRequestBuilder

    public init(link: KernelLink, requests: JoolRequestBuilder) {
        self.link = link
        self.requests = requests
    }

    /// Throws InstanceProblem when the instance is missing or not NAT64, KernelLinkError
    /// when the kernel cannot be asked.
    public func probe(enableSessionSync: Bool) throws -> InstanceReport {
        try requireNAT64Instance()
        var globals = try readGlobals()
        var enabledByUs = false
        if globals.ssEnabled == false, enableSessionSync {
            _ = try link.request("enabling ss-enabled on instance '\(requests.instance)'") {
                try requests.globalUpdate(sequence: $0, settings: [.enabled(true)])
            }
            globals = try readGlobals()
            enabledByUs = globals.ssEnabled == true
        }
        return InstanceReport(version: requests.version, ssEnabled: globals.ssEnabled ?? false,
                              pool6: globals.pool6 ?? nil, enabledByUs: enabledByUs)
    }

    public func requireNAT64Instance() throws {
        if try hello(JoolNetlink.TranslatorType.nat64) == .alive { return }
        // Only to word the problem better. Measured on 4.1.9: without jool_siit loaded
        // the kernel refuses the question itself ("SIIT Jool has not been modprobed").
        if (try? hello(JoolNetlink.TranslatorType.siit)) == .alive { throw InstanceProblem.instanceIsSIIT(requests.instance) }
        throw InstanceProblem.instanceMissing(requests.instance)
    }

    private func hello(_ translatorType: UInt8) throws -> InstanceStatus {
        let what = "asking whether instance '\(requests.instance)' exists"
        let reply = try link.request(what) { requests.instanceHello(sequence: $0, translatorType: translatorType) }
        do {
            return try InstanceStatus(decoding: reply)
        } catch {
            throw KernelLinkError.malformedReply(request: what, error.description)
        }
    }

    /// GLOBAL_FOREACH, following the M flag until every global was listed.
    private func readGlobals() throws -> GlobalsSnapshot {
        let what = "reading the globals of instance '\(requests.instance)'"
        var merged: GlobalsSnapshot?
        var offset: UInt8?
        for _ in 0..<16 {
            let reply = try link.request(what) { requests.globalForeach(sequence: $0, offset: offset) }
            let page: GlobalsSnapshot
            do { page = try GlobalsSnapshot(decoding: reply) } catch {
                throw KernelLinkError.malformedReply(request: what, error.description)
            }
            merged = merged.map { $0.merging(page) } ?? page
            guard page.more, let last = page.lastID, last < UInt8.max else { break }
            offset = UInt8(last)
        }
        return merged!
    }
}

extension GlobalsSnapshot {
    /// Values from `page` fill what this snapshot lacks.
    func merging(_ page: GlobalsSnapshot) -> GlobalsSnapshot {
        var result = self
        result.ssEnabled = ssEnabled ?? page.ssEnabled
        result.pool6 = pool6 ?? page.pool6
        result.ssFlushDeadline = ssFlushDeadline ?? page.ssFlushDeadline
        result.ssCapacity = ssCapacity ?? page.ssCapacity
        result.ssMaxPayload = ssMaxPayload ?? page.ssMaxPayload
        result.ssMaxSessionsPerPacket = ssMaxSessionsPerPacket ?? page.ssMaxSessionsPerPacket
        result.more = page.more
        result.lastID = page.lastID
        return result
    }
}
