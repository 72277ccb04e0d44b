package io.herald.node.device;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.Optional;

/**
 * How large a device's state may be, and how long a node keeps a device that went offline
 * before it forgets it (never, when empty).
 */
public record DeviceSettings(StateLimits limits, Optional<Duration> forgetOfflineAfter) {

  public DeviceSettings {
    if (forgetOfflineAfter.isPresent() && (forgetOfflineAfter.get().isNegative() || forgetOfflineAfter.get().isZero())) {
      throw new IllegalArgumentException(
          "herald.device.forget-offline-after must be positive or off, not " + forgetOfflineAfter.get());
    }
  }

  /** Devices are kept for good. */
  public static DeviceSettings keptForGood(StateLimits limits) {
    return new DeviceSettings(limits, Optional.empty());
  }

  public static DeviceSettings from(Config config) {
    Optional<Duration> forgetOfflineAfter = config.getString("forget-offline-after").equalsIgnoreCase("off")
        ? Optional.empty()
        : Optional.of(config.getDuration("forget-offline-after"));
    return new DeviceSettings(StateLimits.from(config), forgetOfflineAfter);
  }
}
