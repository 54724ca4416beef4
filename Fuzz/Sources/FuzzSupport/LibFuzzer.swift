/// Runs libFuzzer's driver with `test` as the fuzz target.
///
/// SwiftPM links an executable's entry point as `<Target>_main` and aliases
/// `main` to it, which leaves libFuzzer's own `main` unused; each target's
/// `<Target>_main` calls this to hand control to libFuzzer.
public func runLibFuzzer(
    _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ test: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt {
    var argc = argc
    var argv = argv
    return runDriver(&argc, &argv, test)
}

/// libFuzzer's `LLVMFuzzerRunDriver`.
@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ test: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt
