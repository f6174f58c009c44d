import ControlProtocol
import Glibc
import JoolWire

/// `jooldctl follow`'s text: one line per session on stdout, the rest for stderr.
public enum FollowFormatting {
    /// What one event becomes.
    public enum Output: Equatable, Sendable {
        case standardOutput(String)
        case standardError(String)
        case nothing
    }

    /// `clock` turns the event's time (seconds since the epoch) into text.
    public static func text(_ event: FollowEvent, clock: (Double) -> String = localTime) -> Output {
        switch event {
        case let .session(instance, netns, origin, time, session):
            func field(_ key: String) -> String { session[key]?.stringValue ?? "-" }
            let expiration = session["expiration_ms"]?.integerValue
                .map { SessionCSV.joolTimeout(milliseconds: UInt32(clamping: $0)) } ?? "-"
            var words = [clock(time), Formatting.pair(instance: instance, netns: netns), origin.direction, field("proto"),
                         field("src6"), field("dst6"), field("src4"), field("dst4"), field("state"), expiration]
            if origin == .advertise { words.append("(advertise)") }
            return .standardOutput(words.joined(separator: " "))
        case let .lost(count, reason, instance, netns):
            if let instance, reason == FollowEvent.workerChannelFull {
                return .standardError("jooldctl: \(count) session(s) of \(Formatting.label(instance: instance, netns: netns ?? "")) not shown: its worker's channel to the supervisor was full (\(reason))")
            }
            return .standardError("jooldctl: \(count) session(s) not shown: this follower did not read them in time (\(reason))")
        case let .end(instance, netns, reason):
            let which = instance.map { " of \(Formatting.label(instance: $0, netns: netns ?? ""))" } ?? ""
            return .standardError("jooldctl: end of the feed\(which): \(reason)")
        }
    }

    /// "HH:MM:SS.mmm", local time.
    public static func localTime(_ seconds: Double) -> String {
        var whole = time_t(seconds.rounded(.down))
        var parts = tm()
        localtime_r(&whole, &parts)
        let millis = Int((seconds - seconds.rounded(.down)) * 1000)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let fraction = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(fraction)"
    }
}
