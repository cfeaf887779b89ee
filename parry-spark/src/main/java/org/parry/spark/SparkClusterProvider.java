package org.parry.spark;

import org.parry.eval.Cluster;
import org.parry.eval.ClusterProvider;

/** Registers {@link SparkCluster} with {@link ClusterProvider#connect} (ServiceLoader). */
public final class SparkClusterProvider implements ClusterProvider {

    @Override
    public Cluster open(String master, int partitions) {
        return new SparkCluster(master, partitions);
    }
}
