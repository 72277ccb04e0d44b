package io.herald.client;

import java.util.Objects;

/**
 * Where a device has got to in a topic: the topic's epoch and the last sequence received.
 * Save it (it is two plain values) to resume after the device itself restarts, with
 * {@link DeviceClient#subscribe(String, ResumePoint, java.util.function.Consumer)}.
 *
 * @param epoch the topic's history epoch, from the node's confirmation
 * @param sequence the last sequence received, or the confirmation's when none came since
 */
public record ResumePoint(String epoch, long sequence) {

  public ResumePoint {
    Objects.requireNonNull(epoch, "epoch");
  }
}
