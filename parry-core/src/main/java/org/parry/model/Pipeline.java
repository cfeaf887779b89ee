package org.parry.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import org.parry.loss.LogitLoss;

/**
 * A defended model: stages (preprocessing, purification, random transforms) in front of a network,
 * as one {@link Classifier}, so that every attack runs on the defended model without knowing it is
 * defended. Each stage says how an attack's gradient passes through it ({@link GradientMode}):
 * autograd, or the stage's BPDA stand-in; and the pipeline averages every gradient over {@code
 * eot} draws of its stages' randomness (expectation over transformation, Athalye, Engstrom, Ilyas
 * and Kwok, ICML 2018). With the identity stand-in, BPDA reads
 * <pre>
 *   forward:  u = s(x),   logits f(u)
 *   backward: ∇_x L(f(s(x)), y) ≈ ∇_u L(f(u), y)
 * </pre>
 * and EOT estimates ∇_x E_t[L(f(t(x)), y)] by (1/n) Σ_k ∇_x L(f(t_k(x)), y), the same draw t_k in
 * the forward and the backward pass (see {@link LossGradient#mean}).
 *
 * <p>How a gradient is taken. Stages whose output enters the graph other than through autograd
 * (BPDA, or {@link GradientMode#EXACT} on a stage that is not differentiable) are first run without
 * a graph, before the gradient collector opens, since a stage may need a collector of its own (a
 * generator projection runs gradient descent). Inside the collector, each such stage contributes
 * {@code value + (g(h) - stopGradient(g(h)))}, whose value is exactly the stage's output and whose
 * gradient is the stand-in's (or zero, for EXACT on a non-differentiable stage); the other stages
 * run again under autograd with the same random draw. The network is a {@link
 * DifferentiableClassifier} for white-box use; any other classifier makes the pipeline black-box.
 *
 * <p>Random stages draw from the pipeline's own generator, seeded, so a run is reproducible:
 * every forward pass, and every draw of a gradient, takes the next seed of each stage. {@link
 * #withFixedRandomness} gives the deterministic model of one draw, on which finite differences
 * can check a gradient. The pipeline owns its stages and closes them; the network stays the
 * caller's, as with a {@link ForwardingClassifier}. Not thread-safe.
 */
public final class Pipeline implements Classifier {

    /**
     * One stage and how gradients pass through it.
     *
     * @param stage the stage
     * @param mode autograd or BPDA
     */
    public record Step(Stage stage, GradientMode mode) {
        public Step {
            Objects.requireNonNull(stage, "stage");
            Objects.requireNonNull(mode, "mode");
        }

        /** Whether the stage's output is computed before the graph and spliced into it. */
        boolean spliced() {
            return mode == GradientMode.BPDA || !stage.differentiable();
        }
    }

    private final Classifier network;
    private final List<Step> steps;
    private final int draws;
    private final long seed;
    private final boolean fixedRandomness;
    private final boolean owner;
    private SplittableRandom random;

    private Pipeline(Classifier network, List<Step> steps, int draws, long seed,
            boolean fixedRandomness, boolean owner) {
        this.network = network;
        this.steps = List.copyOf(steps);
        this.draws = draws;
        this.seed = seed;
        this.fixedRandomness = fixedRandomness;
        this.owner = owner;
        this.random = new SplittableRandom(seed);
    }

    /** A pipeline in front of {@code network}, which stays the caller's to close. */
    public static Builder builder(Classifier network) {
        return new Builder(network);
    }

    /** The stages in order, with their gradient modes. */
    public List<Step> steps() {
        return steps;
    }

    /** The network behind the stages. */
    public Classifier network() {
        return network;
    }

    /** Draws of the stages' randomness averaged per gradient (1: no EOT). */
    public int eot() {
        return draws;
    }

    /** Whether some gradient passes a BPDA stand-in: it is then no model's exact derivative. */
    public boolean approximatesGradients() {
        return steps.stream().anyMatch(step -> step.mode() == GradientMode.BPDA);
    }

    /** Whether some stage is random: two forward passes on one input may differ. */
    public boolean randomized() {
        return steps.stream().anyMatch(step -> step.stage().randomized());
    }

    /**
     * The same pipeline with every forward pass and gradient using one fixed draw of the stages'
     * randomness and no EOT: a deterministic model whose gradient finite differences can check.
     * It shares this pipeline's stages and does not close them.
     */
    public Pipeline withFixedRandomness(long drawSeed) {
        return new Pipeline(network, steps, 1, drawSeed, true, false);
    }

    /**
     * The same pipeline with its randomness seeded anew: an evaluation gives each unit of work its
     * own seed, so that its numbers do not depend on the order in which units run or on which of
     * them a resumed run skips. It shares this pipeline's stages and does not close them.
     */
    public Pipeline withSeed(long drawSeed) {
        return new Pipeline(network, steps, draws, drawSeed, fixedRandomness, false);
    }

    /** The stages, their settings and gradient modes, and the EOT draws, for cards and reports. */
    public Map<String, Object> describe() {
        List<Map<String, Object>> stages = new ArrayList<>();
        for (Step step : steps) {
            Map<String, Object> stage = new LinkedHashMap<>();
            stage.put("name", step.stage().name());
            stage.put("settings", step.stage().settings());
            stage.put("gradients", step.mode().id());
            stage.put("differentiable", step.stage().differentiable());
            stage.put("randomized", step.stage().randomized());
            stages.add(stage);
        }
        Map<String, Object> description = new LinkedHashMap<>();
        description.put("network", network.name());
        description.put("stages", stages);
        description.put("eot", draws);
        description.put("seed", seed);
        return description;
    }

    @Override
    public String name() {
        return steps.stream().map(step -> step.stage().name()).collect(Collectors.joining(" > "))
                + " > " + network.name();
    }

    @Override
    public Shape inputShape() {
        return network.inputShape();
    }

    @Override
    public int numClasses() {
        return network.numClasses();
    }

    @Override
    public Bounds bounds() {
        return network.bounds();
    }

    @Override
    public NDArray logits(NDArray x) {
        InputCheck.requireBatch(this, x);
        long[] seeds = drawSeeds();
        NDManager caller = x.getManager();
        try (NDManager scope = caller.newSubManager()) {
            scope.tempAttachAll(x);
            NDArray h = x;
            for (int i = 0; i < steps.size(); i++) {
                h = apply(i, h, seeds[i]);
            }
            NDArray logits = network.logits(h);
            logits.attach(caller);
            return logits;
        }
    }

    @Override
    public boolean hasGradients() {
        return network instanceof DifferentiableClassifier;
    }

    @Override
    public LossGradient lossGradient(NDArray x, NDArray labels, LogitLoss loss) {
        if (!hasGradients()) {
            throw new IllegalStateException("the network behind the defense: "
                    + NoGradientClassifier.noGradientsMessage(network.name()));
        }
        InputCheck.requireBatch(this, x);
        InputCheck.requireLabels(this, x, labels);
        ((DifferentiableClassifier) network).checkKernels(x);
        return LossGradient.mean(this::pass, x, labels, loss, draws);
    }

    /**
     * Closes the stages (a pipeline from {@link #withFixedRandomness}: nothing), not the network,
     * which the caller owns.
     */
    @Override
    public void close() {
        if (owner) {
            steps.forEach(step -> step.stage().close());
        }
    }

    /** One forward and backward pass with one draw of the stages' randomness. */
    private LossGradient pass(NDArray x, NDArray labels, LogitLoss loss) {
        long[] seeds = drawSeeds();
        int spliced = -1;
        for (int i = 0; i < steps.size(); i++) {
            spliced = steps.get(i).spliced() ? i : spliced;
        }
        NDManager caller = x.getManager();
        try (NDManager scope = caller.newSubManager()) {
            scope.tempAttachAll(x, labels);
            // The stages up to the last spliced one, without a graph and before any collector.
            NDArray[] values = new NDArray[spliced + 1];
            NDArray h = x;
            for (int i = 0; i <= spliced; i++) {
                h = apply(i, h, seeds[i]);
                values[i] = h;
            }
            DifferentiableClassifier net = (DifferentiableClassifier) network;
            LossGradient result = DifferentiableClassifier.gradient(this, x, labels, leaf -> {
                NDArray u = leaf;
                for (int i = 0; i < steps.size(); i++) {
                    u = steps.get(i).spliced() ? splice(steps.get(i), u, values[i])
                            : apply(i, u, seeds[i]);
                }
                return net.score(u, labels, loss);
            });
            result.logits().attach(caller);
            result.loss().attach(caller);
            result.gradient().attach(caller);
            return result;
        }
    }

    /**
     * The stage's output {@code value} in the graph of its input {@code h}: value + (g(h) -
     * stopGradient(g(h))) with g the stand-in (BPDA), or with zero in place of g's gradient (EXACT
     * on a stage that is not differentiable). The added term is exactly zero, so the value is the
     * stage's own output to the bit.
     */
    private NDArray splice(Step step, NDArray h, NDArray value) {
        if (step.mode() == GradientMode.BPDA) {
            NDArray standIn = step.stage().standIn(h, bounds());
            return value.add(standIn.sub(standIn.stopGradient()));
        }
        return value.add(h.sub(h.stopGradient()).mul(0f));
    }

    private NDArray apply(int i, NDArray h, long stageSeed) {
        Stage stage = steps.get(i).stage();
        NDArray out = stage.apply(h, bounds(), new SplittableRandom(stageSeed));
        if (!out.getShape().equals(h.getShape())) {
            throw new IllegalStateException("stage '" + stage.name() + "' turned a batch of shape "
                    + h.getShape() + " into " + out.getShape() + "; a stage must keep the shape");
        }
        return out;
    }

    /** One seed per stage for the next pass: the same ones every pass with fixed randomness. */
    private long[] drawSeeds() {
        if (fixedRandomness) {
            random = new SplittableRandom(seed);
        }
        long[] seeds = new long[steps.size()];
        for (int i = 0; i < seeds.length; i++) {
            seeds[i] = random.nextLong();
        }
        return seeds;
    }

    /** Builds a {@link Pipeline}: stages in order, then {@link #build()}. */
    public static final class Builder {

        private final Classifier network;
        private final List<Step> steps = new ArrayList<>();
        private int draws = 1;
        private long seed = 0;

        private Builder(Classifier network) {
            this.network = Objects.requireNonNull(network, "network");
            if (network instanceof Pipeline) {
                throw new IllegalArgumentException("the network is itself a pipeline; add its"
                        + " stages to this one instead");
            }
        }

        /** Adds a stage that gradients pass by autograd. */
        public Builder add(Stage stage) {
            return add(stage, GradientMode.EXACT);
        }

        /** Adds a stage and how gradients pass through it. */
        public Builder add(Stage stage, GradientMode mode) {
            steps.add(new Step(stage, mode));
            return this;
        }

        /** Draws averaged per gradient, at least 1 (default 1). */
        public Builder eot(int value) {
            if (value < 1) {
                throw new IllegalArgumentException("eot draws must be >= 1, got " + value);
            }
            draws = value;
            return this;
        }

        /** Seeds the stages' randomness (default 0). */
        public Builder seed(long value) {
            seed = value;
            return this;
        }

        public Pipeline build() {
            if (steps.isEmpty()) {
                throw new IllegalArgumentException("a pipeline needs at least one stage in front"
                        + " of the network");
            }
            return new Pipeline(network, steps, draws, seed, false, true);
        }
    }
}
