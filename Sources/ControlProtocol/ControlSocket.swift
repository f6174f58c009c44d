/// Where the supervisor listens and `jooldctl` connects (docs/control-protocol.md).
public enum ControlSocket {
    public static let defaultPath = "/run/joold/supervisor.sock"
}
