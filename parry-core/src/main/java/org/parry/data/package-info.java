/**
 * Image classification data sets for Parry: readers for the standard on-disk formats, a seeded
 * synthetic set for fast tests, and a locator that finds (or downloads and verifies) the files.
 *
 * <p>Everything is held as 8-bit pixels in an immutable {@link org.parry.data.ImageDataset}; the
 * tensors it hands out are float32 in pixel space [0, 1], laid out NCHW, and are always created in
 * an {@link ai.djl.ndarray.NDManager} that the caller passes in.
 *
 * <ul>
 *   <li>{@link org.parry.data.IdxReader} / {@link org.parry.data.IdxWriter}: the IDX format of
 *       MNIST (LeCun et al. 1998) and Fashion-MNIST (Xiao et al. 2017, arXiv:1708.07747), raw or
 *       gzip-compressed.
 *   <li>{@link org.parry.data.Cifar10Reader}: the binary version of CIFAR-10 (Krizhevsky 2009).
 *   <li>{@link org.parry.data.ImageFolderReader}: a folder of PNG/JPEG files, one sub-folder per
 *       class.
 *   <li>{@link org.parry.data.SyntheticDataset}: class-dependent blobs plus noise, learnable in one
 *       epoch.
 *   <li>{@link org.parry.data.DataSets}: load a data set by name, using {@link
 *       org.parry.data.DatasetLocator} to find its files.
 * </ul>
 *
 * <p>Corrupt or mismatched files raise {@link org.parry.data.DatasetFormatException}, which names
 * the file, the byte offset and what was expected there. Headers are validated before anything
 * is allocated, so a damaged header cannot make a reader ask for gigabytes.
 */
package org.parry.data;
