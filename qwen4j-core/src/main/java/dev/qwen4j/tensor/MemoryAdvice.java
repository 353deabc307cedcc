package dev.qwen4j.tensor;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * Tells the operating system that pages of a memory-mapped file are no longer needed by this process
 * ({@code madvise(MADV_DONTNEED)}), so they leave its resident set; the file stays mapped and any later read
 * faults them back in from the page cache or the disk. Used once weights have been copied into a kernel's own
 * layout. A no-op where {@code madvise} is not available (Windows) and for memory that is not a file mapping —
 * on anonymous memory the same call would discard the data.
 */
public final class MemoryAdvice {
    /** MADV_DONTNEED on Linux and macOS. */
    private static final int DONT_NEED = 4;
    /** MADV_HUGEPAGE (Linux only). */
    private static final int HUGE_PAGE = 14;
    private static final boolean LINUX = System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux");
    /** Advice covers whole pages only: ranges are shrunk to this alignment (a multiple of any page size in use). */
    private static final long ALIGN = 64 * 1024;
    private static final MethodHandle MADVISE = lookup().orElse(null);

    private MemoryAdvice() {
    }

    private static Optional<MethodHandle> lookup() {
        try {
            String os = System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT);
            if (!os.contains("linux") && !os.contains("mac")) return Optional.empty();
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find("madvise").map(f -> linker.downcallHandle(f,
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT)));
        } catch (RuntimeException | LinkageError e) {
            return Optional.empty();
        }
    }

    /**
     * Asks Linux to back {@code seg} (fresh anonymous memory, best aligned to 2 MiB) with transparent huge pages
     * where the system allows it on request: long streams of weights then cross no 4 KiB page boundaries (each
     * one a TLB miss and a restart of the hardware prefetcher). Returns whether the advice was taken.
     */
    public static boolean hugePages(MemorySegment seg) {
        if (MADVISE == null || !LINUX || seg.isMapped() || !seg.isNative()) return false;
        long start = (seg.address() + ALIGN - 1) & -ALIGN;
        long end = (seg.address() + seg.byteSize()) & -ALIGN;
        if (end <= start) return false;
        try {
            return (int) MADVISE.invokeExact(MemorySegment.ofAddress(start), end - start, HUGE_PAGE) == 0;
        } catch (Throwable t) {
            return false;
        }
    }

    /**
     * Drops the whole 64 KiB-aligned pages inside {@code seg} from the resident set if it is part of a file mapping.
     * Returns whether the advice was given.
     */
    public static boolean release(MemorySegment seg) {
        if (MADVISE == null || !seg.isMapped()) return false;
        long start = (seg.address() + ALIGN - 1) & -ALIGN;
        long end = (seg.address() + seg.byteSize()) & -ALIGN;
        if (end <= start) return false;
        try {
            return (int) MADVISE.invokeExact(MemorySegment.ofAddress(start), end - start, DONT_NEED) == 0;
        } catch (Throwable t) {
            return false;
        }
    }
}
