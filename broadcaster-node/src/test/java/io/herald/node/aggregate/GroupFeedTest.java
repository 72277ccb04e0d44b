package io.herald.node.aggregate;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
    assertEquals(new GroupAggregator.MembersUpdated(List.of(change("d1", 3.0, 3), change("d2", 2.0, 2)), List.of(),
        node), north.receiveMessage(Duration.ofSeconds(1)), "each batch names the node whose devices spoke");
    assertEquals(new GroupAggregator.MembersUpdated(List.of(change("d1", 3.0, 3)),
        List.of(new GroupAggregator.MemberLeft("d4", 4)), node), south.receiveMessage(Duration.ofSeconds(1)));
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
    north.expectNoMessage(Duration.ofMillis(200));
  }

  private ActorRef<GroupFeed.Command> feed(Duration interval, int maxValues) {
    return testKit.spawn(GroupFeed.create(new GroupSettings(Duration.ofSeconds(1), Duration.ofSeconds(1), 1000, interval,
        maxValues, 1000, Duration.ofSeconds(5), Duration.ofSeconds(60)), group -> group.equals("north") ? north.getRef() : south.getRef(), metrics));
  }

  private static GroupAggregator.MemberChanged change(String device, double value, long asOf) {
    return new GroupAggregator.MemberChanged(device, true, Map.of("t", value), asOf);
  }
}
