package io.herald.node.topic;

import java.util.ArrayDeque;
import java.util.List;

/**
 * The latest messages of one topic, kept by its home for devices that resume: at most
 * {@code size} messages and {@code maxBytes} of payload, none older than {@code ttl}. The
 * messages kept are consecutive in sequence, so whether a device missed nothing is a
 * comparison with the oldest. Not thread-safe; its home owns it.
 */
final class TopicHistory {

  private final TopicSettings.History limits;
  private final ArrayDeque<TopicEntity.Message> kept = new ArrayDeque<>();
  private long bytes;

  TopicHistory(TopicSettings.History limits) {
    this.limits = limits;
  }

  /** Keeps a message stamped after every message kept, dropping the oldest beyond the bounds. */
  void add(TopicEntity.Message message) {
    kept.addLast(message);
    bytes += message.payload().size();
    while (kept.size() > limits.size() || bytes > limits.maxBytes()) {
      dropOldest();
    }
  }

  /** Takes over what an earlier home kept (oldest first), within this history's bounds. */
  void restore(List<TopicEntity.Message> earlier, long nowMillis) {
    kept.clear();
    bytes = 0;
    earlier.forEach(this::add);
    expire(nowMillis);
  }

  /** The messages kept now, oldest first. */
  List<TopicEntity.Message> messages(long nowMillis) {
    expire(nowMillis);
    return List.copyOf(kept);
  }

  boolean isEmpty(long nowMillis) {
    expire(nowMillis);
    return kept.isEmpty();
  }

  /** When the newest message kept expires (and the history is empty), or 0 when empty now. */
  long emptyAtMillis() {
    return kept.isEmpty() ? 0 : kept.getLast().publishedAtMillis() + limits.ttl().toMillis();
  }

  private void expire(long nowMillis) {
    long oldestKept = nowMillis - limits.ttl().toMillis();
    while (!kept.isEmpty() && kept.getFirst().publishedAtMillis() <= oldestKept) {
      dropOldest();
    }
  }

  private void dropOldest() {
    bytes -= kept.removeFirst().payload().size();
  }

  /**
   * Whether a subscriber that last saw {@code after} missed nothing, given the messages a
   * home keeps ({@code kept}, consecutive, oldest first) and its latest sequence.
   */
  static boolean coversAfter(long after, List<TopicEntity.Message> kept, long latest) {
    if (after > latest) {
      return false;
    }
    return after == latest || (!kept.isEmpty() && kept.get(0).sequence() <= after + 1);
  }
}
