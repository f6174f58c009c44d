/// Text that may hold bytes from a file or a client (an error message quoting a value)
/// made safe for a terminal or a log: control characters (C0, DEL, C1: escape sequences,
/// carriage returns, new lines) are written as `\u{1B}`, so they are shown, not obeyed.
public enum TerminalText {
    /// `keepingLineBreaks`: "\n" stays (a message of several lines written by the program).
    public static func escaped(_ text: String, keepingLineBreaks: Bool = false) -> String {
        let escape = { (scalar: Unicode.Scalar) in isControl(scalar) && !(keepingLineBreaks && scalar == "\n") }
        guard text.unicodeScalars.contains(where: escape) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            if escape(scalar) {
                result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }
}
