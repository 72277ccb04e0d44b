package io.herald.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.client.DesiredBatchResult;
import io.herald.client.DesiredChange;
import io.herald.client.DesiredResult;
import io.herald.client.DesiredState;
import io.herald.client.Device;
import io.herald.client.DeviceClient;
import io.herald.client.HeraldApiException;
import io.herald.client.HeraldClient;
import io.herald.client.HeraldException;
import io.herald.client.TopicMessage;
import io.herald.it.support.Await;
import io.herald.it.support.EveryDeviceEdge;
import io.herald.it.support.NodeProcess;
import io.herald.it.support.RawSocket;
import io.herald.node.security.DeviceIdentity;
import io.herald.node.security.TopicPattern;
import io.herald.protocol.v1.DeviceView;
import io.herald.protocol.v1.ErrorCode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;

/** Devices report state and receive commands; backends read and command them. */
@EveryDeviceEdge
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DeviceStateTest {

  @Parameter
  String edge;

  private static final Duration WAIT = Duration.ofSeconds(10);

  private NodeProcess node;
  private HeraldClient herald;

  @BeforeParameterizedClassInvocation(injectArguments = false)
  void startNode() {
    node = NodeProcess.start("device-state", Map.of(
        "herald.edge", edge,
        "herald.connection.heartbeat-interval", "1s",
        "herald.connection.heartbeat-timeout", "3s",
        "herald.device.max-fields", "8",
        "herald.api.max-batch-devices", "4"));
    herald = node.heraldClient();
  }

  @AfterParameterizedClassInvocation(injectArguments = false)
  void stopNode() {
    node.close();
  }

  @Test
  void reportedStateIsReadBackThroughTheApi() {
    DeviceClient device = connect("thermostat-1", List.of("floor-2"), new DeviceClient.Listener() {});
    assertEquals(1L, device.reportState(Map.of("temp", 21.5, "mode", "eco", "on", true)).join());
    assertEquals(2L, device.reportState(Map.of("temp", 22.0)).join());

    Device read = herald.getDevice("thermostat-1").join();
    assertEquals(Map.of("temp", 22.0, "mode", "eco", "on", true), read.reported());
    assertEquals(2, read.reportedVersion());
    assertTrue(read.online());
    assertEquals("device-state", read.nodeId());
    assertEquals(List.of("floor-2"), read.groups());
    device.close();
  }

  @Test
  void aStateReportOverTheLimitsIsRefused() {
    DeviceClient device = connect("chatty-1", List.of(), new DeviceClient.Listener() {});
    Map<String, Object> tooMany = new java.util.HashMap<>();
    for (int i = 0; i < 9; i++) {
      tooMany.put("f" + i, i);
    }
    CompletionException refused = assertThrows(CompletionException.class, () -> device.reportState(tooMany).join());
    assertEquals(ErrorCode.STATE_TOO_LARGE, assertInstanceOf(HeraldException.class, refused.getCause()).code());
    device.close();
  }

  @Test
  void aDesiredStateCompareAndSetConflictGets409() {
    DesiredResult first = herald.setDesired("valve-1", Map.of("open", true), OptionalLong.of(0)).join();
    assertEquals(1, first.desiredVersion());

    CompletionException stale = assertThrows(CompletionException.class,
        () -> herald.setDesired("valve-1", Map.of("open", false), OptionalLong.of(0)).join());
    HeraldApiException.ConflictException conflict =
        assertInstanceOf(HeraldApiException.ConflictException.class, stale.getCause());
    assertEquals(ErrorCode.VERSION_CONFLICT, conflict.code());
    assertEquals(409, conflict.status());
    assertEquals(Map.of("open", true), herald.getDevice("valve-1").join().desired());
  }

  @Test
  void desiredStateMissedWhileOfflineArrivesOnReconnectAndIsAcknowledged() {
    connect("lamp-1", List.of(), new DeviceClient.Listener() {}).closeAsync().join();
    Await.until(WAIT, "the lamp is offline", () -> !herald.getDevice("lamp-1").join().online());

    DesiredResult set = herald.setDesired("lamp-1", Map.of("brightness", 80), OptionalLong.empty()).join();
    assertFalse(set.pushed(), "nobody to push to while offline");

    ConcurrentLinkedQueue<DesiredState> commands = new ConcurrentLinkedQueue<>();
    // The missed command may come before connect() has returned here: the listener waits for the client.
    CompletableFuture<DeviceClient> connected = new CompletableFuture<>();
    DeviceClient lamp = connect("lamp-1", List.of(), new DeviceClient.Listener() {
      @Override
      public void onDesired(DesiredState desired) {
        commands.add(desired);
        connected.join().acknowledgeDesired(desired.version());
      }
    });
    connected.complete(lamp);
    Await.until(WAIT, "the missed command arrives", () -> !commands.isEmpty());
    DesiredState command = commands.peek();
    assertEquals(set.desiredVersion(), command.version());
    assertEquals(Map.of("brightness", 80.0), command.delta());
    Await.until(WAIT, "the acknowledgement is recorded",
        () -> herald.getDevice("lamp-1").join().ackedDesiredVersion() == set.desiredVersion());
    lamp.close();
  }

  @Test
  void manyDevicesGetTheirDesiredStateInOneRequestAndEachAnswersForItself() {
    ConcurrentLinkedQueue<DesiredState> commands = new ConcurrentLinkedQueue<>();
    DeviceClient online = connect("pump-1", List.of(), new DeviceClient.Listener() {
      @Override
      public void onDesired(DesiredState desired) {
        commands.add(desired);
      }
    });
    Map<String, Object> tooMany = new java.util.HashMap<>();
    for (int i = 0; i < 9; i++) {
      tooMany.put("f" + i, i);
    }
    Map<String, Map<String, ?>> batch = new java.util.LinkedHashMap<>();
    batch.put("pump-1", Map.of("speed", 3));
    batch.put("pump-2", Map.of("speed", 4));
    batch.put("pump-3", tooMany);
    batch.put("pump/4", Map.of("speed", 5));

    DesiredBatchResult result = herald.setDesiredBatch(batch).join();

    assertEquals(2, result.applied());
    assertEquals(2, result.refused());
    assertEquals(List.of("pump-1", "pump-2", "pump-3", "pump/4"),
        result.outcomes().stream().map(DesiredBatchResult.Outcome::deviceId).toList());
    DesiredBatchResult.Outcome pushed = result.outcomes().get(0);
    assertTrue(pushed.applied() && pushed.pushed(), pushed.toString());
    DesiredBatchResult.Outcome stored = result.outcomes().get(1);
    assertTrue(stored.applied() && !stored.pushed(), stored.toString());
    assertEquals(Optional.of(ErrorCode.STATE_TOO_LARGE), result.outcomes().get(2).error());
    assertEquals(Optional.of(ErrorCode.INVALID_REQUEST), result.outcomes().get(3).error());
    Await.until(WAIT, "the online pump gets its command", () -> !commands.isEmpty());
    assertEquals(Map.of("speed", 3.0), commands.peek().desired());
    assertEquals(Map.of("speed", 4.0), herald.getDevice("pump-2").join().desired());
    online.close();

    Map<String, Map<String, ?>> overTheLimit = new java.util.LinkedHashMap<>();
    for (int i = 0; i < 5; i++) {
      overTheLimit.put("pump-" + (10 + i), Map.of("speed", i));
    }
    CompletionException refused = assertThrows(CompletionException.class,
        () -> herald.setDesiredBatch(overTheLimit).join());
    assertEquals(400, assertInstanceOf(HeraldApiException.InvalidRequestException.class, refused.getCause()).status());
    assertThrows(CompletionException.class, () -> herald.setDesiredBatch(Map.of()).join());
  }

  @Test
  void aBatchWithExpectedVersionsRefusesOnlyTheDeviceWhoseVersionMovedOn() {
    herald.setDesiredBatch(Map.of("gate-1", Map.of("open", false), "gate-2", Map.of("open", false))).join();

    DesiredBatchResult result = herald.setDesiredBatch(List.of(
        new DesiredChange("gate-1", Map.of("open", true), OptionalLong.of(1)),
        new DesiredChange("gate-2", Map.of("open", true), OptionalLong.of(0)))).join();

    assertEquals(1, result.applied());
    DesiredBatchResult.Outcome applied = result.outcomes().get(0);
    assertTrue(applied.applied(), applied.toString());
    assertEquals(2, applied.desiredVersion());
    DesiredBatchResult.Outcome conflict = result.outcomes().get(1);
    assertEquals(Optional.of(ErrorCode.VERSION_CONFLICT), conflict.error());
    assertEquals(1, conflict.desiredVersion(), "a conflict names the current version");
    assertEquals(Map.of("open", true), herald.getDevice("gate-1").join().desired());
    assertEquals(Map.of("open", false), herald.getDevice("gate-2").join().desired());
  }

  @Test
  void aDeviceThatFallsSilentShowsOfflineWithinTheHeartbeatTimeout() {
    try (RawSocket silent = RawSocket.connect(node.deviceUri("silent-1"))) {
      assertTrue(silent.next(WAIT).hasWelcome());
      Await.until(WAIT, "the device is online", () -> herald.getDevice("silent-1").join().online());
      long cut = System.nanoTime();
      Await.until(Duration.ofSeconds(6), "offline within the 3 s heartbeat timeout (and a tick)",
          () -> !herald.getDevice("silent-1").join().online());
      assertTrue(Duration.ofNanos(System.nanoTime() - cut).toMillis() <= 6_000);
    }
  }

  @Test
  void aReportWithoutARequestIdIsAppliedUnansweredAndARefusedOneStillGetsItsError() {
    try (RawSocket gauge = RawSocket.connect(node.deviceUri("gauge-3"))) {
      assertTrue(gauge.next(WAIT).hasWelcome());
      gauge.sendText("{\"reportState\":{\"fields\":{\"bar\":{\"number\":1.5}}}}");
      gauge.sendText("{\"requestId\":\"9\",\"ping\":{}}");
      assertTrue(gauge.next(WAIT).hasPong(), "no answer to the report, so the pong comes next");
      Await.until(WAIT, "the report is applied",
          () -> Map.of("bar", 1.5).equals(herald.getDevice("gauge-3").join().reported()));

      StringBuilder tooMany = new StringBuilder();
      for (int i = 0; i < 9; i++) {
        tooMany.append(i == 0 ? "" : ",").append("\"f").append(i).append("\":{\"number\":").append(i).append('}');
      }
      gauge.sendText("{\"reportState\":{\"fields\":{" + tooMany + "}}}");
      var refused = gauge.next(WAIT);
      assertEquals(0, refused.getRequestId());
      assertEquals(ErrorCode.STATE_TOO_LARGE, refused.getError().getCode());
    }
  }

  @Test
  void dashboardsFollowADevicesStateAndPresenceOnItsSystemTopics() throws Exception {
    ConcurrentLinkedQueue<TopicMessage> seen = new ConcurrentLinkedQueue<>();
    DeviceClient dashboard = dashboard("dashboard-1");
    dashboard.subscribe("$device/meter-1/state", seen::add).join();
    dashboard.subscribe("$device/meter-1/presence", seen::add).join();

    DeviceClient meter = connect("meter-1", List.of(), new DeviceClient.Listener() {});
    meter.reportState(Map.of("kwh", 12.5)).join();
    meter.closeAsync().join();

    Await.until(WAIT, "presence and state arrive", () -> seen.size() >= 3);
    List<DeviceView> views = seen.stream().map(message -> parse(message.payload())).toList();
    assertTrue(views.get(0).getOnline(), "first: the meter came online");
    assertTrue(views.stream().anyMatch(view -> view.getReportedMap().containsKey("kwh")));
    Await.until(WAIT, "then it went offline", () -> seen.stream().map(m -> parse(m.payload()))
        .anyMatch(view -> !view.getOnline() && view.getReportedVersion() == 1));
    dashboard.close();
  }

  @Test
  void aDeviceNobodyFollowsPublishesNothingAndALateDashboardGetsItsStateAndEveryChangeAfter() {
    DeviceClient pump = connect("pump-7", List.of(), new DeviceClient.Listener() {});
    // Retried only because other devices' groups may publish meanwhile.
    Await.until(WAIT, "reports nobody follows publish nothing", () -> {
      long before = published();
      for (int i = 0; i < 5; i++) {
        pump.reportState(Map.of("rpm", i)).join();
      }
      return published() == before;
    });
    long versionAtSubscribe = herald.getDevice("pump-7").join().reportedVersion();

    ConcurrentLinkedQueue<TopicMessage> seen = new ConcurrentLinkedQueue<>();
    DeviceClient dashboard = dashboard("dashboard-2");
    dashboard.subscribe("$device/pump-7/state", seen::add).join();
    long version = pump.reportState(Map.of("rpm", 1200)).join();

    Await.until(WAIT, "the change after the confirmation arrives",
        () -> seen.stream().anyMatch(message -> parse(message.payload()).getReportedVersion() == version));
    List<Long> versions = seen.stream().map(message -> parse(message.payload()).getReportedVersion()).toList();
    assertEquals(versions.stream().sorted().toList(), versions, "in order");
    assertTrue(versions.get(0) >= versionAtSubscribe, "nothing older than the state at subscription: " + versions);
    assertEquals(1200, parse(seen.stream().reduce((first, last) -> last).orElseThrow().payload())
        .getReportedOrThrow("rpm").getNumber());
    dashboard.close();
    pump.close();
  }

  @Test
  void anUnknownDeviceIsNotFoundAndReadingItLeavesNothingResident() {
    long resident = node.status().getDeviceEntities();
    for (int i = 0; i < 100; i++) {
      String id = "never-seen-" + i;
      CompletionException missing = assertThrows(CompletionException.class, () -> herald.getDevice(id).join());
      assertInstanceOf(HeraldApiException.NotFoundException.class, missing.getCause());
    }
    Await.until(WAIT, () -> node.status().getDeviceEntities() + " device entities, " + resident + " before",
        () -> node.status().getDeviceEntities() <= resident);
  }

  /** A client that may follow every device's system topics. */
  private DeviceClient dashboard(String id) {
    return DeviceClient.connect(DeviceClient.Options.builder()
        .uri(node.webSocketUri())
        .token(NodeProcess.token(new DeviceIdentity(id, List.of(),
            Optional.of(List.of(new TopicPattern("$device/+/#"))), Optional.of(List.of()))))
        .build()).join();
  }

  private long published() {
    return node.status().getCountersMap().getOrDefault("messages_published", 0L);
  }

  private DeviceClient connect(String deviceId, List<String> groups, DeviceClient.Listener listener) {
    return DeviceClient.connect(DeviceClient.Options.builder()
        .uri(node.webSocketUri())
        .token(NodeProcess.token(new DeviceIdentity(deviceId, groups, Optional.empty(), Optional.empty())))
        .listener(listener)
        .build()).join();
  }

  private static DeviceView parse(byte[] payload) {
    try {
      return DeviceView.parseFrom(payload);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }
}
