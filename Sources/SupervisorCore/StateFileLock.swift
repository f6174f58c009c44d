import Configuration
import ControlProtocol
import Glibc

/// One supervisor per state file: an exclusive `flock` on `STATE.lock`, held for as long
/// as the process lives (the kernel releases it however the process ends). The file
/// holds the holder's pid, for the error the next one gives.
public final class StateFileLock {
    public let path: String
    private let fd: Int32

    /// Takes the lock of `stateFile` without waiting; throws when another process holds it.
    public init(for stateFile: StateFile) throws(ControlError) {
        path = stateFile.path + ".lock"
        var state = stat()
        if stat(stateFile.path, &state) == 0, state.st_mode & S_IFMT != S_IFREG {
            throw ControlError(.invalidConfig, "the state file \(stateFile.path) is \(TextFile.kind(of: state.st_mode)), not a regular file")
        }
        let directory = StateFile.directory(of: stateFile.path)
        if mkdir(directory, 0o755) != 0 && errno != EEXIST {
            throw Self.failure("cannot create directory \(directory)")
        }
        // Never through a link planted there; never blocking on a FIFO.
        let fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw Self.failure("cannot open \(path)") }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_uid == geteuid(), info.st_nlink == 1 else {
            close(fd)
            throw ControlError(.internal, "\(path) is not a plain file of this user (uid \(geteuid())); remove it")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            let holder = Self.holder(fd)
            close(fd)
            guard code == EWOULDBLOCK else { throw Self.failure("cannot lock \(path)", code) }
            throw ControlError(.internal, "another joold-supervisor\(holder.map { " (pid \($0))" } ?? "") uses the state file "
                               + "\(stateFile.path) (it holds the lock \(path)); stop it, or give this one another --state")
        }
        self.fd = fd
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }

    deinit { close(fd) }

    /// The pid written by the holder, if it reads as one.
    private static func holder(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count], as: UTF8.self).split(separator: "\n").first.flatMap { Int32($0) }
    }

    private static func failure(_ what: String, _ code: Int32 = errno) -> ControlError {
        ControlError(.internal, "state file lock: \(what): \(String(cString: strerror(code)))")
    }
}
