extension JooldCommandLine {
    /// The generated part of joold(8), in mdoc(7) like swift-argument-parser's pages for
    /// joold-supervisor and jooldctl: NAME, SYNOPSIS and DESCRIPTION (positional
    /// arguments, one entry per option of `OptionTable`, the JSON keys), made of the
    /// pieces of `helpText`. scripts/generate-docs dates it and appends the hand-written
    /// sections (FILES, SIGNALS, EXIT STATUS, EXAMPLES, SEE ALSO).
    public static var manualPage: String {
        var page = Mdoc()
        page.macro(".Dd")
        page.macro(".Dt JOOLD 8")
        page.macro(".Os")
        page.macro(".Sh NAME")
        page.macro(".Nm \(programName)")
        page.macro(".Nd session synchronization daemon for NAT64 Jool, a drop-in replacement for Jool's joold")

        page.macro(".Sh SYNOPSIS")
        page.macro(".Nm")
        for positional in positionals { page.macro(".Op Ar \(positional.name)") }
        page.macro(".Nm")
        for spec in OptionTable.all where spec.id != .help && spec.id != .version {
            page.macro(".Op \(spec.mdocName(spec.longNames[0]))")
        }
        page.macro(".Nm")
        page.macro(".Fl -help")
        page.macro(".Nm")
        page.macro(".Fl -version")

        page.macro(".Sh DESCRIPTION")
        page.text(descriptionLines.joined(separator: " "))
        page.macro(".Pp")
        page.text(valueFormLines.joined(separator: " "))
        page.macro(".Ss \"Positional arguments (may be mixed with options)\"")
        page.macro(".Bl -tag -width Ds")
        for positional in positionals {
            page.macro(".It Ar \(positional.name)")
            page.text(positional.summary)
        }
        var listOpen = true
        for spec in OptionTable.all {
            if let section = spec.section {
                if listOpen { page.macro(".El") }
                page.macro(".Ss \"\(section)\"")
                page.macro(".Bl -tag -width Ds")
                listOpen = true
            }
            page.macro(".It " + spec.names.map(spec.mdocName).joined(separator: " , "))
            page.text(spec.summary)
        }
        page.macro(".El")
        page.macro(".Ss \"JSON keys\"")
        page.macro(".Bl -tag -width Ds")
        for file in jsonKeys {
            page.macro(".It \(file.file)")
            page.text(file.lines.joined(separator: " "))
        }
        page.macro(".El")
        return page.text
    }
}

extension OptionSpec {
    /// `Fl -stats.addr Ns = Ns Ar ADDR`: one spelling of the option as an mdoc phrase.
    func mdocName(_ name: String) -> String {
        let flag = "Fl " + name.dropFirst()
        guard let valueName else { return flag }
        return name.hasPrefix("--") ? "\(flag) Ns = Ns Ar \(valueName)" : "\(flag) Ar \(valueName)"
    }
}

/// mdoc(7) source, line by line.
struct Mdoc {
    private(set) var text = ""

    mutating func macro(_ line: String) {
        text += line + "\n"
    }

    /// A line of running text: backslashes escaped, and a leading dot or quote kept
    /// from being read as a request.
    mutating func text(_ line: String) {
        var escaped = line.replacing("\\", with: "\\e")
        if escaped.hasPrefix(".") || escaped.hasPrefix("'") { escaped = "\\&" + escaped }
        text += escaped + "\n"
    }
}
