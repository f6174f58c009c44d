/// A failure a test helper reports in words (a timeout, an unexpected answer).
public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
