import Configuration
import ControlProtocol
import Glibc

/// `follow` (docs/control-protocol.md): the sessions the workers relay, streamed to any
/// number of clients. A worker sends them only while its instance has followers; each
/// follower has its own bounded queue (`ControlStream`), so a slow one loses lines (and
/// is told how many) without slowing the others, the supervisor or the relay.
extension Supervisor {
    public func openStream(_ request: ControlRequest, peer: PeerCredentials, stream: ControlStream) throws(ControlError) -> JSONValue {
        guard case let .follow(selector) = try ControlOperation(request) else {
            throw ControlError(.unknownOp, "unknown streaming operation '\(request.op)'")
        }
        var key: InstanceKey?
        var targets = instances.values.sorted { $0.key < $1.key }
        if let selector {
            let managed = try lookup(selector)
            key = managed.key
            targets = [managed]
        }
        let id = followers.add(instance: key, stream: stream)
        stream.lossReport = { count in
            FollowEvent.lost(count: count, reason: FollowEvent.followerBehind, instance: nil, netns: nil).line
        }
        stream.onClose = { [unowned self] in
            followers.remove(id)
            logger.info("follower \(id) left (\(followers.count) remain)")
            updateFeeds()
        }
        logger.info("follower \(id) (\(peer)) follows \(key.map { "\($0)" } ?? "every instance")")
        updateFeeds()
        return .object([.init("following", .array(targets.map { managed in
            .object([.init(InstanceSpec.Key.instance, .string(managed.spec.name)), .init(InstanceSpec.Key.netns, .string(managed.spec.netns))])
        }))])
    }

    /// Tells each worker whether to send its sessions: only while someone follows.
    func updateFeeds() {
        for managed in instances.values { updateFeed(managed) }
    }

    func updateFeed(_ managed: ManagedInstance) {
        let wanted = followers.wants(managed.key)
        guard let worker = managed.worker, wanted != worker.feeding else { return }
        // Not sent: tried again at the next change of followers or worker.
        if send(.follow(wanted), to: managed) { worker.feeding = wanted }
    }

    /// A worker's batch, to every follower of its instance.
    func deliver(_ batch: SessionBatch, from managed: ManagedInstance) {
        let audience = followers.following(managed.key)
        guard !audience.isEmpty else { return }
        let instance = managed.spec.name, netns = managed.spec.netns
        if batch.lost > 0 {
            let line = FollowEvent.lost(count: batch.lost, reason: FollowEvent.workerChannelFull, instance: instance, netns: netns).line
            for follower in audience { follower.stream.send(line, sessions: batch.lost) }
        }
        let time = Self.wallClock()
        for session in batch.sessions {
            let line = FollowEvent.session(instance: instance, netns: netns, origin: batch.origin, time: time, session: session).line
            for follower in audience { follower.stream.send(line) }
        }
    }

    /// Ends the streams of the followers of `key` (nil: of every follower), with an
    /// `end` event saying why.
    func endFollowers(of key: InstanceKey?, reason: String) {
        for follower in followers.all where key == nil || follower.instance == key {
            let line = FollowEvent.end(instance: key?.instance ?? follower.instance?.instance,
                                       netns: key?.netns ?? follower.instance?.netns, reason: reason).line
            follower.stream.finish(line)
        }
    }

    /// SIGTERM: every follower is told before the control socket closes.
    public func endAllFollowers() {
        endFollowers(of: nil, reason: "supervisor-stopping")
    }

    static func wallClock() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
