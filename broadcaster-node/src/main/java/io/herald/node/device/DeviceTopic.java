package io.herald.node.device;

import java.util.Optional;

/** The topics a device entity publishes to: {@code $device/{id}/state} and {@code .../presence}. */
public enum DeviceTopic {
  STATE("state"),
  PRESENCE("presence");

  private static final String PREFIX = "$device/";

  private final String suffix;

  DeviceTopic(String suffix) {
    this.suffix = suffix;
  }

  public String suffix() {
    return suffix;
  }

  public String of(String deviceId) {
    return PREFIX + deviceId + "/" + suffix;
  }

  public static Optional<DeviceTopic> bySuffix(String suffix) {
    for (DeviceTopic topic : values()) {
      if (topic.suffix.equals(suffix)) {
        return Optional.of(topic);
      }
    }
    return Optional.empty();
  }

  /** The device and which of its topics {@code topic} names, if it names one. */
  public record Named(String deviceId, DeviceTopic topic) {}

  public static Optional<Named> parse(String topic) {
    int last = topic.lastIndexOf('/');
    if (!topic.startsWith(PREFIX) || last <= PREFIX.length()) {
      return Optional.empty();
    }
    return bySuffix(topic.substring(last + 1)).map(which -> new Named(topic.substring(PREFIX.length(), last), which));
  }
}
