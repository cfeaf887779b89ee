package org.parry.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.parry.data.ImageDataset;
import org.parry.io.ImageGallery;

/** The first samples of an attack run as an {@link ImageGallery}, with class names as captions. */
final class Gallery {

    /** Samples per group of rows in the picture. */
    static final int COLUMNS = 8;

    private Gallery() {}

    /** The first {@code size} samples of {@code tally}, which must have kept its images. */
    static ImageGallery of(String title, ImageDataset images, AttackTally tally, int size) {
        int count = Math.min(size, tally.done);
        int imageSize = tally.imageSize;
        List<String> names = images.classNames();
        List<ImageGallery.Sample> samples = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int from = i * imageSize;
            samples.add(new ImageGallery.Sample(
                    Arrays.copyOfRange(tally.clean, from, from + imageSize),
                    Arrays.copyOfRange(tally.adversarial, from, from + imageSize),
                    name(names, tally.labels[i]),
                    name(names, tally.cleanPredictions[i]),
                    name(names, tally.adversarialPredictions[i]),
                    tally.targeted() ? name(names, tally.targets[i]) : null));
        }
        return new ImageGallery(title, images.channels(), images.height(), images.width(),
                COLUMNS, samples);
    }

    private static String name(List<String> names, int index) {
        return index >= 0 && index < names.size() ? names.get(index) : Integer.toString(index);
    }
}
