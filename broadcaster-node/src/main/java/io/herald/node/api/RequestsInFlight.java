package io.herald.node.api;

import io.herald.node.metrics.NodeMetrics;

/**
 * The API requests a node is serving, against a limit. A request over the limit is refused
 * at once rather than queued: each one served holds asks, timers and, for a member query,
 * a question to every member of a page, so their number is what bounds that work.
 * Thread-safe: requests are served on many threads. A lock, not an atomic, so that the
 * gauge it sets always shows the latest count.
 */
final class RequestsInFlight {

  private final int limit;
  private final NodeMetrics metrics;
  private int serving;

  RequestsInFlight(int limit, NodeMetrics metrics) {
    this.limit = limit;
    this.metrics = metrics;
  }

  /** Takes a place for one more request; false when all {@code limit} are taken. */
  synchronized boolean tryAdmit() {
    if (serving >= limit) {
      return false;
    }
    metrics.setApiRequestsInFlight(++serving);
    return true;
  }

  /** A request admitted by {@link #tryAdmit()} has its answer. */
  synchronized void done() {
    metrics.setApiRequestsInFlight(--serving);
  }

  int limit() {
    return limit;
  }
}
