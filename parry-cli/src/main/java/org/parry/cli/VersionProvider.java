package org.parry.cli;

import org.parry.Versions;
import picocli.CommandLine.IVersionProvider;

/** {@code parry --version}: Parry, DJL, PyTorch and Java versions. */
public final class VersionProvider implements IVersionProvider {

    @Override
    public String[] getVersion() {
        return new String[] {
            "parry " + Versions.parry(),
            "DJL " + Versions.djl() + ", PyTorch " + Versions.pytorch() + ", Java " + Versions.java()
        };
    }
}
