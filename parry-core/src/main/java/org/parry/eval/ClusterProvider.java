package org.parry.eval;

import java.util.ServiceLoader;
import java.util.regex.Pattern;

/**
 * Makes {@link Cluster}s; implementations are found with {@link ServiceLoader} (parry-spark's
 * {@code META-INF/services/org.parry.eval.ClusterProvider}), so parry-core runs without any cluster
 * library on the class path.
 */
public interface ClusterProvider {

    /** The master URLs a provider is asked for: Spark's spellings. */
    Pattern MASTER = Pattern.compile("local(\\[(\\d+|\\*)(,\\d+)?])?|local-cluster\\[\\d+,\\d+,\\d+]"
            + "|spark://[^\\s/]+(:\\d+)?(,[^\\s/]+(:\\d+)?)*|yarn|k8s://\\S+");

    /**
     * Connects to the cluster at {@code master}.
     *
     * @param master a master URL matching {@link #MASTER}
     * @param partitions partitions each batch of units is cut into; 0 for the cluster's default
     *     parallelism
     */
    Cluster open(String master, int partitions);

    /**
     * Connects through the first provider on the class path.
     *
     * @throws IllegalArgumentException for a master URL no provider takes, or when no provider is on
     *     the class path (the message says how to add parry-spark)
     */
    static Cluster connect(String master, int partitions) {
        if (master == null || !MASTER.matcher(master.trim()).matches()) {
            throw new IllegalArgumentException("--master '" + master + "' is not a Spark master URL:"
                    + " give local[N], local[*], spark://HOST:PORT, yarn or k8s://URL");
        }
        if (partitions < 0) {
            throw new IllegalArgumentException("--partitions must be >= 0 (0: the cluster's"
                    + " default parallelism), got " + partitions);
        }
        return ServiceLoader.load(ClusterProvider.class).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("--master " + master + " needs"
                        + " parry-spark on the class path: build it with 'mvn -pl parry-spark -am"
                        + " package' (./parry then adds it), or run parry-spark's shaded jar with"
                        + " spark-submit"))
                .open(master.trim(), partitions);
    }
}
