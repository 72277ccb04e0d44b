package io.herald.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.herald.node.metrics.NodeMetrics;
import java.time.Duration;
import org.apache.pekko.actor.Dropped;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class TransportDropsTest {

  private static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  /**
   * Two nodes over real Artery on loopback, the sender's queue to the other made tiny: a
   * burst overflows it, and what Artery drops is counted. Fails should a Pekko upgrade word
   * the reason differently.
   */
  @Test
  void aBurstThatOverflowsArterysSendQueueToAnotherNodeIsCounted() {
    Config remote = ConfigFactory.parseString("""
        pekko.actor.provider = remote
        pekko.remote.artery.canonical.hostname = "127.0.0.1"
        pekko.remote.artery.canonical.port = 0
        pekko.remote.artery.advanced.outbound-message-queue-size = 16
        pekko.log-dead-letters = off
        """);
    ActorTestKit sender = ActorTestKit.create("sender", remote);
    ActorTestKit receiver = ActorTestKit.create("receiver", remote);
    try {
      NodeMetrics metrics = new NodeMetrics();
      sender.spawn(TransportDrops.create(metrics));
      TestProbe<String> far = receiver.createTestProbe();
      ActorRef<String> farFromSender = ActorRefResolver.get(sender.system())
          .resolveActorRef(ActorRefResolver.get(receiver.system()).toSerializationFormat(far.getRef()));
      TestProbe<Object> waiter = sender.createTestProbe();
      waiter.awaitAssert(Duration.ofSeconds(10), () -> {
        for (int i = 0; i < 10_000; i++) {
          farFromSender.tell("burst " + i);
        }
        assertTrue(metrics.snapshot().get("drops.cluster_send_queue") > 0);
        return null;
      });
    } finally {
      sender.shutdownTestKit();
      receiver.shutdownTestKit();
    }
  }

  @Test
  void messagesArteryDropsFromAFullSendQueueAreCountedAndOtherDropsAreNot() {
    NodeMetrics metrics = new NodeMetrics();
    testKit.spawn(TransportDrops.create(metrics));
    TestProbe<Object> waiter = testKit.createTestProbe();
    var nobody = Adapter.toClassic(testKit.system().deadLetters());
    // The same event Artery publishes (its words, as in pekko-remote's Association) when it drops a message.
    Dropped overflow = new Dropped("a batch", TransportDrops.SEND_QUEUE_OVERFLOW + ", size [3072]", nobody, nobody);
    waiter.awaitAssert(() -> {
      // Until the listener has subscribed, events pass it unseen: publish until one is counted.
      testKit.system().eventStream().tell(new EventStream.Publish<>(overflow));
      assertTrue(metrics.snapshot().get("drops.cluster_send_queue") > 0);
      return null;
    });
    waiter.expectNoMessage(Duration.ofMillis(300)); // the last of those counted too
    long counted = metrics.snapshot().get("drops.cluster_send_queue");
    testKit.system().eventStream().tell(new EventStream.Publish<>(
        new Dropped("a command", "Stash buffer is full", nobody, nobody)));
    testKit.system().eventStream().tell(new EventStream.Publish<>(overflow));
    waiter.awaitAssert(() -> {
      assertEquals(counted + 1, metrics.snapshot().get("drops.cluster_send_queue"));
      return null;
    });
  }
}
