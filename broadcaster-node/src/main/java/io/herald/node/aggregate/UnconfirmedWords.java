package io.herald.node.aggregate;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The member words a node's feed sent its groups and has not yet heard arrive. Each
 * group's aggregator confirms the batches it takes, and batches from one feed reach a
 * group in the order they were sent unless one is lost (dropped by a shard handing off).
 * So a batch that is old and unconfirmed while a later one to the same group is confirmed
 * was lost, and its words go again; one that is old while nothing later went is checked
 * with an empty batch (a probe) before anything goes again. A group that is merely slow
 * confirms them in order and is sent nothing twice, which matters most when it is slow
 * because it is overloaded.
 *
 * <p>Only a device's newest word for a group is kept: a newer one sent after it says more,
 * and sending the older one again could undo it (a member that left would come back). At
 * most {@code maxWords} are kept; beyond that the oldest batch's words are given up.
 * Not thread-safe: its feed owns it.
 */
final class UnconfirmedWords {

  /** What is due: words to send again, and groups to probe. */
  record Due(List<Resend> resend, Set<String> probe) {}

  /** A word to send again to {@code group}. */
  record Resend(String group, GroupAggregator.MemberUpdate update) {}

  /** What one numbered batch carried, and when it left. */
  private record Sent(String group, GroupAggregator.MembersUpdated batch, long sentAtNanos) {}

  /** What is known of one group with batches unconfirmed. */
  private static final class GroupWords {
    /** By device: the batch that carried its newest word, not yet confirmed. */
    final Map<String, Long> newest = new HashMap<>();
    int batches;
    long lastSent;
    long highestConfirmed;
    long probe;
    long probeSentAtNanos;
  }

  private final int maxWords;
  /** Unconfirmed batches by number, oldest first (numbers grow with time). */
  private final LinkedHashMap<Long, Sent> batches = new LinkedHashMap<>();
  private final Map<String, GroupWords> groups = new HashMap<>();
  /** Probes on their way, by number: the group each asks. */
  private final Map<Long, String> probes = new HashMap<>();
  private int wordCount;
  private long nextBatch = 1;
  private long givenUp;

  UnconfirmedWords(int maxWords) {
    this.maxWords = maxWords;
  }

  /** The number the next batch or probe will carry. */
  long nextBatch() {
    return nextBatch;
  }

  /** A batch numbered {@link #nextBatch()} left for {@code group} at {@code nowNanos}. */
  void sent(String group, GroupAggregator.MembersUpdated batch, long nowNanos) {
    long number = nextBatch++;
    batches.put(number, new Sent(group, batch, nowNanos));
    GroupWords words = groups.computeIfAbsent(group, g -> new GroupWords());
    words.batches++;
    words.lastSent = number;
    forEachUpdate(batch, update -> {
      if (words.newest.put(update.deviceId(), number) == null) {
        wordCount++;
      }
    });
    while (wordCount > maxWords) {
      Iterator<Map.Entry<Long, Sent>> oldest = batches.entrySet().iterator();
      Map.Entry<Long, Sent> entry = oldest.next();
      oldest.remove();
      givenUp += settle(entry.getKey(), entry.getValue());
    }
  }

  /** An empty batch numbered {@link #nextBatch()} left for {@code group}, to learn whether batches still arrive. */
  void probed(String group, long nowNanos) {
    long number = nextBatch++;
    GroupWords words = groups.get(group);
    if (words == null) {
      return;
    }
    probes.remove(words.probe);
    probes.put(number, group);
    words.probe = number;
    words.probeSentAtNanos = nowNanos;
    words.lastSent = number;
  }

  /** The group took batch or probe {@code number}: the words it carried are done, unless newer ones went since. */
  void confirmed(long number) {
    Sent sent = batches.remove(number);
    String group = sent != null ? sent.group() : probes.remove(number);
    GroupWords words = group == null ? null : groups.get(group);
    if (words == null) {
      return; // settled already: given up, due, or a probe sent again since
    }
    words.highestConfirmed = Math.max(words.highestConfirmed, number);
    if (sent != null) {
      settle(number, sent);
    } else {
      words.probe = 0;
    }
  }

  /**
   * What is due at {@code nowNanos} for batches sent at least {@code afterNanos} before:
   * the words of those known lost (taken out here, to be sent again in a new batch unless
   * superseded), and the groups to probe.
   */
  Due due(long nowNanos, long afterNanos) {
    List<Resend> resend = new ArrayList<>();
    Set<String> probe = new LinkedHashSet<>();
    for (Iterator<Map.Entry<Long, Sent>> entries = batches.entrySet().iterator(); entries.hasNext(); ) {
      Map.Entry<Long, Sent> entry = entries.next();
      Sent sent = entry.getValue();
      if (nowNanos - sent.sentAtNanos() < afterNanos) {
        break;
      }
      long number = entry.getKey();
      GroupWords words = groups.get(sent.group());
      if (words.highestConfirmed > number) {
        entries.remove();
        forEachUpdate(sent.batch(), update -> {
          if (isNewest(words, update, number)) {
            resend.add(new Resend(sent.group(), update));
          }
        });
        settle(number, sent);
      } else if (words.lastSent == number
          || (words.lastSent == words.probe && nowNanos - words.probeSentAtNanos >= afterNanos)) {
        probe.add(sent.group()); // nothing went after it, or the probe that did is overdue too
      }
    }
    return new Due(resend, probe);
  }

  boolean isEmpty() {
    return batches.isEmpty();
  }

  /** Words kept now. */
  int size() {
    return wordCount;
  }

  /** Words given up since the last call, the memory being full, and forgets the count. */
  long takeGivenUp() {
    long count = givenUp;
    givenUp = 0;
    return count;
  }

  /**
   * Batch {@code number}, already taken out of {@link #batches}, is done: forgets the words
   * it was the newest carrier of, and the group once none of its batches is unconfirmed.
   * Returns how many words it forgot.
   */
  private int settle(long number, Sent sent) {
    GroupWords words = groups.get(sent.group());
    int before = wordCount;
    forEachUpdate(sent.batch(), update -> {
      if (isNewest(words, update, number)) {
        words.newest.remove(update.deviceId());
        wordCount--;
      }
    });
    if (--words.batches == 0) {
      groups.remove(sent.group());
      probes.remove(words.probe);
    }
    return before - wordCount;
  }

  private static boolean isNewest(GroupWords words, GroupAggregator.MemberUpdate update, long number) {
    Long newest = words.newest.get(update.deviceId());
    return newest != null && newest == number;
  }

  private static void forEachUpdate(GroupAggregator.MembersUpdated batch,
      Consumer<GroupAggregator.MemberUpdate> action) {
    batch.changed().forEach(action);
    batch.left().forEach(action);
  }
}
