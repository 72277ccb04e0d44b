package io.herald.node.aggregate;

import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The running aggregates of a group, folded from member changes without re-reading the
 * members: how many members there are and how many are online, and for every numeric
 * field of the online members its count, sum, min, max and mean. Each member's last
 * numbers are kept so that a change or a departure can be taken back out, field by field:
 * a report that moves one number costs one field's update. Count and sum are exact at
 * every step; a bound that a departing value may have held is recomputed from the members
 * when a snapshot is taken, which happens at most once per publish interval, so a change
 * costs no sorted structure. Not thread-safe: its aggregator owns it.
 */
public final class Aggregate {

  /** One numeric field over the online members. */
  public record FieldStats(long count, double sum, double min, double max) {
    public double mean() {
      return sum / count;
    }
  }

  /** The aggregates at one moment. */
  public record Snapshot(int members, int online, Map<String, FieldStats> fields) {}

  /** Which node's device entity spoke last for a member, when no node is known. */
  public static final String NO_NODE = "";

  /**
   * {@code lost}: the member's newest word came from {@code node}, which crashed since, and
   * no node has spoken for it after that.
   */
  private record Member(boolean online, boolean lost, Map<String, Double> numbers, long asOfMillis, String node) {}

  private final Map<String, Member> members = new HashMap<>();
  /** One string per node that spoke for members, shared by them: each batch brings its own copy. */
  private final Map<String, String> nodes = new HashMap<>();
  private final Map<String, FieldFold> fields = new TreeMap<>();
  private final MemberIndex index = new MemberIndex();
  private int online;

  /**
   * Records a member's presence and numbers as of a moment, replacing what it had before
   * unless that is newer; returns whether it did. Two nodes may speak for one device in
   * turn (its entity moved), and their words need not arrive in the order they were said.
   * {@code node} is the node whose device entity said it, {@link #NO_NODE} when not known.
   */
  public boolean update(String memberId, boolean isOnline, Map<String, Double> numbers, long asOfMillis,
      String node) {
    Member previous = members.get(memberId);
    if (isNewer(previous, asOfMillis)) {
      return false;
    }
    Member current = new Member(isOnline, false, Map.copyOf(numbers), asOfMillis,
        nodes.computeIfAbsent(node, n -> n));
    members.put(memberId, current);
    if (previous == null) {
      index.joined(memberId);
    }
    if (previous == null || previous.online() != isOnline) {
      if (previous != null) {
        retract(previous);
      }
      include(current);
    } else if (isOnline) {
      previous.numbers().forEach((name, was) -> {
        Double now = current.numbers().get(name);
        if (now == null) {
          removeValue(name, was);
        } else if (!now.equals(was)) {
          removeValue(name, was);
          addValue(name, now);
        }
      });
      current.numbers().forEach((name, now) -> {
        if (!previous.numbers().containsKey(name)) {
          addValue(name, now);
        }
      });
    }
    return true;
  }

  /** {@link #update(String, boolean, Map, long, String)} by a node not known. */
  public boolean update(String memberId, boolean isOnline, Map<String, Double> numbers, long asOfMillis) {
    return update(memberId, isOnline, numbers, asOfMillis, NO_NODE);
  }

  /**
   * A node crashed and its device entities with it: the members whose newest word came from
   * there go offline and are marked lost, so that whatever their devices say next wins
   * whatever its stamp (and clears the mark). Returns how many were marked.
   */
  public int nodeLost(String node) {
    String lostNode = nodes.remove(node);
    if (lostNode == null) {
      return 0;
    }
    int marked = 0;
    for (Map.Entry<String, Member> entry : members.entrySet()) {
      Member member = entry.getValue();
      if (!member.lost() && member.node().equals(node)) {
        entry.setValue(new Member(false, true, member.numbers(), member.asOfMillis(), lostNode));
        retract(member);
        marked++;
      }
    }
    return marked;
  }

  /**
   * Takes out the members still marked lost with {@code node}: no node has spoken for them
   * since it crashed, so their entities are gone and so is what they knew. Should a device
   * come back, its new entity makes it a member again. Returns how many were taken out.
   */
  public int forgetLost(String node) {
    int forgotten = 0;
    for (Iterator<Map.Entry<String, Member>> entries = members.entrySet().iterator(); entries.hasNext(); ) {
      Map.Entry<String, Member> entry = entries.next();
      if (entry.getValue().lost() && entry.getValue().node().equals(node)) {
        entries.remove(); // offline: nothing to retract
        index.left(entry.getKey());
        forgotten++;
      }
    }
    return forgotten;
  }

  /** Takes a member out of the group unless it has word of it newer than that; returns whether it did. */
  public boolean remove(String memberId, long asOfMillis) {
    Member previous = members.get(memberId);
    if (previous == null || isNewer(previous, asOfMillis)) {
      return false;
    }
    members.remove(memberId);
    index.left(memberId);
    retract(previous);
    return true;
  }

  /** No member left, or none ever heard of. */
  public boolean isEmpty() {
    return members.isEmpty();
  }

  public Snapshot snapshot() {
    refreshStaleBounds();
    Map<String, FieldStats> stats = new TreeMap<>();
    fields.forEach((name, fold) -> stats.put(name, fold.stats()));
    return new Snapshot(members.size(), online, stats);
  }

  /**
   * One member as the aggregate last heard of it, the node that said it ({@link #NO_NODE} if
   * not known), and whether it is lost with that node (see {@link #nodeLost}).
   */
  public record MemberValues(String memberId, boolean online, Map<String, Double> numbers, long asOfMillis,
      String node, boolean lost) {}

  /** Every member with its presence and numbers, to hand the aggregate on. */
  public List<MemberValues> members() {
    return members.entrySet().stream()
        .map(entry -> new MemberValues(entry.getKey(), entry.getValue().online(), entry.getValue().numbers(),
            entry.getValue().asOfMillis(), entry.getValue().node(), entry.getValue().lost()))
        .toList();
  }

  /**
   * A member handed on while it was lost with crashed node {@code node}: offline and still
   * lost here, so that its device's next word wins whatever its stamp and
   * {@link #forgetLost} takes it out if none comes; unless this aggregate has heard of it
   * since. Returns whether it took it.
   */
  public boolean restoreLost(String memberId, Map<String, Double> numbers, long asOfMillis, String node) {
    if (!update(memberId, false, numbers, asOfMillis, node)) {
      return false;
    }
    Member restored = members.get(memberId);
    members.put(memberId, new Member(false, true, restored.numbers(), restored.asOfMillis(), restored.node()));
    return true;
  }

  /** Up to {@code limit} member ids in order, and whether more follow. */
  public record MemberPage(List<String> memberIds, boolean more) {}

  /**
   * The first {@code limit} member ids after {@code after} in their natural order (all
   * from the first when {@code after} is empty), for queries that walk a group a page at a
   * time ({@link MemberIndex}: sorted when first asked, kept up by joins and leaves only).
   */
  public MemberPage memberIdsAfter(String after, int limit) {
    return index.page(after, limit, members.keySet(), members::containsKey);
  }

  /**
   * Whether what the aggregate holds of a member is newer than a word stamped {@code asOfMillis}.
   * A lost member's word is never newer: the node that stamped it is gone, and a word from a
   * node whose clock runs behind it is the member's news all the same.
   */
  private static boolean isNewer(Member held, long asOfMillis) {
    return held != null && !held.lost() && held.asOfMillis() > asOfMillis;
  }

  private void include(Member member) {
    if (member.online()) {
      online++;
      member.numbers().forEach(this::addValue);
    }
  }

  private void retract(Member member) {
    if (member.online()) {
      online--;
      member.numbers().forEach(this::removeValue);
    }
  }

  private void addValue(String name, double value) {
    fields.computeIfAbsent(name, n -> new FieldFold()).add(value);
  }

  private void removeValue(String name, double value) {
    FieldFold fold = fields.get(name);
    fold.remove(value);
    if (fold.count == 0) {
      fields.remove(name);
    }
  }

  /** One pass over the online members gives every field whose bound left its bounds back. */
  private void refreshStaleBounds() {
    List<FieldFold> stale = fields.values().stream().filter(fold -> fold.boundsStale).toList();
    if (stale.isEmpty()) {
      return;
    }
    stale.forEach(FieldFold::clearBounds);
    for (Member member : members.values()) {
      if (member.online()) {
        member.numbers().forEach((name, value) -> {
          FieldFold fold = fields.get(name);
          if (fold.boundsStale) {
            fold.widen(value);
          }
        });
      }
    }
    stale.forEach(fold -> fold.boundsStale = false);
  }

  /** One field's running count and sum, and its bounds unless a value that held one left. */
  private static final class FieldFold {
    private long count;
    private double sum;
    private double min = Double.POSITIVE_INFINITY;
    private double max = Double.NEGATIVE_INFINITY;
    private boolean boundsStale;

    void add(double value) {
      count++;
      sum += value;
      if (!boundsStale) {
        widen(value);
      }
    }

    void remove(double value) {
      count--;
      sum -= value;
      if (value <= min || value >= max) {
        boundsStale = true;
      }
    }

    void widen(double value) {
      min = Math.min(min, value);
      max = Math.max(max, value);
    }

    void clearBounds() {
      min = Double.POSITIVE_INFINITY;
      max = Double.NEGATIVE_INFINITY;
    }

    FieldStats stats() {
      return new FieldStats(count, sum, min, max);
    }
  }
}
