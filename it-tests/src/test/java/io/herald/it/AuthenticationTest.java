package io.herald.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.client.DeviceClient;
import io.herald.client.HeraldApiException;
import io.herald.client.HeraldClient;
import io.herald.it.support.EveryDeviceEdge;
import io.herald.it.support.NodeProcess;
import io.herald.it.support.RawSocket;
import io.herald.node.security.DeviceIdentity;
import io.herald.node.security.DeviceTokens;
import io.herald.node.security.TopicPattern;
import io.herald.protocol.Json;
import io.herald.protocol.v1.DevTokenResponse;
import io.herald.protocol.v1.ErrorCode;
import io.herald.protocol.v1.ServerFrame;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocketHandshakeException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;

/** Devices prove who they are with signed tokens, backends with scoped API keys. */
@EveryDeviceEdge
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuthenticationTest {

  @Parameter
  String edge;

  private static final Duration WAIT = Duration.ofSeconds(5);
  private static final String READ_ONLY_KEY = "read-only-key";

  private NodeProcess node;

  @BeforeParameterizedClassInvocation(injectArguments = false)
  void startNode() {
    node = NodeProcess.start("auth", Map.of(
        "herald.edge", edge,
        "herald.auth.api-keys.0.key", READ_ONLY_KEY,
        "herald.auth.api-keys.0.scopes.0", "read-state"));
  }

  @AfterParameterizedClassInvocation(injectArguments = false)
  void stopNode() {
    node.close();
  }

  @Test
  void devicesWithoutAValidTokenAreRefusedWith401BeforeTheUpgrade() {
    DeviceIdentity device = new DeviceIdentity("d1", List.of(), Optional.empty(), Optional.empty());
    String expired = DeviceTokens.mintHs256(NodeProcess.JWT_SECRET, device, Duration.ofMinutes(-5), Clock.systemUTC());
    String otherSecret = DeviceTokens.mintHs256("some-other-secret-of-at-least-32-bytes", device, Duration.ofHours(1),
        Clock.systemUTC());
    for (String query : List.of("", "?token=garbage", "?token=" + expired, "?token=" + otherSecret)) {
      URI uri = URI.create(node.webSocketUri() + query);
      CompletionException refused = assertThrows(CompletionException.class, () -> RawSocket.connect(uri).close());
      WebSocketHandshakeException handshake = assertInstanceOf(WebSocketHandshakeException.class, refused.getCause());
      assertEquals(401, handshake.getResponse().statusCode(), query);
    }
    assertTrue(node.counter("connections_refused.unauthorized") >= 4);
  }

  @Test
  void aTokenInTheAuthorizationHeaderIsAccepted() {
    DeviceClient device = DeviceClient.connect(DeviceClient.Options.builder()
        .uri(node.webSocketUri())
        .token(NodeProcess.token("header-device"))
        .build()).join();
    assertTrue(device.isConnected());
    device.close();
  }

  @Test
  void topicsOutsideTheTokensPatternsAreForbidden() {
    String token = NodeProcess.token(new DeviceIdentity("limited", List.of(),
        Optional.of(List.of(new TopicPattern("allowed/#"))), Optional.of(List.of(new TopicPattern("allowed/out")))));
    try (RawSocket device = RawSocket.connect(URI.create(node.webSocketUri() + "?token=" + token))) {
      assertTrue(device.next(WAIT).hasWelcome());
      device.sendText("{\"requestId\":\"1\",\"subscribe\":{\"topic\":\"secret/plans\"}}");
      ServerFrame forbidden = device.next(WAIT);
      assertEquals(ErrorCode.FORBIDDEN, forbidden.getError().getCode());
      assertEquals(1, forbidden.getRequestId());
      device.sendText("{\"requestId\":\"2\",\"publish\":{\"topic\":\"allowed/elsewhere\",\"payload\":\"\"}}");
      assertEquals(ErrorCode.FORBIDDEN, device.next(WAIT).getError().getCode());
      device.sendText("{\"requestId\":\"3\",\"subscribe\":{\"topic\":\"allowed/news\"}}");
      assertTrue(device.next(WAIT).hasSubscribed());
    }
  }

  @Test
  void theApiWantsAKeyWithTheRightScope() {
    HeraldClient anonymous = HeraldClient.create(HeraldClient.Options.builder().baseUri(node.httpUri()).build());
    CompletionException noKey = assertThrows(CompletionException.class, () -> anonymous.publish("t", new byte[0]).join());
    assertInstanceOf(HeraldApiException.UnauthorizedException.class, noKey.getCause());

    HeraldClient readOnly = HeraldClient.create(HeraldClient.Options.builder()
        .baseUri(node.httpUri()).apiKey(READ_ONLY_KEY).build());
    CompletionException noScope = assertThrows(CompletionException.class, () -> readOnly.publish("t", new byte[0]).join());
    HeraldApiException.ForbiddenException forbidden =
        assertInstanceOf(HeraldApiException.ForbiddenException.class, noScope.getCause());
    assertEquals(ErrorCode.FORBIDDEN, forbidden.code());

    assertEquals("t", node.heraldClient().publish("t", new byte[0]).join().topic());
  }

  @Test
  void devModeMintsDeviceTokensForAKeyWithTheCommandScope() throws Exception {
    HttpResponse<String> minted = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(node.httpUri().resolve("/v1/dev/tokens"))
            .header("Authorization", "Bearer " + NodeProcess.API_KEY)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"deviceId\": \"sensor-1\", \"groups\": [\"g1\"]}"))
            .build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, minted.statusCode(), minted.body());
    String token = Json.parse(minted.body(), DevTokenResponse.newBuilder()).getToken();

    try (RawSocket device = RawSocket.connect(URI.create(node.webSocketUri() + "?token=" + token))) {
      assertTrue(device.next(WAIT).hasWelcome());
    }
  }
}
