package io.herald.node.device;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A device's reported and desired state with their versions, and the desired version the
 * device has acknowledged. Each version grows by one on every change; a report that
 * changes nothing leaves the version as it is. Not thread-safe: its entity owns it.
 */
public final class DeviceState {

  private final StateLimits limits;
  private Map<String, FieldValue> reported = new TreeMap<>();
  private long reportedVersion;
  private Map<String, FieldValue> desired = new TreeMap<>();
  private long desiredVersion;
  private long ackedDesiredVersion;
  /** Whether a report replaced the whole reported state since this state was created. */
  private boolean replaced;

  public DeviceState(StateLimits limits) {
    this.limits = limits;
  }

  /**
   * Applies a report: merges {@code fields} (dropping {@code remove}), or replaces the
   * reported state with them. Returns why it was refused, if it was.
   */
  public Optional<String> report(Map<String, FieldValue> fields, boolean replace, List<String> remove) {
    Map<String, FieldValue> next = replace ? new TreeMap<>() : new TreeMap<>(reported);
    if (!replace) {
      remove.forEach(next::remove);
    }
    next.putAll(fields);
    Optional<String> violation = check(next);
    if (violation.isPresent()) {
      return violation;
    }
    if (!next.equals(reported)) {
      reported = next;
      reportedVersion++;
      replaced |= replace;
    }
    return Optional.empty();
  }

  /**
   * Takes in the state the device had in its previous home (its shard moved). Anything this
   * state learned since it was created came later, so it wins: its reported fields over the
   * earlier ones (all of them after a replace), its desired state over the earlier one.
   * Versions continue from the earlier ones, so they still only grow.
   */
  public void restore(Map<String, FieldValue> earlierReported, long earlierReportedVersion,
      Map<String, FieldValue> earlierDesired, long earlierDesiredVersion, long earlierAckedDesiredVersion) {
    if (!replaced) {
      Map<String, FieldValue> merged = new TreeMap<>(earlierReported);
      merged.putAll(reported);
      reported = merged;
    }
    reportedVersion += earlierReportedVersion;
    if (desiredVersion == 0) {
      desired = new TreeMap<>(earlierDesired);
      ackedDesiredVersion = earlierAckedDesiredVersion;
    } else {
      ackedDesiredVersion = ackedDesiredVersion == 0 ? earlierAckedDesiredVersion
          : ackedDesiredVersion + earlierDesiredVersion;
    }
    desiredVersion += earlierDesiredVersion;
  }

  /** Replaces the desired state; returns why it was refused, if it was. */
  public Optional<String> setDesired(Map<String, FieldValue> fields) {
    Map<String, FieldValue> next = new TreeMap<>(fields);
    Optional<String> violation = check(next);
    if (violation.isPresent()) {
      return violation;
    }
    desired = next;
    desiredVersion++;
    return Optional.empty();
  }

  /** Records that the device applied desired state up to {@code version}. */
  public void acknowledge(long version) {
    ackedDesiredVersion = Math.max(ackedDesiredVersion, Math.min(version, desiredVersion));
  }

  /** The desired fields whose reported value differs or is missing. */
  public Map<String, FieldValue> delta() {
    return deltaOf(desired, reported);
  }

  /** The fields of {@code desired} whose value in {@code reported} differs or is missing. */
  public static Map<String, FieldValue> deltaOf(Map<String, FieldValue> desired, Map<String, FieldValue> reported) {
    Map<String, FieldValue> delta = new TreeMap<>();
    desired.forEach((name, value) -> {
      if (!value.equals(reported.get(name))) {
        delta.put(name, value);
      }
    });
    return delta;
  }

  public boolean hasUnacknowledgedDesired() {
    return desiredVersion > ackedDesiredVersion;
  }

  public Map<String, FieldValue> reported() {
    return Map.copyOf(reported);
  }

  public long reportedVersion() {
    return reportedVersion;
  }

  public Map<String, FieldValue> desired() {
    return Map.copyOf(desired);
  }

  public long desiredVersion() {
    return desiredVersion;
  }

  public long ackedDesiredVersion() {
    return ackedDesiredVersion;
  }

  /** The numeric fields of the reported state, for group aggregates. */
  public Map<String, Double> reportedNumbers() {
    Map<String, Double> numbers = new TreeMap<>();
    reported.forEach((name, value) -> {
      if (value instanceof FieldValue.Number number) {
        numbers.put(name, number.value());
      }
    });
    return numbers;
  }

  private Optional<String> check(Map<String, FieldValue> state) {
    if (state.size() > limits.maxFields()) {
      return Optional.of("state has " + state.size() + " fields; at most " + limits.maxFields() + " allowed");
    }
    for (Map.Entry<String, FieldValue> field : state.entrySet()) {
      if (field.getKey().isEmpty() || field.getKey().length() > limits.maxNameLength()) {
        return Optional.of("field names are 1 to " + limits.maxNameLength() + " characters");
      }
      if (field.getValue() instanceof FieldValue.Text text && text.value().length() > limits.maxTextLength()) {
        return Optional.of("field '" + field.getKey() + "' is longer than " + limits.maxTextLength() + " characters");
      }
      if (field.getValue() instanceof FieldValue.Number number && !Double.isFinite(number.value())) {
        return Optional.of("field '" + field.getKey() + "' is not a finite number");
      }
    }
    return Optional.empty();
  }
}
