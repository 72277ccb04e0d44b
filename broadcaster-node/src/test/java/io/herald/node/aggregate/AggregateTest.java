package io.herald.node.aggregate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class AggregateTest {

  private final Aggregate aggregate = new Aggregate();

  @Test
  void foldsNumbersOfOnlineMembers() {
    aggregate.update("a", true, Map.of("t", 20.0, "h", 40.0));
    aggregate.update("b", true, Map.of("t", 24.0));

    Aggregate.Snapshot snapshot = aggregate.snapshot();
    assertEquals(2, snapshot.members());
    assertEquals(2, snapshot.online());
    assertEquals(new Aggregate.FieldStats(2, 44.0, 20.0, 24.0), snapshot.fields().get("t"));
    assertEquals(22.0, snapshot.fields().get("t").mean());
    assertEquals(new Aggregate.FieldStats(1, 40.0, 40.0, 40.0), snapshot.fields().get("h"));
  }

  @Test
  void minAndMaxFollowValuesThatGoDownOrUp() {
    aggregate.update("a", true, Map.of("t", 10.0));
    aggregate.update("b", true, Map.of("t", 30.0));
    aggregate.update("b", true, Map.of("t", 5.0));
    assertEquals(new Aggregate.FieldStats(2, 15.0, 5.0, 10.0), aggregate.snapshot().fields().get("t"));

    aggregate.update("b", true, Map.of("t", 50.0));
    assertEquals(new Aggregate.FieldStats(2, 60.0, 10.0, 50.0), aggregate.snapshot().fields().get("t"));
  }

  @Test
  void membersGoingOfflineOrLeavingTakeTheirValuesWithThem() {
    aggregate.update("a", true, Map.of("t", 10.0));
    aggregate.update("b", true, Map.of("t", 30.0));
    aggregate.update("c", true, Map.of("t", 30.0));

    aggregate.update("b", false, Map.of("t", 30.0));
    assertEquals(new Aggregate.FieldStats(2, 40.0, 10.0, 30.0), aggregate.snapshot().fields().get("t"),
        "a duplicate max survives while another member holds it");
    aggregate.remove("c");
    assertEquals(new Aggregate.FieldStats(1, 10.0, 10.0, 10.0), aggregate.snapshot().fields().get("t"));
    assertEquals(2, aggregate.snapshot().members());
    assertEquals(1, aggregate.snapshot().online());

    aggregate.remove("a");
    assertEquals(Map.of(), aggregate.snapshot().fields(), "a field nobody online reports disappears");
  }

  @Test
  void matchesAFreshComputationAfterManyRandomChanges() {
    Random random = new Random(42);
    Map<String, Double> truth = new TreeMap<>();
    for (int i = 0; i < 20_000; i++) {
      String member = "m" + random.nextInt(200);
      if (random.nextInt(10) == 0) {
        aggregate.remove(member);
        truth.remove(member);
      } else {
        double value = Math.round(random.nextGaussian() * 1000) / 10.0;
        aggregate.update(member, true, Map.of("v", value));
        truth.put(member, value);
      }
    }
    Aggregate.FieldStats stats = aggregate.snapshot().fields().get("v");
    assertEquals(truth.size(), stats.count());
    assertEquals(truth.values().stream().mapToDouble(d -> d).min().orElseThrow(), stats.min());
    assertEquals(truth.values().stream().mapToDouble(d -> d).max().orElseThrow(), stats.max());
    assertEquals(truth.values().stream().mapToDouble(d -> d).sum(), stats.sum(), 1e-6);
  }
}
