/// The release of this project's programs (`joold`, `joold-supervisor`, `jooldctl`),
/// printed by their `--version`.
public enum ProjectVersion {
    public static let string = "0.1.0"
}
