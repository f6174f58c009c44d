import Testing
@testable import Shared
@Test func placeholder() { #expect(Bool(true)) }
