/// The pace of a worker's own advertisement (Jool 4.1.9 and 4.1.10), in sessions per
/// second: an operator setting per instance (`jooldctl add --advertise-rate`), which one
/// request may override (`jooldctl advertise --rate`).
public enum AdvertiseRate {
    /// 2000 sessions per second: see `Advertiser.Settings` for why it is safe for the
    /// peers' daemons and kernels.
    public static let defaultValue = 2000
    /// Above this a peer's daemon (one blocking JOOLD_ADD per datagram) and the worker's
    /// own slices (at most 64 datagrams per 10 ms) cannot follow anyway.
    public static let range = 1...100_000

    /// Nil when `rate` is acceptable, else why not, naming `field`.
    public static func problem(_ rate: Int64, field: String) -> String? {
        guard rate < Int64(range.lowerBound) || rate > Int64(range.upperBound) else { return nil }
        return "\(field) must be a number of sessions per second from \(range.lowerBound) to \(range.upperBound), found \(rate)"
    }
}
