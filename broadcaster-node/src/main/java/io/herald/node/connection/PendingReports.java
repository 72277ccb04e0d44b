package io.herald.node.connection;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.function.LongFunction;

/**
 * State reports a connection has sent to its device's entity and not had answered yet,
 * oldest first. Each is known by a number of the connection's own, since devices may reuse
 * request ids, so an answer that comes after the report was given up on is recognised and
 * dropped. Each keeps the message it was sent as, so that it can be sent again should its
 * recipient stop before answering. Bounded: at most {@code capacity} reports wait at once.
 * Not thread-safe: its connection actor owns it.
 *
 * @param <R> the message a report was sent as
 */
final class PendingReports<R> {

  /** No report waits under this number: its answer came, or it was given up on. */
  static final long UNKNOWN = -1;

  private record Pending<R>(long requestId, long sentAtNanos, R report) {}

  private final int capacity;
  private final LinkedHashMap<Long, Pending<R>> waiting = new LinkedHashMap<>();
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

  /**
   * Records a report sent now: {@code reportWith} makes its message from the number its
   * answer will carry. Returns that message, to be sent.
   */
  R sent(long requestId, long nowNanos, LongFunction<R> reportWith) {
    long correlation = ++lastCorrelation;
    R report = reportWith.apply(correlation);
    waiting.put(correlation, new Pending<>(requestId, nowNanos, report));
    return report;
  }

  /** The request id of the answered report, or {@link #UNKNOWN}. */
  long answered(long correlation) {
    Pending<R> pending = waiting.remove(correlation);
    return pending == null ? UNKNOWN : pending.requestId();
  }

  /** Removes the reports sent at least {@code timeoutNanos} ago; returns their request ids, oldest first. */
  List<Long> overdue(long nowNanos, long timeoutNanos) {
    List<Long> overdue = new ArrayList<>();
    Iterator<Pending<R>> oldestFirst = waiting.values().iterator();
    while (oldestFirst.hasNext()) {
      Pending<R> pending = oldestFirst.next();
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
    Pending<R> oldest = waiting.values().iterator().next();
    return Math.max(0, oldest.sentAtNanos() + timeoutNanos - nowNanos);
  }

  /** The messages of the reports still waiting, oldest first; they keep waiting. */
  List<R> unanswered() {
    List<R> reports = new ArrayList<>(waiting.size());
    for (Pending<R> pending : waiting.values()) {
      reports.add(pending.report());
    }
    return reports;
  }
}
