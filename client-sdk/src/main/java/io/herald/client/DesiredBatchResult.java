package io.herald.client;

import io.herald.protocol.v1.ErrorCode;
import java.util.List;
import java.util.Optional;

/**
 * What setting many devices' desired state did for each, in request order.
 *
 * @param outcomes one per device
 * @param applied how many devices took their new desired state
 * @param refused how many did not (see each outcome's error)
 */
public record DesiredBatchResult(List<Outcome> outcomes, int applied, int refused) {

  /**
   * One device of a batch.
   *
   * @param deviceId the device
   * @param applied whether its desired state was replaced
   * @param desiredVersion its desired version now (the current one when refused for a
   *     version conflict)
   * @param pushed whether it was online and has been sent the new state
   * @param error why it was refused, when it was: {@code VERSION_CONFLICT} (its desired
   *     version was not the expected one), {@code INVALID_REQUEST}, {@code STATE_TOO_LARGE},
   *     or {@code UNAVAILABLE} when its state did not answer in time (safe to retry)
   * @param message the node's explanation of the refusal, or empty
   */
  public record Outcome(String deviceId, boolean applied, long desiredVersion, boolean pushed,
      Optional<ErrorCode> error, String message) {}
}
