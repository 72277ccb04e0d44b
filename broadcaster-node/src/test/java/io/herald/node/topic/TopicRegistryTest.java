package io.herald.node.topic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.herald.node.connection.RecordingPort;
import io.herald.node.metrics.NodeMetrics;
import io.herald.protocol.v1.ServerFrame;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class TopicRegistryTest {

  private static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void subscribersReceiveEveryMessageInPublishOrderAfterTheirConfirmation() {
    ActorRef<TopicRegistry.Command> registry = registry(100);
    List<RecordingPort> ports = subscribe(registry, "small", 3);

    List<Long> sequences = publish(registry, "small", 5);

    assertEquals(List.of(1L, 2L, 3L, 4L, 5L), sequences);
    for (RecordingPort port : ports) {
      assertTrue(port.frames().get(0).hasSubscribed(), "the confirmation comes first");
      assertEquals(sequences, messageSequences(port));
    }
  }

  @Test
  void aHotTopicFansOutThroughWorkersAndKeepsEachSubscribersOrder() {
    ActorRef<TopicRegistry.Command> registry = registry(10);
    List<RecordingPort> ports = subscribe(registry, "hot", 60);

    List<Long> sequences = publish(registry, "hot", 200);

    for (RecordingPort port : ports) {
      testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5),
          () -> {
            assertEquals(sequences, messageSequences(port));
            return null;
          });
    }
  }

  @Test
  void aTopicWithoutSubscribersAcceptsPublishesWithSequenceZero() {
    ActorRef<TopicRegistry.Command> registry = registry(100);
    assertEquals(List.of(0L, 0L), publish(registry, "nobody", 2));
  }

  @Test
  void aDeadSubscriberIsRemovedAndItsIdleTopicStops() {
    ActorRef<TopicRegistry.Command> registry = registry(100);
    TestProbe<Void> owner = testKit.createTestProbe();
    RecordingPort port = new RecordingPort();
    registry.tell(new TopicRegistry.Subscribe("fleeting", new Subscriber(owner.getRef(), port), 1));
    assertEquals(List.of(1L), publish(registry, "fleeting", 1));

    owner.stop();

    TestProbe<TopicRegistry.Published> replies = testKit.createTestProbe();
    replies.awaitAssert(Duration.ofSeconds(5), () -> {
      registry.tell(new TopicRegistry.Publish("fleeting", ByteString.EMPTY, 0, replies.getRef()));
      assertEquals(0L, replies.receiveMessage().sequence(), "no subscriber, no sequence");
      return null;
    });
    int received = port.frames().size();
    publish(registry, "fleeting", 3);
    assertEquals(received, port.frames().size(), "nothing reaches a removed subscriber");
  }

  @Test
  void unsubscribeIsConfirmedAfterTheLastMessageForThatSubscriber() {
    ActorRef<TopicRegistry.Command> registry = registry(100);
    TestProbe<Void> owner = testKit.createTestProbe();
    RecordingPort port = new RecordingPort();
    Subscriber subscriber = new Subscriber(owner.getRef(), port);
    registry.tell(new TopicRegistry.Subscribe("leaving", subscriber, 1));
    publish(registry, "leaving", 2);

    registry.tell(new TopicRegistry.Unsubscribe("leaving", subscriber, 7));
    publish(registry, "leaving", 1);

    List<ServerFrame> frames = port.frames();
    ServerFrame last = frames.get(frames.size() - 1);
    assertEquals(7, last.getRequestId());
    assertTrue(last.hasUnsubscribed());
    assertEquals(List.of(1L, 2L), messageSequences(port));
  }

  private static ActorRef<TopicRegistry.Command> registry(int parallelThreshold) {
    return testKit.spawn(TopicRegistry.create(new TopicSettings(256, parallelThreshold, 3), new NodeMetrics()));
  }

  private static List<RecordingPort> subscribe(ActorRef<TopicRegistry.Command> registry, String topic, int count) {
    List<RecordingPort> ports = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      RecordingPort port = new RecordingPort();
      TestProbe<Void> owner = testKit.createTestProbe();
      registry.tell(new TopicRegistry.Subscribe(topic, new Subscriber(owner.getRef(), port), i + 1));
      ports.add(port);
    }
    return ports;
  }

  /** Publishes and waits for each acceptance; returns the sequences given. */
  private static List<Long> publish(ActorRef<TopicRegistry.Command> registry, String topic, int count) {
    TestProbe<TopicRegistry.Published> replies = testKit.createTestProbe();
    List<Long> sequences = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      registry.tell(new TopicRegistry.Publish(topic, ByteString.copyFromUtf8("m" + i), i, replies.getRef()));
      sequences.add(replies.receiveMessage().sequence());
    }
    return sequences;
  }

  private static List<Long> messageSequences(RecordingPort port) {
    return port.frames().stream().filter(ServerFrame::hasMessage).map(f -> f.getMessage().getSequence()).toList();
  }
}
