import JoolWire

/// The simulated kernel's message bytes, for drivers that play the kernel themselves
/// at full speed (the benchmark) instead of going through the serving thread.
extension SimulatedJool {
    /// The Jool family id the simulator hands out.
    public static var familyID: UInt16 { KernelMessages.familyID }

    /// A joold session packet as the kernel multicasts it, carrying `payload`.
    public static func sessionPacket(instance: String = JoolNetlink.defaultInstanceName,
                                     version: JoolVersion, payload: [UInt8]) -> [UInt8] {
        KernelMessages.sessionMulticast(instance: instance, version: version, payload: payload)
    }
}
