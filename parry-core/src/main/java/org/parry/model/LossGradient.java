package org.parry.model;

import ai.djl.ndarray.NDArray;

/**
 * What one forward and backward pass gives an attack: the logits and per-sample loss at the input,
 * and the gradient of the summed loss with respect to the input. All three are detached from any
 * graph and attached to the manager of the input.
 *
 * @param logits [N, K]
 * @param loss [N]
 * @param gradient same shape as the input
 */
public record LossGradient(NDArray logits, NDArray loss, NDArray gradient) {}
