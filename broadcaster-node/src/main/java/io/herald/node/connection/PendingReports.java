package io.herald.node.connection;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * State reports a connection has sent to its device's entity and not had answered yet,
 * oldest first. Each is known by a number of the connection's own, since devices may reuse
 * request ids, so an answer that comes after the report was given up on is recognised and
 * dropped. Bounded: at most {@code capacity} reports wait at once. Not thread-safe: its
 * connection actor owns it.
 */
final class PendingReports {

  /** No report waits under this number: its answer came, or it was given up on. */
  static final long UNKNOWN = -1;

  private record Pending(long requestId, long sentAtNanos) {}

  private final int capacity;
  private final LinkedHashMap<Long, Pending> waiting = new LinkedHashMap<>();
  private long lastCorrelation;

  PendingReports(int capacity) {
    this.capacity = capacity;
  }

  boolean isFull() {
    return waiting.size() >= capacity;
  }

  boolean isEmpty() {
    return waiting.isEmpty();
  }

  /** Records a report sent now; returns the number its answer will carry. */
  long sent(long requestId, long nowNanos) {
    long correlation = ++lastCorrelation;
    waiting.put(correlation, new Pending(requestId, nowNanos));
    return correlation;
  }

  /** The request id of the answered report, or {@link #UNKNOWN}. */
  long answered(long correlation) {
    Pending pending = waiting.remove(correlation);
    return pending == null ? UNKNOWN : pending.requestId();
  }

  /** Removes the reports sent at least {@code timeoutNanos} ago; returns their request ids, oldest first. */
  List<Long> overdue(long nowNanos, long timeoutNanos) {
    List<Long> overdue = new ArrayList<>();
    Iterator<Pending> oldestFirst = waiting.values().iterator();
    while (oldestFirst.hasNext()) {
      Pending pending = oldestFirst.next();
      if (nowNanos - pending.sentAtNanos() < timeoutNanos) {
        break;
      }
      overdue.add(pending.requestId());
      oldestFirst.remove();
    }
    return overdue;
  }

  /** How long until the oldest waiting report is overdue; only while some report waits. */
  long nanosUntilNextOverdue(long nowNanos, long timeoutNanos) {
    Pending oldest = waiting.values().iterator().next();
    return Math.max(0, oldest.sentAtNanos() + timeoutNanos - nowNanos);
  }
}
