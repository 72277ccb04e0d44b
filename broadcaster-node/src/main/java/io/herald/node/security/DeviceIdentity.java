package io.herald.node.security;

import io.herald.protocol.Topics;
import java.util.List;
import java.util.Optional;

/**
 * Who a connected device is, from its verified token: its id, its groups, and the topics
 * it may subscribe and publish to. Absent patterns allow every non-system topic; system
 * topics ({@code $...}) need a pattern that names them, except the device's own
 * {@code $device/{id}/...} topics, which it may always subscribe to.
 */
public record DeviceIdentity(
    String deviceId,
    List<String> groups,
    Optional<List<TopicPattern>> subscribe,
    Optional<List<TopicPattern>> publish) {

  /** What a device id may be, as an error message says it. */
  public static final String DEVICE_ID_RULE = "a device id is 1 to 128 characters without '/'";

  /**
   * Whether {@code deviceId} can name a device: it must fit a token's subject and be one
   * segment of a path ({@code /v1/devices/{id}}, {@code $device/{id}/...}).
   */
  public static boolean isValidDeviceId(String deviceId) {
    return deviceId != null && !deviceId.isBlank() && deviceId.length() <= 128 && !deviceId.contains("/");
  }

  public boolean maySubscribe(String topic) {
    if (topic.startsWith("$device/" + deviceId + "/")) {
      return true;
    }
    return allowed(subscribe, topic);
  }

  public boolean mayPublish(String topic) {
    return allowed(publish, topic);
  }

  private static boolean allowed(Optional<List<TopicPattern>> patterns, String topic) {
    if (patterns.isEmpty()) {
      return !topic.startsWith(Topics.SYSTEM_PREFIX);
    }
    return patterns.get().stream().anyMatch(pattern -> pattern.matches(topic));
  }
}
