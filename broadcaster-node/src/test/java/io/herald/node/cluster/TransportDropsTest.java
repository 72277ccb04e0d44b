package io.herald.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.node.metrics.NodeMetrics;
import java.time.Duration;
import org.apache.pekko.actor.Dropped;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
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
