package io.herald.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.client.DeviceClient;
import io.herald.client.HeraldApiException;
import io.herald.client.HeraldClient;
import io.herald.client.TopicMessage;
import io.herald.it.support.Await;
import io.herald.it.support.EveryDeviceEdge;
import io.herald.it.support.NodeProcess;
import io.herald.it.support.RawSocket;
import io.herald.protocol.WireFormat;
import io.herald.protocol.v1.ClientFrame;
import io.herald.protocol.v1.DisconnectReason;
import io.herald.protocol.v1.ErrorCode;
import io.herald.protocol.v1.ErrorResponse;
import io.herald.protocol.v1.ServerFrame;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;

/**
 * Bad input gets its documented error code, is counted, and never stops the node from
 * serving everyone else: after every test a healthy device still receives what is published.
 */
@EveryDeviceEdge
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadInputTest {

  @Parameter
  String edge;

  private static final Duration WAIT = Duration.ofSeconds(5);
  private static final String HEALTHY_TOPIC = "healthy/status";

  private NodeProcess node;
  private HeraldClient herald;
  private DeviceClient healthyDevice;
  private final ConcurrentLinkedQueue<TopicMessage> healthyReceived = new ConcurrentLinkedQueue<>();

  @BeforeParameterizedClassInvocation(injectArguments = false)
  void startNode() {
    node = NodeProcess.start("bad-input", Map.of(
        "herald.edge", edge,
        "herald.connection.max-frame-bytes", "4096",
        "herald.connection.max-subscriptions", "3",
        "herald.connection.publish-rate", "5",
        "herald.connection.publish-burst", "5",
        "herald.connection.max-protocol-errors", "8",
        "herald.api.max-body-bytes", "65536",
        "herald.api.max-requests-in-flight", "4"));
    herald = HeraldClient.create(HeraldClient.Options.builder().baseUri(node.httpUri()).apiKey(NodeProcess.API_KEY).maxRetries(0).build());
    healthyDevice = DeviceClient.connect(DeviceClient.Options.builder().uri(node.deviceUri()).build()).join();
    healthyDevice.subscribe(HEALTHY_TOPIC, healthyReceived::add).join();
  }

  @AfterEach
  void othersAreStillServed() {
    int before = healthyReceived.size();
    herald.publish(HEALTHY_TOPIC, new byte[] {1}).join();
    Await.until(WAIT, "the healthy device still receives", () -> healthyReceived.size() > before);
    assertTrue(healthyDevice.isConnected());
  }

  @AfterParameterizedClassInvocation(injectArguments = false)
  void stopNode() {
    healthyDevice.close();
    node.close();
  }

  @Test
  void garbageBinaryFrameIsMalformed() {
    try (RawSocket socket = binarySocket()) {
      socket.sendBinary(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01, 0x02});
      assertError(socket.next(WAIT), ErrorCode.MALFORMED_FRAME, 0);
    }
    assertTrue(node.counter("errors.malformed_frame") > 0);
  }

  @Test
  void invalidJsonIsMalformed() {
    try (RawSocket socket = jsonSocket()) {
      socket.sendText("{\"requestId\": \"1\", \"subscribe\": {\"topic\": ");
      assertError(socket.next(WAIT), ErrorCode.MALFORMED_FRAME, 0);
      socket.sendText("[1, 2, 3]");
      assertError(socket.next(WAIT), ErrorCode.MALFORMED_FRAME, 0);
    }
  }

  @Test
  void oversizeFrameIsRefusedAndTheConnectionGoesOn() {
    try (RawSocket socket = jsonSocket()) {
      String payload = "A".repeat(8_000);
      socket.sendText("{\"requestId\":\"3\",\"publish\":{\"topic\":\"t\",\"payload\":\"" + payload + "\"}}");
      assertError(socket.next(WAIT), ErrorCode.FRAME_TOO_LARGE, 0);
      socket.sendText("{\"requestId\":\"4\",\"ping\":{}}");
      ServerFrame pong = socket.next(WAIT);
      assertTrue(pong.hasPong());
      assertEquals(4, pong.getRequestId());
    }
    assertTrue(node.counter("errors.frame_too_large") > 0);
  }

  @Test
  void invalidAndReservedTopicsAreRefused() {
    try (RawSocket socket = jsonSocket()) {
      for (String topic : List.of("a//b", "spaces are bad", "", "x".repeat(300), "emoji/\uD83D\uDE00")) {
        socket.sendText("{\"requestId\":\"5\",\"subscribe\":{\"topic\":\"" + topic + "\"}}");
        assertError(socket.next(WAIT), ErrorCode.INVALID_TOPIC, 5);
      }
      socket.sendText("{\"requestId\":\"6\",\"publish\":{\"topic\":\"$device/d1/state\",\"payload\":\"\"}}");
      assertError(socket.next(WAIT), ErrorCode.RESERVED_TOPIC, 6);
    }
  }

  @Test
  void oneSubscriptionTooManyIsRefused() {
    try (RawSocket socket = jsonSocket()) {
      for (int i = 1; i <= 3; i++) {
        socket.sendText("{\"requestId\":\"" + i + "\",\"subscribe\":{\"topic\":\"limits/" + i + "\"}}");
        ServerFrame subscribed = socket.next(WAIT);
        assertTrue(subscribed.hasSubscribed(), subscribed.toString());
        assertEquals(i, subscribed.getRequestId());
      }
      socket.sendText("{\"requestId\":\"4\",\"subscribe\":{\"topic\":\"limits/4\"}}");
      assertError(socket.next(WAIT), ErrorCode.TOO_MANY_SUBSCRIPTIONS, 4);
    }
  }

  @Test
  void unknownFrameTypeIsRefusedInBothFormats() throws Exception {
    try (RawSocket socket = jsonSocket()) {
      socket.sendText("{\"requestId\":\"7\",\"teleport\":{\"to\":\"mars\"}}");
      assertError(socket.next(WAIT), ErrorCode.UNKNOWN_FRAME, 7);
    }
    try (RawSocket socket = binarySocket()) {
      // A ClientFrame carrying only a field number this node does not know (19, varint 1).
      byte[] unknownKind = ClientFrame.newBuilder().setRequestId(8).build().toByteString()
          .concat(com.google.protobuf.ByteString.copyFrom(new byte[] {(byte) 0x98, 0x01, 0x01})).toByteArray();
      socket.sendBinary(unknownKind);
      assertError(socket.next(WAIT), ErrorCode.UNKNOWN_FRAME, 8);
    }
  }

  @Test
  void publishFloodOverTheRateLimitIsAnsweredWithRateLimited() {
    int accepted = 0;
    int limited = 0;
    try (RawSocket socket = jsonSocket()) {
      for (int i = 1; i <= 30; i++) {
        socket.sendText("{\"requestId\":\"" + i + "\",\"publish\":{\"topic\":\"flood/t\",\"payload\":\"AQ==\"}}");
      }
      for (int i = 1; i <= 30; i++) {
        ServerFrame answer = socket.next(WAIT);
        if (answer.hasPublished()) {
          accepted++;
        } else {
          assertError(answer, ErrorCode.RATE_LIMITED, answer.getRequestId());
          limited++;
        }
      }
    }
    assertTrue(accepted >= 5 && accepted <= 8, "the burst and a little refill are accepted: " + accepted);
    assertEquals(30 - accepted, limited);
    assertTrue(node.counter("drops.rate_limited") >= limited);
  }

  @Test
  void repeatedProtocolErrorsCloseTheConnectionWithAReason() {
    try (RawSocket socket = jsonSocket()) {
      for (int i = 0; i < 20; i++) {
        socket.sendText("not json " + i);
      }
      ServerFrame disconnect = socket.nextMatching(WAIT, ServerFrame::hasDisconnect);
      assertEquals(DisconnectReason.PROTOCOL_VIOLATION, disconnect.getDisconnect().getReason());
      Await.until(WAIT, "the node closes the connection", socket::isClosed);
    }
    assertTrue(node.counter("connections_closed.protocol_violation") > 0);
  }

  @Test
  void unsupportedSubprotocolIsRefusedBeforeTheUpgrade() {
    CompletionException refused = org.junit.jupiter.api.Assertions.assertThrows(CompletionException.class,
        () -> RawSocket.connect(node.deviceUri(), "mqtt").close());
    assertInstanceOf(java.net.http.WebSocketHandshakeException.class, refused.getCause());
    assertEquals(400, ((java.net.http.WebSocketHandshakeException) refused.getCause()).getResponse().statusCode());
  }

  @Test
  void apiAnswersBadRequestsWithStatusAndCode() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    URI publish = node.httpUri().resolve("/v1/topics/api/t/messages");

    HttpResponse<String> wrongType = http.send(HttpRequest.newBuilder(publish)
        .header("Authorization", "Bearer " + NodeProcess.API_KEY)
        .header("Content-Type", "text/plain").POST(HttpRequest.BodyPublishers.ofString("hi")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(415, wrongType.statusCode());
    assertTrue(wrongType.body().contains("INVALID_REQUEST"), wrongType.body());

    HttpResponse<String> malformed = http.send(HttpRequest.newBuilder(publish)
        .header("Authorization", "Bearer " + NodeProcess.API_KEY)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"payload\": 12")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(400, malformed.statusCode());
    assertTrue(malformed.body().contains("INVALID_REQUEST"), malformed.body());

    HttpResponse<byte[]> tooLarge = http.send(HttpRequest.newBuilder(publish)
        .header("Authorization", "Bearer " + NodeProcess.API_KEY)
        .header("Content-Type", "application/x-protobuf")
        .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[200_000])).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(413, tooLarge.statusCode());
    assertEquals(ErrorCode.PAYLOAD_TOO_LARGE, ErrorResponse.parseFrom(tooLarge.body()).getError().getCode());

    HttpResponse<String> twice = http.send(HttpRequest.newBuilder(node.httpUri().resolve("/v1/desired"))
        .header("Authorization", "Bearer " + NodeProcess.API_KEY)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"devices\": [{\"deviceId\": \"d1\"}, {\"deviceId\": \"d1\"}]}"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(400, twice.statusCode());
    assertTrue(twice.body().contains("named more than once"), twice.body());

    CompletionException tooLongId = org.junit.jupiter.api.Assertions.assertThrows(CompletionException.class,
        () -> herald.setDesired("d".repeat(129), java.util.Map.of("on", true), java.util.OptionalLong.empty()).join());
    assertEquals(ErrorCode.INVALID_REQUEST,
        assertInstanceOf(HeraldApiException.InvalidRequestException.class, tooLongId.getCause()).code());

    CompletionException invalidTopic = org.junit.jupiter.api.Assertions.assertThrows(CompletionException.class,
        () -> herald.publish("not a topic", new byte[0]).join());
    HeraldApiException.InvalidRequestException typed =
        assertInstanceOf(HeraldApiException.InvalidRequestException.class, invalidTopic.getCause());
    assertEquals(ErrorCode.INVALID_TOPIC, typed.code());
    assertEquals(400, typed.status());

    CompletionException reserved = org.junit.jupiter.api.Assertions.assertThrows(CompletionException.class,
        () -> herald.publish("$group/g1", new byte[0]).join());
    assertEquals(ErrorCode.RESERVED_TOPIC, ((HeraldApiException) reserved.getCause()).code());
  }

  @Test
  void apiRequestsOverTheInFlightLimitAreAnswered503AtOnceAndTheRestAreServed() throws Exception {
    // Four publishes whose bodies never come hold all four places until the publish timeout.
    List<Socket> stalled = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      Socket socket = new Socket(node.httpUri().getHost(), node.httpUri().getPort());
      socket.getOutputStream().write(("POST /v1/topics/stalled/messages HTTP/1.1\r\nHost: herald\r\n"
          + "Authorization: Bearer " + NodeProcess.API_KEY + "\r\nContent-Type: application/json\r\n"
          + "Transfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      stalled.add(socket);
    }
    Await.until(WAIT, "the four stalled requests are being served",
        () -> node.status().getApiRequestsInFlight() == 4);
    long refusedBefore = node.counter("errors.unavailable");

    CompletionException refused = org.junit.jupiter.api.Assertions.assertThrows(CompletionException.class,
        () -> herald.getDevice("anyone").join());
    HeraldApiException.UnavailableException unavailable =
        assertInstanceOf(HeraldApiException.UnavailableException.class, refused.getCause());
    assertEquals(ErrorCode.UNAVAILABLE, unavailable.code());
    assertEquals(refusedBefore + 1, node.counter("errors.unavailable"), "counted");

    for (Socket socket : stalled) {
      socket.close();
    }
    Await.until(WAIT, "the stalled requests end with their sockets",
        () -> node.status().getApiRequestsInFlight() == 0);
    CompletionException missing = org.junit.jupiter.api.Assertions.assertThrows(CompletionException.class,
        () -> herald.getDevice("anyone").join());
    assertInstanceOf(HeraldApiException.NotFoundException.class, missing.getCause(), "served again");
  }

  private RawSocket jsonSocket() {
    RawSocket socket = RawSocket.connect(node.deviceUri(), WireFormat.JSON.subprotocol());
    assertTrue(socket.next(WAIT).hasWelcome());
    return socket;
  }

  private RawSocket binarySocket() {
    RawSocket socket = RawSocket.connect(node.deviceUri(), WireFormat.PROTOBUF.subprotocol());
    assertTrue(socket.next(WAIT).hasWelcome());
    return socket;
  }

  private static void assertError(ServerFrame frame, ErrorCode code, long requestId) {
    assertTrue(frame.hasError(), "expected an error frame, got " + frame);
    assertEquals(code, frame.getError().getCode(), frame.getError().getMessage());
    assertEquals(requestId, frame.getRequestId());
    assertTrue(!frame.getError().getMessage().isBlank(), "an error explains itself");
  }
}
