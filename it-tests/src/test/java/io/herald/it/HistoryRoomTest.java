package io.herald.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.client.DeviceClient;
import io.herald.client.HeraldClient;
import io.herald.client.ResumePoint;
import io.herald.it.support.Await;
import io.herald.it.support.NodeProcess;
import io.herald.protocol.v1.NodeStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A node bounds what all its topics keep for devices that resume: many topics published to
 * while their devices are away share the room, what does not fit is given up and counted,
 * and a device resuming from before it is told so, while one resuming within it is not.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HistoryRoomTest {

  private static final int ROOM = 64 * 1024;
  private static final int TOPICS = 4;
  /** A thousand bytes of payload, 1,080 bytes of room: sixty fit, twenty published per topic do not. */
  private static final int PAYLOAD = 1_000;
  private static final int PUBLISHED_WHILE_AWAY = 20;

  private NodeProcess node;
  private HeraldClient herald;

  @BeforeAll
  void startNode() {
    node = NodeProcess.start("history-room", Map.of("herald.topic.history.node-max-bytes", ROOM + "B"));
    herald = node.heraldClient();
  }

  @AfterAll
  void stopNode() {
    node.close();
  }

  @Test
  void topicsShareTheNodesRoomAndResumesSayWhatWasGivenUp() {
    List<ResumePoint> saved = new ArrayList<>();
    try (DeviceClient device = DeviceClient.connect(DeviceClient.Options.builder().uri(node.deviceUri()).build())
        .join()) {
      ConcurrentLinkedQueue<Long> received = new ConcurrentLinkedQueue<>();
      for (int t = 0; t < TOPICS; t++) {
        device.subscribe(topic(t), message -> received.add(message.sequence())).join();
        herald.publish(topic(t), new byte[PAYLOAD]).join();
      }
      Await.until(Duration.ofSeconds(10), "the first message of every topic", () -> received.size() == TOPICS);
      for (int t = 0; t < TOPICS; t++) {
        saved.add(device.resumePoint(topic(t)).orElseThrow());
      }
    }

    // Round the topics, as a fleet's topics are published to: together they want more room than there is.
    for (int m = 0; m < PUBLISHED_WHILE_AWAY; m++) {
      for (int t = 0; t < TOPICS; t++) {
        herald.publish(topic(t), new byte[PAYLOAD]).join();
      }
    }
    NodeStatus status = node.status();
    assertTrue(status.getTopicHistoryBytes() > ROOM / 2, "kept: " + status.getTopicHistoryBytes());
    assertTrue(status.getTopicHistoryBytes() <= ROOM, "within the room: " + status.getTopicHistoryBytes());
    assertTrue(status.getCountersOrDefault("drops.history_full", 0) > 0, "what was given up is counted");

    long latest = 1 + PUBLISHED_WHILE_AWAY;
    try (DeviceClient device = DeviceClient.connect(DeviceClient.Options.builder().uri(node.deviceUri()).build())
        .join()) {
      ConcurrentLinkedQueue<Long> recent = new ConcurrentLinkedQueue<>();
      ResumePoint fromFirst = saved.get(0);
      assertFalse(device.subscribe(topic(0), fromFirst, message -> {}).join(),
          "the second message was given up for room: told it missed messages");

      ResumePoint nearTheEnd = new ResumePoint(saved.get(1).epoch(), latest - 3);
      assertTrue(device.subscribe(topic(1), nearTheEnd, message -> recent.add(message.sequence())).join(),
          "the latest are kept: nothing missed");
      Await.until(Duration.ofSeconds(10), () -> "resumed with " + recent, () -> recent.size() == 3);
      assertEquals(List.of(latest - 2, latest - 1, latest), List.copyOf(recent));
    }
  }

  private static String topic(int t) {
    return "room/" + t;
  }
}
