package io.herald.node.topic;

import io.herald.node.metrics.NodeMetrics;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The room all the topic homes on one node share for the messages they keep
 * ({@code herald.topic.history.node-max-bytes}), so that many topics, each within its own
 * bounds, cannot together fill the heap. A message costs its payload and
 * {@link #MESSAGE_OVERHEAD} bytes of bookkeeping.
 *
 * <p>When the room is full, a home keeping a new message first gives back what it holds
 * beyond its {@linkplain #share() share} (the room divided by the topics that keep messages
 * or were refused room), oldest first; a message that still does not fit is not kept. So the
 * topics still published to come to share the room, whatever a few of them took while it was
 * free. Thread-safe: every home on the node takes from it.
 */
public final class HistoryBudget {

  /**
   * Heap a kept message costs beyond its payload: the message, its {@code ByteString}, the
   * payload array's header and the queue's slot (76 bytes measured on a 64-bit JVM with
   * compressed pointers).
   */
  static final int MESSAGE_OVERHEAD = 80;

  private final long maxBytes;
  private final NodeMetrics metrics;
  private final AtomicLong used = new AtomicLong();
  private final AtomicInteger sharers = new AtomicInteger();

  public HistoryBudget(long maxBytes, NodeMetrics metrics) {
    this.maxBytes = maxBytes;
    this.metrics = metrics;
  }

  static long costOf(TopicEntity.Message message) {
    return message.payload().size() + MESSAGE_OVERHEAD;
  }

  /** Bytes the topics homed on this node keep now. */
  public long usedBytes() {
    return used.get();
  }

  /** Takes room for a message; false, taking nothing, when the node's room is full. */
  boolean tryTake(long bytes) {
    long now;
    do {
      now = used.get();
      if (now + bytes > maxBytes) {
        return false;
      }
    } while (!used.compareAndSet(now, now + bytes));
    metrics.topicHistoryBytes(now + bytes);
    return true;
  }

  void giveBack(long bytes) {
    if (bytes > 0) {
      metrics.topicHistoryBytes(used.addAndGet(-bytes));
    }
  }

  /** What one topic may hold once the room is full. */
  long share() {
    return maxBytes / Math.max(1, sharers.get());
  }

  /** A topic now keeps messages, or was refused room: it counts in every topic's share. */
  void joined() {
    sharers.incrementAndGet();
  }

  void left() {
    sharers.decrementAndGet();
  }

  /** Messages a topic gave up before its own bounds, the room being full. */
  void dropped(int messages) {
    metrics.dropped(NodeMetrics.DropReason.HISTORY_FULL, messages);
  }
}
