package org.parry.model.zoo;

import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * How to build an architecture: its base width, its activation function, the stride of its first
 * convolution, the robust blocks it hosts, and its last layer (linear, or the cosine head of SPAT,
 * which replaces the last fully connected layer of any architecture that ends in one). A larger first stride is one of the "bag of tricks"
 * against catastrophic overfitting (Li et al., arXiv 2209.02684, 2022); architectures without
 * convolutions accept only stride 1. Robust blocks go where the architecture says (see {@link
 * Architecture#hosts}).
 *
 * @param width the base width (0 = the architecture's default)
 * @param activation the nonlinearity after every hidden layer
 * @param firstStride stride of the first convolution, >= 1
 * @param cifs the probe of a CIFS block after the last convolutional stage ({@link CifsBlock}),
 *     or {@link CifsProbe#NONE}
 * @param cifsBeta the CIFS probes' weight β in the joint loss ({@link JointLoss}), > 0
 * @param denoise the operation of a feature-denoising block ({@link FeatureDenoising}), or null
 *     for none
 * @param head the last layer: {@link ClassifierHead#LINEAR} or the {@link CosineLinear} head
 * @param cosineScale s, the factor of a cosine head's cosines, > 0 (kept, unused, for a linear
 *     head)
 * @param dropout the rate p of a dropout layer (Srivastava et al., JMLR 2014) before the last
 *     layer, in [0, 1); 0 for none. Active in training only, and in the Monte-Carlo dropout passes
 *     of a Bayesian-uncertainty detector (Feinman et al. 2017), which need one
 */
public record ArchitectureOptions(int width, Nonlinearity activation, int firstStride,
        CifsProbe cifs, float cifsBeta, Denoiser denoise, ClassifierHead head, float cosineScale,
        float dropout) {

    /** CIFS's default β: the classifier and the probes weigh 1 : 1 in the joint loss. */
    public static final float DEFAULT_CIFS_BETA = 2f;

    /** SPAT's scale s of the cosine head (Hou et al. 2023's code). */
    public static final float DEFAULT_COSINE_SCALE = 8f;

    /** The architecture's default width, ReLU, stride 1, no robust block. */
    public static final ArchitectureOptions DEFAULT = new ArchitectureOptions(0, Nonlinearity.RELU, 1);

    public ArchitectureOptions {
        Objects.requireNonNull(activation, "activation");
        Objects.requireNonNull(cifs, "cifs");
        Objects.requireNonNull(head, "head");
        if (width < 0) {
            throw new IllegalArgumentException("width must be >= 0 (0 = default), got " + width);
        }
        if (firstStride < 1 || firstStride > 4) {
            throw new IllegalArgumentException("first-layer stride must be in 1..4, got " + firstStride);
        }
        if (!(cifsBeta > 0f) || !Float.isFinite(cifsBeta)) {
            throw new IllegalArgumentException("the CIFS weight beta must be > 0, got " + cifsBeta);
        }
        if (!(cosineScale > 0f) || !Float.isFinite(cosineScale)) {
            throw new IllegalArgumentException("the cosine scale must be > 0, got " + cosineScale);
        }
        if (!(dropout >= 0f && dropout < 1f)) {
            throw new IllegalArgumentException("the dropout rate must be in [0, 1), got " + dropout);
        }
    }

    /** Without a dropout layer. */
    public ArchitectureOptions(int width, Nonlinearity activation, int firstStride,
            CifsProbe cifs, float cifsBeta, Denoiser denoise, ClassifierHead head,
            float cosineScale) {
        this(width, activation, firstStride, cifs, cifsBeta, denoise, head, cosineScale, 0f);
    }

    /** No robust block, a linear head. */
    public ArchitectureOptions(int width, Nonlinearity activation, int firstStride) {
        this(width, activation, firstStride, CifsProbe.NONE, DEFAULT_CIFS_BETA, null,
                ClassifierHead.LINEAR, DEFAULT_COSINE_SCALE);
    }

    /** ReLU and stride 1 with this width. */
    public static ArchitectureOptions ofWidth(int width) {
        return new ArchitectureOptions(width, Nonlinearity.RELU, 1);
    }

    /** These options with a CIFS block of this probe and weight. */
    public ArchitectureOptions withCifs(CifsProbe probe, float beta) {
        return new ArchitectureOptions(width, activation, firstStride, probe, beta, denoise, head,
                cosineScale, dropout);
    }

    /** These options with a feature-denoising block of this operation (null: none). */
    public ArchitectureOptions withDenoise(Denoiser operation) {
        return new ArchitectureOptions(width, activation, firstStride, cifs, cifsBeta, operation,
                head, cosineScale, dropout);
    }

    /** These options with this last layer; {@code scale} is a cosine head's s. */
    public ArchitectureOptions withHead(ClassifierHead classifier, float scale) {
        return new ArchitectureOptions(width, activation, firstStride, cifs, cifsBeta, denoise,
                classifier, scale, dropout);
    }

    /** These options with a dropout layer of rate {@code rate} before the last layer (0: none). */
    public ArchitectureOptions withDropout(float rate) {
        return new ArchitectureOptions(width, activation, firstStride, cifs, cifsBeta, denoise,
                head, cosineScale, rate);
    }

    /** The robust blocks these options ask for, by the names {@link Architecture#hosts} uses. */
    public Set<String> robustBlocks() {
        Set<String> blocks = new TreeSet<>();
        if (cifs != CifsProbe.NONE) {
            blocks.add("cifs");
        }
        if (activation == Nonlinearity.SPARTA) {
            blocks.add("sparta");
        }
        if (denoise != null) {
            blocks.add("denoise");
        }
        return blocks;
    }

    /** These options with the architecture's default width filled in. */
    ArchitectureOptions resolved(Architecture architecture) {
        return width == 0
                ? new ArchitectureOptions(architecture.defaultWidth(), activation, firstStride, cifs,
                        cifsBeta, denoise, head, cosineScale, dropout)
                : this;
    }
}
