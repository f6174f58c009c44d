import Glibc

/// A temporary file with `contents`, removed by `cleanup`.
struct TemporaryFile {
    let path: String

    init(_ contents: String, name: String = "config.json") {
        var template = Array("/tmp/shared-tests-XXXXXX".utf8CString)
        let directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        path = directory + "/" + name
        let file = fopen(path, "w")!
        fputs(contents, file)
        fclose(file)
    }

    func cleanup() {
        unlink(path)
        rmdir(String(path[..<path.lastIndex(of: "/")!]))
    }
}

/// Runs `body` with a temporary file holding `contents`.
@discardableResult
func withTemporaryFile<R>(_ contents: String, name: String = "config.json", _ body: (String) throws -> R) rethrows -> R {
    let file = TemporaryFile(contents, name: name)
    defer { file.cleanup() }
    return try body(file.path)
}
