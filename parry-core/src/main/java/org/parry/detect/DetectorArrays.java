package org.parry.detect;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.parry.io.AtomicFiles;

/**
 * What a fitted detector learned, kept as named arrays in one file of its directory ({@value
 * #FILE}, DJL's NDList encoding): each detector's {@link Detector#save} writes its arrays here
 * and its loader reads them back, so that every detector is saved the same way.
 */
public final class DetectorArrays {

    /** The arrays' file name inside a detector directory. */
    public static final String FILE = "detector.ndlist";

    private DetectorArrays() {}

    /** Writes {@code arrays} to {@code directory}/{@value #FILE}, atomically. */
    public static void save(Path directory, Map<String, NDArray> arrays) throws IOException {
        NDList list = new NDList();
        for (Map.Entry<String, NDArray> entry : arrays.entrySet()) {
            NDArray array = entry.getValue().duplicate();
            array.setName(entry.getKey());
            list.add(array);
        }
        try {
            byte[] bytes = list.encode();
            AtomicFiles.write(directory.resolve(FILE), out -> out.write(bytes));
        } finally {
            list.close();
        }
    }

    /**
     * Reads the arrays {@link #save} wrote into {@code manager}, by name.
     *
     * @throws IOException naming the file when it is missing or unreadable
     */
    public static Map<String, NDArray> load(Path directory, NDManager manager) throws IOException {
        Path file = directory.resolve(FILE);
        NDList list;
        try (InputStream in = Files.newInputStream(file)) {
            list = NDList.decode(manager, in);
        } catch (NoSuchFileException e) {
            throw new IOException(file + " is missing: not a fitted detector's directory"
                    + " (write one with parry detect fit)");
        } catch (RuntimeException e) {
            throw new IOException(file + " is not a detector's arrays file (" + e.getMessage()
                    + ")");
        }
        Map<String, NDArray> arrays = new LinkedHashMap<>();
        for (NDArray array : list) {
            arrays.put(array.getName(), array);
        }
        return arrays;
    }

    /**
     * The array named {@code name} of a loaded detector.
     *
     * @throws IOException when it is absent
     */
    public static NDArray require(Map<String, NDArray> arrays, String name, Path directory)
            throws IOException {
        NDArray array = arrays.get(name);
        if (array == null) {
            throw new IOException(directory.resolve(FILE) + " has no array '" + name
                    + "': written by another detector or another Parry");
        }
        return array;
    }
}
