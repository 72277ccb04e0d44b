package io.herald.node.aggregate;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The running aggregates of a group, folded from member changes without re-reading the
 * members: how many members there are and how many are online, and for every numeric
 * field of the online members its count, sum, min, max and mean. Each member's last
 * numbers are kept so that a change or a departure can be taken back out; min and max
 * come from a counted set of the current values, so they stay right when values move
 * either way. Not thread-safe: its aggregator owns it.
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

  private record Member(boolean online, Map<String, Double> numbers) {}

  private final Map<String, Member> members = new HashMap<>();
  private final Map<String, FieldFold> fields = new TreeMap<>();
  private int online;

  /** Records a member's presence and numbers, replacing what it had before. */
  public void update(String memberId, boolean isOnline, Map<String, Double> numbers) {
    Member previous = members.put(memberId, new Member(isOnline, Map.copyOf(numbers)));
    if (previous != null) {
      retract(previous);
    }
    include(members.get(memberId));
  }

  /** Takes a member out of the group; returns whether it was in. */
  public boolean remove(String memberId) {
    Member previous = members.remove(memberId);
    if (previous != null) {
      retract(previous);
    }
    return previous != null;
  }

  public Snapshot snapshot() {
    Map<String, FieldStats> stats = new TreeMap<>();
    fields.forEach((name, fold) -> stats.put(name, fold.stats()));
    return new Snapshot(members.size(), online, stats);
  }

  /** One member as the aggregate last heard of it. */
  public record MemberValues(String memberId, boolean online, Map<String, Double> numbers) {}

  /** Every member with its presence and numbers, to hand the aggregate on. */
  public java.util.List<MemberValues> members() {
    return members.entrySet().stream()
        .map(entry -> new MemberValues(entry.getKey(), entry.getValue().online(), entry.getValue().numbers()))
        .toList();
  }

  public boolean hasMember(String memberId) {
    return members.containsKey(memberId);
  }

  /** The ids of the members, for queries that ask each of them. */
  public java.util.Set<String> memberIds() {
    return java.util.Set.copyOf(members.keySet());
  }

  private void include(Member member) {
    if (member.online()) {
      online++;
      member.numbers().forEach((name, value) -> fields.computeIfAbsent(name, n -> new FieldFold()).add(value));
    }
  }

  private void retract(Member member) {
    if (member.online()) {
      online--;
      member.numbers().forEach((name, value) -> {
        FieldFold fold = fields.get(name);
        fold.remove(value);
        if (fold.count == 0) {
          fields.remove(name);
        }
      });
    }
  }

  /** One field's running sum and the counted set of its current values. */
  private static final class FieldFold {
    private final TreeMap<Double, Integer> values = new TreeMap<>();
    private long count;
    private double sum;

    void add(double value) {
      values.merge(value, 1, Integer::sum);
      count++;
      sum += value;
    }

    void remove(double value) {
      values.computeIfPresent(value, (v, n) -> n == 1 ? null : n - 1);
      count--;
      sum -= value;
    }

    FieldStats stats() {
      return new FieldStats(count, sum, values.firstKey(), values.lastKey());
    }
  }
}
