package io.herald.node.connection;

import io.herald.protocol.WireFormat;

/**
 * The seam between Herald and the transport that carries a device's frames. Connection
 * actors and fan-out workers see only this; which transport writes the frames is known
 * only to the edge that creates the port.
 */
public interface OutboundPort {

  /** What happened to an offered frame. */
  enum OfferResult {
    /** Queued for writing. */
    ENQUEUED,
    /** Queued, and the oldest waiting frame was dropped to make room. */
    ENQUEUED_DROPPING_OLDEST,
    /** The queue was full and the connection is being closed as a slow consumer. */
    OVERFLOWED,
    /** The connection is closing or closed; the frame was discarded. */
    CLOSED
  }

  /** Offers a frame for writing. Never blocks and never throws. */
  OfferResult offer(OutboundFrame frame);

  /** Writes what is queued, then {@code lastFrame}, then closes. Later offers are discarded. */
  void close(OutboundFrame lastFrame);

  /** True once the connection is closing: offers are discarded from now on. */
  boolean isClosed();

  /** The wire format of this connection. */
  WireFormat format();
}
