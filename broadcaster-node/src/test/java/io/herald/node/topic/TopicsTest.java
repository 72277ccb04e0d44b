package io.herald.node.topic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.typesafe.config.ConfigFactory;
import io.herald.node.connection.RecordingPort;
import io.herald.node.metrics.NodeMetrics;
import io.herald.protocol.v1.ServerFrame;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Topics on a cluster of one: subscriptions through the node's registry, publishes through
 * the sharded topic home, fan-out through the local topic actor.
 */
class TopicsTest {

  private static final ActorTestKit testKit = ActorTestKit.create(ConfigFactory.parseString(
      "pekko.actor.provider = cluster\npekko.cluster.sharding.passivation.strategy = none").withFallback(ConfigFactory.load("application-test")));
  private static final NodeMetrics metrics = new NodeMetrics();
  /** What topic homes tell the publisher of each {@code followed/...} topic. */
  private static final TestProbe<InterestWord> publisher = testKit.createTestProbe();
  private static TopicService topics;
  private static TopicService hotTopics;

  @BeforeAll
  static void joinAndStart() {
    Cluster cluster = Cluster.get(testKit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(10), () -> {
      assertEquals(MemberStatus.up(), cluster.selfMember().status());
      return null;
    });
    var homes = TopicEntity.init(testKit.system(), settings(100), new RecordingInterest(),
        new HistoryBudget(0, metrics), metrics);
    topics = new TopicService(testKit.spawn(TopicRegistry.create(settings(100), homes, metrics)), homes, metrics);
    // A second registry on the same node stands in for another node, one whose topics are hot.
    hotTopics = new TopicService(testKit.spawn(TopicRegistry.create(settings(10), homes, metrics)), homes, metrics);
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void subscribersReceiveEveryMessageInPublishOrderAfterTheirConfirmation() {
    List<RecordingPort> ports = subscribe(topics, "small", 3);

    List<Long> sequences = publish("small", 5);

    assertEquals(List.of(1L, 2L, 3L, 4L, 5L), sequences);
    for (RecordingPort port : ports) {
      awaitMessages(port, sequences);
      assertTrue(port.frames().get(0).hasSubscribed(), "the confirmation comes first");
    }
  }

  @Test
  void everyNodeWithSubscribersGetsEachMessageAndHotTopicsFanOutThroughWorkers() {
    List<RecordingPort> ports = subscribe(topics, "shared", 5);
    ports.addAll(subscribe(hotTopics, "shared", 60));

    List<Long> sequences = publish("shared", 200);

    for (RecordingPort port : ports) {
      awaitMessages(port, sequences);
    }
  }

  @Test
  void aTopicWithoutSubscribersAcceptsPublishesWithSequenceZero() {
    assertEquals(List.of(0L, 0L), publish("nobody", 2));
  }

  @Test
  void aDeadSubscriberIsRemovedAndItsIdleTopicUnregisters() {
    TestProbe<Void> owner = testKit.createTestProbe();
    RecordingPort port = new RecordingPort();
    topics.subscribe("fleeting", new Subscriber(owner.getRef(), port), 1);
    awaitConfirmation(port);
    assertEquals(List.of(1L), publish("fleeting", 1));

    owner.stop();

    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(List.of(0L), publish("fleeting", 1), "no subscriber, no sequence");
      return null;
    });
    int received = port.frames().size();
    publish("fleeting", 3);
    assertEquals(received, port.frames().size(), "nothing reaches a removed subscriber");
  }

  /**
   * A publish answered before the unsubscribe may still be on its way from the topic's home,
   * so it may arrive or not; what the device relies on is that nothing follows the
   * confirmation.
   */
  @Test
  void nothingArrivesAfterTheUnsubscribeConfirmation() {
    TestProbe<Void> owner = testKit.createTestProbe();
    RecordingPort port = new RecordingPort();
    Subscriber subscriber = new Subscriber(owner.getRef(), port);
    topics.subscribe("leaving", subscriber, 1);
    awaitConfirmation(port);
    publish("leaving", 2);

    topics.unsubscribe("leaving", subscriber, 7);
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      ServerFrame last = port.frames().get(port.frames().size() - 1);
      assertEquals(7, last.getRequestId());
      assertTrue(last.hasUnsubscribed());
      return null;
    });
    List<Long> beforeConfirmation = messageSequences(port);
    publish("leaving", 1);
    assertEquals(beforeConfirmation, messageSequences(port));
    assertTrue(List.of(1L, 2L).subList(0, beforeConfirmation.size()).equals(beforeConfirmation)
        && !beforeConfirmation.isEmpty(), "in order, from the first: " + beforeConfirmation);
  }

  @Test
  void aHomeThatStartsAgainFindsTheSubscribersAndContinuesTheSequence() {
    List<RecordingPort> ports = subscribe(topics, "moving", 2);
    assertEquals(List.of(1L, 2L, 3L), publish("moving", 3));
    // The home answers a publish before the nodes have the message; a fresh home can only
    // continue from what they have seen.
    for (RecordingPort port : ports) {
      awaitMessages(port, List.of(1L, 2L, 3L));
    }

    // A fresh home for the same topic, as after a rebalance or a crash, knows nothing yet.
    TestProbe<ClusterSharding.ShardCommand> shard = testKit.createTestProbe();
    var freshHome = testKit.spawn(TopicEntity.create("moving", settings(100), TopicInterest.NONE,
        new HistoryBudget(0, metrics), metrics, shard.getRef()));
    TestProbe<TopicEntity.Published> replies = testKit.createTestProbe();
    freshHome.tell(new TopicEntity.Publish(ByteString.copyFromUtf8("after the move"), 9, replies.getRef()));

    assertEquals(4L, replies.receiveMessage(Duration.ofSeconds(5)).sequence(),
        "the sequence goes on from what the nodes saw");
    for (RecordingPort port : ports) {
      awaitMessages(port, List.of(1L, 2L, 3L, 4L));
    }
  }

  @Test
  void aRegistrationTheHomeNeverAnsweredIsSentAgainAndConfirmsOnceAnswered() {
    TestProbe<ShardingEnvelope<TopicEntity.Command>> silentHomes = testKit.createTestProbe();
    var registry = registryAskingAgainQuickly(silentHomes);
    RecordingPort port = new RecordingPort();
    registry.tell(new TopicRegistry.Subscribe("lost", new Subscriber(testKit.createTestProbe().getRef(), port), 1,
        Optional.empty()));

    assertTrue(silentHomes.receiveMessage().message() instanceof TopicEntity.Register);
    var again = silentHomes.receiveMessage(Duration.ofSeconds(2));
    assertTrue(again.message() instanceof TopicEntity.Register, "registered again after no answer");
    assertTrue(port.frames().isEmpty(), "not confirmed while the home has not answered");

    TestProbe<TopicEntity.Command> home = testKit.createTestProbe();
    registry.tell(new TopicRegistry.Registered("lost", home.getRef(), "epoch", 0));
    awaitConfirmation(port);
  }

  @Test
  void aResumeTheHomeNeverAnswersIsConfirmedWithoutWhatItMissedAfterTwoRequests() {
    TestProbe<ShardingEnvelope<TopicEntity.Command>> silentHomes = testKit.createTestProbe();
    var registry = registryAskingAgainQuickly(silentHomes);
    RecordingPort port = new RecordingPort();
    registry.tell(new TopicRegistry.Subscribe("unanswered", new Subscriber(testKit.createTestProbe().getRef(), port),
        1, Optional.of(new ResumePoint("e", 3))));
    assertTrue(silentHomes.receiveMessage().message() instanceof TopicEntity.Register);
    TestProbe<TopicEntity.Command> home = testKit.createTestProbe();
    registry.tell(new TopicRegistry.Registered("unanswered", home.getRef(), "e", 5));

    for (int request = 1; request <= TopicActor.MAX_UNANSWERED_REQUESTS; request++) {
      silentHomes.fishForMessage(Duration.ofSeconds(2), envelope -> envelope.message() instanceof TopicEntity.ReadHistory
          ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore());
    }
    awaitConfirmation(port);
    var subscribed = port.frames().get(0).getSubscribed();
    assertEquals(false, subscribed.getResumed());
    assertEquals(5, subscribed.getSequence(), "what follows comes after what the node has");
  }

  @Test
  void aFollowedTopicConfirmsSubscribersOnlyOnceItsPublisherPublishesTellsItsNextIncarnationAndWhenNobodyListens() {
    assertEquals(List.of(0L), publish("followed/meter", 1));
    assertEquals(false, publisher.receiveMessage().followed(), "a publish nobody receives: the publisher may stop");

    TestProbe<Void> owner = testKit.createTestProbe();
    RecordingPort port = new RecordingPort();
    Subscriber subscriber = new Subscriber(owner.getRef(), port);
    topics.subscribe("followed/meter", subscriber, 1);
    InterestWord followed = publisher.receiveMessage();
    assertTrue(followed.followed());
    assertEquals(List.of(1L), publish("followed/meter", 1));
    publisher.expectNoMessage(Duration.ofMillis(200));
    assertTrue(port.frames().isEmpty(), "no confirmation, and nothing before it, until the publisher answers");

    TestProbe<Object> firstIncarnation = testKit.createTestProbe();
    followed.home().tell(new TopicEntity.PublisherFollowing(followed.request(), firstIncarnation.getRef()));
    awaitConfirmation(port);
    assertEquals(List.of(2L), publish("followed/meter", 1));
    awaitMessages(port, List.of(2L));

    firstIncarnation.stop();
    InterestWord again = publisher.receiveMessage();
    assertTrue(again.followed() && again.request() > followed.request(), "the next incarnation is told");
    again.home().tell(new TopicEntity.PublisherFollowing(again.request(), publisher.getRef()));

    topics.unsubscribe("followed/meter", subscriber, 2);
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(List.of(0L), publish("followed/meter", 1));
      return null;
    });
    assertEquals(false, publisher.fishForMessage(Duration.ofSeconds(5),
        word -> word.followed() ? FishingOutcomes.continueAndIgnore() : FishingOutcomes.complete())
        .get(0).followed());
  }

  /** What a topic home told a topic's publisher. */
  record InterestWord(String topic, boolean followed, long request, ActorRef<TopicEntity.Command> home) {}

  /** Tracks the {@code followed/...} topics, with the test as their publisher. */
  private static final class RecordingInterest implements TopicInterest {
    @Override
    public boolean tracks(String topic) {
      return topic.startsWith("followed/");
    }

    @Override
    public void followed(String topic, ActorRef<TopicEntity.Command> home, long request) {
      publisher.getRef().tell(new InterestWord(topic, true, request, home));
    }

    @Override
    public void unfollowed(String topic, ActorRef<TopicEntity.Command> home) {
      publisher.getRef().tell(new InterestWord(topic, false, 0, home));
    }
  }

  /** A registry whose homes are the probe, asking again after 200 ms when they do not answer. */
  private static ActorRef<TopicRegistry.Command> registryAskingAgainQuickly(
      TestProbe<ShardingEnvelope<TopicEntity.Command>> homes) {
    var quickRetry = new TopicSettings(256, 100, 3, 64, Duration.ofMillis(200), 1000, Duration.ofMinutes(2),
        TopicSettings.History.NONE);
    return testKit.spawn(TopicRegistry.create(quickRetry, homes.getRef(), metrics));
  }

  private static TopicSettings settings(int parallelThreshold) {
    return new TopicSettings(256, parallelThreshold, 3, 64, Duration.ofSeconds(3), 1000, Duration.ofMinutes(2),
        TopicSettings.History.NONE);
  }

  /** Subscribes {@code count} subscribers and waits until each is confirmed. */
  private static List<RecordingPort> subscribe(TopicService service, String topic, int count) {
    List<RecordingPort> ports = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      RecordingPort port = new RecordingPort();
      TestProbe<Void> owner = testKit.createTestProbe();
      service.subscribe(topic, new Subscriber(owner.getRef(), port), i + 1);
      ports.add(port);
    }
    ports.forEach(TopicsTest::awaitConfirmation);
    return ports;
  }

  /** Publishes and waits for each acceptance; returns the sequences given. */
  private static List<Long> publish(String topic, int count) {
    TestProbe<TopicEntity.Published> replies = testKit.createTestProbe();
    List<Long> sequences = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      topics.publish(topic, ByteString.copyFromUtf8("m" + i), i, replies.getRef());
      sequences.add(replies.receiveMessage(Duration.ofSeconds(5)).sequence());
    }
    return sequences;
  }

  private static void awaitConfirmation(RecordingPort port) {
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(!port.frames().isEmpty() && port.frames().get(0).hasSubscribed());
      return null;
    });
  }

  private static void awaitMessages(RecordingPort port, List<Long> sequences) {
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(sequences, messageSequences(port));
      return null;
    });
  }

  private static List<Long> messageSequences(RecordingPort port) {
    return port.frames().stream().filter(ServerFrame::hasMessage).map(f -> f.getMessage().getSequence()).toList();
  }
}
