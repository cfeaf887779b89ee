package org.parry.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code NAME.key=value} command-line arguments, as the settings of the attack or defense NAME. */
final class PrefixedSettings {

    private PrefixedSettings() {}

    /**
     * @param kind what NAME is, for messages: "attack" or "defense"
     * @param name the chosen attack or defense, the prefix every argument must carry
     * @return the settings, keys without the prefix, in the order given
     */
    static Map<String, String> parse(String kind, String name, List<String> arguments) {
        Map<String, String> settings = new LinkedHashMap<>();
        for (String argument : arguments) {
            int equals = argument.indexOf('=');
            int dot = equals < 0 ? -1 : argument.lastIndexOf('.', equals);
            if (equals < 0 || dot <= 0 || dot == equals - 1) {
                throw new IllegalArgumentException("setting '" + argument + "' must look like "
                        + name + ".key=value, e.g. " + name + ".steps=10");
            }
            String prefix = argument.substring(0, dot);
            if (!prefix.equals(name)) {
                throw new IllegalArgumentException("setting '" + argument + "' is for " + kind + " '"
                        + prefix + "', but the " + kind + " is '" + name + "'; write " + name
                        + argument.substring(dot));
            }
            String key = argument.substring(dot + 1, equals);
            if (settings.put(key, argument.substring(equals + 1)) != null) {
                throw new IllegalArgumentException("setting " + name + "." + key + " is given twice");
            }
        }
        return settings;
    }
}
