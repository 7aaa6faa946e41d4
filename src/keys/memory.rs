//! Returning freed memory to the operating system.
//!
//! Why: a parsed keyring is a million small allocations. Freed, they stay
//! in the C allocator's heap, interleaved with what was allocated after
//! them, so a command that drops the keyring before its next phase (the web
//! of trust after an import) would still peak at both. glibc's
//! `malloc_trim` hands the free pages back. Elsewhere this does nothing.

/// Hands the memory freed so far back to the operating system, where the
/// allocator allows it.
pub(crate) fn release_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn malloc_trim(pad: usize) -> std::ffi::c_int;
        }
        // SAFETY: malloc_trim takes no pointers and only returns free
        // pages of glibc's heap to the kernel; it is thread-safe.
        unsafe {
            malloc_trim(0);
        }
    }
}
