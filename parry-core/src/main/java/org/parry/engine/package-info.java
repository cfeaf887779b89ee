/**
 * The native engine as Parry uses it and checks it: the one backward pass ({@link
 * org.parry.engine.Backward}), the libtorch switches DJL does not expose ({@link
 * org.parry.engine.TorchContext}), and the engine self-test with its cached verdict ({@link
 * org.parry.engine.SelfTest}, {@link org.parry.engine.EngineCheck}).
 */
package org.parry.engine;
