package io.herald.node.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DeviceStateTest {

  private final DeviceState state = new DeviceState(new StateLimits(3, 8, 5));

  @Test
  void reportsMergeOrReplaceAndOnlyChangesGrowTheVersion() {
    state.report(Map.of("t", number(20), "on", new FieldValue.Flag(true)), false, List.of());
    state.report(Map.of("t", number(21)), false, List.of());
    assertEquals(Map.of("t", number(21), "on", new FieldValue.Flag(true)), state.reported());
    assertEquals(2, state.reportedVersion());

    state.report(Map.of("t", number(21)), false, List.of());
    assertEquals(2, state.reportedVersion(), "a report that changes nothing keeps the version");

    state.report(Map.of("mode", new FieldValue.Text("eco")), true, List.of());
    assertEquals(Map.of("mode", new FieldValue.Text("eco")), state.reported());
    state.report(Map.of(), false, List.of("mode"));
    assertEquals(Map.of(), state.reported());
  }

  @Test
  void aRestoredEarlierStateYieldsToWhatWasLearnedSinceAndVersionsKeepGrowing() {
    state.report(Map.of("t", number(22)), false, List.of());

    state.restore(Map.of("t", number(20), "on", new FieldValue.Flag(true)), 5,
        Map.of("t", number(19)), 3, 2);

    assertEquals(Map.of("t", number(22), "on", new FieldValue.Flag(true)), state.reported(),
        "the report made after the move wins; fields it did not name come back");
    assertEquals(6, state.reportedVersion());
    assertEquals(Map.of("t", number(19)), state.desired(), "no desired state was set since: the earlier one holds");
    assertEquals(3, state.desiredVersion());
    assertEquals(2, state.ackedDesiredVersion());
    assertTrue(state.hasUnacknowledgedDesired());
  }

  @Test
  void aReplaceSinceTheMoveDropsTheEarlierReportedFields() {
    state.report(Map.of("mode", new FieldValue.Text("eco")), true, List.of());

    state.restore(Map.of("t", number(20)), 4, Map.of(), 0, 0);

    assertEquals(Map.of("mode", new FieldValue.Text("eco")), state.reported());
    assertEquals(5, state.reportedVersion());
  }

  @Test
  void reportsOverTheLimitsAreRefusedWithoutChangingAnything() {
    assertTrue(state.report(Map.of("a", number(1), "b", number(2), "c", number(3), "d", number(4)), false, List.of())
        .isPresent());
    assertTrue(state.report(Map.of("much-too-long-name", number(1)), false, List.of()).isPresent());
    assertTrue(state.report(Map.of("s", new FieldValue.Text("too long")), false, List.of()).isPresent());
    assertTrue(state.report(Map.of("n", number(Double.NaN)), false, List.of()).isPresent());
    assertEquals(0, state.reportedVersion());
  }

  @Test
  void deltaIsWhatDesiredWantsAndReportedDoesNotHave() {
    state.report(Map.of("t", number(20), "on", new FieldValue.Flag(true)), false, List.of());
    state.setDesired(Map.of("t", number(22), "on", new FieldValue.Flag(true), "fan", number(2)));

    assertEquals(Map.of("t", number(22), "fan", number(2)), state.delta());
    assertEquals(1, state.desiredVersion());
  }

  @Test
  void acknowledgementsNeverRunAheadOfTheDesiredVersion() {
    state.setDesired(Map.of("t", number(1)));
    assertTrue(state.hasUnacknowledgedDesired());
    state.acknowledge(7);
    assertEquals(1, state.ackedDesiredVersion());
    assertFalse(state.hasUnacknowledgedDesired());
  }

  private static FieldValue number(double value) {
    return new FieldValue.Number(value);
  }
}
