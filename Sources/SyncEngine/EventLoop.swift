#if canImport(Glibc)
import Glibc
#endif
import CShim
import Logging

/// One single-threaded epoll loop over file descriptors, timers (timerfd) and
/// signals (signalfd). Callbacks run on the thread that calls `run()`, one at a
/// time; a callback that throws is logged (rate-limited) and the loop goes on.
///
/// Not thread-safe by design: a worker lives in one network namespace, and
/// namespaces belong to threads, so the worker keeps everything on one thread.
/// Create the loop, its sources and call `run()` on the same thread.
public final class EventLoop {
    struct Source {
        let fd: Int32
        let name: String
        /// Timer and signal descriptors belong to the loop and are closed with their source.
        let ownsDescriptor: Bool
        let onReadable: () throws -> Void
    }

    public let logger: Logger
    private let epollFD: Int32
    private let ownerThread = pthread_self()
    /// Tokens (never reused) rather than descriptors identify sources in epoll, so an
    /// event already fetched for a source removed earlier in the same batch is ignored
    /// even if its descriptor number has been reused meanwhile.
    private var sources: [UInt64: Source] = [:]
    private var tokenByDescriptor: [Int32: UInt64] = [:]
    private var nextToken: UInt64 = 1
    private var stopRequested = false
    private var running = false
    private var callbackErrors = RateLimiter(limit: 5, interval: .seconds(60))

    public init(logger: Logger = Logger(label: "joold.event-loop")) throws {
        self.logger = logger
        epollFD = cshim_epoll_create()
        guard epollFD >= 0 else { throw SystemError.lastError("epoll_create1") }
    }

    deinit {
        for source in sources.values where source.ownsDescriptor { Glibc.close(source.fd) }
        Glibc.close(epollFD)
    }

    /// Calls `onReadable` whenever `fd` is readable (level-triggered: again and again
    /// until the data is consumed). The caller keeps ownership of `fd` and must
    /// `unregister` it before closing it.
    public func register(fd: Int32, name: String, onReadable: @escaping () throws -> Void) throws {
        _ = try addSource(Source(fd: fd, name: name, ownsDescriptor: false, onReadable: onReadable))
    }

    /// Stops watching `fd`; harmless if it is not registered.
    public func unregister(fd: Int32) {
        if let token = tokenByDescriptor[fd] { removeSource(token: token) }
    }

    public var registeredDescriptorCount: Int { sources.count }

    /// Dispatches events until `stop()` is called (from a callback).
    public func run() throws {
        precondition(pthread_equal(pthread_self(), ownerThread) != 0,
                     "EventLoop.run() must be called on the thread that created the loop")
        precondition(!running, "EventLoop.run() is not reentrant")
        running = true
        stopRequested = false
        defer { running = false }

        let capacity = 64
        var ready = [cshim_epoll_ready](repeating: cshim_epoll_ready(), count: capacity)
        while !stopRequested {
            let count = cshim_epoll_wait(epollFD, &ready, Int32(capacity), -1)
            if count < 0 {
                if errno == EINTR { continue }
                throw SystemError.lastError("epoll_wait")
            }
            for index in 0..<Int(count) {
                // Removed by an earlier callback of this batch: skip.
                guard let source = sources[ready[index].token] else { continue }
                do {
                    try source.onReadable()
                } catch {
                    callbackErrors.log(logger, .error, key: source.name,
                                       "\(source.name): \(error)")
                }
                if stopRequested { break }
            }
        }
    }

    /// Makes `run()` return once the current callback has finished.
    public func stop() {
        stopRequested = true
    }

    // MARK: - Shared with the timer and signal extensions

    func addSource(_ source: Source) throws -> UInt64 {
        let token = nextToken
        let events = UInt32(CSHIM_EPOLLIN)
        guard cshim_epoll_add(epollFD, source.fd, events, token) == 0 else {
            throw SystemError.lastError("epoll_ctl(ADD)", "\(source.name), fd \(source.fd)")
        }
        nextToken += 1
        sources[token] = source
        tokenByDescriptor[source.fd] = token
        return token
    }

    func removeSource(token: UInt64) {
        guard let source = sources.removeValue(forKey: token) else { return }
        tokenByDescriptor[source.fd] = nil
        _ = cshim_epoll_del(epollFD, source.fd)
        if source.ownsDescriptor { Glibc.close(source.fd) }
    }

    func assertOwnerThread() {
        precondition(pthread_equal(pthread_self(), ownerThread) != 0,
                     "EventLoop used from a thread other than its owner")
    }
}
