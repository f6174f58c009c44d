import Configuration
import Glibc
import JoolWire
import LinuxRuntime
import Logging

/// What the advertisements of one worker did, for the stats' `extra` part.
public struct AdvertiseCounters: Equatable, Sendable {
    /// `JNLOP_JOOLD_ADVERTISE` requests the kernel accepted (4.1.11+).
    public var kernelAdvertisements: UInt64 = 0
    /// Advertisements this worker made itself (4.1.9, 4.1.10) and finished.
    public var workerAdvertisements: UInt64 = 0
    /// Advertisements of either kind that failed.
    public var failedAdvertisements: UInt64 = 0
    /// Sessions and datagrams the worker's own advertisements sent to the peers.
    public var advertisedSessions: UInt64 = 0
    public var advertisedDatagrams: UInt64 = 0

    public init() {}

    public var namedValues: [(name: String, value: UInt64)] {
        [("advertisements-kernel", kernelAdvertisements), ("advertisements-worker", workerAdvertisements),
         ("advertisements-failed", failedAdvertisements), ("advertised-sessions", advertisedSessions),
         ("advertised-datagrams", advertisedDatagrams)]
    }
}

/// Why an advertisement did not happen or did not finish.
public enum AdvertiseError: Error, Equatable, CustomStringConvertible {
    /// One is running already (one at a time per worker).
    case busy
    /// The worker has no multicast socket: there is nobody to advertise to.
    case noNetwork
    /// The local kernel's session format cannot be written (F2, Jool 4.1.12).
    case unsupportedFormat(SessionFormat)
    /// Reading the session table failed.
    case kernel(KernelLinkError)
    /// Sending to the peers failed (other than a full socket buffer, which is retried).
    case network(String)
    case encoding(String)
    /// The worker stopped first.
    case stopped

    public var description: String {
        switch self {
        case .busy: return "an advertisement is already in progress"
        case .noNetwork: return "the worker has no multicast socket: there is no peer to advertise to"
        case let .unsupportedFormat(format): return "cannot write sessions in \(format)"
        case let .kernel(error): return "cannot read the session table: \(error)"
        case let .network(detail): return "cannot send the advertisement to the peers: \(detail)"
        case let .encoding(detail): return "cannot encode a session: \(detail)"
        case .stopped: return "the worker stopped before the advertisement ended"
        }
    }
}

/// The worker's own advertisement, for kernels whose `JNLOP_JOOLD_ADVERTISE` does
/// nothing (Jool 4.1.0 to 4.1.10; fixed in 4.1.11, "Fix joold advertise … it somehow
/// used to be a no-op"): it reads the instance's whole table (`SessionTableReader`),
/// writes every session in the local kernel's format and sends the records to the
/// peers the way the kernel would have, in datagrams of whole records that real daemons
/// accept (at most 2048 bytes, and no more records than the kernel puts in a packet).
///
/// It runs on the worker's event loop in slices: a repeating timer reads the pages and
/// sends the datagrams that the rate allows by then, so the relay (kernel packets,
/// peers' datagrams, stats, the supervisor) goes on between slices. One at a time.
public final class Advertiser {
    public struct Settings: Equatable, Sendable {
        /// 2000 sessions per second by default. A peer's daemon turns each datagram into
        /// one blocking `JOOLD_ADD`, and its kernel inserts the records one by one under
        /// the BIB table lock: at 2000/s that is 200 F1 datagrams (10 records, 1400 bytes,
        /// ≈ 280 KB/s) or 56 F3 datagrams per second, far below what either daemon and
        /// kernel digest, and each 10 ms slice puts only 2 or 3 datagrams on the wire, so
        /// a real joold's default-sized receive buffer (≈ 208 KiB, about 140 F1 datagrams)
        /// never comes close to overflowing, even while it relays live traffic too.
        /// 65,536 sessions (every port of one pool4 address) take ≈ 33 s, well inside
        /// jooldctl's 120 s advertise timeout. Operators set another rate per instance
        /// (`jooldctl add --advertise-rate`) or per request (`jooldctl advertise --rate`).
        public static let defaultSessionsPerSecond = AdvertiseRate.defaultValue
        public static let defaultTick: Duration = .milliseconds(10)

        /// Sessions per second (at least 1).
        public var sessionsPerSecond: Int
        /// Records per datagram; nil: as many as the local kernel puts in one packet by
        /// default (10 for F1, 36 for F3).
        public var recordsPerDatagram: Int?
        /// How often a slice runs.
        public var tick: Duration
        /// At most this many datagrams per slice, whatever the rate (bounds a slice).
        public var maxDatagramsPerTick: Int

        public init(sessionsPerSecond: Int = defaultSessionsPerSecond, recordsPerDatagram: Int? = nil,
                    tick: Duration = defaultTick, maxDatagramsPerTick: Int = 64) {
            self.sessionsPerSecond = max(1, sessionsPerSecond)
            self.recordsPerDatagram = recordsPerDatagram.map { max(1, $0) }
            self.tick = tick
            self.maxDatagramsPerTick = max(1, maxDatagramsPerTick)
        }
    }

    /// How a finished advertisement went.
    public struct Report: Equatable, Sendable {
        public var sessions: Int
        public var datagrams: Int
        /// `JNLOP_SESSION_FOREACH` replies read.
        public var pages: Int
        /// The pace kept, in sessions per second.
        public var rate: Int
        /// From the start until the last datagram was sent (until the table was read,
        /// when it was empty).
        public var seconds: Double
    }

    /// Whether the kernel's own `JNLOP_JOOLD_ADVERTISE` sends the table: 4.1.11 and later.
    public static func kernelAdvertiseWorks(_ version: JoolVersion) -> Bool {
        version >= JoolVersion(major: 4, minor: 1, revision: 11)
    }

    /// The records the kernel puts in one packet by default: F1 ⌊(ss-max-payload 1452 −
    /// 32) / 140⌋ = 10 (`DEFAULT_JOOLD_MAX_PAYLOAD`, constants.h@v4.1.9); F3
    /// `DEFAULT_JOOLD_MAX_SESSIONS_PER_PKT` = 36 (constants.h@v4.1.15); F2 the same
    /// payload rule with 52-byte records.
    public static func recordsPerDatagram(_ format: SessionFormat) -> Int {
        switch format {
        case .f1: return 10
        case .f2: return 27
        case .f3: return 36
        }
    }

    public let worker: SyncWorker
    public let loop: EventLoop
    public let settings: Settings
    public private(set) var counters = AdvertiseCounters()
    private let logger: Logger
    private var run: Run?

    public init(worker: SyncWorker, loop: EventLoop, settings: Settings = Settings(), logger: Logger) {
        self.worker = worker
        self.loop = loop
        self.settings = settings
        self.logger = logger
    }

    public var isRunning: Bool { run != nil }

    /// Counts an advertisement made with `JNLOP_JOOLD_ADVERTISE` instead.
    public func countKernelAdvertisement(succeeded: Bool) {
        if succeeded { counters.kernelAdvertisements &+= 1 } else { counters.failedAdvertisements &+= 1 }
    }

    /// Starts advertising at `rate` sessions per second (nil: the settings' rate);
    /// `completion` runs once, on the loop, when the last datagram was sent or the
    /// advertisement failed (possibly before `start` returns, for an empty table).
    /// Throws at once when it cannot start.
    public func start(rate: Int? = nil, _ completion: @escaping (Result<Report, AdvertiseError>) -> Void) throws(AdvertiseError) {
        guard run == nil else { throw .busy }
        guard worker.hasNetwork else { throw .noNetwork }
        let format = worker.version.sessionFormat
        guard format != .f2 else { throw .unsupportedFormat(format) }
        let perDatagram = settings.recordsPerDatagram ?? Self.recordsPerDatagram(format)
        let pace = max(1, rate ?? settings.sessionsPerSecond)
        let started = Run(reader: SessionTableReader(worker: worker), format: format, perDatagram: perDatagram, rate: pace,
                          start: MonotonicClock.nanoseconds(), completion: completion)
        do {
            started.timer = try loop.scheduleTimer(name: "advertisement", after: settings.tick, repeating: settings.tick) {
                [unowned self] in slice()
            }
        } catch {
            throw .network("cannot schedule the advertisement: \(error)")
        }
        run = started
        logger.notice("""
            instance '\(worker.configuration.instance)': advertising the session table to \
            \(worker.multicastGroup.map { "\($0)" } ?? "the peers") at \(pace) sessions/s, \
            \(perDatagram) per datagram (\(format))
            """)
        slice()
    }

    /// Stops a running advertisement; its completion gets `error`.
    public func cancel(_ error: AdvertiseError) {
        finish(.failure(error))
    }

    // MARK: - Slices

    private final class Run {
        let reader: SessionTableReader
        let format: SessionFormat
        let perDatagram: Int
        let rate: Int
        let start: UInt64
        let completion: (Result<Report, AdvertiseError>) -> Void
        var timer: EventLoop.TimerID?
        /// Read, not yet written: each session with the time it was read.
        var pending: [(session: Session, readAt: UInt64)] = []
        /// Written, not yet sent (a full socket buffer keeps them for the next slice).
        var outgoing: [(bytes: [UInt8], records: Int)] = []
        var sessions = 0
        var datagrams = 0
        var lastSent: UInt64?

        init(reader: SessionTableReader, format: SessionFormat, perDatagram: Int, rate: Int, start: UInt64,
             completion: @escaping (Result<Report, AdvertiseError>) -> Void) {
            self.reader = reader
            self.format = format
            self.perDatagram = perDatagram
            self.rate = rate
            self.start = start
            self.completion = completion
        }
    }

    /// Sends what the rate allows by now: the first datagram at once, then
    /// `run.rate` sessions per second on average. Pages are read only when a datagram needs them.
    private func slice() {
        guard let run else { return }
        let now = MonotonicClock.nanoseconds()
        let elapsed = Double(now &- run.start) / 1e9
        let allowance = run.perDatagram + Int(min(elapsed * Double(run.rate), Double(Int.max / 2)))
        for _ in 0..<settings.maxDatagramsPerTick {
            if run.outgoing.isEmpty {
                do {
                    guard try prepareDatagram(run, now: now) else {
                        finish(.success(report(run)))
                        return
                    }
                } catch {
                    finish(.failure(error))
                    return
                }
            }
            let next = run.outgoing[0]
            // The first datagram always goes; the others when the rate allows all of it.
            guard run.sessions == 0 || run.sessions + next.records <= allowance else { return }
            do {
                try worker.sendToPeers(next.bytes)
            } catch .system(let error) where error.errno == EAGAIN || error.errno == ENOBUFS {
                return   // the socket buffer is full: the next slice tries again
            } catch {
                finish(.failure(.network("\(error)")))
                return
            }
            run.outgoing.removeFirst()
            run.sessions += next.records
            run.datagrams += 1
            run.lastSent = MonotonicClock.nanoseconds()
            counters.advertisedSessions &+= UInt64(next.records)
            counters.advertisedDatagrams &+= 1
        }
    }

    /// Reads pages until a datagram's worth of sessions waits (or the table ends) and
    /// writes the next datagram. False when there is nothing left to send.
    private func prepareDatagram(_ run: Run, now: UInt64) throws(AdvertiseError) -> Bool {
        while run.pending.count < run.perDatagram, !run.reader.isFinished {
            let page: SessionTablePage?
            do {
                page = try run.reader.nextPage()
            } catch {
                throw .kernel(error)
            }
            let readAt = MonotonicClock.nanoseconds()
            run.pending += (page?.sessions ?? []).map { ($0, readAt) }
        }
        guard !run.pending.isEmpty else { return false }
        let batch = run.pending.prefix(run.perDatagram)
        run.pending.removeFirst(batch.count)
        var records: [[UInt8]] = []
        for (session, readAt) in batch {
            // The remaining lifetime was read at `readAt`: what is left of it now.
            var aged = session
            let waited = UInt64((now &- min(now, readAt)) / 1_000_000)
            aged.expirationMilliseconds = UInt32(UInt64(session.expirationMilliseconds) - min(UInt64(session.expirationMilliseconds), waited))
            do {
                records.append(try SessionCodec.encode(aged, format: run.format))
            } catch {
                throw .encoding("\(error)")
            }
        }
        do {
            for datagram in try SessionDatagram.pack(records, maxRecords: run.perDatagram) {
                run.outgoing.append((datagram, datagram.count / run.format.recordSize))
            }
        } catch {
            throw .encoding("\(error)")
        }
        return true
    }

    private func report(_ run: Run) -> Report {
        let end = run.lastSent ?? MonotonicClock.nanoseconds()
        return Report(sessions: run.sessions, datagrams: run.datagrams, pages: run.reader.pagesRead, rate: run.rate,
                      seconds: Double(end &- run.start) / 1e9)
    }

    private func finish(_ outcome: Result<Report, AdvertiseError>) {
        guard let run else { return }
        self.run = nil
        if let timer = run.timer { loop.cancelTimer(timer) }
        let instance = worker.configuration.instance
        switch outcome {
        case let .success(report):
            counters.workerAdvertisements &+= 1
            logger.notice("""
                instance '\(instance)': advertised \(report.sessions) sessions in \(report.datagrams) datagrams \
                (\(report.pages) table pages) in \(report.seconds) s
                """)
        case let .failure(error):
            counters.failedAdvertisements &+= 1
            logger.error("instance '\(instance)': advertisement stopped after \(run.sessions) sessions: \(error)")
        }
        run.completion(outcome)
    }
}
