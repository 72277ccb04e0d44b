package io.herald.node.aggregate;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
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
  private final String node;
  private final Map<String, Batch> byGroup = new HashMap<>();
  private long merged;

  /** For the device entities of {@code node} (its address), which every batch names. */
  MemberUpdates(int maxValuesPerBatch, String node) {
    this.maxValuesPerBatch = maxValuesPerBatch;
    this.node = node;
  }

  /** Adds a member's word for a group; returns the group's batch if that filled it. */
  Optional<GroupAggregator.MembersUpdated> add(String group, GroupAggregator.MemberUpdate update) {
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
    return Optional.of(toMessage(batch));
  }

  /** Takes every waiting batch out, by group. */
  Map<String, GroupAggregator.MembersUpdated> drain() {
    Map<String, GroupAggregator.MembersUpdated> batches = new HashMap<>();
    byGroup.forEach((group, batch) -> batches.put(group, toMessage(batch)));
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

  private GroupAggregator.MembersUpdated toMessage(Batch batch) {
    List<GroupAggregator.MemberChanged> changed = new ArrayList<>();
    List<GroupAggregator.MemberLeft> left = new ArrayList<>();
    for (GroupAggregator.MemberUpdate update : batch.byDevice.values()) {
      if (update instanceof GroupAggregator.MemberChanged change) {
        changed.add(change);
      } else if (update instanceof GroupAggregator.MemberLeft departure) {
        left.add(departure);
      }
    }
    return new GroupAggregator.MembersUpdated(changed, left, node);
  }
}
