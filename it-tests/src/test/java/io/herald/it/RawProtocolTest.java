package io.herald.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.client.HeraldClient;
import io.herald.it.support.NodeProcess;
import io.herald.it.support.RawSocket;
import io.herald.protocol.WireFormat;
import io.herald.protocol.v1.ClientFrame;
import io.herald.protocol.v1.Publish;
import io.herald.protocol.v1.ServerFrame;
import io.herald.protocol.v1.Subscribe;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import io.herald.it.support.EveryDeviceEdge;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;

/** The protocol as the README documents it, spoken by hand without the SDK. */
@EveryDeviceEdge
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RawProtocolTest {

  private static final Duration WAIT = Duration.ofSeconds(5);

  @Parameter
  String edge;

  private NodeProcess node;

  @BeforeParameterizedClassInvocation(injectArguments = false)
  void startNode() {
    node = NodeProcess.start("raw-protocol", Map.of("herald.edge", edge));
  }

  @AfterParameterizedClassInvocation(injectArguments = false)
  void stopNode() {
    node.close();
  }

  @Test
  void jsonWalkthroughFromTheReadme() throws Exception {
    // No subprotocol offered: the node speaks JSON.
    try (RawSocket device = RawSocket.connect(node.deviceUri())) {
      ServerFrame welcome = device.next(WAIT);
      assertTrue(welcome.hasWelcome());
      assertEquals("raw-protocol", welcome.getWelcome().getNodeId());
      assertTrue(welcome.getWelcome().getHeartbeatIntervalMs() > 0);
      assertTrue(welcome.getWelcome().getLimits().getMaxFrameBytes() > 0);

      device.sendText("{\"requestId\": \"1\", \"subscribe\": {\"topic\": \"sensors/room-1\"}}");
      ServerFrame subscribed = device.next(WAIT);
      assertEquals("sensors/room-1", subscribed.getSubscribed().getTopic());
      assertEquals(1, subscribed.getRequestId());

      HttpResponse<String> published = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(node.httpUri().resolve("/v1/topics/sensors/room-1/messages"))
              .header("Authorization", "Bearer " + NodeProcess.API_KEY)
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString("{\"payload\": \"aGVsbG8=\"}"))
              .build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, published.statusCode());
      assertEquals("{\"topic\":\"sensors/room-1\",\"sequence\":\"1\"}", published.body());

      ServerFrame message = device.next(WAIT);
      assertEquals("sensors/room-1", message.getMessage().getTopic());
      assertEquals(1, message.getMessage().getSequence());
      assertEquals("hello", message.getMessage().getPayload().toString(StandardCharsets.UTF_8));
      assertTrue(message.getMessage().hasPublishTime());

      device.sendText("{\"requestId\": \"2\", \"ping\": {}}");
      ServerFrame pong = device.next(WAIT);
      assertTrue(pong.hasPong());
      assertEquals(2, pong.getRequestId());

      device.sendText("{\"requestId\": \"3\", \"publish\": {\"topic\": \"sensors/room-1\", \"payload\": \""
          + Base64.getEncoder().encodeToString("from a device".getBytes(StandardCharsets.UTF_8)) + "\"}}");
      ServerFrame first = device.next(WAIT);
      ServerFrame second = device.next(WAIT);
      ServerFrame ack = first.hasPublished() ? first : second;
      ServerFrame echoed = first.hasPublished() ? second : first;
      assertEquals(3, ack.getRequestId());
      assertEquals(2, ack.getPublished().getSequence());
      assertEquals("from a device", echoed.getMessage().getPayload().toString(StandardCharsets.UTF_8));

      device.sendText("{\"requestId\": \"4\", \"unsubscribe\": {\"topic\": \"sensors/room-1\"}}");
      ServerFrame unsubscribed = device.next(WAIT);
      assertEquals("sensors/room-1", unsubscribed.getUnsubscribed().getTopic());
      assertEquals(4, unsubscribed.getRequestId());
    }
  }

  @Test
  void aDeviceThatReconnectsResumesWhereItLeftOff() {
    String epoch;
    try (RawSocket device = RawSocket.connect(node.deviceUri())) {
      assertTrue(device.next(WAIT).hasWelcome());
      device.sendText("{\"requestId\": \"1\", \"subscribe\": {\"topic\": \"resume/t\"}}");
      ServerFrame subscribed = device.next(WAIT);
      epoch = subscribed.getSubscribed().getEpoch();
      assertTrue(!epoch.isEmpty(), "the confirmation names the topic's epoch");
      assertEquals(0, subscribed.getSubscribed().getSequence());
      publishThroughTheApi("resume/t", 2);
      assertEquals(List.of(1L, 2L), sequences(device, 2));
    }
    assertEquals(List.of(3L, 4L, 5L), publishThroughTheApi("resume/t", 3), "kept while nobody subscribes");

    try (RawSocket device = RawSocket.connect(node.deviceUri())) {
      assertTrue(device.next(WAIT).hasWelcome());
      device.sendText("{\"requestId\": \"2\", \"subscribe\": {\"topic\": \"resume/t\", "
          + "\"resumeFrom\": {\"epoch\": \"" + epoch + "\", \"sequence\": \"2\"}}}");
      ServerFrame resumed = device.next(WAIT);
      assertEquals(2, resumed.getRequestId());
      assertTrue(resumed.getSubscribed().getResumed(), resumed::toString);
      assertEquals(2, resumed.getSubscribed().getSequence());
      assertEquals(List.of(3L, 4L, 5L), sequences(device, 3), "what it missed, in order");
    }
  }

  /** Publishes through the backend SDK: the device side is what this class speaks by hand. */
  private List<Long> publishThroughTheApi(String topic, int count) {
    List<Long> sequences = new ArrayList<>();
    try (HeraldClient backend = node.heraldClient()) {
      for (int i = 0; i < count; i++) {
        sequences.add(backend.publish(topic, "hello".getBytes(StandardCharsets.UTF_8)).join().sequence());
      }
    }
    return sequences;
  }

  /** The sequences of the next {@code count} messages, alone or coalesced into batches. */
  private static List<Long> sequences(RawSocket device, int count) {
    List<Long> sequences = new ArrayList<>();
    while (sequences.size() < count) {
      ServerFrame frame = device.next(WAIT);
      for (var message : frame.hasBatch() ? frame.getBatch().getMessagesList() : List.of(frame.getMessage())) {
        sequences.add(message.getSequence());
      }
    }
    return sequences;
  }

  @Test
  void binaryProtobufFramesWithTheProtoSubprotocol() {
    try (RawSocket subscriber = RawSocket.connect(node.deviceUri(), WireFormat.PROTOBUF.subprotocol());
        RawSocket publisher = RawSocket.connect(node.deviceUri(), WireFormat.PROTOBUF.subprotocol())) {
      assertTrue(subscriber.next(WAIT).hasWelcome());
      assertTrue(publisher.next(WAIT).hasWelcome());

      subscriber.sendBinary(ClientFrame.newBuilder().setRequestId(10)
          .setSubscribe(Subscribe.newBuilder().setTopic("bin/t")).build().toByteArray());
      assertEquals(10, subscriber.next(WAIT).getRequestId());

      for (int i = 0; i < 3; i++) {
        publisher.sendBinary(ClientFrame.newBuilder()
            .setPublish(Publish.newBuilder().setTopic("bin/t")
                .setPayload(com.google.protobuf.ByteString.copyFrom(new byte[] {(byte) i})))
            .build().toByteArray());
      }
      long expected = 1;
      while (expected <= 3) {
        ServerFrame frame = subscriber.next(WAIT);
        for (var message : frame.hasBatch() ? frame.getBatch().getMessagesList() : java.util.List.of(frame.getMessage())) {
          assertEquals(expected, message.getSequence());
          assertEquals(expected - 1, message.getPayload().byteAt(0));
          expected++;
        }
      }
    }
  }

  @Test
  void aMessageInFragmentsIsOneFrame() {
    try (RawSocket device = RawSocket.connect(node.deviceUri())) {
      assertTrue(device.next(WAIT).hasWelcome());
      device.sendTextInFragments("{\"requestId\": 5, \"sub", "scribe\": {\"topic\": ", "\"frag/t\"}}");
      ServerFrame subscribed = device.next(WAIT);
      assertEquals(5, subscribed.getRequestId());
      assertEquals("frag/t", subscribed.getSubscribed().getTopic());
    }
  }

  /** With the Netty edge, each port says where the other's requests belong. */
  @Test
  void eachPortPointsToTheOther() throws Exception {
    Assumptions.assumeTrue(edge.equals("netty"));
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> wsOnApiPort = http.send(HttpRequest.newBuilder(node.httpUri().resolve("/v1/ws")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(404, wsOnApiPort.statusCode());
    assertTrue(wsOnApiPort.body().contains("port " + node.webSocketUri().getPort()), wsOnApiPort.body());

    URI apiOnDevicePort = URI.create("http://127.0.0.1:" + node.webSocketUri().getPort() + "/v1/node");
    HttpResponse<String> refused = http.send(HttpRequest.newBuilder(apiOnDevicePort).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(404, refused.statusCode());
    assertTrue(refused.body().contains("NOT_FOUND"), refused.body());
  }
}
