package dev.qwen4j.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

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
    private static final String OS = System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT);
    private static final boolean LINUX = OS.contains("linux");
    /** Advice covers whole pages only: ranges are shrunk to this alignment (a multiple of any page size in use). */
    private static final long ALIGN = 64 * 1024;
    private static final MethodHandle MADVISE = LINUX || OS.contains("mac") ? function("madvise",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT)) : null;
    private static final MethodHandle MMAP = LINUX ? function("mmap", FunctionDescriptor.of(ValueLayout.ADDRESS,
            ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
            ValueLayout.JAVA_LONG)) : null;
    private static final MethodHandle MUNMAP = LINUX ? function("munmap", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.JAVA_LONG)) : null;
    /** Linux: PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS. */
    private static final int PROT_RW = 3;
    private static final int MAP_ANON_PRIVATE = 0x22;

    private MemoryAdvice() {
    }

    /** A downcall handle for a C library function, or null where there is none. */
    private static MethodHandle function(String name, FunctionDescriptor descriptor) {
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find(name).map(f -> linker.downcallHandle(f, descriptor)).orElse(null);
        } catch (RuntimeException | LinkageError e) {
            return null;
        }
    }

    /**
     * {@code size} bytes of zeroed memory freed with {@code arena}. On Linux, fresh anonymous pages asked to be
     * transparent huge pages before anything touches them (memory from {@link Arena#allocate} is zeroed, i.e.
     * already faulted in as 4 KiB pages, when it is returned); elsewhere, or if that fails, {@code arena.allocate}.
     * Weights streamed from huge pages cross no 4 KiB page boundaries, each a TLB miss and a stop for the
     * hardware prefetcher.
     */
    public static MemorySegment allocateHuge(long size, Arena arena) {
        if (MMAP != null && MUNMAP != null && MADVISE != null && size >= 2 << 20) {
            try {
                long length = size + (2 << 20);
                MemorySegment raw = (MemorySegment) MMAP.invokeExact(MemorySegment.NULL, length, PROT_RW, MAP_ANON_PRIVATE, -1, 0L);
                if (raw.address() != -1L && raw.address() != 0L) {
                    long start = (raw.address() + (2 << 20) - 1) & -(2L << 20);
                    int ignored = (int) MADVISE.invokeExact(MemorySegment.ofAddress(start), size, HUGE_PAGE);
                    long base = raw.address();
                    return MemorySegment.ofAddress(start).reinterpret(size, arena, s -> unmap(base, length));
                }
            } catch (Throwable t) {
                // fall through to the arena
            }
        }
        return arena.allocate(size, 64);
    }

    private static void unmap(long address, long length) {
        try {
            int ignored = (int) MUNMAP.invokeExact(MemorySegment.ofAddress(address), length);
        } catch (Throwable t) {
            throw new IllegalStateException("munmap failed", t);
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
