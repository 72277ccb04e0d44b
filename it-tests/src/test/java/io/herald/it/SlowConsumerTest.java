package io.herald.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.client.DeviceClient;
import io.herald.client.HeraldClient;
import io.herald.client.PublishResult;
import io.herald.it.support.Await;
import io.herald.it.support.EveryDeviceEdge;
import io.herald.it.support.NodeProcess;
import io.herald.it.support.RawSocket;
import io.herald.protocol.WireFormat;
import io.herald.protocol.v1.ServerFrame;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

/**
 * Devices that stop reading get the configured policy, the node's memory stays bounded,
 * and every other subscriber still receives everything.
 */
@EveryDeviceEdge
class SlowConsumerTest {

  @Parameter
  String edge;

  private static final String TOPIC = "video/frames";
  /** 4,000 x 32 KiB = 125 MiB per stuck device: a node with a 256 MiB heap buffering it all would die. */
  private static final int MESSAGES = 4_000;
  private static final int PAYLOAD_BYTES = 32 * 1024;
  private static final int STUCK_DEVICES = 2;
  private static final int HEALTHY_DEVICES = 3;
  /** Messages the publisher may be ahead of the slowest healthy device (their queue holds 512). */
  private static final int HEALTHY_LEAD = 256;

  @Test
  void dropOldestDropsForStuckDevicesOnlyAndTheNodeStaysWithinItsHeap() throws Exception {
    try (NodeProcess node = NodeProcess.start("slow-drop", settings("drop-oldest"), "-Xmx256m")) {
      List<RawSocket> stuck = stuckDevices(node);
      List<DeviceClient> devices = new ArrayList<>();
      List<ConcurrentLinkedQueue<Long>> healthy = healthyDevices(node, devices);

      publishAllAndAssertHealthyDevicesReceivedEverything(node, healthy);
      devices.forEach(DeviceClient::close);
      assertTrue(node.counter("drops.slow_consumer") > 0, "drops are counted");
      assertEquals(0, node.counter("connections_closed.slow_consumer"));
      assertTrue(node.process().isAlive());
      assertTrue(stuck.stream().noneMatch(RawSocket::isClosed), "drop-oldest keeps stuck devices connected");

      // A stuck device that reads again sees the newest messages, with a gap where drops were.
      RawSocket reader = stuck.get(0);
      reader.read(Long.MAX_VALUE);
      ServerFrame last = reader.nextMatching(Duration.ofSeconds(60), frame -> lastSequenceIn(frame) == MESSAGES);
      assertTrue(last.hasMessage() || last.hasBatch());
      stuck.forEach(RawSocket::close);
    }
  }

  @Test
  void disconnectPolicyClosesStuckDevicesAndOthersKeepReceiving() throws Exception {
    try (NodeProcess node = NodeProcess.start("slow-disconnect", settings("disconnect"), "-Xmx256m")) {
      List<RawSocket> stuck = stuckDevices(node);
      List<DeviceClient> devices = new ArrayList<>();
      List<ConcurrentLinkedQueue<Long>> healthy = healthyDevices(node, devices);

      publishAllAndAssertHealthyDevicesReceivedEverything(node, healthy);
      Await.until(Duration.ofSeconds(30), "stuck devices are disconnected",
          () -> node.counter("connections_closed.slow_consumer") == STUCK_DEVICES);
      Await.until(Duration.ofSeconds(30), "only healthy devices stay connected",
          () -> node.status().getConnectionsOpen() == HEALTHY_DEVICES);
      devices.forEach(DeviceClient::close);
      stuck.forEach(RawSocket::close);
    }
  }

  /**
   * 512 frames: room for a healthy device that lags for a moment on a busy machine (queued
   * messages are shared, so 16 MiB per stuck device at most), far below the 125 MiB each
   * stuck device is sent.
   */
  private Map<String, String> settings(String policy) {
    return Map.of(
        "herald.edge", edge,
        "herald.connection.slow-consumer-policy", policy,
        "herald.connection.outbound-queue-size", "512",
        "herald.connection.close-timeout", "2s");
  }

  /** Devices that subscribe, then read nothing more after their confirmation. */
  private static List<RawSocket> stuckDevices(NodeProcess node) {
    List<RawSocket> stuck = new ArrayList<>();
    for (int i = 0; i < STUCK_DEVICES; i++) {
      RawSocket socket = RawSocket.connect(node.deviceUri(), 2, WireFormat.JSON.subprotocol());
      socket.sendText("{\"requestId\":\"1\",\"subscribe\":{\"topic\":\"" + TOPIC + "\"}}");
      assertTrue(socket.next(Duration.ofSeconds(5)).hasWelcome());
      assertTrue(socket.next(Duration.ofSeconds(5)).hasSubscribed());
      stuck.add(socket);
    }
    return stuck;
  }

  /** Devices that read everything; each queue collects the sequences one of them received. */
  private static List<ConcurrentLinkedQueue<Long>> healthyDevices(NodeProcess node, List<DeviceClient> devices) {
    List<ConcurrentLinkedQueue<Long>> received = new ArrayList<>();
    for (int i = 0; i < HEALTHY_DEVICES; i++) {
      ConcurrentLinkedQueue<Long> sequences = new ConcurrentLinkedQueue<>();
      DeviceClient device = DeviceClient.connect(DeviceClient.Options.builder().uri(node.deviceUri()).build()).join();
      device.subscribe(TOPIC, message -> sequences.add(message.sequence())).join();
      devices.add(device);
      received.add(sequences);
    }
    return received;
  }

  private static void publishAllAndAssertHealthyDevicesReceivedEverything(NodeProcess node,
      List<ConcurrentLinkedQueue<Long>> healthy) {
    List<Long> sequences = publishAll(node, healthy);
    Await.until(Duration.ofSeconds(120), "healthy devices receive everything",
        () -> healthy.stream().allMatch(received -> received.size() >= MESSAGES));
    for (ConcurrentLinkedQueue<Long> received : healthy) {
      assertEquals(sequences, List.copyOf(received));
    }
  }

  /**
   * Publishes every message with a window in flight, never more than {@link #HEALTHY_LEAD}
   * ahead of the slowest healthy device: a healthy device reads at the publishing pace,
   * whichever machine the test runs on. Returns the sequences in order.
   */
  private static List<Long> publishAll(NodeProcess node, List<ConcurrentLinkedQueue<Long>> healthy) {
    HeraldClient herald = node.heraldClient();
    List<CompletableFuture<PublishResult>> published = new ArrayList<>();
    byte[] payload = new byte[PAYLOAD_BYTES];
    for (int m = 0; m < MESSAGES; m++) {
      if (m >= 16) {
        published.get(m - 16).join();
      }
      int sent = m;
      if (sent >= HEALTHY_LEAD) {
        Await.until(Duration.ofSeconds(30), "healthy devices keep up",
            () -> healthy.stream().allMatch(received -> received.size() >= sent - HEALTHY_LEAD));
      }
      published.add(herald.publish(TOPIC, payload));
    }
    return published.stream().map(CompletableFuture::join).map(PublishResult::sequence).sorted().toList();
  }

  private static long lastSequenceIn(ServerFrame frame) {
    if (frame.hasMessage()) {
      return frame.getMessage().getSequence();
    }
    if (frame.hasBatch() && frame.getBatch().getMessagesCount() > 0) {
      return frame.getBatch().getMessages(frame.getBatch().getMessagesCount() - 1).getSequence();
    }
    return -1;
  }
}
