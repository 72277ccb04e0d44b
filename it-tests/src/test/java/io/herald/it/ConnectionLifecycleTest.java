package io.herald.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.client.DeviceClient;
import io.herald.client.HeraldClient;
import io.herald.client.TopicMessage;
import io.herald.it.support.Await;
import io.herald.it.support.EveryDeviceEdge;
import io.herald.it.support.NodeProcess;
import io.herald.it.support.RawSocket;
import io.herald.protocol.v1.DisconnectReason;
import io.herald.protocol.v1.ServerFrame;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;

/** Heartbeats, the connection limit, the accept rate and SIGTERM, each on a node of its own. */
@EveryDeviceEdge
class ConnectionLifecycleTest {

  @Parameter
  String edge;

  private static final Duration WAIT = Duration.ofSeconds(5);

  @Test
  void silentDevicesArePingedThenClosedWhileAnsweringDevicesStay() {
    try (NodeProcess node = NodeProcess.start("heartbeat", Map.of(
        "herald.edge", edge,
        "herald.connection.heartbeat-interval", "1s",
        "herald.connection.heartbeat-timeout", "3s"))) {
      DeviceClient answering = DeviceClient.connect(DeviceClient.Options.builder().uri(node.deviceUri()).build()).join();
      String session = answering.sessionId().orElseThrow();
      try (RawSocket silent = RawSocket.connect(node.deviceUri())) {
        assertTrue(silent.next(WAIT).hasWelcome());
        assertTrue(silent.next(WAIT).hasPing(), "the node pings a quiet connection");
        ServerFrame disconnect = silent.nextMatching(WAIT, ServerFrame::hasDisconnect);
        assertEquals(DisconnectReason.HEARTBEAT_TIMEOUT, disconnect.getDisconnect().getReason());
        Await.until(WAIT, "the silent connection is closed", silent::isClosed);
      }
      assertTrue(answering.isConnected());
      assertEquals(session, answering.sessionId().orElseThrow(), "the answering device was never dropped");
      assertTrue(node.counter("connections_closed.heartbeat_timeout") >= 1);
      answering.close();
    }
  }

  @Test
  void connectionsOverTheLimitAreRefusedBeforeTheUpgrade() {
    try (NodeProcess node = NodeProcess.start("limit", Map.of("herald.edge", edge, "herald.connection.max-connections", "5"))) {
      List<RawSocket> open = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        RawSocket socket = RawSocket.connect(node.deviceUri());
        assertTrue(socket.next(WAIT).hasWelcome());
        open.add(socket);
      }
      CompletionException refused = assertThrows(CompletionException.class,
          () -> RawSocket.connect(node.deviceUri()).close());
      WebSocketHandshakeException handshake = assertInstanceOf(WebSocketHandshakeException.class, refused.getCause());
      assertEquals(503, handshake.getResponse().statusCode());
      assertTrue(node.counter("connections_refused.too_many_connections") >= 1);

      open.remove(0).close();
      Await.until(WAIT, "a place frees up", () -> node.status().getConnectionsOpen() == 4);
      try (RawSocket again = RawSocket.connect(node.deviceUri())) {
        assertTrue(again.next(WAIT).hasWelcome());
      }
      open.forEach(RawSocket::close);
    }
  }

  /** Netty (its own port) makes devices over the rate wait; Pekko HTTP (the API's port) refuses them. */
  @Test
  void newConnectionsOverTheAcceptRateAreHeldBack() {
    try (NodeProcess node = NodeProcess.start("accept-rate", Map.of("herald.edge", edge,
        "herald.connection.accept-rate", "2", "herald.connection.accept-burst", "3"))) {
      if (edge.equals("netty")) {
        devicesOverTheRateWaitForTheirTurn(node);
      } else {
        devicesOverTheRateAreRefusedWith429UntilTheBucketRefills(node);
      }
    }
  }

  private static void devicesOverTheRateWaitForTheirTurn(NodeProcess node) {
    List<RawSocket> admitted = new ArrayList<>();
    long started = System.nanoTime();
    for (int i = 0; i < 9; i++) {
      RawSocket device = RawSocket.connect(node.deviceUri());
      assertTrue(device.next(WAIT).hasWelcome(), "every device gets in, none is refused");
      admitted.add(device);
    }
    // The burst of 3 at once, then 2 a second: the other 6 take at least 3 s.
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    assertTrue(took.compareTo(Duration.ofMillis(2_900)) >= 0, "9 devices admitted in " + took);
    assertTrue(node.counter("accept_pauses") >= 1);
    assertEquals(0, node.counter("connections_refused.rate_limited"));
    admitted.forEach(RawSocket::close);
  }

  private static void devicesOverTheRateAreRefusedWith429UntilTheBucketRefills(NodeProcess node) {
    List<RawSocket> admitted = new ArrayList<>();
    WebSocketHandshakeException refusal = null;
    long started = System.nanoTime();
    // Devices arrive back to back: the burst gets in, then the rate's two a second.
    while (refusal == null && admitted.size() < 20) {
      try {
        RawSocket device = RawSocket.connect(node.deviceUri());
        assertTrue(device.next(WAIT).hasWelcome());
        admitted.add(device);
      } catch (CompletionException refused) {
        refusal = assertInstanceOf(WebSocketHandshakeException.class, refused.getCause());
      }
    }
    long elapsedSeconds = Duration.ofNanos(System.nanoTime() - started).toSeconds();
    assertTrue(refusal != null, "a device over the rate is refused");
    assertTrue(admitted.size() >= 3 && admitted.size() <= 3 + 2 * (elapsedSeconds + 1),
        admitted.size() + " admitted in " + elapsedSeconds + " s");
    assertEquals(429, refusal.getResponse().statusCode());
    assertEquals("1", refusal.getResponse().headers().firstValue("Retry-After").orElseThrow());
    assertTrue(node.counter("connections_refused.rate_limited") >= 1);

    Await.until(WAIT, "a device gets in once the bucket refills", () -> {
      try (RawSocket again = RawSocket.connect(node.deviceUri())) {
        return again.next(WAIT).hasWelcome();
      } catch (CompletionException stillRefused) {
        return false;
      }
    });
    assertTrue(admitted.stream().noneMatch(RawSocket::isClosed), "devices already connected are untouched");

    // Devices arriving together through the SDK: those refused wait for Retry-After, then get in.
    long refusedBefore = node.counter("connections_refused.rate_limited");
    List<CompletableFuture<DeviceClient>> arriving = IntStream.range(0, 6)
        .mapToObj(i -> DeviceClient.connect(DeviceClient.Options.builder().uri(node.deviceUri("arriving-" + i)).build()))
        .toList();
    List<DeviceClient> welcomed = arriving.stream().map(connect -> connect.orTimeout(20, TimeUnit.SECONDS).join())
        .toList();
    assertTrue(welcomed.stream().allMatch(DeviceClient::isConnected));
    assertTrue(node.counter("connections_refused.rate_limited") > refusedBefore, "some were refused first");
    welcomed.forEach(DeviceClient::close);
    admitted.forEach(RawSocket::close);
  }

  @Test
  void sigtermDisconnectsEveryDeviceAndExitsZeroWithinTheDeadline() throws Exception {
    NodeProcess node = NodeProcess.start("sigterm", Map.of("herald.edge", edge, "herald.shutdown.drain-timeout", "5s"));
    try {
      List<RawSocket> devices = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        RawSocket device = RawSocket.connect(node.deviceUri());
        assertTrue(device.next(WAIT).hasWelcome());
        devices.add(device);
      }
      long started = System.nanoTime();
      node.terminate();
      for (RawSocket device : devices) {
        ServerFrame disconnect = device.nextMatching(WAIT, ServerFrame::hasDisconnect);
        assertEquals(DisconnectReason.SHUTDOWN, disconnect.getDisconnect().getReason());
        assertTrue(disconnect.getDisconnect().getReconnect(), "devices are told to reconnect elsewhere");
        device.close();
      }
      assertEquals(0, node.awaitExit(Duration.ofSeconds(20)), node::log);
      assertTrue(Duration.ofNanos(System.nanoTime() - started).compareTo(Duration.ofSeconds(20)) < 0);
    } finally {
      node.close();
    }
  }

  @Test
  void deviceClientReconnectsAndResubscribesWhenItsNodeComesBack() {
    int port = NodeProcess.freePort();
    // Both runs of the node serve devices on the same address.
    Map<String, String> sameAddress = Map.of("herald.edge", edge, "herald.netty.port", Integer.toString(NodeProcess.freePort()));
    ConcurrentLinkedQueue<TopicMessage> received = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<String> events = new ConcurrentLinkedQueue<>();
    DeviceClient device;
    try (NodeProcess first = NodeProcess.start("restart-a", port, sameAddress)) {
      device = DeviceClient.connect(DeviceClient.Options.builder()
          .uri(first.deviceUri("restarting-device"))
          .backoff(Duration.ofMillis(100), Duration.ofMillis(500))
          .listener(new DeviceClient.Listener() {
            @Override
            public void onConnected(String sessionId, String nodeId) {
              events.add("connected to " + nodeId);
            }

            @Override
            public void onDisconnected(java.util.Optional<DisconnectReason> reason, String message, boolean willReconnect) {
              events.add("disconnected " + reason.map(Enum::name).orElse("-") + " reconnect=" + willReconnect);
            }

            @Override
            public void onResubscribed(String topic, boolean resumed) {
              events.add("resubscribed " + topic + " resumed=" + resumed);
            }
          })
          .build()).join();
      device.subscribe("restart/t", message -> {
        events.add("message " + message.payload()[0]);
        received.add(message);
      }).join();
      first.terminate();
      Await.until(Duration.ofSeconds(20), "the device is told of the shutdown",
          () -> events.contains("disconnected SHUTDOWN reconnect=true"));
      Await.until(Duration.ofSeconds(20), "the first node exits", () -> !first.process().isAlive());
    }
    try (NodeProcess second = NodeProcess.start("restart-b", port, sameAddress)) {
      Await.until(Duration.ofSeconds(20), "the device reconnects", () -> events.contains("connected to restart-b"));
      HeraldClient herald = second.heraldClient();
      // The resubscription races this publish, so publish until one arrives.
      Await.until(Duration.ofSeconds(10), "a message on the resubscribed topic", () -> {
        herald.publish("restart/t", new byte[] {42}).join();
        return !received.isEmpty();
      });
      assertEquals(42, received.peek().payload()[0]);
      // A lone node keeps nothing over a restart: the device learns it may have missed messages,
      // before its handler gets what follows.
      List<String> inOrder = List.copyOf(events);
      assertTrue(inOrder.contains("resubscribed restart/t resumed=false"), inOrder::toString);
      assertTrue(inOrder.indexOf("resubscribed restart/t resumed=false") < inOrder.indexOf("message 42"),
          inOrder::toString);
      device.close();
    }
  }

  @Test
  void heraldClientRetriesUntilANodeAnswers() throws Exception {
    int port = NodeProcess.freePort();
    HeraldClient herald = HeraldClient.create(HeraldClient.Options.builder()
        .baseUri(java.net.URI.create("http://127.0.0.1:" + port))
        .apiKey(NodeProcess.API_KEY)
        .maxRetries(60)
        .backoff(Duration.ofMillis(100), Duration.ofMillis(500))
        .build());
    var publish = herald.publish("retry/t", new byte[] {1});
    assertTrue(!publish.isDone(), "no node yet: the client keeps trying");
    try (NodeProcess node = NodeProcess.start("late", port, Map.of("herald.edge", edge))) {
      assertEquals("retry/t", publish.get(30, java.util.concurrent.TimeUnit.SECONDS).topic());
      assertTrue(node.counter("messages_published") >= 1);
    }
  }
}
