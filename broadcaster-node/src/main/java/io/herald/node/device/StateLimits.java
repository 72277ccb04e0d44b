package io.herald.node.device;

import com.typesafe.config.Config;

/** How large a device's reported or desired state may be. */
public record StateLimits(int maxFields, int maxNameLength, int maxTextLength) {

  public static StateLimits from(Config config) {
    return new StateLimits(config.getInt("max-fields"), config.getInt("max-field-name-length"),
        config.getInt("max-text-length"));
  }
}
