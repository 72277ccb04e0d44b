package io.herald.node.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.node.aggregate.GroupAggregator;
import io.herald.node.aggregate.GroupFeed;
import io.herald.node.connection.ConnectionActor;
import io.herald.node.metrics.NodeMetrics;
import io.herald.node.topic.TopicEntity;
import io.herald.node.topic.TopicRegistry;
import io.herald.node.topic.TopicService;
import io.herald.protocol.v1.DeviceView;
import io.herald.protocol.v1.ErrorCode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class DeviceEntityTest {

  private static final ActorTestKit testKit = ActorTestKit.create();

  private final TestProbe<TopicRegistry.Command> registry = testKit.createTestProbe();
  private final TestProbe<ShardingEnvelope<TopicEntity.Command>> topics = testKit.createTestProbe();
  private final TestProbe<GroupFeed.Command> groups = testKit.createTestProbe();
  private final TestProbe<ClusterSharding.ShardCommand> shard = testKit.createTestProbe();
  private final NodeMetrics metrics = new NodeMetrics();
  private final ActorRef<DeviceEntity.Command> entity = spawnEntity("d1", Clock.systemUTC());

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void acceptedReportsAreAnsweredWithTheVersionAndPublishedToAFollowedStateTopic() throws Exception {
    TestProbe<TopicEntity.Command> home = testKit.createTestProbe();
    entity.tell(new DeviceEntity.Interest(DeviceTopic.STATE, true, 1, home.getRef()));
    assertEquals(new TopicEntity.PublisherFollowing(1, entity), home.receiveMessage());
    TestProbe<DeviceEntity.StateReported> replies = testKit.createTestProbe();
    entity.tell(new DeviceEntity.ReportState(Map.of("t", number(21)), false, List.of(), 1, replies.getRef()));

    assertEquals(1, replies.receiveMessage().version());
    var published = topics.receiveMessage();
    assertEquals("$device/d1/state", published.entityId());
    assertEquals(21, DeviceView.parseFrom(((TopicEntity.Publish) published.message()).payload()).getReportedOrThrow("t").getNumber());
  }

  @Test
  void aTopicIsPublishedToOnlyWhileItsHomeSaysSomeoneFollows() throws Exception {
    TestProbe<DeviceEntity.StateReported> replies = testKit.createTestProbe();
    report(replies, 1);
    topics.expectNoMessage(Duration.ofMillis(100));

    TestProbe<TopicEntity.Command> home = testKit.createTestProbe();
    entity.tell(new DeviceEntity.Interest(DeviceTopic.STATE, true, 4, home.getRef()));
    assertEquals(new TopicEntity.PublisherFollowing(4, entity), home.receiveMessage());
    var catchUp = topics.receiveMessage();
    assertEquals(1, DeviceView.parseFrom(((TopicEntity.Publish) catchUp.message()).payload()).getReportedVersion(),
        "newly followed: the view as it is now");
    report(replies, 2);
    assertEquals("$device/d1/state", topics.receiveMessage().entityId());

    TestProbe<TopicEntity.Command> earlierHome = testKit.createTestProbe();
    entity.tell(new DeviceEntity.Interest(DeviceTopic.STATE, false, 0, earlierHome.getRef()));
    report(replies, 3);
    assertEquals("$device/d1/state", topics.receiveMessage().entityId(),
        "a late word from an earlier home does not silence the one with subscribers");

    entity.tell(new DeviceEntity.Interest(DeviceTopic.STATE, false, 0, home.getRef()));
    report(replies, 4);
    topics.expectNoMessage(Duration.ofMillis(100));

    entity.tell(new DeviceEntity.Interest(DeviceTopic.STATE, true, 5, home.getRef()));
    home.receiveMessage();
    topics.receiveMessage();
    home.stop();
    java.util.concurrent.atomic.AtomicInteger value = new java.util.concurrent.atomic.AtomicInteger(5);
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      entity.tell(new DeviceEntity.Interest(DeviceTopic.STATE, false, 0, earlierHome.getRef()));
      report(replies, value.getAndIncrement());
      topics.expectNoMessage(Duration.ofMillis(100));
      return null;
    });
  }

  @Test
  void aHomeThatTakesOverAFollowedTopicGetsTheViewAsItIsNow() throws Exception {
    TestProbe<TopicEntity.Command> home = testKit.createTestProbe();
    entity.tell(new DeviceEntity.Interest(DeviceTopic.STATE, true, 1, home.getRef()));
    home.receiveMessage();
    TestProbe<DeviceEntity.StateReported> replies = testKit.createTestProbe();
    report(replies, 7);
    topics.receiveMessage(); // what a moving home may lose

    entity.tell(new DeviceEntity.Interest(DeviceTopic.STATE, true, 2, home.getRef()));
    home.receiveMessage();
    topics.expectNoMessage(Duration.ofMillis(100)); // the same home asking again is no news

    TestProbe<TopicEntity.Command> nextHome = testKit.createTestProbe();
    entity.tell(new DeviceEntity.Interest(DeviceTopic.STATE, true, 1, nextHome.getRef()));
    assertEquals(new TopicEntity.PublisherFollowing(1, entity), nextHome.receiveMessage());
    var caughtUp = topics.receiveMessage();
    assertEquals(7, DeviceView.parseFrom(((TopicEntity.Publish) caughtUp.message()).payload())
        .getReportedOrThrow("t").getNumber());
  }

  /** Numbers this test's answered reports as a connection does: 1, 2, 3, ... */
  private long lastReportNumber;

  private void report(TestProbe<DeviceEntity.StateReported> replies, double value) {
    entity.tell(new DeviceEntity.ReportState(Map.of("t", number(value)), false, List.of(), ++lastReportNumber,
        replies.getRef()));
    replies.receiveMessage();
  }

  @Test
  void groupsHearOfPresenceAndNumbersAndLoseDevicesTheTokenNoLongerNames() {
    connect("s1");
    GroupFeed.Changed connected = groups.expectMessageClass(GroupFeed.Changed.class);
    assertEquals(List.of("g1"), connected.groups());
    assertTrue(connected.change().online());
    TestProbe<DeviceEntity.StateReported> replies = testKit.createTestProbe();
    entity.tell(new DeviceEntity.ReportState(Map.of("t", number(3), "mode", new FieldValue.Text("eco")), false,
        List.of(), 1, replies.getRef()));
    GroupAggregator.MemberChanged reported = groups.expectMessageClass(GroupFeed.Changed.class).change();
    assertEquals(Map.of("t", 3.0), reported.numbers());

    entity.tell(new DeviceEntity.Disconnect("s1"));
    GroupAggregator.MemberChanged disconnected = groups.expectMessageClass(GroupFeed.Changed.class).change();
    assertFalse(disconnected.online());

    TestProbe<ConnectionActor.Command> connection = testKit.createTestProbe();
    entity.tell(new DeviceEntity.Connect("s2", "node-1", connection.getRef(), List.of("g2"), 2));
    GroupFeed.Left left = groups.expectMessageClass(GroupFeed.Left.class);
    assertEquals("g1", left.group());
    assertEquals("d1", left.left().deviceId());
    assertTrue(connected.change().asOfMillis() <= reported.asOfMillis()
        && reported.asOfMillis() <= disconnected.asOfMillis()
        && disconnected.asOfMillis() <= left.left().asOfMillis(), "a group keeps a member's newest word by these");
  }

  @Test
  void whatGroupsHearIsStampedWithATimeThatNeverGoesBack() {
    MutableClock clock = new MutableClock(Instant.parse("2026-11-23T10:00:00Z"));
    ActorRef<DeviceEntity.Command> device = spawnEntity("d3", clock);
    TestProbe<ConnectionActor.Command> connection = testKit.createTestProbe();
    device.tell(new DeviceEntity.Connect("s1", "node-1", connection.getRef(), List.of("g1"), 1));
    long connected = groups.expectMessageClass(GroupFeed.Changed.class).change().asOfMillis();

    clock.now = clock.now.minusSeconds(30);
    TestProbe<DeviceEntity.StateReported> replies = testKit.createTestProbe();
    device.tell(new DeviceEntity.ReportState(Map.of("t", number(1)), false, List.of(), 1, replies.getRef()));
    assertEquals(connected, groups.expectMessageClass(GroupFeed.Changed.class).change().asOfMillis(),
        "the clock stepped back: the report is as of the last moment seen");
    testKit.stop(device);
  }

  /** A clock a test sets by hand. */
  private static final class MutableClock extends Clock {
    volatile Instant now;

    MutableClock(Instant now) {
      this.now = now;
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return java.time.ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }

  @Test
  void answeredReportsAreAppliedOnceEachInTheOrderTheirConnectionSentThem() {
    TestProbe<DeviceEntity.StateReported> replies = testKit.createTestProbe();
    assertEquals(1, numbered(replies, 1, 1, 10).version());
    assertEquals(1, numbered(replies, 1, 1, 10).version(), "a copy is answered again, not applied again");

    entity.tell(new DeviceEntity.ReportState(Map.of("t", number(30)), false, List.of(), 3, 2, replies.getRef()));
    replies.expectNoMessage(Duration.ofMillis(100)); // report 2 still waited when 3 left: 3 waits to come again
    assertEquals(2, numbered(replies, 2, 2, 20).version());
    assertEquals(3, numbered(replies, 3, 2, 30).version());
    assertEquals(4, numbered(replies, 5, 5, 50).version(), "4 was given up on: nothing older waited for 5");
    assertEquals(Map.of("t", number(50)), snapshot().reported());

    TestProbe<DeviceEntity.StateReported> nextSession = testKit.createTestProbe();
    entity.tell(new DeviceEntity.ReportState(Map.of("mode", new FieldValue.Text("eco")), false, List.of(), 2, 1,
        nextSession.getRef()));
    nextSession.expectNoMessage(Duration.ofMillis(100)); // a new connection numbers afresh: its 1 is missing
    assertEquals(5, numbered(nextSession, 1, 1, 60).version());
    entity.tell(new DeviceEntity.ReportState(Map.of("mode", new FieldValue.Text("eco")), false, List.of(), 2, 1,
        nextSession.getRef()));
    assertEquals(6, nextSession.receiveMessage().version());
    assertEquals(Map.of("t", number(60), "mode", new FieldValue.Text("eco")), snapshot().reported());
  }

  @Test
  void whatWasHandledBeforeTheShardMovedStaysHandled() {
    TestProbe<DeviceEntity.StateReported> replies = testKit.createTestProbe();
    ActorRef<DeviceEntity.Command> moved = spawnEntity("d2", Clock.systemUTC());
    moved.tell(new DeviceEntity.Restore(new DeviceSnapshot("d2", true, Map.of("t", number(7)), 3, Map.of(), 0, 0,
        false, "", "", Instant.now(), List.of()), Optional.empty(), 0,
        Optional.of(replies.getRef()), 7));

    moved.tell(new DeviceEntity.ReportState(Map.of("t", number(6)), false, List.of(), 7, 7, replies.getRef()));
    assertEquals(3, replies.receiveMessage().version(), "handled in the earlier home: a copy");
    moved.tell(new DeviceEntity.ReportState(Map.of("t", number(8)), false, List.of(), 8, 7, replies.getRef()));
    assertEquals(4, replies.receiveMessage().version());
    testKit.stop(moved);
  }

  @Test
  void anEntityThatTakesTheHandedOnSessionTellsItsConnectionWhereItIsNow() {
    ActorRef<DeviceEntity.Command> moved = spawnEntity("d6", Clock.systemUTC());
    TestProbe<ConnectionActor.Command> connection = testKit.createTestProbe();
    moved.tell(new DeviceEntity.Restore(new DeviceSnapshot("d6", true, Map.of(), 0, Map.of(), 0, 0,
        true, "node-1", "s1", Instant.now(), List.of()), Optional.of(connection.getRef()), 1, Optional.empty(), 0));

    assertEquals(new ConnectionActor.Registered("s1", testKit.system().address().toString()),
        connection.expectMessageClass(ConnectionActor.Registered.class));
    testKit.stop(moved);
  }

  @Test
  void groupsHearTheHandedOnNumbersOfADeviceThatReconnectedBeforeTheyArrived() {
    ActorRef<DeviceEntity.Command> moved = spawnEntity("d4", Clock.systemUTC());
    TestProbe<ConnectionActor.Command> connection = testKit.createTestProbe();
    moved.tell(new DeviceEntity.Connect("s2", "node-2", connection.getRef(), List.of("g1"), 2));
    GroupAggregator.MemberChanged reconnected = groups.expectMessageClass(GroupFeed.Changed.class).change();
    assertEquals(Map.of(), reconnected.numbers(), "its state is still on its way");

    moved.tell(new DeviceEntity.Restore(new DeviceSnapshot("d4", true, Map.of("t", number(7)), 3, Map.of(), 0, 0,
        true, "node-1", "s1", Instant.now().minusSeconds(1), List.of("g1")), Optional.empty(), 0, Optional.empty(), 0));
    GroupFeed.Changed restored = groups.expectMessageClass(GroupFeed.Changed.class);
    assertEquals(List.of("g1"), restored.groups());
    assertEquals(Map.of("t", 7.0), restored.change().numbers());
    assertTrue(restored.change().online(), "online through the connection that reached it here");
    assertTrue(restored.change().asOfMillis() >= reconnected.asOfMillis(), "and not older than what groups heard");
    testKit.stop(moved);
  }

  @Test
  void afterACrashElsewhereAnEntityTellsEveryGroupOfItsDeviceItsWordAgainAndOneThatKnowsNothingSaysNothing() {
    GroupFeed.Changed reported = connectAndReport();

    entity.tell(DeviceEntity.RetellGroups.INSTANCE);
    assertEquals(reported, groups.expectMessageClass(GroupFeed.Changed.class), "the same word, with the same stamp");

    ActorRef<DeviceEntity.Command> unknown = spawnEntity("d9", Clock.systemUTC());
    unknown.tell(DeviceEntity.RetellGroups.INSTANCE);
    groups.expectNoMessage(Duration.ofMillis(200));
    testKit.stop(unknown);
  }

  @Test
  void anEntityThatKnowsNothingOfItsDeviceAndIsFollowedByNobodyAsksItsShardToStopIt() {
    ActorRef<DeviceEntity.Command> unknown = spawnEntity("d7", Clock.systemUTC());
    TestProbe<DeviceSnapshot> reads = testKit.createTestProbe();
    unknown.tell(new DeviceEntity.GetDevice(reads.getRef()));
    assertFalse(reads.receiveMessage().known());
    assertEquals(new ClusterSharding.Passivate<>(unknown), shard.receiveMessage(), "a read of an unknown id");

    TestProbe<TopicEntity.Command> home = testKit.createTestProbe();
    unknown.tell(new DeviceEntity.Interest(DeviceTopic.STATE, true, 1, home.getRef()));
    home.receiveMessage();
    shard.expectNoMessage(Duration.ofMillis(100));
    unknown.tell(new DeviceEntity.Interest(DeviceTopic.STATE, false, 0, home.getRef()));
    assertEquals(new ClusterSharding.Passivate<>(unknown), shard.receiveMessage(), "followed no more");

    TestProbe<DeviceEntity.DesiredSet> desired = testKit.createTestProbe();
    unknown.tell(new DeviceEntity.SetDesired(Map.of("fan", number(2)), OptionalLong.empty(), desired.getRef()));
    assertTrue(desired.receiveMessage().applied());
    unknown.tell(new DeviceEntity.GetDevice(reads.getRef()));
    assertTrue(reads.receiveMessage().known());
    shard.expectNoMessage(Duration.ofMillis(100));
    testKit.stop(unknown);

    ActorRef<DeviceEntity.Command> seen = spawnEntity("d8", Clock.systemUTC());
    TestProbe<ConnectionActor.Command> connection = testKit.createTestProbe();
    seen.tell(new DeviceEntity.Connect("s1", "node-1", connection.getRef(), List.of(), 1));
    seen.tell(new DeviceEntity.Disconnect("s1"));
    seen.tell(new DeviceEntity.GetDevice(reads.getRef()));
    assertTrue(reads.receiveMessage().known(), "a device that was seen keeps its last-seen time");
    shard.expectNoMessage(Duration.ofMillis(100));
    testKit.stop(seen);
  }

  @Test
  void aDeviceAwayForLongerThanForgetOfflineAfterIsForgottenAndLeavesItsGroups() {
    ActorRef<DeviceEntity.Command> away = spawnEntity("d9",
        new DeviceSettings(new StateLimits(8, 16, 32), Optional.of(Duration.ofMillis(300))), Clock.systemUTC());
    TestProbe<ConnectionActor.Command> connection = testKit.createTestProbe();
    TestProbe<DeviceEntity.StateReported> replies = testKit.createTestProbe();
    away.tell(new DeviceEntity.Connect("s1", "node-1", connection.getRef(), List.of("g1"), 1));
    away.tell(new DeviceEntity.ReportState(Map.of("t", number(4)), false, List.of(), 1, replies.getRef()));
    replies.receiveMessage();
    away.tell(new DeviceEntity.Disconnect("s1"));
    away.tell(new DeviceEntity.Connect("s2", "node-1", connection.getRef(), List.of("g1"), 2));
    groups.receiveSeveralMessages(4); // online, reported, offline, online again
    groups.expectNoMessage(Duration.ofMillis(500)); // back within the time: kept

    away.tell(new DeviceEntity.Disconnect("s2"));
    assertFalse(((GroupFeed.Changed) groups.receiveMessage()).change().online());
    assertEquals("g1", groups.expectMessageClass(GroupFeed.Left.class).group(), "away for longer: forgotten");
    assertEquals(new ClusterSharding.Passivate<>(away), shard.receiveMessage(), "and nothing stays resident");
    TestProbe<DeviceSnapshot> reads = testKit.createTestProbe();
    away.tell(new DeviceEntity.GetDevice(reads.getRef()));
    DeviceSnapshot forgotten = reads.receiveMessage();
    assertFalse(forgotten.known());
    assertEquals(Map.of(), forgotten.reported());
    assertEquals(1L, metrics.snapshot().get("device_entities_forgotten"));
    testKit.stop(away);
  }

  /** Connects the device in g1 and reports a number; returns what its groups heard of the report. */
  private GroupFeed.Changed connectAndReport() {
    connect("s1");
    groups.expectMessageClass(GroupFeed.Changed.class);
    TestProbe<DeviceEntity.StateReported> replies = testKit.createTestProbe();
    entity.tell(new DeviceEntity.ReportState(Map.of("t", number(4)), false, List.of(), 1, replies.getRef()));
    return groups.expectMessageClass(GroupFeed.Changed.class);
  }

  private ActorRef<DeviceEntity.Command> spawnEntity(String deviceId, Clock clock) {
    return spawnEntity(deviceId, DeviceSettings.keptForGood(new StateLimits(8, 16, 32)), clock);
  }

  private ActorRef<DeviceEntity.Command> spawnEntity(String deviceId, DeviceSettings settings, Clock clock) {
    return testKit.spawn(DeviceEntity.create(deviceId, shard.getRef(), new DeviceEntity.Services(settings,
        new TopicService(registry.getRef(), topics.getRef(), new NodeMetrics()), groups.getRef(), metrics, clock)));
  }

  private DeviceEntity.StateReported numbered(TestProbe<DeviceEntity.StateReported> replies, long number,
      long oldestWaiting, double value) {
    entity.tell(new DeviceEntity.ReportState(Map.of("t", number(value)), false, List.of(), number, oldestWaiting,
        replies.getRef()));
    return replies.receiveMessage();
  }

  @Test
  void aReportWithCorrelationZeroIsAnsweredOnlyIfRefused() {
    TestProbe<DeviceEntity.StateReported> replies = testKit.createTestProbe();
    entity.tell(new DeviceEntity.ReportState(Map.of("t", number(1)), false, List.of(), 0, replies.getRef()));
    replies.expectNoMessage(Duration.ofMillis(100));

    entity.tell(new DeviceEntity.ReportState(Map.of("t", new FieldValue.Text("x".repeat(40))), false, List.of(),
        0, replies.getRef()));
    DeviceEntity.StateReported refused = replies.receiveMessage();
    assertEquals(0, refused.correlationId());
    assertEquals(ErrorCode.STATE_TOO_LARGE, refused.error());
  }

  @Test
  void reportsOverTheLimitsAreRefused() {
    TestProbe<DeviceEntity.StateReported> replies = testKit.createTestProbe();
    entity.tell(new DeviceEntity.ReportState(Map.of("t", new FieldValue.Text("x".repeat(40))), false, List.of(),
        1, replies.getRef()));

    DeviceEntity.StateReported reply = replies.receiveMessage();
    assertFalse(reply.accepted());
    assertEquals(ErrorCode.STATE_TOO_LARGE, reply.error());
  }

  @Test
  void desiredStateIsComparedAndSetAndPushedToTheLiveConnection() {
    TestProbe<ConnectionActor.Command> connection = connect("s1");
    TestProbe<DeviceEntity.DesiredSet> replies = testKit.createTestProbe();

    entity.tell(new DeviceEntity.SetDesired(Map.of("t", number(22)), OptionalLong.of(0), replies.getRef()));
    DeviceEntity.DesiredSet set = replies.receiveMessage();
    assertTrue(set.applied());
    assertTrue(set.pushed());
    assertEquals(1, connection.expectMessageClass(ConnectionActor.PushDesired.class).version());

    entity.tell(new DeviceEntity.SetDesired(Map.of("t", number(23)), OptionalLong.of(0), replies.getRef()));
    DeviceEntity.DesiredSet conflict = replies.receiveMessage();
    assertEquals(ErrorCode.VERSION_CONFLICT, conflict.error());
    assertEquals(1, conflict.desiredVersion());
  }

  @Test
  void unacknowledgedDesiredStateIsSentAgainOnEveryConnectUntilAcknowledged() {
    TestProbe<DeviceEntity.DesiredSet> replies = testKit.createTestProbe();
    entity.tell(new DeviceEntity.SetDesired(Map.of("fan", number(2)), OptionalLong.empty(), replies.getRef()));
    assertFalse(replies.receiveMessage().pushed(), "offline: nothing to push to");

    TestProbe<ConnectionActor.Command> first = connect("s1");
    assertEquals(1, first.expectMessageClass(ConnectionActor.PushDesired.class).version());
    entity.tell(new DeviceEntity.Disconnect("s1"));

    TestProbe<ConnectionActor.Command> second = connect("s2");
    assertEquals(1, second.expectMessageClass(ConnectionActor.PushDesired.class).version());
    entity.tell(new DeviceEntity.AckDesired(1));
    entity.tell(new DeviceEntity.Disconnect("s2"));

    TestProbe<ConnectionActor.Command> third = connect("s3");
    third.expectNoMessage();
  }

  @Test
  void aDeadConnectionTakesTheDeviceOfflineButALateNoticeOfAnOldOneDoesNot() {
    TestProbe<ConnectionActor.Command> first = connect("s1");
    TestProbe<ConnectionActor.Command> second = connect("s2");
    entity.tell(new DeviceEntity.Disconnect("s1"));
    assertTrue(snapshot().online(), "s2 is still connected");
    assertEquals("s2", snapshot().sessionId());

    second.stop();
    topics.awaitAssert(() -> {
      assertFalse(snapshot().online());
      return null;
    });
    first.stop();
  }

  @Test
  void aConnectSentAgainOrLateFromAReplacedSessionIsAnsweredButNotTaken() {
    TestProbe<ConnectionActor.Command> older = connect("s1", 100);
    groups.expectMessageClass(GroupFeed.Changed.class);
    TestProbe<ConnectionActor.Command> newer = connect("s2", 200);
    groups.expectMessageClass(GroupFeed.Changed.class);

    entity.tell(new DeviceEntity.Connect("s2", "node-1", newer.getRef(), List.of("g1"), 200));
    entity.tell(new DeviceEntity.Connect("s1", "node-1", older.getRef(), List.of("g1"), 100));
    assertEquals("s2", newer.expectMessageClass(ConnectionActor.Registered.class).sessionId());
    assertEquals("s1", older.expectMessageClass(ConnectionActor.Registered.class).sessionId());
    assertEquals("s2", snapshot().sessionId(), "the newer session stays");
    groups.expectNoMessage(Duration.ofMillis(100));
  }

  @Test
  void tellsWhereItLivesAndReportsThatFindItStoppedAreCountedOnlyIfNoAnswerWasWanted() {
    TestProbe<DeviceEntity.Located> located = testKit.createTestProbe();
    entity.tell(new DeviceEntity.Locate(4, located.getRef()));
    assertEquals(new DeviceEntity.Located(4, entity), located.receiveMessage());

    NodeMetrics metrics = new NodeMetrics();
    testKit.spawn(LostReports.create(metrics));
    TestProbe<DeviceEntity.StateReported> replies = testKit.createTestProbe();
    ActorRef<DeviceEntity.Command> stopped = testKit.spawn(Behaviors.stopped());
    located.awaitAssert(() -> {
      // Until the listener has subscribed, dead letters pass it unseen: send until one is counted.
      stopped.tell(new DeviceEntity.ReportState(Map.of("t", number(1)), false, List.of(), 0, replies.getRef()));
      assertTrue(metrics.snapshot().get("drops.entity_stopped") > 0);
      return null;
    });
    located.expectNoMessage(Duration.ofMillis(300)); // the last of those counted too
    long sent = metrics.snapshot().get("drops.entity_stopped");
    stopped.tell(new DeviceEntity.ReportState(Map.of("t", number(1)), false, List.of(), 9, replies.getRef()));
    stopped.tell(new DeviceEntity.ReportState(Map.of("t", number(2)), false, List.of(), 0, replies.getRef()));
    located.awaitAssert(() -> {
      assertEquals(sent + 1, metrics.snapshot().get("drops.entity_stopped"),
          "only the report without an answer is lost; the other is sent again by its connection");
      return null;
    });
  }

  /** Connects a session that opened at {@code openedAtMillis}; its connection has been told it is registered. */
  private TestProbe<ConnectionActor.Command> connect(String sessionId, long openedAtMillis) {
    TestProbe<ConnectionActor.Command> connection = testKit.createTestProbe();
    entity.tell(new DeviceEntity.Connect(sessionId, "node-1", connection.getRef(), List.of("g1"), openedAtMillis));
    ConnectionActor.Registered registered = connection.expectMessageClass(ConnectionActor.Registered.class);
    assertEquals(sessionId, registered.sessionId());
    return connection;
  }

  private TestProbe<ConnectionActor.Command> connect(String sessionId) {
    return connect(sessionId, 1);
  }

  private DeviceSnapshot snapshot() {
    TestProbe<DeviceSnapshot> replies = testKit.createTestProbe();
    entity.tell(new DeviceEntity.GetDevice(replies.getRef()));
    return replies.receiveMessage();
  }

  private static FieldValue number(double value) {
    return new FieldValue.Number(value);
  }
}
