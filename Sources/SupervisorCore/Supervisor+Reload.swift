import ControlProtocol

extension Supervisor {
    /// SIGHUP: re-reads the state file (an operator may have edited it) and converges:
    /// starts what was added, stops what was removed, restarts what changed. A state
    /// file that does not load leaves everything as it is.
    public func reload() {
        let wanted: [InstanceDefinition]
        do {
            wanted = try stateFile.load()
        } catch {
            logger.error("SIGHUP: not reloading: \(error.message)")
            return
        }
        let wantedKeys = Set(wanted.map(\.key))
        var started = 0, stopped = 0, restarted = 0
        for (key, managed) in instances where !wantedKeys.contains(key) {
            managed.retiring = true
            stopWorker(managed)
            instances[key] = nil
            endFollowers(of: key, reason: "removed")
            stopped += 1
        }
        for definition in wanted {
            if let managed = instances[definition.key] {
                guard managed.definition != definition else { continue }
                managed.definition = definition
                restarted += 1
                if managed.pid != nil {
                    managed.restartWhenStopped = true
                    stopWorker(managed)
                } else {
                    if let timer = managed.restartTimer { loop.cancelTimer(timer) }
                    startWorker(managed)
                }
            } else {
                guard let namespace = try? NamespaceReference(definition.netns) else { continue }
                let managed = ManagedInstance(definition: definition, namespace: namespace)
                instances[definition.key] = managed
                startWorker(managed)
                started += 1
            }
        }
        logger.notice("SIGHUP: reloaded \(stateFile.path): \(started) started, \(stopped) stopped, \(restarted) restarted")
    }
}
