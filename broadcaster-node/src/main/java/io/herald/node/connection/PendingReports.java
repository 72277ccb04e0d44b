package io.herald.node.connection;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * State reports a connection has sent to its device's entity and not had answered yet,
 * oldest first. Each is known by a number of the connection's own, 1, 2, 3, ..., since
 * devices may reuse request ids, so an answer that comes after the report was given up on
 * is recognised and dropped. Each keeps the message it was sent as, so that it can be sent
 * again: Cluster Sharding may drop a message while the entity's shard moves. Bounded: at
 * most {@code capacity} reports wait at once. Not thread-safe: its connection actor owns it.
 *
 * <p>The numbers waiting always form one run: answers come in the order the entity handled
 * the reports, and reports are given up on oldest first. The entity relies on that to
 * apply each report once and in order (see {@code ReportOrder}).
 *
 * @param <R> the message a report was sent as
 */
final class PendingReports<R> {

  /** No report waits under this number: its answer came, or it was given up on. */
  static final long UNKNOWN = -1;

  /** Makes a report's message from its number and the oldest number still waiting. */
  @FunctionalInterface
  interface Numbered<R> {
    R report(long number, long oldestWaiting);
  }

  private static final class Pending<R> {
    final long requestId;
    final long firstSentNanos;
    long lastSentNanos;
    final R report;

    Pending(long requestId, long sentNanos, R report) {
      this.requestId = requestId;
      this.firstSentNanos = sentNanos;
      this.lastSentNanos = sentNanos;
      this.report = report;
    }
  }

  private final int capacity;
  private final LinkedHashMap<Long, Pending<R>> waiting = new LinkedHashMap<>();
  private long lastNumber;

  PendingReports(int capacity) {
    this.capacity = capacity;
  }

  boolean isFull() {
    return waiting.size() >= capacity;
  }

  boolean isEmpty() {
    return waiting.isEmpty();
  }

  /** Records a report sent now; returns its message, to be sent. */
  R sent(long requestId, long nowNanos, Numbered<R> reportWith) {
    long number = ++lastNumber;
    R report = reportWith.report(number, waiting.isEmpty() ? number : oldestWaiting());
    waiting.put(number, new Pending<>(requestId, nowNanos, report));
    return report;
  }

  /** The request id of the answered report, or {@link #UNKNOWN}. */
  long answered(long number) {
    Pending<R> pending = waiting.remove(number);
    return pending == null ? UNKNOWN : pending.requestId;
  }

  /** The oldest number still waiting; only while some report waits. */
  long oldestWaiting() {
    return waiting.keySet().iterator().next();
  }

  /** Removes the reports first sent at least {@code timeoutNanos} ago; returns their request ids, oldest first. */
  List<Long> overdue(long nowNanos, long timeoutNanos) {
    List<Long> overdue = new ArrayList<>();
    Iterator<Pending<R>> oldestFirst = waiting.values().iterator();
    while (oldestFirst.hasNext()) {
      Pending<R> pending = oldestFirst.next();
      if (nowNanos - pending.firstSentNanos < timeoutNanos) {
        break;
      }
      overdue.add(pending.requestId);
      oldestFirst.remove();
    }
    return overdue;
  }

  /** Whether the oldest waiting report was last sent at least {@code afterNanos} ago. */
  boolean resendDue(long nowNanos, long afterNanos) {
    return !waiting.isEmpty() && nowNanos - oldest().lastSentNanos >= afterNanos;
  }

  /**
   * The messages of every waiting report, oldest first, to be sent again now, in that
   * order; they keep waiting.
   */
  List<R> resend(long nowNanos) {
    List<R> reports = new ArrayList<>(waiting.size());
    for (Pending<R> pending : waiting.values()) {
      pending.lastSentNanos = nowNanos;
      reports.add(pending.report);
    }
    return reports;
  }

  /**
   * How long until the oldest waiting report is due to be sent again or given up on,
   * whichever comes first; only while some report waits.
   */
  long nanosUntilNextCheck(long nowNanos, long timeoutNanos, long resendAfterNanos) {
    Pending<R> oldest = oldest();
    long due = Math.min(oldest.firstSentNanos + timeoutNanos, oldest.lastSentNanos + resendAfterNanos);
    return Math.max(0, due - nowNanos);
  }

  private Pending<R> oldest() {
    return waiting.values().iterator().next();
  }
}
