import Testing
@Test func placeholderPVReplayTests() { #expect(Bool(true)) }
