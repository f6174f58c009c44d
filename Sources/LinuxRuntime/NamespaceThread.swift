#if canImport(Glibc)
import Glibc
#endif
import CShim

/// Runs a closure on a fresh pthread that first enters a network namespace, and
/// returns its result. Sockets created there stay in that namespace for good, so
/// this is how tests (and a supervisor that must not switch namespaces itself)
/// open sockets in another namespace. The calling thread is never moved.
public enum NamespaceThread {
    /// The namespace `ip netns add NAME` created (/run/netns/NAME).
    public static func run<T>(inNamespaceNamed name: String, _ body: () throws -> T) throws -> T {
        try run(inNamespaceAt: "/run/netns/\(name)", body)
    }

    /// The namespace behind `path` (/run/netns/NAME, /proc/PID/ns/net, ...).
    public static func run<T>(inNamespaceAt path: String, _ body: () throws -> T) throws -> T {
        let namespaceFD = try SystemCall.retrying("open", path) { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(namespaceFD) }

        // The caller blocks until the thread ends, so `body` never runs concurrently
        // with it; that is what makes handing a non-Sendable closure over sound.
        return try withoutActuallyEscaping(body) { body in
            var result: Result<T, any Error>?
            let task = ThreadTask {
                guard cshim_setns_net(namespaceFD) == 0 else {
                    result = .failure(SystemError.lastError("setns(CLONE_NEWNET)", path))
                    return
                }
                result = Result { try body() }
            }
            try task.runOnNewThreadAndWait(context: path)
            return try result!.get()
        }
    }
}

extension NamespaceThread {
    /// Runs `body` on a fresh pthread in the caller's namespace and waits for it;
    /// for work that must own its thread (signal masks, event loops in tests).
    static func runOnFreshThread<T>(_ body: () throws -> T) throws -> T {
        try withoutActuallyEscaping(body) { body in
            var result: Result<T, any Error>?
            try ThreadTask { result = Result { try body() } }.runOnNewThreadAndWait(context: "fresh thread")
            return try result!.get()
        }
    }
}

/// A closure boxed for pthread_create, which takes a C function and one pointer.
private final class ThreadTask {
    let work: () -> Void
    init(_ work: @escaping () -> Void) { self.work = work }

    func runOnNewThreadAndWait(context: String) throws {
        let unmanaged = Unmanaged.passRetained(self)
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, { argument in
            let task = Unmanaged<ThreadTask>.fromOpaque(argument!).takeRetainedValue()
            task.work()
            return nil
        }, unmanaged.toOpaque())
        guard status == 0 else {
            unmanaged.release()
            throw SystemError("pthread_create", errno: status, context: context)
        }
        let joined = pthread_join(thread, nil)
        guard joined == 0 else { throw SystemError("pthread_join", errno: joined, context: context) }
    }
}
