import ControlProtocol

/// The open `follow` connections: who follows which instance (or all of them).
struct Followers {
    struct Entry {
        let id: UInt64
        /// nil: every instance, present and future.
        let instance: InstanceKey?
        let stream: ControlStream
    }

    private var entries: [UInt64: Entry] = [:]
    private var nextID: UInt64 = 1

    var count: Int { entries.count }
    var all: [Entry] { Array(entries.values) }

    mutating func add(instance: InstanceKey?, stream: ControlStream) -> UInt64 {
        let id = nextID
        nextID += 1
        entries[id] = Entry(id: id, instance: instance, stream: stream)
        return id
    }

    mutating func remove(_ id: UInt64) {
        entries[id] = nil
    }

    /// The followers of `key`: those of that instance and those of all.
    func following(_ key: InstanceKey) -> [Entry] {
        entries.values.filter { $0.instance == nil || $0.instance == key }
    }

    func wants(_ key: InstanceKey) -> Bool {
        entries.values.contains { $0.instance == nil || $0.instance == key }
    }
}
