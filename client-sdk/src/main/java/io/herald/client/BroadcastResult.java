package io.herald.client;

import io.herald.protocol.v1.ErrorCode;
import java.util.List;
import java.util.Optional;

/**
 * What a broadcast did for each topic it named, in request order.
 *
 * @param outcomes one per requested topic
 * @param accepted how many topics accepted the payload
 * @param rejected how many refused it (see each outcome's error)
 */
public record BroadcastResult(List<Outcome> outcomes, int accepted, int rejected) {

  /**
   * One topic of a broadcast.
   *
   * @param topic the topic
   * @param accepted whether the payload was published to it
   * @param sequence its sequence in the topic when accepted
   * @param error why it was refused, when it was
   * @param message the node's explanation of the refusal, or empty
   */
  public record Outcome(String topic, boolean accepted, long sequence, Optional<ErrorCode> error, String message) {}
}
