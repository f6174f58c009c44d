import ControlProtocol

extension Supervisor {
    /// SIGHUP: re-reads the state file (an operator may have edited it) and converges:
    /// starts what was added, stops what was removed, restarts what changed. A state
    /// file that is missing, unreadable or invalid leaves everything as it is, and says
    /// why; until it is fixed and reloaded, `add` and `remove` are refused
    /// (`state-file-changed`) rather than overwrite the operator's edit.
    public func reload() {
        let wanted: [InstanceSpec]
        do {
            wanted = try stateFile.load(missingIsEmpty: false)
        } catch {
            logger.error("SIGHUP: not reloading: \(error.message); keeping the \(instances.count) instance(s) running as they are")
            return
        }
        let wantedKeys = Set(wanted.map(\.key))
        var started = 0, stopped = 0, restarted = 0
        for (key, managed) in instances where !wantedKeys.contains(key) {
            retire(managed)
            instances[key] = nil
            endFollowers(of: key, reason: "removed")
            stopped += 1
        }
        for spec in wanted {
            if let managed = instances[spec.key] {
                guard managed.spec != spec else { continue }
                managed.spec = spec
                restarted += 1
                stopWorker(managed, then: .restart)
            } else {
                // The state file checked every namespace's spelling.
                guard let namespace = try? NamespaceReference(spec.netns) else { continue }
                let managed = ManagedInstance(spec: spec, namespace: namespace)
                instances[spec.key] = managed
                startWorker(managed)
                started += 1
            }
        }
        logger.notice("SIGHUP: reloaded \(stateFile.path): \(started) started, \(stopped) stopped, \(restarted) restarted")
    }
}
