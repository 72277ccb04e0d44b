package io.herald.node.aggregate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.herald.node.device.DeviceEntity;
import io.herald.node.device.DeviceSnapshot;
import io.herald.node.metrics.NodeMetrics;
import io.herald.node.topic.TopicEntity;
import io.herald.node.topic.TopicRegistry;
import io.herald.node.topic.TopicService;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import io.herald.protocol.v1.GroupAggregateView;
import io.herald.protocol.v1.MemberStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class GroupAggregatorTest {

  private static final ActorTestKit testKit = ActorTestKit.create();

  private final TestProbe<TopicRegistry.Command> registry = testKit.createTestProbe();
  private final TestProbe<ShardingEnvelope<TopicEntity.Command>> topics = testKit.createTestProbe();
  private final TestProbe<DeviceEntity.Command> online = testKit.createTestProbe();
  private final TestProbe<DeviceEntity.Command> offline = testKit.createTestProbe();
  private final TestProbe<DeviceEntity.Command> silent = testKit.createTestProbe();
  private final ActorRef<GroupAggregator.Command> group = testKit.spawn(GroupAggregator.create("g1",
      new GroupSettings(Duration.ofMillis(200), Duration.ofMillis(500), Duration.ofMillis(50), 2000),
      new TopicService(registry.getRef(), topics.getRef(), new NodeMetrics()),
      id -> switch (id) {
        case "online" -> online.getRef();
        case "offline" -> offline.getRef();
        default -> silent.getRef();
      }, new NodeMetrics()));

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void publishesOneSnapshotPerIntervalAndOnlyAfterAChange() throws Exception {
    changed(new GroupAggregator.MemberChanged("a", true, Map.of("t", 10.0), 1),
        new GroupAggregator.MemberChanged("b", true, Map.of("t", 20.0), 1));
    changed(new GroupAggregator.MemberChanged("b", false, Map.of("t", 20.0), 2));

    var snapshot = topics.receiveMessage();
    assertEquals("$group/g1", snapshot.entityId());
    GroupAggregateView view = GroupAggregateView.parseFrom(((TopicEntity.Publish) snapshot.message()).payload());
    assertEquals(2, view.getMembers());
    assertEquals(1, view.getOnline());
    assertEquals(10.0, view.getFieldsOrThrow("t").getMax());
    topics.expectNoMessage(Duration.ofMillis(400));

    group.tell(new GroupAggregator.MembersUpdated(List.of(), List.of(new GroupAggregator.MemberLeft("a", 3))));
    assertEquals(1, GroupAggregateView.parseFrom(((TopicEntity.Publish) topics.receiveMessage().message()).payload())
        .getMembers());
  }

  @Test
  void membersHandedOnFromThePreviousHomeJoinThoseHeardOfSince() {
    changed(new GroupAggregator.MemberChanged("a", true, Map.of("t", 30.0), 20));
    group.tell(new GroupAggregator.Restore(List.of(
        new GroupAggregator.MemberChanged("a", true, Map.of("t", 10.0), 10),
        new GroupAggregator.MemberChanged("b", true, Map.of("t", 20.0), 10),
        new GroupAggregator.MemberChanged("c", false, Map.of(), 10))));

    TestProbe<GroupAggregator.AggregateReport> replies = testKit.createTestProbe();
    group.tell(new GroupAggregator.GetAggregate(replies.getRef()));
    Aggregate.Snapshot snapshot = replies.receiveMessage().snapshot();
    assertEquals(3, snapshot.members());
    assertEquals(2, snapshot.online());
    assertEquals(new Aggregate.FieldStats(2, 50.0, 20.0, 30.0), snapshot.fields().get("t"),
        "a's value heard since the move wins over the handed-on one");
  }

  @Test
  void aMemberQueryMarksEachMemberAnsweredOfflineOrTimedOut() {
    changed(new GroupAggregator.MemberChanged("online", true, Map.of(), 1),
        new GroupAggregator.MemberChanged("offline", false, Map.of(), 1),
        new GroupAggregator.MemberChanged("silent", true, Map.of(), 1));
    TestProbe<GroupAggregator.GroupMembers> replies = testKit.createTestProbe();

    group.tell(new GroupAggregator.QueryMembers(replies.getRef()));
    online.expectMessageClass(DeviceEntity.GetDevice.class).replyTo().tell(snapshot("online", true));
    offline.expectMessageClass(DeviceEntity.GetDevice.class).replyTo().tell(snapshot("offline", false));
    silent.expectMessageClass(DeviceEntity.GetDevice.class);

    GroupAggregator.GroupMembers members = replies.receiveMessage(Duration.ofSeconds(2));
    assertEquals(List.of(MemberStatus.OFFLINE, MemberStatus.ANSWERED, MemberStatus.TIMED_OUT),
        members.members().stream().map(GroupAggregator.MemberReport::status).toList());
  }

  private void changed(GroupAggregator.MemberChanged... members) {
    group.tell(new GroupAggregator.MembersUpdated(List.of(members), List.of()));
  }

  private static DeviceSnapshot snapshot(String id, boolean isOnline) {
    return new DeviceSnapshot(id, true, Map.of(), 1, Map.of(), 0, 0, isOnline, "n", "s", Instant.EPOCH, List.of("g1"));
  }
}
