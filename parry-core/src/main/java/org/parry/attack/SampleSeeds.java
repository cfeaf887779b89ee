package org.parry.attack;

/**
 * Seeds of per-sample random streams that depend on the run's seed, a salt (a restart, say) and the
 * sample itself (its pixels and label), never on the batch around it or its position there: a
 * randomized attack then gives each sample the same result in any batch.
 */
final class SampleSeeds {

    private SampleSeeds() {}

    /**
     * The seed for the sample whose values are {@code values[from, from + length)}.
     *
     * @param label the sample's label (or target)
     */
    static long of(long seed, long salt, float[] values, int from, int length, int label) {
        long content = 1125899906842597L;
        for (int i = from; i < from + length; i++) {
            content = 31 * content + Float.floatToIntBits(values[i]);
        }
        content = 31 * content + label;
        return mix(mix(mix(seed) + salt) + content);
    }

    /** SplitMix64's finalizer. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
