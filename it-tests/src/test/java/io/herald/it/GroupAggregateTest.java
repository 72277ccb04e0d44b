package io.herald.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.client.DeviceClient;
import io.herald.client.GroupAggregate;
import io.herald.client.GroupMember;
import io.herald.client.HeraldApiException;
import io.herald.client.HeraldClient;
import io.herald.it.support.Await;
import io.herald.it.support.NodeProcess;
import io.herald.node.security.DeviceIdentity;
import io.herald.node.security.TopicPattern;
import io.herald.protocol.v1.FieldStats;
import io.herald.protocol.v1.GroupAggregateView;
import io.herald.protocol.v1.MemberStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Groups fold their members' changes into live aggregates that dashboards watch. */
class GroupAggregateTest {

  private static final int DEVICES = 500;
  private static final int GROUPS = 5;
  private static final int ROUNDS = 3;
  private static final int LEAVING = 10;

  @Test
  void aDashboardEndsWithTheAggregateComputedIndependently() throws Exception {
    try (NodeProcess node = NodeProcess.start("groups", Map.of("herald.group.snapshot-interval", "200ms"))) {
      HeraldClient herald = node.heraldClient();
      AtomicReference<GroupAggregateView> latest = new AtomicReference<>();
      DeviceClient dashboard = DeviceClient.connect(DeviceClient.Options.builder()
          .uri(node.webSocketUri())
          .token(NodeProcess.token(new DeviceIdentity("dashboard", List.of(),
              Optional.of(List.of(new TopicPattern("$group/+"))), Optional.of(List.of()))))
          .build()).join();
      dashboard.subscribe("$group/g1", message -> latest.set(parse(message.payload()))).join();

      List<DeviceClient> devices = connectDevices(node);
      Random random = new Random(7);
      Map<Integer, Map<String, Double>> lastReported = new java.util.HashMap<>();
      for (int round = 0; round < ROUNDS; round++) {
        List<CompletableFuture<Long>> reports = new ArrayList<>();
        for (int i = 0; i < DEVICES; i++) {
          Map<String, Double> numbers = Map.of(
              "temp", Math.round(random.nextGaussian() * 50 + 200) / 10.0,
              "load", (double) random.nextInt(100));
          lastReported.put(i, numbers);
          reports.add(devices.get(i).reportState(Map.of("temp", numbers.get("temp"), "load", numbers.get("load"),
              "label", "round-" + round)));
        }
        CompletableFuture.allOf(reports.toArray(CompletableFuture[]::new)).join();
      }
      // Some members of g1 go offline: their values must leave the aggregates, min and max included.
      List<Integer> g1 = java.util.stream.IntStream.range(0, DEVICES).filter(i -> i % GROUPS == 1).boxed().toList();
      for (int i : g1.subList(0, LEAVING)) {
        devices.get(i).closeAsync().join();
      }

      List<Map<String, Double>> online = g1.subList(LEAVING, g1.size()).stream().map(lastReported::get).toList();
      GroupAggregateView expected = expected("g1", g1.size(), online);
      Await.until(Duration.ofSeconds(20), () -> "dashboard snapshot " + latest.get() + " to equal " + expected,
          () -> latest.get() != null && sameAggregate(expected, latest.get()));

      long batches = node.counter("group_batches_sent");
      assertTrue(batches > 0 && batches < node.counter("state_updates"),
          batches + " batches carried the groups' changes, fewer than the reports");

      GroupAggregate read = herald.getGroup("g1").join();
      assertEquals(g1.size(), read.members());
      assertEquals(g1.size() - LEAVING, read.online());
      assertEquals(expected.getFieldsOrThrow("temp").getMax(), read.fields().get("temp").max());

      Map<MemberStatus, Long> statuses = herald.getGroupDevices("g1").join().stream()
          .collect(Collectors.groupingBy(GroupMember::status, Collectors.counting()));
      assertEquals(Map.of(MemberStatus.ANSWERED, (long) g1.size() - LEAVING, MemberStatus.OFFLINE, (long) LEAVING),
          statuses);

      // Groups nobody belongs to read as empty, and leave no aggregator behind.
      long aggregators = node.status().getGroupAggregators();
      assertEquals(GROUPS, aggregators, "one aggregator per group with members");
      for (int i = 0; i < 100; i++) {
        assertEquals(0, herald.getGroup("unused-" + i).join().members());
      }
      Await.until(Duration.ofSeconds(10), () -> node.status().getGroupAggregators() + " aggregators, not " + aggregators,
          () -> node.status().getGroupAggregators() == aggregators);

      devices.forEach(DeviceClient::close);
      dashboard.close();
    }
  }

  /** Connects the devices 100 at a time, as a fleet coming online does, not all in one burst. */
  @Test
  void aDeviceAwayForLongerThanForgetOfflineAfterIsForgottenAndLeavesItsGroup() {
    Duration forgetAfter = Duration.ofSeconds(4);
    try (NodeProcess node = NodeProcess.start("forgetting", Map.of(
        "herald.device.forget-offline-after", forgetAfter.toSeconds() + "s"))) {
      HeraldClient herald = node.heraldClient();
      DeviceClient staying = connect(node, "staying-1", "fleet");
      DeviceClient roaming = connect(node, "roaming-1", "fleet");
      staying.reportState(Map.of("t", 1.0)).join();
      roaming.reportState(Map.of("t", 2.0)).join();
      long awaySince = System.nanoTime(); // no later than the node sees it go
      roaming.closeAsync().join();

      Await.until(Duration.ofSeconds(5), () -> "roaming-1 is away, and kept for now",
          () -> !herald.getDevice("roaming-1").join().online());
      Await.until(Duration.ofSeconds(20), () -> "fleet: " + herald.getGroup("fleet").join(),
          () -> herald.getGroup("fleet").join().members() == 1);
      assertTrue(Duration.ofNanos(System.nanoTime() - awaySince).compareTo(forgetAfter) >= 0,
          "not forgotten before forget-offline-after");
      CompletionException unknown = assertThrows(CompletionException.class,
          () -> herald.getDevice("roaming-1").join());
      assertInstanceOf(HeraldApiException.NotFoundException.class, unknown.getCause());
      assertTrue(herald.getDevice("staying-1").join().online(), "a device that stays connected stays");
      assertEquals(1L, node.status().getCountersMap().get("device_entities_forgotten"));

      DeviceClient back = connect(node, "roaming-1", "fleet");
      Await.until(Duration.ofSeconds(10), () -> "fleet: " + herald.getGroup("fleet").join(),
          () -> herald.getGroup("fleet").join().online() == 2);
      assertEquals(Map.of(), herald.getDevice("roaming-1").join().reported(), "back, and starting afresh");
      back.close();
      staying.close();
    }
  }

  private static DeviceClient connect(NodeProcess node, String deviceId, String group) {
    return DeviceClient.connect(DeviceClient.Options.builder()
        .uri(node.webSocketUri())
        .token(NodeProcess.token(new DeviceIdentity(deviceId, List.of(group), Optional.empty(), Optional.empty())))
        .build()).join();
  }

  private static List<DeviceClient> connectDevices(NodeProcess node) {
    List<DeviceClient> devices = new ArrayList<>();
    for (int first = 0; first < DEVICES; first += 100) {
      List<CompletableFuture<DeviceClient>> batch = new ArrayList<>();
      for (int i = first; i < Math.min(DEVICES, first + 100); i++) {
        batch.add(DeviceClient.connect(DeviceClient.Options.builder()
            .uri(node.webSocketUri())
            .connectTimeout(Duration.ofSeconds(15))
            .token(NodeProcess.token(new DeviceIdentity("meter-" + i, List.of("g" + (i % GROUPS)),
                Optional.empty(), Optional.empty())))
            .build()));
      }
      batch.forEach(connecting -> devices.add(connecting.join()));
    }
    return devices;
  }

  /** The aggregate of the given online members' numbers, computed from scratch. */
  private static GroupAggregateView expected(String groupId, int members, List<Map<String, Double>> online) {
    GroupAggregateView.Builder view = GroupAggregateView.newBuilder()
        .setGroupId(groupId).setMembers(members).setOnline(online.size());
    for (String field : List.of("temp", "load")) {
      List<Double> values = online.stream().map(numbers -> numbers.get(field)).toList();
      double sum = values.stream().mapToDouble(Double::doubleValue).sum();
      view.putFields(field, FieldStats.newBuilder()
          .setCount(values.size())
          .setSum(sum)
          .setMin(values.stream().mapToDouble(Double::doubleValue).min().orElseThrow())
          .setMax(values.stream().mapToDouble(Double::doubleValue).max().orElseThrow())
          .setMean(sum / values.size())
          .build());
    }
    return view.build();
  }

  private static boolean sameAggregate(GroupAggregateView expected, GroupAggregateView actual) {
    if (expected.getMembers() != actual.getMembers() || expected.getOnline() != actual.getOnline()
        || !expected.getFieldsMap().keySet().equals(actual.getFieldsMap().keySet())) {
      return false;
    }
    Function<String, Boolean> fieldMatches = name -> {
      FieldStats e = expected.getFieldsOrThrow(name);
      FieldStats a = actual.getFieldsOrThrow(name);
      // Sums are folded by adding and taking back doubles: equal to within rounding.
      return e.getCount() == a.getCount() && e.getMin() == a.getMin() && e.getMax() == a.getMax()
          && Math.abs(e.getSum() - a.getSum()) < 1e-6 && Math.abs(e.getMean() - a.getMean()) < 1e-9;
    };
    return expected.getFieldsMap().keySet().stream().allMatch(fieldMatches::apply);
  }

  private static GroupAggregateView parse(byte[] payload) {
    try {
      return GroupAggregateView.parseFrom(payload);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }
}
