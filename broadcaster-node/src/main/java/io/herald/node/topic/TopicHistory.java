package io.herald.node.topic;

import java.util.ArrayDeque;
import java.util.List;

/**
 * The latest messages of one topic, kept by its home for devices that resume: at most
 * {@code size} messages and {@code maxBytes} of payload, none older than {@code ttl}, and
 * only as much as the node's {@link HistoryBudget} gives it room for. The messages kept are
 * consecutive in sequence up to the latest, so whether a device missed nothing is a
 * comparison with the oldest. Not thread-safe; its home owns it, and {@link #release()}s its
 * room when it stops.
 */
final class TopicHistory {

  private final TopicSettings.History limits;
  private final HistoryBudget budget;
  private final ArrayDeque<TopicEntity.Message> kept = new ArrayDeque<>();
  private long payloadBytes;
  /** Taken from the node's budget for what is kept. */
  private long charged;
  /** Counted among the budget's sharers: keeps messages, or its latest was refused room. */
  private boolean sharing;

  TopicHistory(TopicSettings.History limits, HistoryBudget budget) {
    this.limits = limits;
    this.budget = budget;
  }

  /**
   * Keeps a message stamped after every message kept, dropping the oldest beyond the bounds.
   * When the node's room is full this topic first gives back what it holds beyond its share;
   * a message that still does not fit is not kept, and neither is anything before it.
   */
  void add(TopicEntity.Message message) {
    expire(message.publishedAtMillis());
    long cost = HistoryBudget.costOf(message);
    if (!budget.tryTake(cost)) {
      int givenUp = 0;
      long share = budget.share();
      while (!kept.isEmpty() && charged + cost > share) {
        dropOldest();
        givenUp++;
      }
      if (!budget.tryTake(cost)) {
        // What is kept must run up to the latest: without the newest, nothing can stay.
        givenUp += kept.size() + 1;
        clear();
        join();
        budget.dropped(givenUp);
        return;
      }
      budget.dropped(givenUp);
    }
    kept.addLast(message);
    payloadBytes += message.payload().size();
    charged += cost;
    join();
    while (kept.size() > limits.size() || payloadBytes > limits.maxBytes()) {
      dropOldest();
    }
  }

  /** Takes over what an earlier home kept (oldest first), within this history's bounds. */
  void restore(List<TopicEntity.Message> earlier, long nowMillis) {
    clear();
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

  /** Gives the node's budget back everything kept: its home is stopping. */
  void release() {
    clear();
  }

  private void expire(long nowMillis) {
    long oldestKept = nowMillis - limits.ttl().toMillis();
    while (!kept.isEmpty() && kept.getFirst().publishedAtMillis() <= oldestKept) {
      dropOldest();
    }
  }

  private void dropOldest() {
    TopicEntity.Message oldest = kept.removeFirst();
    payloadBytes -= oldest.payload().size();
    long cost = HistoryBudget.costOf(oldest);
    charged -= cost;
    budget.giveBack(cost);
    if (kept.isEmpty()) {
      leave();
    }
  }

  private void clear() {
    kept.clear();
    payloadBytes = 0;
    budget.giveBack(charged);
    charged = 0;
    leave();
  }

  private void join() {
    if (!sharing) {
      sharing = true;
      budget.joined();
    }
  }

  private void leave() {
    if (sharing) {
      sharing = false;
      budget.left();
    }
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
