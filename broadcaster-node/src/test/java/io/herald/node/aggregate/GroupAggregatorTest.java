package io.herald.node.aggregate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.node.metrics.NodeMetrics;
import io.herald.node.topic.TopicEntity;
import io.herald.node.topic.TopicRegistry;
import io.herald.node.topic.TopicService;
import io.herald.protocol.v1.GroupAggregateView;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class GroupAggregatorTest {

  private static final ActorTestKit testKit = ActorTestKit.create();

  private final TestProbe<TopicRegistry.Command> registry = testKit.createTestProbe();
  private final TestProbe<ShardingEnvelope<TopicEntity.Command>> topics = testKit.createTestProbe();
  private static final String NODE_A = "pekko://herald@127.0.0.1:2552";
  private static final String NODE_B = "pekko://herald@127.0.0.1:2553";

  private final TestProbe<ClusterSharding.ShardCommand> shard = testKit.createTestProbe();
  private final TestProbe<GroupFeed.Command> localFeed = testKit.createTestProbe();
  private final TestProbe<GroupFeed.Command> senderFeed = testKit.createTestProbe();
  private long nextBatch = 1;
  private final NodeMetrics metrics = new NodeMetrics();
  private final ActorRef<GroupAggregator.Command> group = spawnGroup("g1");

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

    group.tell(batch(List.of(), List.of(new GroupAggregator.MemberLeft("a", 3)), NODE_A));
    assertEquals(1, GroupAggregateView.parseFrom(((TopicEntity.Publish) topics.receiveMessage().message()).payload())
        .getMembers());
  }

  @Test
  void eachBatchTakenIsConfirmedToItsFeedThroughThisNodesFeed() {
    changed(new GroupAggregator.MemberChanged("a", true, Map.of("t", 10.0), 1));
    assertEquals(new GroupFeed.Received(senderFeed.getRef(), nextBatch - 1), localFeed.receiveMessage());
    group.tell(new GroupAggregator.MembersUpdated(List.of(), List.of(), NODE_A, 99, senderFeed.getRef()));
    assertEquals(new GroupFeed.Received(senderFeed.getRef(), 99), localFeed.receiveMessage(),
        "a probe too: it carries no word, only its number");
  }

  @Test
  void membersHandedOnFromThePreviousHomeJoinThoseHeardOfSinceAndKeepTheirNode() {
    changed(new GroupAggregator.MemberChanged("a", true, Map.of("t", 30.0), 20));
    group.tell(new GroupAggregator.Restore(List.of(
        handedOn(new GroupAggregator.MemberChanged("a", true, Map.of("t", 10.0), 10), NODE_B),
        handedOn(new GroupAggregator.MemberChanged("b", true, Map.of("t", 20.0), 10), NODE_B),
        handedOn(new GroupAggregator.MemberChanged("c", false, Map.of(), 10), NODE_A))));

    assertEquals(new Aggregate.Snapshot(3, 2, Map.of("t", new Aggregate.FieldStats(2, 50.0, 20.0, 30.0))),
        aggregate(), "a's value heard since the move wins over the handed-on one");

    // Each member came with the node that spoke for it: when that node crashes, its members
    // go offline here as they would have in the group's previous home.
    group.tell(new GroupAggregator.NodeLost(NODE_B));
    assertEquals(new Aggregate.Snapshot(3, 1, Map.of("t", new Aggregate.FieldStats(1, 30.0, 30.0, 30.0))),
        aggregate(), "b spoke through the crashed node; a's newest word came through another");
  }

  @Test
  void membersAreListedInPagesInIdOrder() {
    changed(new GroupAggregator.MemberChanged("c", true, Map.of(), 1),
        new GroupAggregator.MemberChanged("a", true, Map.of(), 1),
        new GroupAggregator.MemberChanged("d", false, Map.of(), 1),
        new GroupAggregator.MemberChanged("b", true, Map.of(), 1));
    TestProbe<GroupAggregator.MemberPage> pages = testKit.createTestProbe();

    group.tell(new GroupAggregator.ListMembers("", 3, pages.getRef()));
    assertEquals(new GroupAggregator.MemberPage("g1", List.of("a", "b", "c"), true), pages.receiveMessage());
    group.tell(new GroupAggregator.ListMembers("c", 3, pages.getRef()));
    assertEquals(new GroupAggregator.MemberPage("g1", List.of("d"), false), pages.receiveMessage());
    group.tell(new GroupAggregator.ListMembers("d", 3, pages.getRef()));
    assertEquals(new GroupAggregator.MemberPage("g1", List.of(), false), pages.receiveMessage());
  }

  @Test
  void aHandedOnGroupTravelsInPartsOfBoundedSize() {
    List<GroupAggregator.HandedOn> members = List.of(
        handedOn(new GroupAggregator.MemberChanged("a", true, Map.of("x", 1.0, "y", 2.0), 1), NODE_A),
        handedOn(new GroupAggregator.MemberChanged("b", true, Map.of("x", 1.0, "y", 2.0), 1), NODE_A),
        handedOn(new GroupAggregator.MemberChanged("c", false, Map.of(), 1), NODE_B),
        handedOn(new GroupAggregator.MemberChanged("d", true, Map.of("x", 1.0, "y", 2.0, "z", 3.0, "w", 4.0), 1),
            NODE_A),
        handedOn(new GroupAggregator.MemberChanged("e", true, Map.of("x", 1.0), 1), NODE_B));

    List<GroupAggregator.Restore> parts = GroupAggregator.restoreInParts(members, 4);

    assertEquals(List.of(List.of("a"), List.of("b", "c"), List.of("d"), List.of("e")), parts.stream()
        .map(part -> part.members().stream().map(member -> member.member().deviceId()).toList()).toList(),
        "3 values each for a and b, 1 for c; d alone is larger than a part and still travels");
    assertEquals(List.of(), GroupAggregator.restoreInParts(List.of(), 4));
  }

  @Test
  void membersWhoseWordCameFromACrashedNodeGoOfflineUntilTheySayOtherwise() throws Exception {
    changedOn(NODE_A, new GroupAggregator.MemberChanged("a", true, Map.of("t", 10.0), 1));
    changedOn(NODE_B, new GroupAggregator.MemberChanged("b", true, Map.of("t", 20.0), 1),
        new GroupAggregator.MemberChanged("c", true, Map.of("t", 30.0), 1));
    assertEquals(3, published().getOnline());

    group.tell(new GroupAggregator.NodeLost(NODE_B));
    GroupAggregateView afterCrash = published();
    assertEquals(3, afterCrash.getMembers(), "still members");
    assertEquals(1, afterCrash.getOnline(), "but their entities died with the node");
    assertEquals(10.0, afterCrash.getFieldsOrThrow("t").getMax());

    changedOn(NODE_A, new GroupAggregator.MemberChanged("c", true, Map.of("t", 35.0), 2));
    GroupAggregateView reconnected = published();
    assertEquals(2, reconnected.getOnline(), "c's device reconnected to a node that stayed");
    assertEquals(35.0, reconnected.getFieldsOrThrow("t").getMax());

    TestProbe<GroupAggregator.AggregateReport> replies = testKit.createTestProbe();
    Aggregate.Snapshot forgotten = replies.awaitAssert(Duration.ofSeconds(3), () -> {
      group.tell(new GroupAggregator.GetAggregate(replies.getRef()));
      Aggregate.Snapshot snapshot = replies.receiveMessage().snapshot();
      assertEquals(2, snapshot.members(), "b was heard of nowhere within forget-lost-after: its entity is gone");
      return snapshot;
    });
    assertEquals(2, forgotten.online());
    assertEquals(1L, metrics.snapshot().get("group_members_forgotten"));
    if (reconnected.getMembers() != 2) { // unless the forgetting rode along with c's publish
      assertEquals(2, published().getMembers(), "its followers hear of it");
    }
    changedOn(NODE_A, new GroupAggregator.MemberChanged("b", true, Map.of("t", 25.0), 3));
    assertEquals(3, published().getMembers(), "b's device came back later and joined again");
  }

  @Test
  void aGroupThatArrivesAfterTheCrashWasToldTakesTheCrashedNodesMembersOfflineWhenToldAgain() throws Exception {
    changedOn(NODE_A, new GroupAggregator.MemberChanged("a", true, Map.of("t", 10.0), 1));
    changedOn(NODE_B, new GroupAggregator.MemberChanged("b", true, Map.of("t", 20.0), 1));
    assertEquals(2, published().getOnline());
    group.tell(new GroupAggregator.NodeLost(NODE_B));
    assertEquals(1, published().getOnline());

    // Part of the group was on its way from another home when the crash was told: it
    // arrives with a member the crashed node spoke for, and nothing tells the group so
    // until GroupRebuild tells it again once the shards have settled.
    group.tell(new GroupAggregator.Restore(List.of(
        handedOn(new GroupAggregator.MemberChanged("c", true, Map.of("t", 30.0), 1), NODE_B))));
    assertEquals(2, published().getOnline());
    group.tell(new GroupAggregator.NodeLost(NODE_B));
    GroupAggregateView toldAgain = published();
    assertEquals(3, toldAgain.getMembers());
    assertEquals(1, toldAgain.getOnline(), "c's entity died with the node too");
    assertEquals(10.0, toldAgain.getFieldsOrThrow("t").getMax());

    TestProbe<GroupAggregator.AggregateReport> replies = testKit.createTestProbe();
    replies.awaitAssert(Duration.ofSeconds(3), () -> {
      group.tell(new GroupAggregator.GetAggregate(replies.getRef()));
      assertEquals(new Aggregate.Snapshot(1, 1, Map.of("t", new Aggregate.FieldStats(1, 10.0, 10.0, 10.0))),
          replies.receiveMessage().snapshot(), "b and c were heard of nowhere within forget-lost-after");
      return null;
    });
    assertEquals(2L, metrics.snapshot().get("group_members_forgotten"));
  }

  @Test
  void membersLostWithACrashedNodeAreHandedOnAsLostAndForgottenInTheNewHomeIfNobodySpeaks() throws Exception {
    // This is the group's new home after NODE_B crashed: the old one hands b and c on marked
    // lost (AggregateTest holds that Aggregate.members says so).
    group.tell(new GroupAggregator.Restore(List.of(
        handedOn(new GroupAggregator.MemberChanged("a", true, Map.of("t", 10.0), 1), NODE_A),
        new GroupAggregator.HandedOn(new GroupAggregator.MemberChanged("b", false, Map.of("t", 20.0), 1), NODE_B,
            true),
        new GroupAggregator.HandedOn(new GroupAggregator.MemberChanged("c", false, Map.of("t", 30.0), 1), NODE_B,
            true))));
    GroupAggregateView restored = published();
    assertEquals(3, restored.getMembers(), "b and c are still waited for");
    assertEquals(1, restored.getOnline());

    group.tell(new GroupAggregator.MembersUpdated(
        List.of(new GroupAggregator.MemberChanged("c", true, Map.of("t", 35.0), 0)), List.of(), NODE_A, 1,
        senderFeed.getRef()));
    assertEquals(2, published().getOnline(), "c's device came back: its word wins whatever its stamp");

    TestProbe<GroupAggregator.AggregateReport> replies = testKit.createTestProbe();
    replies.awaitAssert(Duration.ofSeconds(3), () -> {
      group.tell(new GroupAggregator.GetAggregate(replies.getRef()));
      assertEquals(2, replies.receiveMessage().snapshot().members(), "b was forgotten in the new home");
      return null;
    });
    assertEquals(1L, metrics.snapshot().get("group_members_forgotten"));
  }

  @Test
  void aGroupWithoutMembersAsksItsShardToStopItOnceItHasPublishedItsLastChange() throws Exception {
    ActorRef<GroupAggregator.Command> unused = spawnGroup("g2");
    TestProbe<GroupAggregator.AggregateReport> replies = testKit.createTestProbe();
    unused.tell(new GroupAggregator.GetAggregate(replies.getRef()));
    assertEquals(0, replies.receiveMessage().snapshot().members());
    assertEquals(new ClusterSharding.Passivate<>(unused), shard.receiveMessage(), "an id only read");
    testKit.stop(unused);

    group.tell(batch(List.of(new GroupAggregator.MemberChanged("a", true, Map.of(), 1)),
        List.of(), NODE_A));
    group.tell(batch(List.of(), List.of(new GroupAggregator.MemberLeft("a", 2)), NODE_A));
    shard.expectNoMessage(Duration.ofMillis(100));
    assertEquals(0, GroupAggregateView.parseFrom(((TopicEntity.Publish) topics.receiveMessage().message()).payload())
        .getMembers(), "its followers hear that the last member left");
    assertEquals(new ClusterSharding.Passivate<>(group), shard.receiveMessage(), "and then it stops");
  }

  private GroupAggregateView published() throws Exception {
    return GroupAggregateView.parseFrom(((TopicEntity.Publish) topics.receiveMessage().message()).payload());
  }

  private ActorRef<GroupAggregator.Command> spawnGroup(String groupId) {
    return testKit.spawn(GroupAggregator.create(groupId, shard.getRef(),
        new GroupSettings(Duration.ofMillis(200), Duration.ofMillis(500), 1000, Duration.ofMillis(50), 2000,
            Duration.ofSeconds(2), 100_000, 1000, Duration.ofSeconds(5), Duration.ofSeconds(1)),
        new TopicService(registry.getRef(), topics.getRef(), new NodeMetrics()), localFeed.getRef(), metrics));
  }

  private Aggregate.Snapshot aggregate() {
    TestProbe<GroupAggregator.AggregateReport> replies = testKit.createTestProbe();
    group.tell(new GroupAggregator.GetAggregate(replies.getRef()));
    return replies.receiveMessage().snapshot();
  }

  private static GroupAggregator.HandedOn handedOn(GroupAggregator.MemberChanged member, String node) {
    return new GroupAggregator.HandedOn(member, node, false);
  }

  private GroupAggregator.MembersUpdated batch(List<GroupAggregator.MemberChanged> changed,
      List<GroupAggregator.MemberLeft> left, String node) {
    return new GroupAggregator.MembersUpdated(changed, left, node, nextBatch++, senderFeed.getRef());
  }

  private void changed(GroupAggregator.MemberChanged... members) {
    changedOn(NODE_A, members);
  }

  private void changedOn(String node, GroupAggregator.MemberChanged... members) {
    group.tell(batch(List.of(members), List.of(), node));
  }
}
