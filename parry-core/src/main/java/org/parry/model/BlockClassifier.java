package org.parry.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import java.util.List;
import java.util.Objects;
import org.parry.loss.LogitLoss;
import org.parry.model.zoo.CifsBlock;
import org.parry.model.zoo.JointLoss;
import org.parry.model.zoo.SideOutputs;

/**
 * A classifier around a DJL {@link Block} built by Parry (from the model zoo, trained by the
 * {@code Trainer}). The block always runs with {@code training=false}: BatchNorm uses its running
 * statistics, Dropout is off. Parry's own blocks give input gradients in that mode, and their
 * parameters are frozen while the classifier computes them, so an attack never leaves parameter
 * gradients behind.
 *
 * <p>A network with auxiliary heads (CIFS probes, {@link CifsBlock}) is attacked on its joint
 * loss by default: the gradient is that of {@link JointLoss} with the attack's loss applied to
 * every head, since attacking the classifier's head alone overstates robustness. {@link
 * #headOnly()} gives the view that attacks the classifier's head alone, for comparison.
 */
public final class BlockClassifier extends DifferentiableClassifier {

    private final Block block;
    private final ParameterStore parameters;
    private final NDManager owner;
    private final boolean jointLoss;
    private final boolean ownsManager;

    /**
     * @param block an initialized block mapping [N, C, H, W] pixels to [N, K] logits
     * @param owner the manager holding the block's parameters; the classifier owns it and closes
     *     it in {@link #close()}
     */
    public BlockClassifier(String name, Block block, Shape inputShape, int numClasses,
            NDManager owner) {
        this(name, block, inputShape, numClasses, owner, true, true);
        if (!block.isInitialized()) {
            throw new IllegalArgumentException(
                    "block of '" + name + "' is not initialized; call block.initialize(...) first");
        }
    }

    private BlockClassifier(String name, Block block, Shape inputShape, int numClasses,
            NDManager owner, boolean jointLoss, boolean ownsManager) {
        super(name, inputShape, numClasses);
        this.block = block;
        this.owner = Objects.requireNonNull(owner, "owner");
        this.parameters = new ParameterStore(owner, false);
        this.jointLoss = jointLoss;
        this.ownsManager = ownsManager;
    }

    /**
     * The same network attacked on its classifier's head alone, ignoring auxiliary heads. It shares
     * this model's parameters and does not close them.
     */
    public BlockClassifier headOnly() {
        return new BlockClassifier(name(), block, inputShape(), numClasses(), owner, false, false);
    }

    /** The number of auxiliary heads (CIFS probes) the network has. */
    public int probes() {
        return countProbes(block);
    }

    /** Whether attacks differentiate the joint loss of the classifier and its probes. */
    public boolean attacksJointLoss() {
        return jointLoss && probes() > 0;
    }

    /**
     * What attacks on this model differentiate, for reports: null for a network without probes,
     * else the joint loss or, for {@link #headOnly()}, the classifier's head alone.
     */
    public String attackLoss() {
        int probes = probes();
        if (probes == 0) {
            return null;
        }
        return jointLoss
                ? "joint loss of the classifier and its " + probes + " CIFS probe(s), the default"
                        + " (attacking the classifier's head alone overstates robustness)"
                : "the classifier's head alone (--head-only; its " + probes + " CIFS probe(s)"
                        + " ignored: robustness may be overstated)";
    }

    private static int countProbes(Block block) {
        int own = block instanceof CifsBlock ? 1 : 0;
        return own + block.getChildren().values().stream()
                .mapToInt(BlockClassifier::countProbes).sum();
    }

    /** The underlying block, for training and saving. */
    public Block block() {
        return block;
    }

    /** The manager that holds the parameters. */
    public NDManager manager() {
        return owner;
    }

    /** The parameter store forward passes use, shared with the trainer. */
    public ParameterStore parameterStore() {
        return parameters;
    }

    @Override
    protected NDArray forward(NDArray x, boolean forGradient) {
        if (forGradient) {
            block.freezeParameters(true);
        }
        return block.forward(parameters, new NDList(x), false).singletonOrThrow();
    }

    @Override
    protected Scored score(NDArray x, NDArray labels, LogitLoss loss) {
        try (SideOutputs side = SideOutputs.open(null)) {
            Scored main = super.score(x, labels, loss);
            if (!jointLoss || side.probes().isEmpty()) {
                return main;
            }
            List<NDArray> probeLosses = side.probes().stream()
                    .map(probe -> loss.perSample(probe.logits(), labels)).toList();
            return new Scored(main.logits(),
                    JointLoss.combine(main.loss(), probeLosses, JointLoss.beta(side.probes())));
        }
    }

    @Override
    public void close() {
        if (ownsManager) {
            owner.close();
        }
    }
}
