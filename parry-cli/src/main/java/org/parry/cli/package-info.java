/** The {@code parry} command line: picocli commands that build library objects and print results. */
package org.parry.cli;
