/// The line `jool session follow` (4.1.15) prints for each session it receives:
/// `PROTO,src6,port,src4,port,dst4,port,expiration` (`print_sessions` in
/// src/usr/argp/joold/modsocket.c@v4.1.15). Addresses use inet_ntop.
public enum SessionCSV {
    public enum ExpirationStyle: Sendable {
        /// Jool's `timeout2str`: "H:MM:SS", plus ".mmm" when the milliseconds are not 0.
        /// This is what `jool session follow` prints.
        case jool
        /// The raw number of milliseconds.
        case milliseconds
    }

    /// One line, without the trailing newline.
    public static func line(_ session: Session, expiration style: ExpirationStyle = .jool) -> String {
        let expiration: String
        switch style {
        case .jool: expiration = joolTimeout(milliseconds: session.expirationMilliseconds)
        case .milliseconds: expiration = String(session.expirationMilliseconds)
        }
        return [
            session.proto.description,
            session.src6.address.description, String(session.src6.port),
            session.src4.address.description, String(session.src4.port),
            session.dst4.address.description, String(session.dst4.port),
            expiration,
        ].joined(separator: ",")
    }

    /// `timeout2str`: hours are not wrapped, minutes and seconds are two digits.
    public static func joolTimeout(milliseconds: UInt32) -> String {
        let hours = milliseconds / 3_600_000
        let minutes = milliseconds / 60_000 % 60
        let seconds = milliseconds / 1000 % 60
        let millis = milliseconds % 1000
        var text = "\(hours):\(twoDigits(minutes)):\(twoDigits(seconds))"
        if millis != 0 {
            text += "." + String(repeating: "0", count: 3 - String(millis).count) + String(millis)
        }
        return text
    }

    private static func twoDigits(_ value: UInt32) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }
}
