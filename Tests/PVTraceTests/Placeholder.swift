import Testing
@Test func placeholderPVTraceTests() { #expect(Bool(true)) }
