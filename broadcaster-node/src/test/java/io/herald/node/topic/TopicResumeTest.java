package io.herald.node.topic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.typesafe.config.ConfigFactory;
import io.herald.node.connection.RecordingPort;
import io.herald.node.metrics.NodeMetrics;
import io.herald.protocol.v1.ServerFrame;
import io.herald.protocol.v1.Subscribed;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.LongStream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Resuming a topic on a cluster of one: the topic's home keeps its latest fifty messages,
 * a subscriber that left comes back with its epoch and last sequence, and gets what it
 * missed, then everything live, each message once and in order.
 */
class TopicResumeTest {

  private static final TopicSettings.History KEEP_FIFTY = new TopicSettings.History(50, 1 << 20, Duration.ofMinutes(2),
      64 << 20);
  private static final TopicSettings SETTINGS = new TopicSettings(256, 100, 3, 64, Duration.ofSeconds(3), 1000,
      Duration.ofMinutes(2), KEEP_FIFTY);
  private static final ActorTestKit testKit = ActorTestKit.create(ConfigFactory.parseString(
      "pekko.actor.provider = cluster\npekko.cluster.sharding.passivation.strategy = none")
      .withFallback(ConfigFactory.load("application-test")));
  private static final NodeMetrics metrics = new NodeMetrics();
  private static final HistoryBudget budget = new HistoryBudget(KEEP_FIFTY.nodeMaxBytes(), metrics);
  private static TopicService topics;
  private static ActorRef<TopicRegistry.Command> registryHere;

  @BeforeAll
  static void joinAndStart() {
    Cluster cluster = Cluster.get(testKit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(10), () -> {
      assertEquals(MemberStatus.up(), cluster.selfMember().status());
      return null;
    });
    var homes = TopicEntity.init(testKit.system(), SETTINGS, TopicInterest.NONE, budget, metrics);
    registryHere = testKit.spawn(TopicRegistry.create(SETTINGS, homes, metrics));
    topics = new TopicService(registryHere, homes, metrics);
    // Homes started by hand find the registry through the receptionist, which lists it a moment later.
    TestProbe<Receptionist.Listing> listings = testKit.createTestProbe();
    listings.awaitAssert(Duration.ofSeconds(10), () -> {
      testKit.system().receptionist().tell(Receptionist.find(TopicRegistry.SERVICE_KEY, listings.getRef()));
      assertEquals(Set.of(registryHere), listings.receiveMessage().getServiceInstances(TopicRegistry.SERVICE_KEY));
      return null;
    });
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void aSubscriberThatLeftGetsWhatItMissedThenEverythingLive() {
    TestProbe<Void> firstConnection = testKit.createTestProbe();
    RecordingPort first = new RecordingPort();
    topics.subscribe("away", new Subscriber(firstConnection.getRef(), first), 1);
    Subscribed confirmed = awaitConfirmation(first);
    assertEquals(0, confirmed.getSequence(), "nothing published yet");
    assertEquals(List.of(1L, 2L), publish("away", 2));
    awaitMessages(first, List.of(1L, 2L));
    firstConnection.stop();

    assertEquals(List.of(3L, 4L, 5L), publish("away", 3), "kept while nobody subscribes, so stamped");

    RecordingPort again = new RecordingPort();
    topics.subscribe("away", new Subscriber(testKit.createTestProbe().getRef(), again), 7,
        Optional.of(new ResumePoint(confirmed.getEpoch(), 2)));
    Subscribed resumed = awaitConfirmation(again);
    assertTrue(resumed.getResumed());
    assertEquals(confirmed.getEpoch(), resumed.getEpoch());
    assertEquals(2, resumed.getSequence());
    assertEquals(7, again.frames().get(0).getRequestId());
    awaitMessages(again, List.of(3L, 4L, 5L));
    assertEquals(List.of("m0", "m1", "m2"), payloads(again), "the payloads published while away");

    publish("away", 1);
    awaitMessages(again, List.of(3L, 4L, 5L, 6L));
  }

  @Test
  void aResumeWhileOthersReceiveLiveMissesNothingAndRepeatsNothing() {
    RecordingPort live = new RecordingPort();
    topics.subscribe("busy", new Subscriber(testKit.createTestProbe().getRef(), live), 1);
    Subscribed confirmed = awaitConfirmation(live);
    publish("busy", 3);

    RecordingPort resuming = new RecordingPort();
    TestProbe<TopicEntity.Published> replies = testKit.createTestProbe();
    topics.subscribe("busy", new Subscriber(testKit.createTestProbe().getRef(), resuming), 2,
        Optional.of(new ResumePoint(confirmed.getEpoch(), 1)));
    // Publishes race the request for what the home keeps.
    for (int i = 0; i < 40; i++) {
      topics.publish("busy", ByteString.copyFromUtf8("racing"), i, replies.getRef());
    }

    List<Long> everything = LongStream.rangeClosed(1, 43).boxed().toList();
    awaitMessages(live, everything);
    awaitMessages(resuming, everything.subList(1, everything.size()));
    assertTrue(awaitConfirmation(resuming).getResumed());
  }

  @Test
  void aResumeFromAnotherEpochOrOlderThanWhatIsKeptIsToldItMissedMessages() {
    RecordingPort first = new RecordingPort();
    TestProbe<Void> firstConnection = testKit.createTestProbe();
    topics.subscribe("long-gone", new Subscriber(firstConnection.getRef(), first), 1);
    Subscribed confirmed = awaitConfirmation(first);
    firstConnection.stop();
    publish("long-gone", 60);

    RecordingPort tooLate = new RecordingPort();
    topics.subscribe("long-gone", new Subscriber(testKit.createTestProbe().getRef(), tooLate), 2,
        Optional.of(new ResumePoint(confirmed.getEpoch(), 0)));
    Subscribed missed = awaitConfirmation(tooLate);
    assertFalse(missed.getResumed(), "fifty of sixty kept");
    assertEquals(60, missed.getSequence(), "what follows comes after the latest");

    RecordingPort otherEpoch = new RecordingPort();
    topics.subscribe("long-gone", new Subscriber(testKit.createTestProbe().getRef(), otherEpoch), 3,
        Optional.of(new ResumePoint("an-epoch-long-gone", 59)));
    assertFalse(awaitConfirmation(otherEpoch).getResumed());

    publish("long-gone", 1);
    awaitMessages(tooLate, List.of(61L));
    awaitMessages(otherEpoch, List.of(61L));
  }

  @Test
  void aHomeHandedOffGivesItsNextHomeItsEpochAndKeptMessages() {
    TestProbe<TopicRegistry.Command> registry = testKit.createTestProbe();
    ActorRef<TopicEntity.Command> earlier = freshHome("handed");
    earlier.tell(new TopicEntity.Register(registry.getRef(), 0));
    TopicRegistry.Registered registered = registry.expectMessageClass(TopicRegistry.Registered.class);
    publishTo(earlier, 3);
    earlier.tell(new TopicEntity.ReadHistory(registry.getRef(), 1, Set.of()));
    TopicRegistry.History before = fishHistory(registry);

    ActorRef<TopicEntity.Command> next = freshHome("handed");
    next.tell(new TopicEntity.Restore(before.epoch(), before.sequence(), before.kept()));
    next.tell(new TopicEntity.ReadHistory(registry.getRef(), 2, Set.of()));

    TopicRegistry.History after = fishHistory(registry);
    assertEquals(registered.epoch(), after.epoch(), "the epoch carries on");
    assertEquals(3, after.sequence());
    assertEquals(before.kept(), after.kept());
  }

  @Test
  void aRestoreOvertakenByPublishesIsTakenOverWhenItEndsRightBeforeThem() {
    TestProbe<TopicRegistry.Command> registry = testKit.createTestProbe();
    TopicRegistry.History before = keptByAnEarlierHome("overtaken", registry, 2);

    // The next home goes on from the last message a node saw, the second.
    ActorRef<TopicEntity.Command> next = freshHome("overtaken");
    next.tell(new TopicEntity.Register(registry.getRef(), 2));
    publishTo(next, 1);
    next.tell(new TopicEntity.Restore(before.epoch(), before.sequence(), before.kept()));
    next.tell(new TopicEntity.ReadHistory(registry.getRef(), 2, Set.of()));

    TopicRegistry.History after = fishHistory(registry);
    assertEquals(before.epoch(), after.epoch());
    assertEquals(List.of(1L, 2L, 3L), sequences(after.kept()));
  }

  @Test
  void aHomeStartingAfterAHandOffStampsNothingBeforeTheRestore() {
    RecordingPort port = new RecordingPort();
    topics.subscribe("handing-off", new Subscriber(testKit.createTestProbe().getRef(), port), 1);
    Subscribed confirmed = awaitConfirmation(port);
    publish("handing-off", 3);
    awaitMessages(port, List.of(1L, 2L, 3L));
    // What the home says to each node as it stops for a move, after its last delivery there.
    registryHere.tell(new TopicRegistry.HandedOff("handing-off", 3));

    long taken = metrics.snapshot().getOrDefault("topic_restores.taken", 0L);
    ActorRef<TopicEntity.Command> next = freshHome("handing-off");
    TestProbe<TopicEntity.Published> replies = testKit.createTestProbe();
    next.tell(new TopicEntity.Publish(ByteString.copyFromUtf8("after the move"), 1, replies.getRef()));
    replies.expectNoMessage(Duration.ofMillis(300));
    next.tell(new TopicEntity.Restore(confirmed.getEpoch(), 3, List.of()));

    assertEquals(4, replies.receiveMessage(Duration.ofSeconds(5)).sequence(), "on from the earlier home's last");
    awaitMessages(port, List.of(1L, 2L, 3L, 4L));
    TestProbe<TopicRegistry.Command> reader = testKit.createTestProbe();
    next.tell(new TopicEntity.ReadHistory(reader.getRef(), 1, Set.of()));
    assertEquals(confirmed.getEpoch(), fishHistory(reader).epoch(), "in the earlier home's epoch");
    assertEquals(taken + 1, metrics.snapshot().get("topic_restores.taken"));
    testKit.stop(next);
  }

  @Test
  void aHomeHandedOffTellsEveryRegistryItKnowsSubscribedOrNot() {
    TestProbe<TopicRegistry.Command> unsubscribed = testKit.createTestProbe();
    ActorRef<TopicEntity.Command> home = freshHome("all-gone");
    home.tell(new TopicEntity.Register(unsubscribed.getRef(), 0));
    publishTo(home, 2);
    home.tell(new TopicEntity.Unregister(unsubscribed.getRef()));
    home.tell(TopicEntity.HandOff.INSTANCE);

    var heard = (TopicRegistry.HandedOff) unsubscribed.fishForMessage(Duration.ofSeconds(10), message ->
        message instanceof TopicRegistry.HandedOff
            ? FishingOutcomes.complete()
            : FishingOutcomes.continueAndIgnore()).get(0);
    assertEquals(2, heard.sequence(), "its devices may resume on any node, this one too");
  }

  @Test
  void aPublishBeforeTheRestoreIsKeptWhenOnlyANodeWithoutSubscribersHeardOfTheHandOff() {
    // Every subscriber was on the node that left; this one heard of the hand-off all the same.
    registryHere.tell(new TopicRegistry.HandedOff("followed-elsewhere", 3));
    ActorRef<TopicEntity.Command> next = freshHome("followed-elsewhere");
    TestProbe<TopicEntity.Published> replies = testKit.createTestProbe();
    next.tell(new TopicEntity.Publish(ByteString.copyFromUtf8("while they are away"), 1, replies.getRef()));
    replies.expectNoMessage(Duration.ofMillis(300));
    long now = System.currentTimeMillis();
    next.tell(new TopicEntity.Restore("earlier", 3, List.of(new TopicEntity.Message(2, ByteString.EMPTY, now),
        new TopicEntity.Message(3, ByteString.EMPTY, now))));

    assertEquals(4, replies.receiveMessage(Duration.ofSeconds(5)).sequence(), "kept, not \"nobody follows\"");
    TestProbe<TopicRegistry.Command> reader = testKit.createTestProbe();
    next.tell(new TopicEntity.ReadHistory(reader.getRef(), 1, Set.of("earlier")));
    TopicRegistry.History history = fishHistory(reader);
    assertEquals("earlier", history.epoch());
    assertEquals(List.of(2L, 3L, 4L), sequences(history.kept()));
    testKit.stop(next);
  }

  @Test
  void aSubscriptionAfterAHandOffWasHeardGoesOnFromItsSequence() {
    registryHere.tell(new TopicRegistry.HandedOff("joined-after", 5));
    RecordingPort port = new RecordingPort();
    topics.subscribe("joined-after", new Subscriber(testKit.createTestProbe().getRef(), port), 1);

    assertEquals(5, awaitConfirmation(port).getSequence(), "the next home stamps none of the earlier one's");
  }

  @Test
  void aResumeReachingTheNextHomeBeforeTheRestoreWaitsForIt() {
    TestProbe<TopicRegistry.Command> registry = testKit.createTestProbe();
    TopicRegistry.History before = keptByAnEarlierHome("moving", registry, 3);
    registryHere.tell(new TopicRegistry.HandedOff("moving", 3));

    ActorRef<TopicEntity.Command> next = freshHome("moving");
    next.tell(new TopicEntity.ReadHistory(registry.getRef(), 2, Set.of(before.epoch())));
    registry.expectNoMessage(Duration.ofMillis(300));
    next.tell(new TopicEntity.Restore(before.epoch(), before.sequence(), before.kept()));

    TopicRegistry.History after = fishHistory(registry);
    assertEquals(2, after.request());
    assertEquals(before.epoch(), after.epoch(), "answered in the epoch carried on, so nothing is missed");
    assertEquals(before.kept(), after.kept());
  }

  @Test
  void aResumeFromAnEpochNoNodeHeardHandedOnIsAnsweredWithoutWaiting() {
    TopicSettings tenSeconds = new TopicSettings(256, 100, 3, 64, Duration.ofSeconds(10), 1000,
        Duration.ofMinutes(2), KEEP_FIFTY);
    TestProbe<TopicRegistry.Command> registry = testKit.createTestProbe();
    ActorRef<TopicEntity.Command> home = testKit.spawn(TopicEntity.create("after-a-crash", tenSeconds,
        TopicInterest.NONE, budget, metrics, testKit.<ClusterSharding.ShardCommand>createTestProbe().getRef()));
    home.tell(new TopicEntity.ReadHistory(registry.getRef(), 1, Set.of("of-a-home-that-crashed")));

    // Well before the recovery timeout: after a crash nothing is on its way.
    var answer = (TopicRegistry.History) registry.receiveMessage(Duration.ofSeconds(5));
    assertNotEquals("of-a-home-that-crashed", answer.epoch());
    assertEquals(0, answer.sequence());
  }

  @Test
  void aResumeWaitingForARestoreThatNeverComesIsAnsweredOnceTheWaitIsOver() {
    TopicSettings oneSecond = new TopicSettings(256, 100, 3, 64, Duration.ofSeconds(1), 1000,
        Duration.ofMinutes(2), KEEP_FIFTY);
    registryHere.tell(new TopicRegistry.HandedOff("restore-lost", 7));
    TestProbe<TopicRegistry.Command> registry = testKit.createTestProbe();
    ActorRef<TopicEntity.Command> home = testKit.spawn(TopicEntity.create("restore-lost", oneSecond,
        TopicInterest.NONE, budget, metrics, testKit.<ClusterSharding.ShardCommand>createTestProbe().getRef()));
    home.tell(new TopicEntity.ReadHistory(registry.getRef(), 1, Set.of("of-the-earlier-home")));
    registry.expectNoMessage(Duration.ofMillis(300));

    TopicRegistry.History answer = fishHistory(registry);
    assertNotEquals("of-the-earlier-home", answer.epoch());
    assertEquals(7, answer.sequence(), "on from the earlier home's last, in an epoch of its own");
  }

  @Test
  void aRestoreThatDoesNotEndRightBeforeThisHomesOwnMessagesIsIgnored() {
    TestProbe<TopicRegistry.Command> registry = testKit.createTestProbe();
    ActorRef<TopicEntity.Command> home = freshHome("own-epoch");
    home.tell(new TopicEntity.Register(registry.getRef(), 0));
    publishTo(home, 1);
    long tooLate = metrics.snapshot().getOrDefault("topic_restores.too_late", 0L);
    home.tell(new TopicEntity.Restore("late", 5, List.of()));
    home.tell(new TopicEntity.ReadHistory(registry.getRef(), 1, Set.of()));

    TopicRegistry.History history = fishHistory(registry);
    assertNotEquals("late", history.epoch(), "messages 2 to 5 of the earlier home are not here");
    assertEquals(tooLate + 1, metrics.snapshot().get("topic_restores.too_late"));
    assertEquals(1, history.sequence());
    assertEquals(1, history.kept().size());
  }

  @Test
  void aTopicNobodySubscribedToKeepsNothing() {
    assertEquals(List.of(0L, 0L), publish("nobody-follows", 2), "no sequence, nothing kept");
  }

  @Test
  void aHomeGivesTheNodesRoomBackAsItsMessagesExpireAndWhenItStops() {
    var room = new HistoryBudget(1 << 20, metrics);
    long twoBytesKept = 2 + HistoryBudget.MESSAGE_OVERHEAD;
    var halfASecond = new TopicSettings(256, 100, 3, 64, Duration.ofSeconds(3), 1000, Duration.ofMinutes(2),
        new TopicSettings.History(50, 1 << 20, Duration.ofMillis(500), 1 << 20));
    TestProbe<TopicRegistry.Command> registry = testKit.createTestProbe();
    ActorRef<TopicEntity.Command> quiet = testKit.spawn(TopicEntity.create("gone-quiet", halfASecond,
        TopicInterest.NONE, room, metrics, testKit.<ClusterSharding.ShardCommand>createTestProbe().getRef()));
    quiet.tell(new TopicEntity.Register(registry.getRef(), 0));
    publishTo(quiet, 2);
    assertEquals(2 * twoBytesKept, room.usedBytes());
    // Still followed, published to no more: nothing reads or adds, and the room comes back all the same.
    registry.awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(0, room.usedBytes());
      return null;
    });

    ActorRef<TopicEntity.Command> stopping = testKit.spawn(TopicEntity.create("stopping", SETTINGS,
        TopicInterest.NONE, room, metrics, testKit.<ClusterSharding.ShardCommand>createTestProbe().getRef()));
    stopping.tell(new TopicEntity.Register(registry.getRef(), 0));
    publishTo(stopping, 3);
    assertEquals(3 * twoBytesKept, room.usedBytes());
    testKit.stop(stopping);
    assertEquals(0, room.usedBytes());
    testKit.stop(quiet);
  }

  private static ActorRef<TopicEntity.Command> freshHome(String topic) {
    TestProbe<ClusterSharding.ShardCommand> shard = testKit.createTestProbe();
    return testKit.spawn(TopicEntity.create(topic, SETTINGS, TopicInterest.NONE, budget, metrics, shard.getRef()));
  }

  /** What a home that {@code registry} subscribed to keeps after {@code count} publishes, as it would hand it on. */
  private static TopicRegistry.History keptByAnEarlierHome(String topic, TestProbe<TopicRegistry.Command> registry,
      int count) {
    ActorRef<TopicEntity.Command> earlier = freshHome(topic);
    earlier.tell(new TopicEntity.Register(registry.getRef(), 0));
    publishTo(earlier, count);
    earlier.tell(new TopicEntity.ReadHistory(registry.getRef(), 1, Set.of()));
    return fishHistory(registry);
  }

  private static void publishTo(ActorRef<TopicEntity.Command> home, int count) {
    TestProbe<TopicEntity.Published> replies = testKit.createTestProbe();
    for (int i = 0; i < count; i++) {
      home.tell(new TopicEntity.Publish(ByteString.copyFromUtf8("m" + i), i, replies.getRef()));
      replies.receiveMessage(Duration.ofSeconds(5));
    }
  }

  /** The next history answer; deliveries and confirmations to the probe registry are passed over. */
  private static TopicRegistry.History fishHistory(TestProbe<TopicRegistry.Command> registry) {
    return (TopicRegistry.History) registry.fishForMessage(Duration.ofSeconds(10), message ->
        message instanceof TopicRegistry.History
            ? FishingOutcomes.complete()
            : FishingOutcomes.continueAndIgnore()).get(0);
  }

  private static List<Long> publish(String topic, int count) {
    TestProbe<TopicEntity.Published> replies = testKit.createTestProbe();
    List<Long> sequences = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      topics.publish(topic, ByteString.copyFromUtf8("m" + i), i, replies.getRef());
      sequences.add(replies.receiveMessage(Duration.ofSeconds(5)).sequence());
    }
    return sequences;
  }

  private static Subscribed awaitConfirmation(RecordingPort port) {
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(10), () -> {
      assertTrue(!port.frames().isEmpty() && port.frames().get(0).hasSubscribed(), "confirmed first");
      return null;
    });
    return port.frames().get(0).getSubscribed();
  }

  private static void awaitMessages(RecordingPort port, List<Long> sequences) {
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(10), () -> {
      assertEquals(sequences, port.frames().stream().filter(ServerFrame::hasMessage)
          .map(frame -> frame.getMessage().getSequence()).toList());
      return null;
    });
  }

  private static List<String> payloads(RecordingPort port) {
    return port.frames().stream().filter(ServerFrame::hasMessage)
        .map(frame -> frame.getMessage().getPayload().toStringUtf8()).toList();
  }

  private static List<Long> sequences(List<TopicEntity.Message> messages) {
    return messages.stream().map(TopicEntity.Message::sequence).toList();
  }
}
