package io.herald.node.aggregate;

import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Member changes waiting to go to their groups, each device's newest only: a device that
 * changes twice before its group's batch leaves costs its group one update. A group's
 * batch is bounded by the values it carries (a member counts one, plus one per number),
 * so that a batch stays a message of modest size; a full batch is taken out at once. Not
 * thread-safe: its feed owns it.
 */
final class MemberUpdates {

  /** A group's updates by device, in the order the devices first changed. */
  private static final class Batch {
    final Map<String, GroupAggregator.MemberUpdate> byDevice = new LinkedHashMap<>();
    int values;
  }

  private final int maxValuesPerBatch;
  private final Map<String, Batch> byGroup = new HashMap<>();
  private long merged;

  MemberUpdates(int maxValuesPerBatch) {
    this.maxValuesPerBatch = maxValuesPerBatch;
  }

  /** Adds a member's word for a group; returns the group's batch if that filled it. */
  Optional<Collection<GroupAggregator.MemberUpdate>> add(String group, GroupAggregator.MemberUpdate update) {
    Batch batch = byGroup.computeIfAbsent(group, g -> new Batch());
    GroupAggregator.MemberUpdate replaced = batch.byDevice.put(update.deviceId(), update);
    if (replaced != null) {
      merged++;
      batch.values -= replaced.values();
    }
    batch.values += update.values();
    if (batch.values < maxValuesPerBatch) {
      return Optional.empty();
    }
    byGroup.remove(group);
    return Optional.of(batch.byDevice.values());
  }

  /** Whether a word of {@code deviceId} for {@code group} waits here (it is the newest). */
  boolean waits(String group, String deviceId) {
    Batch batch = byGroup.get(group);
    return batch != null && batch.byDevice.containsKey(deviceId);
  }

  /** Takes every waiting batch out, by group, each in the order its devices first changed. */
  Map<String, Collection<GroupAggregator.MemberUpdate>> drain() {
    Map<String, Collection<GroupAggregator.MemberUpdate>> batches = new HashMap<>();
    byGroup.forEach((group, batch) -> batches.put(group, batch.byDevice.values()));
    byGroup.clear();
    return batches;
  }

  boolean isEmpty() {
    return byGroup.isEmpty();
  }

  /** Updates replaced by a newer one of the same device before they left, and forgets the count. */
  long takeMerged() {
    long count = merged;
    merged = 0;
    return count;
  }
}
