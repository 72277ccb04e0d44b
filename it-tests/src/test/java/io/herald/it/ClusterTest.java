package io.herald.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.client.DesiredState;
import io.herald.client.Device;
import io.herald.client.DeviceClient;
import io.herald.client.GroupAggregate;
import io.herald.client.GroupDevicesPage;
import io.herald.client.GroupMember;
import io.herald.client.HeraldApiException;
import io.herald.client.HeraldClient;
import io.herald.client.PublishResult;
import io.herald.client.TopicMessage;
import io.herald.it.support.Await;
import io.herald.it.support.NodeProcess;
import io.herald.it.support.TopicRecorder;
import io.herald.node.security.DeviceIdentity;
import io.herald.node.security.TopicPattern;
import io.herald.protocol.v1.ClusterMember;
import io.herald.protocol.v1.ClusterNode;
import io.herald.protocol.v1.ClusterStatus;
import io.herald.protocol.v1.DeviceView;
import io.herald.protocol.v1.ErrorCode;
import io.herald.protocol.v1.MemberStatus;
import io.herald.protocol.v1.NodeStatus;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A real cluster of node processes on loopback (profile {@code local-cluster}), grown and
 * shrunk while devices stay connected: three nodes, then a fourth joins, then one leaves
 * gracefully, then one is killed. The tests run in that order on the same cluster.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterTest {

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String NEWS = "cluster/news";
  private static final String ALERTS = "cluster/alerts";
  private static final int SUBSCRIBERS_PER_NODE = 10;
  private static final int FLEET = 300;
  private static final int REPORTERS = 30;
  private static final List<String> REPORTER_GROUPS = IntStream.range(0, 6).mapToObj(g -> "reporting-" + g).toList();
  /** Devices in every one of the panel groups, each with the most numbers a state may hold. */
  private static final int PANELS = 100;
  private static final List<String> PANEL_GROUPS = IntStream.range(0, 8).mapToObj(g -> "panels-" + g).toList();
  private static final int PANEL_FIELDS = 64;
  /** {@code pekko.cluster.sharding.number-of-shards} of the cluster profiles. */
  private static final int SHARDS = 1000;
  private static final Pattern SHARD_ID = Pattern.compile("\"shardId\":\"(\\d+)\"");

  /**
   * Short timings so that a drain and a crash are resolved within seconds. Shards move in
   * Herald's own 5 s rounds: shorter rounds overlap in the shard coordinator and keep a
   * moving shard unreachable for longer than a report waits (BENCHMARKS.md, seventh round).
   */
  private static final Duration FORGET_LOST_AFTER = Duration.ofSeconds(20);
  private static final Map<String, String> SETTINGS = Map.of(
      "herald.shutdown.drain-period", "1s",
      "herald.shutdown.drain-timeout", "5s",
      "herald.group.forget-lost-after", FORGET_LOST_AFTER.toSeconds() + "s",
      "pekko.cluster.split-brain-resolver.stable-after", "3s",
      // A device away during a drain misses 50 messages a second for a few seconds.
      "herald.topic.history.size", "1000");

  private final int[] clusterPorts = IntStream.range(0, 4).map(i -> NodeProcess.freePort()).toArray();
  private final List<NodeProcess> nodes = new CopyOnWriteArrayList<>();
  private final List<DeviceClient> devices = new CopyOnWriteArrayList<>();
  private final Map<NodeProcess, HeraldClient> backends = new ConcurrentHashMap<>();
  /** Whether each subscriber's resubscriptions after a reconnect resumed, by device id. */
  private final Map<String, List<Boolean>> resumes = new ConcurrentHashMap<>();
  /** Subscribers of each node, by node index. */
  private final List<List<TopicRecorder>> subscribersByNode = new ArrayList<>();

  @BeforeAll
  void startThreeNodes() {
    for (int i = 0; i < 3; i++) {
      nodes.add(NodeProcess.startClusterMember("c" + (i + 1), clusterPorts[i], clusterPorts[0], SETTINGS));
    }
    Await.until(WAIT, "three members are Up", () -> upMembers(node(0)) == 3);
  }

  @AfterAll
  void stopCluster() {
    devices.forEach(DeviceClient::close);
    nodes.forEach(NodeProcess::close);
  }

  @Test
  @Order(1)
  void subscribersOnEveryNodeReceiveEveryMessagePublishedThroughAnyNodeInOrderOnce() {
    assertStatusShowsTheMembers(List.of(0, 1, 2));
    for (int n = 0; n < 3; n++) {
      List<TopicRecorder> recorders = new ArrayList<>();
      for (int i = 0; i < SUBSCRIBERS_PER_NODE; i++) {
        String topic = i % 5 == 0 ? ALERTS : NEWS;
        recorders.add(subscribe(n, "sub-" + n + "-" + i, topic));
      }
      subscribersByNode.add(recorders);
    }

    List<Long> news = publishRoundRobin(NEWS, 150, List.of(0, 1, 2));
    List<Long> alerts = publishRoundRobin(ALERTS, 30, List.of(2, 1, 0));

    assertEquals(LongStream.rangeClosed(1, 150).boxed().toList(), news,
        "the topic's home numbers messages from every node in one order");
    for (TopicRecorder recorder : allSubscribers()) {
      List<Long> expected = recorder.topic().equals(NEWS) ? news : alerts;
      Await.until(WAIT, () -> recorder + " has " + recorder.received().size(), () -> recorder.hasAll(expected));
      recorder.assertReceivedExactly(expected);
    }
  }

  @Test
  @Order(2)
  void stateReportedThroughOneNodeIsReadEverywhereAndDesiredStateReachesADeviceOnAnotherNode() {
    DeviceClient meter = connect(0, "meter-1", null);
    assertEquals(1L, meter.reportState(Map.of("kwh", 12.5, "phase", "a")).join());
    for (int n = 0; n < 3; n++) {
      Device read = backend(n).getDevice("meter-1").join();
      assertEquals(Map.of("kwh", 12.5, "phase", "a"), read.reported(), "read through node " + n);
      assertTrue(read.online());
      assertEquals("c1", read.nodeId());
    }

    // The meter's state topic has had no subscriber, so the meter publishes nothing. A dashboard
    // on c3 subscribes: the topic's home tells the meter's entity, wherever it lives, and only
    // then confirms, so the next report reaches the dashboard.
    ConcurrentLinkedQueue<TopicMessage> views = new ConcurrentLinkedQueue<>();
    DeviceClient dashboard = connectDashboard(2, "dashboard-c3");
    dashboard.subscribe("$device/meter-1/state", views::add).join();
    assertEquals(2L, meter.reportState(Map.of("kwh", 13.0)).join());
    // The first view may be the state as it was at subscription; then comes the report.
    Await.until(WAIT, "the dashboard on c3 sees the meter's next report", () -> views.stream()
        .anyMatch(view -> reportedVersion(view) == 2L));

    ConcurrentLinkedQueue<DesiredState> commands = new ConcurrentLinkedQueue<>();
    DeviceClient valve = connect(1, "valve-9", new DeviceClient.Listener() {
      @Override
      public void onDesired(DesiredState desired) {
        commands.add(desired);
      }
    });
    long version = backend(2).setDesired("valve-9", Map.of("open", true), OptionalLong.empty())
        .join().desiredVersion();
    Await.until(WAIT, "the command set through c3 reaches the valve on c2", () -> !commands.isEmpty());
    assertEquals(Map.of("open", true), commands.peek().desired());
    valve.acknowledgeDesired(version).join();
    Await.until(WAIT, "the acknowledgement is seen through c1",
        () -> backend(0).getDevice("valve-9").join().ackedDesiredVersion() == version);
  }

  /**
   * Groups too large for one cluster message: their members' numbers and states together
   * weigh about 500 KB, twice Artery's maximum frame. A member query through any node
   * answers every member, and a page at a time when asked.
   */
  @Test
  @Order(3)
  void aLargeGroupIsQueriedInFullAndInPagesThroughEveryNode() {
    for (int i = 0; i < PANELS; i++) {
      DeviceClient panel = connectPanel(i % 3, "panel-" + String.format("%03d", i));
      Map<String, Double> readings = new LinkedHashMap<>();
      for (int f = 0; f < PANEL_FIELDS; f++) {
        readings.put(panelField(f), (double) (i + f));
      }
      panel.reportState(readings).join();
    }
    assertPanelGroupsComplete();

    for (int n = 0; n < 3; n++) {
      List<GroupMember> members = backend(n).getGroupDevices("panels-0").join();
      assertEquals(IntStream.range(0, PANELS).mapToObj(i -> "panel-" + String.format("%03d", i)).toList(),
          members.stream().map(GroupMember::deviceId).toList(), "every member, in order, through node " + n);
      for (GroupMember member : members) {
        assertEquals(MemberStatus.ANSWERED, member.status(), member.deviceId());
        assertEquals(PANEL_FIELDS, member.device().orElseThrow().reported().size(), member.deviceId());
      }
    }

    List<String> paged = new ArrayList<>();
    String after = "";
    List<Integer> pageSizes = new ArrayList<>();
    while (after != null) {
      GroupDevicesPage page = backend(1).getGroupDevicesPage("panels-3", after, 30).join();
      pageSizes.add(page.members().size());
      page.members().forEach(member -> paged.add(member.deviceId()));
      after = page.nextAfter().orElse(null);
    }
    assertEquals(List.of(30, 30, 30, 10), pageSizes);
    assertEquals(PANELS, new HashSet<>(paged).size());

    var tooLarge = assertThrows(CompletionException.class,
        () -> backend(2).getGroupDevicesPage("panels-3", "", 1001).join());
    assertEquals(ErrorCode.INVALID_REQUEST, ((HeraldApiException) tooLarge.getCause()).code());
  }

  @Test
  @Order(4)
  void aFourthNodeJoinsDuringTrafficTakesShardsAndLosesNothing() {
    Map<String, DeviceClient> reporters = new LinkedHashMap<>();
    for (int i = 0; i < REPORTERS; i++) {
      // Ids that differ only in their last characters hash to neighbouring shards, which
      // rebalancing tends to move together or not at all: these spread over the shards.
      String id = "reporter-" + i * 7919;
      reporters.put(id, connectReporter(i % 3, id, REPORTER_GROUPS.get(i % REPORTER_GROUPS.size())));
    }
    // Pekko moves each region's oldest shards first: the reporters' shards are placed before
    // the fleet's, so that the new node's share takes some of them.
    Await.until(WAIT, "every reporter's shard is placed", () -> {
      Set<String> placed = new HashSet<>();
      for (int n = 0; n < 3; n++) {
        placed.addAll(deviceShardsOn(n));
      }
      return reporters.keySet().stream().allMatch(id -> placed.contains(shardOf(id)));
    });
    setFleetState();
    // A dashboard follows every reporter's state: following must survive an entity's move.
    Map<String, Integer> followedN = new ConcurrentHashMap<>();
    DeviceClient dashboard = connectDashboard(2, "dashboard-reporters");
    for (String reporter : reporters.keySet()) {
      dashboard.subscribe("$device/" + reporter + "/state", view -> reportedN(view)
          .ifPresent(n -> followedN.merge(reporter, n, Math::max))).join();
    }
    Map<String, Integer> lastAccepted;
    try (Traffic traffic = Traffic.start(this, NEWS, List.of(0, 1, 2));
        Reports reports = Reports.start(reporters)) {
      nodes.add(NodeProcess.startClusterMember("c4", clusterPorts[3], clusterPorts[0], SETTINGS));
      Await.until(WAIT, "four members are Up", () -> upMembers(node(0)) == 4);
      // A new node takes about a quarter of the shards; reports go on until it holds the
      // entity of at least one reporter.
      Await.until(WAIT, "a reporter's entity moves to the new node",
          () -> reporters.keySet().stream().anyMatch(id -> deviceShardsOn(3).contains(shardOf(id))));
      traffic.stop();
      reports.stop();
      assertEveryoneReceived(traffic.sequences(), List.of(0, 1, 2));
      // Reports go straight to their entities once located; those whose entity moved meanwhile
      // went again through sharding, as did those Pekko dropped while their shard moved.
      // None is refused or lost.
      assertEquals(List.of(), reports.failures(), "every report during the rebalance is accepted");
      lastAccepted = Map.copyOf(reports.lastAccepted());
      for (var reporter : lastAccepted.entrySet()) {
        Device read = backend(0).getDevice(reporter.getKey()).join();
        assertEquals(reporter.getValue(), ((Number) read.reported().get("n")).intValue(), reporter.getKey());
        Await.until(WAIT, "the dashboard sees " + reporter.getKey() + "'s last report",
            () -> reporter.getValue().equals(followedN.get(reporter.getKey())));
      }
    }
    assertFleetStateIntact();
    // Every reporter's last accepted report is in its group's aggregate, whichever of the
    // group's and the reporter's shards moved meanwhile: words a moving shard dropped went again.
    for (int g = 0; g < REPORTER_GROUPS.size(); g++) {
      String group = REPORTER_GROUPS.get(g);
      int members = 0;
      double sum = 0;
      int i = 0;
      for (String reporter : reporters.keySet()) {
        if (i++ % REPORTER_GROUPS.size() == g) {
          members++;
          sum += lastAccepted.get(reporter);
        }
      }
      int expectedMembers = members;
      double expectedSum = sum;
      Await.until(WAIT, () -> group + " holds every reporter's last report: " + backend(0).getGroup(group).join(),
          () -> {
            GroupAggregate aggregate = backend(0).getGroup(group).join();
            GroupAggregate.FieldStats n = aggregate.fields().get("n");
            return aggregate.members() == expectedMembers && aggregate.online() == expectedMembers && n != null
                && n.count() == expectedMembers && n.sum() == expectedSum;
          });
    }

    TopicRecorder newcomer = subscribe(3, "on-c4", NEWS);
    List<Long> after = publishRoundRobin(NEWS, 5, List.of(3, 0));
    Await.until(WAIT, "a device connected to the new node receives", () -> newcomer.hasAll(after));
  }

  /** The sequences of {@code sequences} a recorder has not received, in order. */
  private static List<Long> missing(TopicRecorder recorder, List<Long> sequences) {
    Set<Long> received = new HashSet<>(recorder.received());
    return sequences.stream().filter(sequence -> !received.contains(sequence)).toList();
  }

  /** Every message the traffic had accepted reached each recorder, once and in order. */
  private void assertReceivedEverything(List<TopicRecorder> recorders, Traffic traffic) {
    for (TopicRecorder recorder : recorders) {
      Await.until(WAIT, () -> recorder + " received the traffic; resumed " + resumes.get(recorder.toString())
          + ", missing " + missing(recorder, traffic.sequences()), () -> recorder.hasAll(traffic.sequences()));
      recorder.assertReceivedExactly(traffic.sequences());
    }
  }

  /** The first topic named {@code prefix} and a number whose shard is one of {@code shards}. */
  private static String topicHomedOn(Set<String> shards, String prefix) {
    return IntStream.range(0, 100_000).mapToObj(i -> prefix + i)
        .filter(topic -> shards.contains(shardOf(topic))).findFirst().orElseThrow();
  }

  @Test
  @Order(5)
  void aNodeLeavingGracefullyHandsOverItsDevicesAndStateWhileTheOthersMissNothing() throws Exception {
    NodeProcess leaving = node(1);
    List<TopicRecorder> moved = subscribersByNode.get(1);
    // The coordinator may have placed every panel group together; its rebalancing spreads them.
    Await.until(WAIT, "a panel group lives on the node that leaves", () -> PANEL_GROUPS.stream()
        .anyMatch(group -> shardsOn(1, "group").contains(shardOf(group))));
    // A topic whose home lives on the leaving node: its devices there resume elsewhere from
    // what the home handed on.
    Set<String> leavingTopicShards = shardsOn(1, "topic");
    String drained = topicHomedOn(leavingTopicShards, "cluster/drained-");
    List<TopicRecorder> drainedHere = List.of(subscribe(1, "drained-1", drained), subscribe(1, "drained-2", drained));
    TopicRecorder drainedElsewhere = subscribe(0, "drained-0", drained);
    // And one followed only there: the next home hears of the hand-off from nodes without
    // subscribers, and keeps what is published until the devices are back.
    String followedThere = topicHomedOn(leavingTopicShards, "cluster/followed-there-");
    List<TopicRecorder> onlyThere = List.of(subscribe(1, "there-1", followedThere),
        subscribe(1, "there-2", followedThere));
    try (Traffic traffic = Traffic.start(this, NEWS, List.of(0, 2));
        Traffic drainedTraffic = Traffic.start(this, drained, List.of(2, 0));
        Traffic followedThereTraffic = Traffic.start(this, followedThere, List.of(0, 2))) {
      assertEquals(200, leaving.leaveThroughManagement(clusterPorts[1]));
      assertEquals(0, leaving.awaitExit(WAIT), "a node that leaves exits 0:\n" + leaving.log());
      Await.until(WAIT, "three members remain", () -> upMembers(node(0)) == 3);
      traffic.stop();
      drainedTraffic.stop();
      followedThereTraffic.stop();
      // Those of the node that left too: they resumed on another node, the topic's home
      // handing what it keeps on if it lived on the leaving node.
      for (TopicRecorder recorder : moved) {
        Await.until(WAIT, recorder + " resubscribed", () -> resumes.containsKey(recorder.toString()));
        assertEquals(List.of(true), resumes.get(recorder.toString()), recorder + " resumed without missing anything");
      }
      assertEveryoneReceived(traffic.sequences(), List.of(0, 1, 2));
      List<TopicRecorder> drainedSubscribers = new ArrayList<>(drainedHere);
      drainedSubscribers.add(drainedElsewhere);
      assertReceivedEverything(drainedSubscribers, drainedTraffic);
      assertReceivedEverything(onlyThere, followedThereTraffic);
      List<TopicRecorder> resumedElsewhere = new ArrayList<>(drainedHere);
      resumedElsewhere.addAll(onlyThere);
      for (TopicRecorder recorder : resumedElsewhere) {
        assertEquals(List.of(true), resumes.get(recorder.toString()), recorder + " resumed without missing anything");
      }
    }
    assertFleetStateIntact();
    // Members handed on in parts (one message would exceed Artery's frame), each online again
    // through whichever node it reconnected to, with its numbers.
    assertPanelGroupsComplete();
    Device valve = backend(0).getDevice("valve-9").join();
    assertEquals(Map.of("open", true), valve.desired(), "desired state survives the leave");

    // The devices of the node that left reconnected to another and subscribed again.
    List<Long> after = publishRoundRobin(NEWS, 5, List.of(0));
    for (TopicRecorder recorder : moved) {
      if (recorder.topic().equals(NEWS)) {
        Await.until(WAIT, recorder + " receives again after moving", () -> recorder.hasAll(after));
      }
    }
    assertTrue(backend(0).getDevice("valve-9").join().online(), "the valve reconnected elsewhere");
  }

  @Test
  @Order(6)
  void aKilledNodeIsDownedAndTheSurvivorsKeepServing() {
    NodeProcess killed = node(2);
    Await.until(WAIT, "a panel group lives on the node to be killed", () -> PANEL_GROUPS.stream()
        .anyMatch(group -> shardsOn(2, "group").contains(shardOf(group))));
    // A device that will not come back, connected to the node to be killed, whose entity lives
    // there too, in a group that lives on a node that stays: nobody is left to say it went
    // offline but the group itself, told that the node was lost.
    Set<String> killedDeviceShards = shardsOn(2, "device");
    String stray = IntStream.range(0, 100_000).mapToObj(i -> "stray-" + i)
        .filter(id -> killedDeviceShards.contains(shardOf(id))).findFirst().orElseThrow();
    Set<String> stayingGroupShards = new HashSet<>(shardsOn(0, "group"));
    stayingGroupShards.addAll(shardsOn(3, "group"));
    String strays = IntStream.range(0, 100_000).mapToObj(i -> "strays-" + i)
        .filter(group -> stayingGroupShards.contains(shardOf(group))).findFirst().orElseThrow();
    devices.add(DeviceClient.connect(DeviceClient.Options.builder()
        .uri(node(2).webSocketUri())
        .token(NodeProcess.token(new DeviceIdentity(stray, List.of(strays), Optional.empty(), Optional.empty())))
        .reconnect(false)
        .build()).join());
    Await.until(WAIT, stray + " is online in " + strays, () -> backend(0).getGroup(strays).join().online() == 1);
    killed.kill();
    // Until it is downed, the killed node stays a member that gives no numbers; the others do.
    String killedAddress = "pekko://herald@127.0.0.1:" + clusterPorts[2];
    Await.until(WAIT, () -> "node 0 shows the killed node unanswered: " + node(0).clusterStatus(), () -> {
      List<ClusterNode> members = node(0).clusterStatus().getNodesList();
      return members.stream().anyMatch(member -> member.getMember().getAddress().equals(killedAddress))
          && members.stream()
              .allMatch(member -> member.getMember().getAddress().equals(killedAddress) != member.hasStatus());
    });
    Await.until(WAIT, "the resolver downs the killed node", () -> upMembers(node(0)) == 2
        && !node(0).management("/cluster/members").contains(":" + clusterPorts[2]));
    assertStatusShowsTheMembers(List.of(0, 3));
    Await.until(WAIT, () -> strays + " counts " + stray + " offline: " + backend(0).getGroup(strays).join(), () -> {
      GroupAggregate aggregate = backend(0).getGroup(strays).join();
      return aggregate.members() == 1 && aggregate.online() == 0;
    });

    List<Long> after = publishRoundRobin(NEWS, 10, List.of(0, 3));
    for (int n : List.of(0, 3)) {
      for (TopicRecorder recorder : subscribersOn(n)) {
        if (recorder.topic().equals(NEWS)) {
          Await.until(WAIT, recorder + " keeps receiving", () -> recorder.hasAll(after));
        }
      }
    }
    // Every panel is online: those connected to the killed node reconnected elsewhere, and the
    // connections of those whose entity died with it told its successor, which knew nothing.
    for (int i = 0; i < PANELS; i++) {
      String panel = "panel-" + String.format("%03d", i);
      Await.until(WAIT, panel + " is online after the kill", () -> isOnline(panel));
    }
    // Every panel group has every panel again, online, those whose aggregator died with the
    // node included: the survivors' devices told their groups again. A panel's numbers
    // survive only if its entity did, so only members and presence are checked.
    for (String group : PANEL_GROUPS) {
      Await.until(WAIT, () -> group + " has every panel online after the kill: " + backend(0).getGroup(group).join(),
          () -> {
            GroupAggregate aggregate = backend(0).getGroup(group).join();
            return aggregate.members() == PANELS && aggregate.online() == PANELS;
          });
    }
    // Nobody spoke for the stray since its entity died: forget-lost-after the crash its group
    // forgets it too, and the group agrees with the cluster, which knows no such device.
    Await.until(WAIT, () -> strays + " forgets " + stray + ": " + backend(0).getGroup(strays).join(),
        () -> backend(0).getGroup(strays).join().members() == 0);
    CompletionException unknown = assertThrows(CompletionException.class, () -> backend(0).getDevice(stray).join());
    assertInstanceOf(HeraldApiException.NotFoundException.class, unknown.getCause());
  }

  /** Whether node 0 says the device is online; an unknown device is not. */
  private boolean isOnline(String deviceId) {
    try {
      return backend(0).getDevice(deviceId).join().online();
    } catch (CompletionException unknown) {
      return false;
    }
  }

  // ---- the cluster ----

  private NodeProcess node(int index) {
    return nodes.get(index);
  }

  private HeraldClient backend(int index) {
    return backends.computeIfAbsent(node(index), NodeProcess::heraldClient);
  }

  /** The counter a reporter's state view carries, if it carries one. */
  private static Optional<Integer> reportedN(TopicMessage view) {
    try {
      var reported = DeviceView.parseFrom(view.payload()).getReportedMap();
      return reported.containsKey("n") ? Optional.of((int) reported.get("n").getNumber()) : Optional.empty();
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  private static long reportedVersion(TopicMessage view) {
    try {
      return DeviceView.parseFrom(view.payload()).getReportedVersion();
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  /** The device shards node {@code index} holds, by Pekko Management's shard listing. */
  private Set<String> deviceShardsOn(int index) {
    return shardsOn(index, "device");
  }

  /** The shards of an entity type node {@code index} holds, by Pekko Management's shard listing. */
  private Set<String> shardsOn(int index, String entityType) {
    Matcher shardIds = SHARD_ID.matcher(node(index).management("/cluster/shards/" + entityType));
    Set<String> shards = new HashSet<>();
    while (shardIds.find()) {
      shards.add(shardIds.group(1));
    }
    return shards;
  }

  /** The shard of an entity id, as typed Cluster Sharding's default extractor computes it. */
  private static String shardOf(String entityId) {
    return Integer.toString(Math.abs(entityId.hashCode() % SHARDS));
  }

  /**
   * Each of the nodes at {@code indexes} says in {@code GET /v1/node}, and on its status page,
   * that the cluster is those nodes, Up and reachable, one of them the leader; and in
   * {@code GET /v1/cluster} and on the page, what each of them says of itself.
   */
  private void assertStatusShowsTheMembers(List<Integer> indexes) {
    List<String> addresses = indexes.stream()
        .map(i -> "pekko://herald@127.0.0.1:" + clusterPorts[i])
        .sorted()
        .toList();
    for (int n : indexes) {
      NodeProcess member = node(n);
      Await.until(WAIT, () -> member + " lists " + member.status().getMembersList(), () -> {
        List<ClusterMember> members = member.status().getMembersList();
        return members.stream().map(ClusterMember::getAddress).toList().equals(addresses)
            && members.stream().allMatch(m -> m.getStatus().equals("Up") && m.getReachable())
            && members.stream().filter(ClusterMember::getLeader).count() == 1
            && members.stream().filter(ClusterMember::getSelf).map(ClusterMember::getAddress).toList()
                .equals(List.of("pekko://herald@127.0.0.1:" + clusterPorts[n]));
      });
      HttpResponse<String> page = HttpClient.newHttpClient().sendAsync(
          HttpRequest.newBuilder(member.httpUri().resolve("/status")).build(),
          HttpResponse.BodyHandlers.ofString()).join();
      assertEquals(200, page.statusCode());
      assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
      for (String address : addresses) {
        assertTrue(page.body().contains("<tr><td>" + address + "</td><td>Up</td><td>yes</td>"), address);
      }
      Map<String, String> nodeIds = new HashMap<>();
      for (int i : indexes) {
        NodeStatus its = node(i).status();
        nodeIds.put(its.getAddress(), its.getNodeId());
        assertTrue(page.body().contains("<td>" + its.getNodeId() + "</td><td class=\"n\">"), its.getNodeId());
      }
      Await.until(WAIT, () -> member + "'s gauges count " + indexes.size() + " members Up, none unreachable", () -> {
        String scrape = member.scrape();
        return NodeProcess.sampleValue(scrape, "herald_cluster_members\\{status=\"Up\"\\}") == indexes.size()
            && NodeProcess.sampleValue(scrape, "herald_cluster_members_unreachable") == 0;
      });
      ClusterStatus cluster = member.clusterStatus();
      assertEquals(addresses, cluster.getNodesList().stream().map(node -> node.getMember().getAddress()).toList());
      for (ClusterNode node : cluster.getNodesList()) {
        assertEquals(nodeIds.get(node.getMember().getAddress()), node.getStatus().getNodeId(), node.toString());
        assertEquals(node.getMember().getAddress(), node.getStatus().getAddress());
        assertEquals(0, node.getStatus().getMembersCount(), "each member's own view of the others is left out");
      }
    }
  }

  private static int upMembers(NodeProcess node) {
    String members = node.management("/cluster/members");
    return members.split("\"status\":\"Up\"", -1).length - 1;
  }

  /** Every node's WebSocket address, starting with node {@code first}'s. */
  private List<URI> urisFrom(int first) {
    List<URI> uris = new ArrayList<>();
    for (int i = 0; i < nodes.size(); i++) {
      uris.add(nodes.get((first + i) % nodes.size()).webSocketUri());
    }
    return uris;
  }

  private DeviceClient connect(int nodeIndex, String deviceId, DeviceClient.Listener listener) {
    DeviceClient.Options.Builder options = DeviceClient.Options.builder()
        .uris(urisFrom(nodeIndex))
        .token(NodeProcess.token(deviceId))
        .backoff(Duration.ofMillis(200), Duration.ofSeconds(2))
        .connectTimeout(Duration.ofSeconds(15));
    if (listener != null) {
      options.listener(listener);
    }
    DeviceClient device = DeviceClient.connect(options.build()).join();
    devices.add(device);
    return device;
  }

  /** A reporter device in one group. */
  private DeviceClient connectReporter(int nodeIndex, String deviceId, String group) {
    DeviceClient reporter = DeviceClient.connect(DeviceClient.Options.builder()
        .uris(urisFrom(nodeIndex))
        .token(NodeProcess.token(new DeviceIdentity(deviceId, List.of(group), Optional.empty(), Optional.empty())))
        .backoff(Duration.ofMillis(200), Duration.ofSeconds(2))
        .connectTimeout(Duration.ofSeconds(15))
        .build()).join();
    devices.add(reporter);
    return reporter;
  }

  /** A panel device in every panel group. */
  private DeviceClient connectPanel(int nodeIndex, String deviceId) {
    DeviceClient panel = DeviceClient.connect(DeviceClient.Options.builder()
        .uris(urisFrom(nodeIndex))
        .token(NodeProcess.token(new DeviceIdentity(deviceId, PANEL_GROUPS, Optional.empty(), Optional.empty())))
        .backoff(Duration.ofMillis(200), Duration.ofSeconds(2))
        .connectTimeout(Duration.ofSeconds(15))
        .build()).join();
    devices.add(panel);
    return panel;
  }

  /** A field name of 63 characters, near the longest a state allows. */
  private static String panelField(int f) {
    return "reading-" + "-".repeat(53) + String.format("%02d", f);
  }

  /** Every panel group has every panel, online, and each field's exact count and sum. */
  private void assertPanelGroupsComplete() {
    for (String group : PANEL_GROUPS) {
      Await.until(WAIT, group + " has every panel", () -> {
        GroupAggregate aggregate = backend(0).getGroup(group).join();
        return aggregate.members() == PANELS && aggregate.online() == PANELS
            && aggregate.fields().values().stream().allMatch(stats -> stats.count() == PANELS);
      });
      GroupAggregate aggregate = backend(0).getGroup(group).join();
      for (int f = 0; f < PANEL_FIELDS; f++) {
        GroupAggregate.FieldStats stats = aggregate.fields().get(panelField(f));
        assertEquals(PANELS, stats.count(), group + " " + f);
        assertEquals(PANELS * (PANELS - 1) / 2.0 + PANELS * f, stats.sum(), group + " " + f);
      }
    }
  }

  /** A dashboard that may follow every device's topics and publishes nothing. */
  private DeviceClient connectDashboard(int nodeIndex, String deviceId) {
    DeviceClient dashboard = DeviceClient.connect(DeviceClient.Options.builder()
        .uris(urisFrom(nodeIndex))
        .token(NodeProcess.token(new DeviceIdentity(deviceId, List.of(),
            Optional.of(List.of(new TopicPattern("$device/+/#"))), Optional.of(List.of()))))
        .build()).join();
    devices.add(dashboard);
    return dashboard;
  }

  private TopicRecorder subscribe(int nodeIndex, String deviceId, String topic) {
    TopicRecorder recorder = new TopicRecorder(topic, deviceId);
    DeviceClient.Listener resumesRecorded = new DeviceClient.Listener() {
      @Override
      public void onResubscribed(String resubscribed, boolean resumed) {
        resumes.computeIfAbsent(deviceId, id -> new CopyOnWriteArrayList<>()).add(resumed);
      }
    };
    connect(nodeIndex, deviceId, resumesRecorded).subscribe(topic, recorder).join();
    return recorder;
  }

  private List<TopicRecorder> allSubscribers() {
    return subscribersByNode.stream().flatMap(List::stream).toList();
  }

  /** Subscribers created on the node now at {@code index}, matched by their first node. */
  private List<TopicRecorder> subscribersOn(int index) {
    return index < subscribersByNode.size() ? subscribersByNode.get(index) : List.of();
  }

  /** Publishes {@code count} messages through the given nodes in turn; returns their sequences, sorted. */
  private List<Long> publishRoundRobin(String topic, int count, List<Integer> through) {
    List<CompletableFuture<PublishResult>> publishes = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      HeraldClient client = backend(through.get(i % through.size()));
      publishes.add(client.publish(topic, ("m" + i).getBytes(StandardCharsets.UTF_8)));
      if (publishes.size() % 16 == 0) {
        publishes.get(publishes.size() - 1).join();
      }
    }
    return publishes.stream().map(CompletableFuture::join).map(PublishResult::sequence).sorted().toList();
  }

  /** Subscribers first on these nodes received these messages among others, in order, each once. */
  private void assertEveryoneReceived(List<Long> sequences, List<Integer> nodeIndexes) {
    for (int n : nodeIndexes) {
      for (TopicRecorder recorder : subscribersOn(n)) {
        if (recorder.topic().equals(NEWS)) {
          Await.until(WAIT, recorder + " received the traffic", () -> recorder.hasAll(sequences));
          List<Long> received = recorder.received();
          assertEquals(received.stream().sorted().distinct().toList(), received,
              recorder + " received in order, each once");
        }
      }
    }
  }

  private void setFleetState() {
    HeraldClient client = backend(0);
    List<CompletableFuture<io.herald.client.DesiredResult>> sets = new ArrayList<>();
    for (int i = 0; i < FLEET; i++) {
      // A window in flight, as a backend sends them; version 0 expected, so a retried set cannot apply twice.
      if (i >= 32) {
        sets.get(i - 32).join();
      }
      sets.add(client.setDesired("fleet-" + i, Map.of("n", i), OptionalLong.of(0)));
    }
    for (var set : sets) {
      assertEquals(1L, set.join().desiredVersion());
    }
    assertFleetStateIntact();
  }

  /**
   * Every fleet device still has the desired state it was given. A device whose shard just
   * moved may answer "unknown" until its handed-on state arrives, so each gets a moment.
   */
  private void assertFleetStateIntact() {
    HeraldClient client = backend(0);
    for (int i = 0; i < FLEET; i++) {
      String id = "fleet-" + i;
      Await.until(Duration.ofSeconds(10), id + " has its state", () -> {
        try {
          return client.getDevice(id).join().desiredVersion() > 0;
        } catch (RuntimeException notYet) {
          return false;
        }
      });
      Device device = client.getDevice(id).join();
      assertEquals(1L, device.desiredVersion(), id);
      assertEquals(i, ((Number) device.desired().get("n")).intValue(), id);
    }
  }

  /**
   * Devices reporting a rising counter until stopped, two reports of each device in
   * flight at once, so that some are on their way whenever an entity moves.
   */
  private static final class Reports implements AutoCloseable {
    private static final int IN_FLIGHT = 2;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Map<String, Integer> lastAccepted = new ConcurrentHashMap<>();
    private final List<String> failures = new CopyOnWriteArrayList<>();
    private final Thread reporter;

    private Reports(Map<String, DeviceClient> devices) {
      reporter = new Thread(() -> {
        for (int n = 1; running.get(); n += IN_FLIGHT) {
          Map<String, List<CompletableFuture<Long>>> sent = new LinkedHashMap<>();
          for (int k = 0; k < IN_FLIGHT; k++) {
            for (var device : devices.entrySet()) {
              sent.computeIfAbsent(device.getKey(), id -> new ArrayList<>())
                  .add(device.getValue().reportState(Map.of("n", n + k)));
            }
          }
          for (var device : sent.entrySet()) {
            for (int k = 0; k < IN_FLIGHT; k++) {
              try {
                device.getValue().get(k).get(15, TimeUnit.SECONDS);
                lastAccepted.put(device.getKey(), n + k);
              } catch (Exception refused) {
                failures.add(device.getKey() + " report " + (n + k) + ": " + refused);
              }
            }
          }
          pause();
        }
      }, "cluster-reports");
      reporter.start();
    }

    /** A bounded rate (a few hundred reports a second), so that a node starting meanwhile is not starved. */
    private static void pause() {
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    static Reports start(Map<String, DeviceClient> devices) {
      return new Reports(devices);
    }

    void stop() {
      running.set(false);
      try {
        reporter.join(60_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    Map<String, Integer> lastAccepted() {
      return lastAccepted;
    }

    List<String> failures() {
      return failures;
    }

    @Override
    public void close() {
      stop();
    }
  }

  /** Publishes through some nodes at about 50 messages a second until stopped. */
  private static final class Traffic implements AutoCloseable {
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final ConcurrentLinkedQueue<Long> sequences = new ConcurrentLinkedQueue<>();
    private final Thread publisher;

    private Traffic(ClusterTest test, String topic, List<Integer> through) {
      publisher = new Thread(() -> {
        int i = 0;
        while (running.get()) {
          HeraldClient client = test.backend(through.get(i++ % through.size()));
          try {
            sequences.add(client.publish(topic, ("t" + i).getBytes(StandardCharsets.UTF_8)).join().sequence());
          } catch (RuntimeException refusedWhileMoving) {
            // Not accepted is not a loss: only accepted messages must arrive.
          }
          try {
            Thread.sleep(20);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "cluster-traffic");
      publisher.start();
    }

    static Traffic start(ClusterTest test, String topic, List<Integer> through) {
      return new Traffic(test, topic, through);
    }

    void stop() {
      running.set(false);
      try {
        publisher.join(30_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    List<Long> sequences() {
      return sequences.stream().sorted().toList();
    }

    @Override
    public void close() {
      stop();
    }
  }
}
