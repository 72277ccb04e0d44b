package io.herald.node.aggregate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class AggregateTest {

  private final Aggregate aggregate = new Aggregate();
  /** When each word below was said, in ms: one after another unless a test says otherwise. */
  private long clock;

  @Test
  void aLostNodeTakesOfflineTheOnlineMembersItSpokeForLastAndTheirNextWordWins() {
    aggregate.update("a", true, Map.of("t", 10.0), ++clock, "node-1");
    aggregate.update("b", true, Map.of("t", 20.0), ++clock, "node-2");
    aggregate.update("c", false, Map.of(), ++clock, "node-2");
    aggregate.update("d", true, Map.of("t", 40.0), ++clock, "node-2");
    aggregate.update("d", true, Map.of("t", 45.0), ++clock, "node-1");

    assertEquals(2, aggregate.nodeLost("node-2"), "b and c");
    Aggregate.Snapshot snapshot = aggregate.snapshot();
    assertEquals(4, snapshot.members());
    assertEquals(2, snapshot.online(), "a, and d, whose newest word came from node-1");
    assertEquals(new Aggregate.FieldStats(2, 55.0, 10.0, 45.0), snapshot.fields().get("t"));
    assertEquals(0, aggregate.nodeLost("node-2"), "nothing more to mark");

    long stampOfB = 2;
    assertTrue(aggregate.update("b", true, Map.of("t", 21.0), stampOfB - 1, "node-1"),
        "b's device, registered again on a node whose clock runs behind node-2's");
    assertEquals(3, aggregate.snapshot().online());
    assertFalse(aggregate.update("b", false, Map.of(), stampOfB - 2, "node-1"), "and from then on, stamps count again");
  }

  @Test
  void membersLostWithANodeThatNobodySpokeForSinceAreForgottenAndMayJoinAgain() {
    aggregate.update("a", true, Map.of("t", 10.0), ++clock, "node-1");
    aggregate.update("b", true, Map.of("t", 20.0), ++clock, "node-2");
    aggregate.update("c", false, Map.of(), ++clock, "node-2");
    aggregate.update("d", true, Map.of("t", 30.0), ++clock, "node-3");
    aggregate.nodeLost("node-2");
    aggregate.nodeLost("node-3");
    aggregate.update("c", true, Map.of("t", 25.0), ++clock, "node-1");

    assertEquals(0, aggregate.forgetLost("node-1"), "node-1 was not lost");
    assertEquals(1, aggregate.forgetLost("node-2"), "b; c spoke again through node-1");
    assertEquals(0, aggregate.forgetLost("node-2"));
    Aggregate.Snapshot snapshot = aggregate.snapshot();
    assertEquals(3, snapshot.members(), "a, c, and d, lost with node-3 but not yet forgotten");
    assertEquals(2, snapshot.online());
    assertEquals(new Aggregate.FieldStats(2, 35.0, 10.0, 25.0), snapshot.fields().get("t"));

    assertTrue(aggregate.update("b", true, Map.of("t", 20.0), 2, "node-1"), "b's device came back");
    assertEquals(4, aggregate.snapshot().members());
    assertEquals(3, aggregate.snapshot().online());

    assertEquals(List.of("d"), aggregate.members().stream().filter(Aggregate.MemberValues::lost)
        .map(Aggregate.MemberValues::memberId).toList(), "d is handed on as lost, should the group move");
  }

  @Test
  void aMemberHandedOnAsLostStaysLostUnlessHeardOfSince() {
    aggregate.update("a", true, Map.of("t", 10.0), 5, "node-1");
    assertFalse(aggregate.restoreLost("a", Map.of("t", 9.0), 3, "node-2"), "a spoke here since");
    assertTrue(aggregate.restoreLost("b", Map.of("t", 20.0), 4, "node-2"));
    assertEquals(new Aggregate.Snapshot(2, 1, Map.of("t", new Aggregate.FieldStats(1, 10.0, 10.0, 10.0))),
        aggregate.snapshot(), "b is a member, offline");

    assertTrue(aggregate.update("b", true, Map.of("t", 21.0), 1, "node-1"),
        "b's device spoke again, through a node whose clock runs behind: a lost member takes any stamp");
    assertEquals(0, aggregate.forgetLost("node-2"));
    assertTrue(aggregate.restoreLost("c", Map.of(), 4, "node-2"));
    assertEquals(1, aggregate.forgetLost("node-2"), "c: nobody spoke for it");
    assertEquals(2, aggregate.snapshot().online());
  }

  @Test
  void foldsNumbersOfOnlineMembers() {
    aggregate.update("a", true, Map.of("t", 20.0, "h", 40.0), ++clock);
    aggregate.update("b", true, Map.of("t", 24.0), ++clock);

    Aggregate.Snapshot snapshot = aggregate.snapshot();
    assertEquals(2, snapshot.members());
    assertEquals(2, snapshot.online());
    assertEquals(new Aggregate.FieldStats(2, 44.0, 20.0, 24.0), snapshot.fields().get("t"));
    assertEquals(22.0, snapshot.fields().get("t").mean());
    assertEquals(new Aggregate.FieldStats(1, 40.0, 40.0, 40.0), snapshot.fields().get("h"));
  }

  @Test
  void minAndMaxFollowValuesThatGoDownOrUp() {
    aggregate.update("a", true, Map.of("t", 10.0), ++clock);
    aggregate.update("b", true, Map.of("t", 30.0), ++clock);
    aggregate.update("b", true, Map.of("t", 5.0), ++clock);
    assertEquals(new Aggregate.FieldStats(2, 15.0, 5.0, 10.0), aggregate.snapshot().fields().get("t"));

    aggregate.update("b", true, Map.of("t", 50.0), ++clock);
    assertEquals(new Aggregate.FieldStats(2, 60.0, 10.0, 50.0), aggregate.snapshot().fields().get("t"));
  }

  @Test
  void membersGoingOfflineOrLeavingTakeTheirValuesWithThem() {
    aggregate.update("a", true, Map.of("t", 10.0), ++clock);
    aggregate.update("b", true, Map.of("t", 30.0), ++clock);
    aggregate.update("c", true, Map.of("t", 30.0), ++clock);

    aggregate.update("b", false, Map.of("t", 30.0), ++clock);
    assertEquals(new Aggregate.FieldStats(2, 40.0, 10.0, 30.0), aggregate.snapshot().fields().get("t"),
        "a duplicate max survives while another member holds it");
    aggregate.remove("c", ++clock);
    assertEquals(new Aggregate.FieldStats(1, 10.0, 10.0, 10.0), aggregate.snapshot().fields().get("t"));
    assertEquals(2, aggregate.snapshot().members());
    assertEquals(1, aggregate.snapshot().online());

    aggregate.remove("a", ++clock);
    assertEquals(Map.of(), aggregate.snapshot().fields(), "a field nobody online reports disappears");
  }

  @Test
  void anOlderWordOfAMemberArrivingLateChangesNothing() {
    aggregate.update("a", true, Map.of("t", 10.0), 200);
    assertFalse(aggregate.update("a", true, Map.of("t", 99.0), 100));
    assertFalse(aggregate.update("a", false, Map.of(), 150));
    assertFalse(aggregate.remove("a", 199));
    assertEquals(new Aggregate.FieldStats(1, 10.0, 10.0, 10.0), aggregate.snapshot().fields().get("t"));

    assertTrue(aggregate.update("a", true, Map.of("t", 12.0), 200), "the same moment: the later word wins");
    assertTrue(aggregate.remove("a", 300));
    assertEquals(0, aggregate.snapshot().members());
  }

  @Test
  void pagesOfMemberIdsWalkEveryMemberOnceInOrder() {
    Random random = new Random(7);
    java.util.TreeSet<String> ids = new java.util.TreeSet<>();
    while (ids.size() < 1000) {
      String id = "d" + random.nextInt(1_000_000);
      ids.add(id);
      aggregate.update(id, true, Map.of(), ++clock);
    }

    java.util.List<String> walked = new java.util.ArrayList<>();
    String after = "";
    Aggregate.MemberPage page;
    do {
      page = aggregate.memberIdsAfter(after, 75);
      walked.addAll(page.memberIds());
      after = page.memberIds().isEmpty() ? after : page.memberIds().get(page.memberIds().size() - 1);
    } while (page.more());

    assertEquals(java.util.List.copyOf(ids), walked);
    assertEquals(1000 % 75, aggregate.memberIdsAfter(walked.get(1000 - 1000 % 75 - 1), 75).memberIds().size());
  }

  @Test
  void matchesAFreshComputationThroughoutManyRandomChanges() {
    Random random = new Random(42);
    Map<String, Map<String, Double>> onlineTruth = new TreeMap<>();
    for (int i = 0; i < 20_000; i++) {
      String member = "m" + random.nextInt(200);
      int action = random.nextInt(10);
      if (action == 0) {
        aggregate.remove(member, ++clock);
        onlineTruth.remove(member);
      } else {
        Map<String, Double> numbers = new TreeMap<>();
        numbers.put("v", Math.round(random.nextGaussian() * 1000) / 10.0);
        if (random.nextBoolean()) {
          numbers.put("w", (double) random.nextInt(5));
        }
        boolean online = action != 1;
        aggregate.update(member, online, numbers, ++clock);
        if (online) {
          onlineTruth.put(member, numbers);
        } else {
          onlineTruth.remove(member);
        }
      }
      if (i % 97 == 0) {
        assertMatches(onlineTruth, "v");
        assertMatches(onlineTruth, "w");
      }
    }
    assertMatches(onlineTruth, "v");
    assertMatches(onlineTruth, "w");
  }

  private void assertMatches(Map<String, Map<String, Double>> onlineTruth, String field) {
    double[] values = onlineTruth.values().stream().filter(numbers -> numbers.containsKey(field))
        .mapToDouble(numbers -> numbers.get(field)).toArray();
    Aggregate.FieldStats stats = aggregate.snapshot().fields().get(field);
    if (values.length == 0) {
      assertEquals(null, stats);
      return;
    }
    assertEquals(values.length, stats.count());
    assertEquals(java.util.Arrays.stream(values).min().orElseThrow(), stats.min());
    assertEquals(java.util.Arrays.stream(values).max().orElseThrow(), stats.max());
    assertEquals(java.util.Arrays.stream(values).sum(), stats.sum(), 1e-6);
  }
}
