import Testing
@Test func placeholderPVKernelTests() { #expect(Bool(true)) }
