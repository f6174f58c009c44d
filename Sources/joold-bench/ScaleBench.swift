struct ScaleFigures {}
struct ScaleBench {
    let binaries: String
    let work: WorkDirectory
    let instances: Int
    func run(progress: (String) -> Void) throws -> ScaleFigures { ScaleFigures() }
}
extension Table { static func scale(_ f: ScaleFigures) -> String { "" } }
