import Testing
@testable import SyncEngine
@Test func placeholder() { #expect(Bool(true)) }
