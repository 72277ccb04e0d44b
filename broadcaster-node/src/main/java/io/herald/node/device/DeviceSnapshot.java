package io.herald.node.device;

import io.herald.node.cluster.ClusterMessage;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A device as its entity holds it at one moment. {@code known} is false for a device
 * that has never connected nor been given state.
 */
public record DeviceSnapshot(
    String deviceId,
    boolean known,
    Map<String, FieldValue> reported,
    long reportedVersion,
    Map<String, FieldValue> desired,
    long desiredVersion,
    long ackedDesiredVersion,
    boolean online,
    String nodeId,
    String sessionId,
    Instant lastSeen,
    List<String> groups) implements ClusterMessage {

  /** The desired fields whose reported value differs or is missing. */
  public Map<String, FieldValue> delta() {
    return DeviceState.deltaOf(desired, reported);
  }
}
