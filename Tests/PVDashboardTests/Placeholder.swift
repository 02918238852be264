import Testing
@Test func placeholderPVDashboardTests() { #expect(Bool(true)) }
