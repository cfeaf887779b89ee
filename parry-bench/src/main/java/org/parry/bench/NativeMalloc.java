package org.parry.bench;

import com.sun.jna.Function;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Structure;

/**
 * Optional glibc allocator tuning for {@code --malloc-tuning}. PyTorch allocates every
 * activation of a step with {@code malloc} and frees it when the step's manager closes. With
 * glibc's defaults, blocks of several MiB (a 128x32x28x28 float activation is 12.8 MB) are often
 * mapped and unmapped, or trimmed from the heap top, every step, so each step page-faults its
 * whole working set in again and the kernel zeroes it (about 11,000 page faults per madry-cnn
 * batch on the reference machine). Raising the mmap threshold to its maximum (32 MiB) and the
 * trim threshold to 1 GiB keeps freed memory in the process for reuse: about ten times fewer page
 * faults and 10-30% more gradient throughput, at the price of RSS staying at the peak working set.
 *
 * <p>The same effect without code: start the JVM with {@code MALLOC_MMAP_THRESHOLD_=33554432
 * MALLOC_TRIM_THRESHOLD_=1073741824} in the environment.
 *
 * <p>It also reads what native code holds: {@link #inUseBytes()} (glibc's {@code mallinfo2}) and
 * gives freed pages back with {@link #trim()}, so that memory benchmarks can tell memory in use
 * from memory the allocator keeps for reuse.
 */
public final class NativeMalloc {

    private static final int M_TRIM_THRESHOLD = -1;
    private static final int M_MMAP_THRESHOLD = -3;
    /** glibc refuses larger mmap thresholds on 64-bit (HEAP_MAX_SIZE / 2). */
    public static final int MMAP_THRESHOLD = 32 * 1024 * 1024;
    public static final int TRIM_THRESHOLD = 1024 * 1024 * 1024;

    private NativeMalloc() {}

    /**
     * Calls {@code mallopt} for both thresholds.
     *
     * @return a description of what was done, or why it was not (not glibc, no JNA)
     */
    public static String keepFreedMemory() {
        try {
            Function mallopt = NativeLibrary.getInstance("c").getFunction("mallopt");
            int mmap = mallopt.invokeInt(new Object[] {M_MMAP_THRESHOLD, MMAP_THRESHOLD});
            int trim = mallopt.invokeInt(new Object[] {M_TRIM_THRESHOLD, TRIM_THRESHOLD});
            if (mmap != 1 || trim != 1) {
                return "mallopt refused (mmap threshold " + mmap + ", trim threshold " + trim + ")";
            }
            return "glibc mmap threshold 32 MiB, trim threshold 1 GiB";
        } catch (RuntimeException | LinkageError e) {
            return "not available: " + e;
        }
    }

    /**
     * Calls glibc's {@code malloc_trim(0)}: every arena gives its free pages back to the kernel, so
     * the resident set size that follows counts only memory in use, not memory the allocator keeps
     * for reuse.
     *
     * @return whether it ran (false where glibc or JNA is not available)
     */
    public static boolean trim() {
        try {
            NativeLibrary.getInstance("c").getFunction("malloc_trim").invokeInt(new Object[] {0});
            return true;
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    /**
     * Bytes that native code has allocated with {@code malloc} and not freed, summed over every
     * glibc arena: {@code uordblks + hblkhd} of {@code mallinfo2()} (glibc 2.33 or later). PyTorch's
     * CPU tensors, oneDNN's caches and the JVM's own native allocations all count; free blocks the
     * allocator keeps for reuse and the Java heap do not. A leak of native memory shows here whatever
     * the allocator's fragmentation does to the resident set size.
     *
     * @return the bytes in use, or -1 where glibc's {@code mallinfo2} is not available
     */
    public static long inUseBytes() {
        try {
            MallocInfo info = GlibcMallinfo.LIBC.mallinfo2();
            return info.uordblks + info.hblkhd;
        } catch (RuntimeException | LinkageError e) {
            return -1;
        }
    }

    /** glibc's {@code struct mallinfo2}: ten {@code size_t} fields. */
    @Structure.FieldOrder({"arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
        "uordblks", "fordblks", "keepcost"})
    public static final class MallocInfo extends Structure implements Structure.ByValue {
        public long arena;
        public long ordblks;
        public long smblks;
        public long hblks;
        public long hblkhd;
        public long usmblks;
        public long fsmblks;
        public long uordblks;
        public long fordblks;
        public long keepcost;
    }

    /** The C library's {@code mallinfo2}, loaded on first use. */
    private interface GlibcMallinfo extends Library {
        GlibcMallinfo LIBC = Native.load("c", GlibcMallinfo.class);

        MallocInfo mallinfo2();
    }
}
