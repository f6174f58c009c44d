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
        /// Sources registered with `onWritable` may watch write readiness (off at first)
        /// and pause read readiness; see `setInterest`.
        var onWritable: (() throws -> Void)? = nil
        var wantsReadable = true
        var wantsWritable = false
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

    public init(logger: Logger = Logger(label: "joold.event-loop")) throws(SystemError) {
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
    public func register(fd: Int32, name: String, onReadable: @escaping () throws -> Void) throws(SystemError) {
        _ = try addSource(Source(fd: fd, name: name, ownsDescriptor: false, onReadable: onReadable))
    }

    /// Like `register(fd:name:onReadable:)`, and `onWritable` is called whenever `fd`
    /// is writable while write interest is on (it starts off: turn it on with
    /// `setInterest` when output is pending, off once it is flushed).
    public func register(fd: Int32, name: String, onReadable: @escaping () throws -> Void,
                         onWritable: @escaping () throws -> Void) throws(SystemError) {
        var source = Source(fd: fd, name: name, ownsDescriptor: false, onReadable: onReadable)
        source.onWritable = onWritable
        _ = try addSource(source)
    }

    /// Chooses what a registered `fd` is watched for. With `readable` false,
    /// `onReadable` is still called on EPOLLHUP/EPOLLERR (the peer is gone, the
    /// callback should find out and unregister), never for mere input. `writable`
    /// needs a source registered with `onWritable`. Throws for an unknown `fd`.
    public func setInterest(fd: Int32, readable: Bool, writable: Bool) throws(SystemError) {
        guard let token = tokenByDescriptor[fd], var source = sources[token] else {
            throw SystemError("epoll_ctl(MOD)", errno: ENOENT, context: "fd \(fd) is not registered")
        }
        let writable = writable && source.onWritable != nil
        guard readable != source.wantsReadable || writable != source.wantsWritable else { return }
        let events = (readable ? UInt32(CSHIM_EPOLLIN) : 0) | (writable ? UInt32(CSHIM_EPOLLOUT) : 0)
        guard cshim_epoll_mod(epollFD, fd, events, token) == 0 else {
            throw SystemError.lastError("epoll_ctl(MOD)", "\(source.name), fd \(fd)")
        }
        source.wantsReadable = readable
        source.wantsWritable = writable
        sources[token] = source
    }

    /// Stops watching `fd`; harmless if it is not registered.
    public func unregister(fd: Int32) {
        if let token = tokenByDescriptor[fd] { removeSource(token: token) }
    }

    public var registeredDescriptorCount: Int { sources.count }

    /// Dispatches events until `stop()` is called (from a callback).
    public func run() throws(SystemError) {
        precondition(pthread_equal(pthread_self(), ownerThread) != 0,
                     "EventLoop.run() must be called on the thread that created the loop")
        precondition(!running, "EventLoop.run() is not reentrant")
        running = true
        stopRequested = false
        defer { running = false }

        let capacity = 64
        var ready = [cshim_epoll_ready](repeating: cshim_epoll_ready(), count: capacity)
        while !stopRequested {
            let count = try SystemCall.retrying("epoll_wait") { cshim_epoll_wait(epollFD, &ready, Int32(capacity), -1) }
            for index in 0..<Int(count) {
                let token = ready[index].token
                let events = ready[index].events
                // Removed by an earlier callback of this batch: skip.
                guard let source = sources[token] else { continue }
                let failed = events & UInt32(CSHIM_EPOLLERR | CSHIM_EPOLLHUP) != 0
                // Input is only reported while read interest is on (it may have been
                // paused by an earlier callback of this batch).
                if failed || (source.wantsReadable && events & UInt32(CSHIM_EPOLLIN) != 0) {
                    dispatch(source, source.onReadable)
                    if stopRequested { break }
                }
                if events & UInt32(CSHIM_EPOLLOUT) != 0, let current = sources[token], current.wantsWritable,
                   let onWritable = current.onWritable {
                    dispatch(current, onWritable)
                    if stopRequested { break }
                }
            }
        }
    }

    private func dispatch(_ source: Source, _ callback: () throws -> Void) {
        do {
            try callback()
        } catch {
            callbackErrors.log(logger, .error, key: source.name, "\(source.name): \(error)")
        }
    }

    /// Makes `run()` return once the current callback has finished.
    public func stop() {
        stopRequested = true
    }

    // MARK: - Shared with the timer and signal extensions

    func addSource(_ source: Source) throws(SystemError) -> UInt64 {
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
