package org.parry.engine;

import ai.djl.engine.Engine;
import com.sun.jna.Function;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The few switches of libtorch's global {@code at::Context} that DJL does not expose, reached
 * through JNA in the already-loaded {@code libtorch_cpu.so}:
 * <ul>
 *   <li>{@code setUserEnabledMkldnn}: whether convolutions dispatch to oneDNN. PyTorch chooses a
 *       convolution's backend again when its backward runs, so turning oneDNN off around a
 *       backward pass keeps the (fast, verified) oneDNN forward and computes gradients with
 *       libtorch's own im2col + GEMM kernels. See {@link Backward} for why.</li>
 *   <li>{@code setUserEnabledNNPACK}: NNPACK is never faster than oneDNN on the CPUs Parry runs
 *       on, and on CPUs it does not support every convolution prints "Could not initialize
 *       NNPACK! Reason: Unsupported hardware." (1,832 lines in one demo); Parry turns it off.</li>
 * </ul>
 * The symbols are the Itanium-mangled names of {@code at::globalContext()} and the member
 * functions (x86-64 System V: {@code this} is the first argument). When the library or a
 * symbol cannot be found (another platform, another libtorch build), {@link #instance()} is
 * empty and the engine self-test decides whether the kernels can be trusted as they are.
 */
public final class TorchContext {

    private static final String LIBRARY = "libtorch_cpu.so";
    /**
     * dlopen flags: find the copy DJL loaded, never load another, and leave its symbols local
     * (JNA's default, RTLD_GLOBAL, would put libtorch's symbols in front of every library
     * resolved later).
     */
    private static final int RTLD_LAZY = 0x1;
    private static final int RTLD_NOLOAD = 0x4;
    private static final Optional<TorchContext> INSTANCE = locate();

    private final Pointer context;
    private final Function setMkldnn;
    private final Function getMkldnn;
    private final Function setNnpack;
    private final NativeLibrary library;

    private TorchContext(NativeLibrary library) {
        this.library = library;
        this.context = library.getFunction("_ZN2at13globalContextEv").invokePointer(new Object[0]);
        this.setMkldnn = library.getFunction("_ZN2at7Context20setUserEnabledMkldnnEb");
        this.getMkldnn = library.getFunction("_ZNK2at7Context17userEnabledMkldnnEv");
        this.setNnpack = library.getFunction("_ZN2at7Context20setUserEnabledNNPACKEb");
    }

    /** libtorch's global context, or empty when it cannot be reached on this platform. */
    public static Optional<TorchContext> instance() {
        return INSTANCE;
    }

    /** Whether convolutions may dispatch to oneDNN. */
    public boolean oneDnnEnabled() {
        return (getMkldnn.invokeInt(new Object[] {context}) & 0xff) != 0;
    }

    /** Lets convolutions dispatch to oneDNN, or not. */
    public void setOneDnnEnabled(boolean enabled) {
        setMkldnn.invokeVoid(new Object[] {context, enabled});
    }

    /** oneDNN's version as libtorch reports it, e.g. "Intel(R) MKL-DNN v3.7.1 (Git Hash ...)". */
    public String oneDnnVersion() {
        return text("_ZN2at18get_mkldnn_versionB5cxx11Ev");
    }

    /** MKL's version as libtorch reports it. */
    public String mklVersion() {
        return text("_ZN2at15get_mkl_versionB5cxx11Ev");
    }

    /** libtorch's intra-op thread count. */
    public int threads() {
        return library.getFunction("_ZN2at15get_num_threadsEv").invokeInt(new Object[0]);
    }

    /**
     * Calls a libtorch function that returns a {@code std::string} by value: the caller passes
     * the address of the result (32 bytes: data pointer, length, inline buffer) as a hidden first
     * argument. The string's heap buffer, if any, is left to the process (a few bytes, once).
     */
    private String text(String symbol) {
        Memory result = new Memory(32);
        library.getFunction(symbol).invokeVoid(new Object[] {result});
        long length = result.getLong(8);
        return new String(result.getPointer(0).getByteArray(0, (int) length),
                java.nio.charset.StandardCharsets.UTF_8).trim();
    }

    private static Optional<TorchContext> locate() {
        Engine.getEngine("PyTorch"); // loads libtorch
        try {
            Optional<Path> path = loadedLibrary();
            if (path.isEmpty()) {
                return Optional.empty();
            }
            TorchContext torch = new TorchContext(NativeLibrary.getInstance(path.get().toString(),
                    Map.of(Library.OPTION_OPEN_FLAGS, RTLD_LAZY | RTLD_NOLOAD)));
            torch.setNnpack.invokeVoid(new Object[] {torch.context, false});
            return Optional.of(torch);
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The path of the libtorch_cpu.so this process has loaded, from /proc/self/maps. */
    private static Optional<Path> loadedLibrary() {
        Path maps = Path.of("/proc/self/maps");
        if (!Files.isReadable(maps)) {
            return Optional.empty();
        }
        try (var lines = Files.lines(maps)) {
            return lines.map(line -> line.substring(line.lastIndexOf(' ') + 1))
                    .filter(file -> file.endsWith("/" + LIBRARY))
                    .findFirst()
                    .map(Path::of);
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
