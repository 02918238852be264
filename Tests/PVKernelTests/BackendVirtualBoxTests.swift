import Testing
@testable import PVKernel

/// VirtualBox through its KVM paravirtualization provider (GIMKvm.cpp): only kvmclock and
/// pv spinlocks are offered, so every other KVM pv shortcut is absent.
@Suite struct BackendVirtualBoxTests {
    @Test func offersOnlyKvmclockAndPVSpinlocks() throws {
        let b = try VirtualBoxBackend(profile: CostProfile.load("modern-2020"), options: BackendOptions(cpuCount: 4))
        #expect(b.features == [.kvmclock, .pv_spinlocks])
        #expect(b.descriptor.id == .vbox && b.descriptor.id.guestKernel == .x86_64)
        #expect(b.descriptor.settings.contains { $0.key == "pv_eoi" && $0.value == "off" })
        // A 2006 VirtualBox had no paravirtualization provider at all.
        let old = try VirtualBoxBackend(profile: CostProfile.load("vtx-2006"), options: BackendOptions(cpuCount: 4))
        #expect(old.features.isEmpty)
    }

    @Test func withoutPVEOIOrPVIPIEveryEOIAndIPIExits() throws {
        var rig = try BackendRig(.vbox)
        rig.call(.apic_eoi, count: 5, inInterrupt: true)
        rig.call(.send_ipi, arg: 3)
        #expect(rig.count("MSR_WRITE") == 8)
        #expect(rig.count("VMCALL SEND_IPI") == 0)
        var kvm = try BackendRig(.kvm)
        kvm.call(.apic_eoi, count: 5, inInterrupt: true)
        kvm.call(.send_ipi, arg: 3)
        #expect(kvm.count("MSR_WRITE") == 0) // APICv + PV IPI
    }

    @Test func withoutPVTLBFlushPreemptedTargetsStillGetIPIs() throws {
        var rig = try BackendRig(.vbox, options: BackendOptions(cpuCount: 4, overcommit: 1))
        rig.call(PVCall.flushTLBMulti(targets: 3, pages: 1))
        #expect(rig.count("MSR_WRITE") == 3)
    }

    @Test func spinlockKickIsTheGIMHypercallAndStealClockIsFree() throws {
        var rig = try BackendRig(.vbox)
        rig.call(.kick)
        #expect(rig.count("VMCALL KICK_CPU") == 1)
        let steal = rig.cost { $0.call(.steal_clock) }
        #expect(steal == 0)
    }

    @Test func portIOFinishesInRingThreeAndCostsMoreThanARingZeroExit() throws {
        let p = try CostProfile.load("modern-2020")
        var rig = try BackendRig(.vbox)
        let io = rig.cost { $0.call(.io_delay) }   // no NOP_IO_DELAY: a real out 0x80
        let cpuid = rig.cost { $0.call(.cpuid) }
        #expect(rig.count("IO_INSTRUCTION") == 1 && rig.count("CPUID") == 1)
        let ioCycles = try p.cycles("vbox.exit.IO_INSTRUCTION"), cpuidCycles = try p.cycles("vbox.exit.CPUID")
        #expect(io == ioCycles && cpuid == cpuidCycles)
        #expect(io > 4 * cpuid)
    }
}
