package io.herald.node.connection;

/** What a connection's full outbound queue does with one frame more. */
public enum SlowConsumerPolicy {
  /** Drop the oldest waiting frame to make room; the device sees a gap in sequence. */
  DROP_OLDEST,
  /** Discard the queue and close the connection with {@code disconnect} (SLOW_CONSUMER). */
  DISCONNECT
}
