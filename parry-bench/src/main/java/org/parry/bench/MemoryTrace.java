package org.parry.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A labelled series of memory samples taken during a long run, printed as a table and returned as
 * JSON. Each sample records:
 * <ul>
 *   <li>the resident set size ({@code VmRSS}) as found,
 *   <li>the RSS right after a {@code System.gc()} request and glibc's {@code malloc_trim(0)}
 *       ("trimmed": garbage and free blocks the allocator kept for reuse given back),
 *   <li>native memory in use ({@link NativeMalloc#inUseBytes()}: malloc'ed and not freed, which is
 *       where a native leak shows whatever fragmentation does to the RSS),
 *   <li>the live Java heap (after the collection request).
 * </ul>
 * A memory leak grows with the work done; a cache grows while it meets new cases, then stops. So
 * {@link #growth} compares two samples, and a benchmark chooses them to tell one from the other.
 */
final class MemoryTrace {

    /** One sample's numbers, in bytes. */
    record Sample(String when, long rss, long rssTrimmed, long nativeInUse, long liveHeap) {

        Map<String, Object> toJson() {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("when", when);
            json.put("rss_bytes", rss);
            json.put("rss_trimmed_bytes", rssTrimmed);
            json.put("native_in_use_bytes", nativeInUse);
            json.put("live_heap_bytes", liveHeap);
            return json;
        }
    }

    /** Growth from one sample to a later one, in MiB. */
    record Growth(String from, String to, double rssMib, double rssTrimmedMib, double nativeInUseMib,
            double liveHeapMib) {

        /**
         * Flat when trimmed RSS and native memory in use grow by less than the given MiB, and the
         * live heap by less than that plus what the run keeps by design.
         */
        boolean flat(double limitMib, double keptMib) {
            return rssTrimmedMib < limitMib && nativeInUseMib < limitMib
                    && liveHeapMib < limitMib + keptMib;
        }

        String describe() {
            return String.format("from %s to %s: RSS %+.1f MiB, trimmed RSS %+.1f MiB, native in use"
                    + " %+.1f MiB, live heap %+.1f MiB", from, to, rssMib, rssTrimmedMib,
                    nativeInUseMib, liveHeapMib);
        }

        Map<String, Object> toJson() {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("from", from);
            json.put("to", to);
            json.put("rss_mib", rssMib);
            json.put("rss_trimmed_mib", rssTrimmedMib);
            json.put("native_in_use_mib", nativeInUseMib);
            json.put("live_heap_mib", liveHeapMib);
            return json;
        }
    }

    private final List<Sample> samples = new ArrayList<>();

    /** Takes a sample now (costs a full collection and a trim: not for hot loops). */
    Sample sample(String when) {
        long rss = ProcessMemory.residentBytes();
        long live = ProcessMemory.liveHeapBytes();
        NativeMalloc.trim();
        Sample sample = new Sample(when, rss, ProcessMemory.residentBytes(),
                NativeMalloc.inUseBytes(), live);
        samples.add(sample);
        return sample;
    }

    /** The last sample taken. */
    Sample last() {
        return samples.get(samples.size() - 1);
    }

    static Growth growth(Sample from, Sample to) {
        return new Growth(from.when(), to.when(), mib(to.rss() - from.rss()),
                mib(to.rssTrimmed() - from.rssTrimmed()),
                mib(to.nativeInUse() - from.nativeInUse()), mib(to.liveHeap() - from.liveHeap()));
    }

    void print(PrintStream out) {
        Table table = new Table("when", "RSS MiB", "trimmed RSS MiB", "native in use MiB",
                "live heap MiB");
        for (Sample s : samples) {
            table.row(s.when(), format(s.rss()), format(s.rssTrimmed()), format(s.nativeInUse()),
                    format(s.liveHeap()));
        }
        table.print(out);
    }

    List<Map<String, Object>> toJson() {
        return samples.stream().map(Sample::toJson).toList();
    }

    private static String format(long bytes) {
        return String.format("%.1f", mib(bytes));
    }

    private static double mib(long bytes) {
        return ProcessMemory.mib(bytes);
    }
}
