package io.herald.client;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * One device's part of {@link HeraldClient#setDesiredBatch(List)}.
 *
 * @param deviceId the device
 * @param desired its new desired state, replacing the old
 * @param expectedVersion when present, applied only if the device's desired version is still
 *     this; otherwise its outcome is {@code VERSION_CONFLICT} with the current version
 */
public record DesiredChange(String deviceId, Map<String, ?> desired, OptionalLong expectedVersion) {

  public DesiredChange {
    Objects.requireNonNull(deviceId, "deviceId");
    Objects.requireNonNull(desired, "desired");
    Objects.requireNonNull(expectedVersion, "expectedVersion");
  }

  /** A change applied whatever the device's desired version is. */
  public static DesiredChange of(String deviceId, Map<String, ?> desired) {
    return new DesiredChange(deviceId, desired, OptionalLong.empty());
  }
}
