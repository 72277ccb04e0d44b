package io.herald.node.aggregate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.node.metrics.NodeMetrics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class GroupFeedTest {

  private static final ActorTestKit testKit = ActorTestKit.create();

  private final TestProbe<GroupAggregator.Command> north = testKit.createTestProbe();
  private final TestProbe<GroupAggregator.Command> south = testKit.createTestProbe();
  private final NodeMetrics metrics = new NodeMetrics();
  private static final Duration RESEND_AFTER = Duration.ofMillis(300);

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void eachGroupGetsOneMessageAnIntervalWithEachDevicesNewestWord() {
    ActorRef<GroupFeed.Command> feed = feed(Duration.ofMillis(300), 2000);
    feed.tell(new GroupFeed.Changed(List.of("north", "south"), change("d1", 1.0, 1)));
    feed.tell(new GroupFeed.Changed(List.of("north"), change("d2", 2.0, 2)));
    feed.tell(new GroupFeed.Changed(List.of("north", "south"), change("d1", 3.0, 3)));
    feed.tell(new GroupFeed.Left("south", new GroupAggregator.MemberLeft("d4", 4)));
    north.expectNoMessage(Duration.ofMillis(150));

    String node = testKit.system().address().toString();
    var toNorth = (GroupAggregator.MembersUpdated) north.receiveMessage(Duration.ofSeconds(1));
    var toSouth = (GroupAggregator.MembersUpdated) south.receiveMessage(Duration.ofSeconds(1));
    assertEquals(new GroupAggregator.MembersUpdated(List.of(change("d1", 3.0, 3), change("d2", 2.0, 2)), List.of(),
        node, toNorth.batch(), feed), toNorth, "each batch names the node whose devices spoke, and its feed");
    assertEquals(new GroupAggregator.MembersUpdated(List.of(change("d1", 3.0, 3)),
        List.of(new GroupAggregator.MemberLeft("d4", 4)), node, toSouth.batch(), feed), toSouth);
    assertNotEquals(toNorth.batch(), toSouth.batch(), "every batch has a number of its own");
    feed.tell(new GroupFeed.Confirmed(List.of(toNorth.batch(), toSouth.batch())));
    north.expectNoMessage(Duration.ofMillis(400));
    assertEquals(2L, metrics.snapshot().get("group_updates_merged"));
    assertEquals(2L, metrics.snapshot().get("group_batches_sent"));
  }

  @Test
  void aFullBatchLeavesAtOnce() {
    // Three values each (a device and two numbers): the fourth device fills a batch of ten.
    ActorRef<GroupFeed.Command> feed = feed(Duration.ofMinutes(1), 10);
    for (int device = 1; device <= 5; device++) {
      feed.tell(new GroupFeed.Changed(List.of("north"),
          new GroupAggregator.MemberChanged("d" + device, true, Map.of("t", 1.0, "h", 2.0), device)));
    }
    GroupAggregator.MembersUpdated full = (GroupAggregator.MembersUpdated) north.receiveMessage();
    assertEquals(List.of("d1", "d2", "d3", "d4"),
        full.changed().stream().map(GroupAggregator.MemberChanged::deviceId).toList());
    feed.tell(new GroupFeed.Confirmed(List.of(full.batch())));
    north.expectNoMessage(Duration.ofMillis(200));
  }

  @Test
  void wordsOfABatchLostOnTheWayGoAgainOnceALaterBatchArrives() {
    ActorRef<GroupFeed.Command> feed = feed(Duration.ofMillis(20), 2000);
    feed.tell(new GroupFeed.Changed(List.of("north"), change("d1", 1.0, 1)));
    north.receiveMessage(); // lost on the way: never confirmed
    feed.tell(new GroupFeed.Changed(List.of("north"), change("d2", 2.0, 2)));
    var arrived = (GroupAggregator.MembersUpdated) north.receiveMessage();
    feed.tell(new GroupFeed.Confirmed(List.of(arrived.batch())));

    var again = (GroupAggregator.MembersUpdated) north.receiveMessage(Duration.ofSeconds(2));
    assertEquals(List.of(change("d1", 1.0, 1)), again.changed(), "only the lost word goes again");
    assertTrue(again.batch() > arrived.batch(), "as a new batch");
    feed.tell(new GroupFeed.Confirmed(List.of(again.batch())));
    north.expectNoMessage(RESEND_AFTER.multipliedBy(2));
    assertEquals(1L, metrics.snapshot().get("group_updates_resent"));
  }

  @Test
  void aLastBatchUnconfirmedIsProbedAndItsWordsGoAgainOnceTheProbeArrives() {
    ActorRef<GroupFeed.Command> feed = feed(Duration.ofMillis(20), 2000);
    feed.tell(new GroupFeed.Changed(List.of("north"), change("d1", 1.0, 1)));
    north.receiveMessage(); // lost on the way
    var probe = (GroupAggregator.MembersUpdated) north.receiveMessage(Duration.ofSeconds(2));
    assertEquals(List.of(), probe.changed(), "nothing went after it: an empty batch asks first");
    assertEquals(List.of(), probe.left());
    feed.tell(new GroupFeed.Confirmed(List.of(probe.batch())));

    var again = (GroupAggregator.MembersUpdated) north.receiveMessage(Duration.ofSeconds(2));
    assertEquals(List.of(change("d1", 1.0, 1)), again.changed());
    assertEquals(1L, metrics.snapshot().get("group_probes_sent"));
  }

  @Test
  void aGroupThatIsOnlySlowIsSentNoWordTwice() {
    ActorRef<GroupFeed.Command> feed = feed(Duration.ofMillis(20), 2000);
    feed.tell(new GroupFeed.Changed(List.of("north"), change("d1", 1.0, 1)));
    var slow = (GroupAggregator.MembersUpdated) north.receiveMessage();
    var probe = (GroupAggregator.MembersUpdated) north.receiveMessage(Duration.ofSeconds(2));
    // The group catches up: it confirms what it took, in the order it was sent.
    feed.tell(new GroupFeed.Confirmed(List.of(slow.batch(), probe.batch())));
    north.expectNoMessage(RESEND_AFTER.multipliedBy(2));
    assertEquals(0L, metrics.snapshot().get("group_updates_resent"));
  }

  @Test
  void confirmationsForAFeedAreGatheredIntoOneMessage() {
    ActorRef<GroupFeed.Command> feed = feed(Duration.ofMillis(50), 2000);
    TestProbe<GroupFeed.Command> otherFeed = testKit.createTestProbe();
    feed.tell(new GroupFeed.Received(otherFeed.getRef(), 5));
    feed.tell(new GroupFeed.Received(otherFeed.getRef(), 6));
    assertEquals(new GroupFeed.Confirmed(List.of(5L, 6L)), otherFeed.receiveMessage());
    otherFeed.expectNoMessage(Duration.ofMillis(150));
  }

  private ActorRef<GroupFeed.Command> feed(Duration interval, int maxValues) {
    return testKit.spawn(GroupFeed.create(new GroupSettings(Duration.ofSeconds(1), Duration.ofSeconds(1), 1000, interval,
        maxValues, RESEND_AFTER, 100_000, 1000, Duration.ofSeconds(5), Duration.ofSeconds(60)),
        group -> group.equals("north") ? north.getRef() : south.getRef(), metrics));
  }

  private static GroupAggregator.MemberChanged change(String device, double value, long asOf) {
    return new GroupAggregator.MemberChanged(device, true, Map.of("t", value), asOf);
  }
}
