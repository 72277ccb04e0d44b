package io.herald.node.device;

/**
 * Applies a connection's answered state reports once each and in the order it sent them,
 * though it may send some again: Pekko's shard region drops messages to a shard that is
 * being handed over, so a connection sends its unanswered reports again after a while
 * (and at once when its entity stops).
 *
 * <p>A connection numbers its answered reports 1, 2, 3, ... and stamps each with the oldest
 * number it still waits on. Its unanswered reports always form one run of numbers: answers
 * come in the order the reports were handled, and it gives up on reports oldest first. So
 * a report may be applied if it is the next one, or if nothing older still waited when it
 * was sent (whatever came between was given up on). A report behind one that is missing
 * waits to be sent again with the missing one before it; a number already handled is a copy.
 *
 * <p>Only the latest connection to report is remembered: a new session numbers afresh.
 * Not thread-safe: its entity owns it.
 *
 * @param <C> how a connection is known (the address its answers go to)
 */
final class ReportOrder<C> {

  enum Verdict {
    /** Apply it, then call {@link #handled}. */
    APPLY,
    /** A copy of a report handled already: answer it again, apply nothing. */
    COPY,
    /** An earlier report of the same connection is missing: drop it, it will come again. */
    EARLY
  }

  private C reporter;
  private long lastHandled;

  Verdict judge(C from, long number, long oldestWaiting) {
    // Nothing of a connection not heard from yet was handled here: its first report may be
    // the one that is missing.
    long last = from.equals(reporter) ? lastHandled : 0;
    if (number <= last) {
      return Verdict.COPY;
    }
    return number == last + 1 || oldestWaiting == number ? Verdict.APPLY : Verdict.EARLY;
  }

  /** The report was applied or refused: either way its connection has its answer. */
  void handled(C from, long number) {
    reporter = from;
    lastHandled = number;
  }

  /**
   * Takes in what the entity's previous home knew (its shard moved). What this home heard
   * from the same connection since it started came later, so the higher number stands.
   */
  void restore(C earlierReporter, long earlierLastHandled) {
    if (earlierReporter == null) {
      return;
    }
    if (reporter == null) {
      reporter = earlierReporter;
      lastHandled = earlierLastHandled;
    } else if (reporter.equals(earlierReporter)) {
      lastHandled = Math.max(lastHandled, earlierLastHandled);
    }
  }

  /** The latest connection to report; null if none did. */
  C reporter() {
    return reporter;
  }

  long lastHandled() {
    return lastHandled;
  }
}
