package io.herald.node.connection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.herald.node.device.DeviceEntity;
import io.herald.node.device.FieldValue;
import io.herald.node.metrics.NodeMetrics;
import io.herald.node.security.DeviceIdentity;
import io.herald.node.security.TopicPattern;
import io.herald.node.topic.ResumePoint;
import io.herald.node.topic.TopicEntity;
import io.herald.node.topic.TopicRegistry;
import io.herald.node.topic.TopicService;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import io.herald.protocol.v1.DisconnectReason;
import io.herald.protocol.v1.ErrorCode;
import io.herald.protocol.v1.ServerFrame;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class ConnectionActorTest {

  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final Duration REPORT_TIMEOUT = Duration.ofMillis(500);
  private static final Duration REPORT_RESEND_AFTER = Duration.ofMillis(200);
  private static final String ENTITY_NODE = "pekko://herald@127.0.0.2:2552";
  private static final DeviceIdentity OPEN = new DeviceIdentity("d1", List.of(), Optional.empty(), Optional.empty());

  private final AtomicLong nanos = new AtomicLong();
  private final RecordingPort port = new RecordingPort();
  private final TestProbe<TopicRegistry.Command> topics = testKit.createTestProbe();
  private final TestProbe<ShardingEnvelope<TopicEntity.Command>> topicHomes = testKit.createTestProbe();
  private final TestProbe<DeviceEntity.Command> device = testKit.createTestProbe();
  private final TestProbe<String> acks = testKit.createTestProbe();
  private final ConnectionActor.InboundGate gate = () -> acks.getRef().tell("handled");
  private final NodeMetrics metrics = new NodeMetrics();
  private final LocalConnections connections = new LocalConnections(10, metrics);

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void welcomesTheDeviceWithItsLimits() {
    start(settings(Duration.ofSeconds(10)));
    awaitFrames(1);
    ServerFrame welcome = port.frames().get(0);
    assertEquals("session-1", welcome.getWelcome().getSessionId());
    assertEquals(3, welcome.getWelcome().getLimits().getMaxSubscriptions());
    assertEquals(1, connections.open());
  }

  @Test
  void tellsTheDeviceEntityWhenItOpensAndWhenItEnds() {
    ActorRef<ConnectionActor.Command> connection = start(settings(Duration.ofSeconds(10)));
    DeviceEntity.Connect connect = device.expectMessageClass(DeviceEntity.Connect.class);
    assertEquals("session-1", connect.sessionId());
    assertEquals(connection, connect.connection());

    connection.tell(ConnectionActor.InboundCompleted.INSTANCE);
    assertEquals("session-1", device.expectMessageClass(DeviceEntity.Disconnect.class).sessionId());
  }

  @Test
  void stateReportsAreAnsweredWithTheEntitysVersion() {
    ActorRef<ConnectionActor.Command> connection = start(settings(Duration.ofSeconds(10)));
    device.expectMessageClass(DeviceEntity.Connect.class);
    connection.tell(new ConnectionActor.Inbound(gate,
        new ClientRequest.ReportState(9, Map.of("t", new FieldValue.Number(1)), false, List.of())));

    DeviceEntity.ReportState report = device.expectMessageClass(DeviceEntity.ReportState.class);
    report.replyTo().tell(new DeviceEntity.StateReported(report.correlationId(), 4, ErrorCode.ERROR_CODE_UNSPECIFIED, ""));

    awaitFrames(2);
    ServerFrame accepted = port.frames().get(1);
    assertEquals(9, accepted.getRequestId());
    assertEquals(4, accepted.getStateAccepted().getVersion());
  }

  @Test
  void aReportTheEntityDoesNotAnswerInTimeIsAnsweredUnavailableAndItsLateAnswerDropped() {
    ActorRef<ConnectionActor.Command> connection = start(settings(Duration.ofSeconds(30)));
    device.expectMessageClass(DeviceEntity.Connect.class);
    // The same request id twice: each report is answered on its own.
    for (int i = 0; i < 2; i++) {
      connection.tell(new ConnectionActor.Inbound(gate,
          new ClientRequest.ReportState(5, Map.of("t", new FieldValue.Number(i)), false, List.of())));
    }
    DeviceEntity.ReportState first = device.expectMessageClass(DeviceEntity.ReportState.class);
    device.expectMessageClass(DeviceEntity.Locate.class); // left unanswered: reports stay on sharding
    DeviceEntity.ReportState second = device.expectMessageClass(DeviceEntity.ReportState.class);
    second.replyTo().tell(new DeviceEntity.StateReported(second.correlationId(), 2, ErrorCode.ERROR_CODE_UNSPECIFIED, ""));
    awaitFrames(2);
    assertEquals(2, port.frames().get(1).getStateAccepted().getVersion());

    nanos.addAndGet(REPORT_TIMEOUT.plusSeconds(1).toNanos());
    awaitFrames(3, Duration.ofSeconds(3));
    ServerFrame gaveUp = port.frames().get(2);
    assertEquals(5, gaveUp.getRequestId());
    assertEquals(ErrorCode.UNAVAILABLE, gaveUp.getError().getCode());

    first.replyTo().tell(new DeviceEntity.StateReported(first.correlationId(), 1, ErrorCode.ERROR_CODE_UNSPECIFIED, ""));
    connection.tell(new ConnectionActor.Inbound(gate, new ClientRequest.Ping(6)));
    awaitFrames(4);
    assertTrue(port.frames().get(3).hasPong(), "nothing for the late answer: " + port.frames().get(3));
  }

  @Test
  void reportsGoStraightToTheEntityOnceItSaysWhereItIsAndBackThroughShardingWhenItStops() {
    TestProbe<DeviceEntity.Command> entity = testKit.createTestProbe();
    TestProbe<DeviceEntity.Command> stale = testKit.createTestProbe();
    ActorRef<ConnectionActor.Command> connection = start(roomySettings());
    device.expectMessageClass(DeviceEntity.Connect.class);

    report(connection, 1);
    accept(device.expectMessageClass(DeviceEntity.ReportState.class));
    DeviceEntity.Locate first = device.expectMessageClass(DeviceEntity.Locate.class);
    report(connection, 2); // went through sharding after the question: no switch on this answer
    accept(device.expectMessageClass(DeviceEntity.ReportState.class));
    first.replyTo().tell(new DeviceEntity.Located(first.question(), entity.getRef()));

    report(connection, 3);
    accept(device.expectMessageClass(DeviceEntity.ReportState.class));
    DeviceEntity.Locate second = device.expectMessageClass(DeviceEntity.Locate.class);
    // An answer to the first question again proves nothing about report 3: ignored.
    second.replyTo().tell(new DeviceEntity.Located(first.question(), stale.getRef()));
    second.replyTo().tell(new DeviceEntity.Located(second.question(), entity.getRef()));

    report(connection, 4);
    DeviceEntity.ReportState direct = entity.expectMessageClass(DeviceEntity.ReportState.class);
    assertEquals(Map.of("t", new FieldValue.Number(4)), direct.fields());
    device.expectNoMessage(Duration.ofMillis(100));

    // The entity stops (its shard moves) without answering: the report goes again through sharding.
    entity.stop();
    DeviceEntity.ReportState again = device.expectMessageClass(DeviceEntity.ReportState.class);
    assertEquals(direct.correlationId(), again.correlationId());
    accept(again);
    acks.awaitAssert(() -> {
      assertTrue(port.frames().stream().anyMatch(frame -> frame.getRequestId() == 4 && frame.hasStateAccepted()),
          "frames so far: " + port.frames());
      return null;
    });

    report(connection, 5);
    device.expectMessageClass(DeviceEntity.ReportState.class);
    device.expectMessageClass(DeviceEntity.Locate.class);
  }

  @Test
  void aConnectTheEntityDoesNotAnswerIsSentAgainUntilItDoes() {
    start(settings(Duration.ofSeconds(10)));
    DeviceEntity.Connect first = device.expectMessageClass(DeviceEntity.Connect.class);
    device.expectNoMessage(REPORT_RESEND_AFTER.multipliedBy(2)); // the clock stands still: nothing is due

    nanos.addAndGet(REPORT_RESEND_AFTER.toNanos());
    assertEquals(first, device.expectMessageClass(DeviceEntity.Connect.class), "the same session, opened as before");
    assertEquals(1, metrics.snapshot().get("connects_resent"));

    // Each copy waits twice as long as the one before: a busy entity is not asked faster than it answers.
    nanos.addAndGet(REPORT_RESEND_AFTER.toNanos());
    device.expectNoMessage(REPORT_RESEND_AFTER.multipliedBy(3));
    nanos.addAndGet(REPORT_RESEND_AFTER.toNanos());
    assertEquals(first, device.expectMessageClass(DeviceEntity.Connect.class));
    assertEquals(2, metrics.snapshot().get("connects_resent"));

    first.connection().tell(new ConnectionActor.Registered("session-1", ENTITY_NODE));
    nanos.addAndGet(REPORT_RESEND_AFTER.toNanos());
    device.expectNoMessage(REPORT_RESEND_AFTER.multipliedBy(2));
  }

  @Test
  void whenTheNodeOfItsEntityLeavesTheEntitysSuccessorIsToldAgain() {
    ActorRef<ConnectionActor.Command> connection = start(settings(Duration.ofSeconds(10)));
    register();
    device.expectNoMessage(Duration.ofMillis(100));

    connection.tell(new ConnectionActor.NodeRemoved("pekko://herald@127.0.0.9:2552"));
    device.expectNoMessage(Duration.ofMillis(100)); // another node: the entity is where it was

    connection.tell(new ConnectionActor.NodeRemoved(ENTITY_NODE));
    DeviceEntity.Connect again = device.expectMessageClass(DeviceEntity.Connect.class);
    assertEquals("session-1", again.sessionId());

    // While the lost node's shards find new homes a copy would only wait in a region: the first
    // one waits four times report-resend-after.
    nanos.addAndGet(REPORT_RESEND_AFTER.multipliedBy(3).toNanos());
    device.expectNoMessage(REPORT_RESEND_AFTER.multipliedBy(6));
    nanos.addAndGet(REPORT_RESEND_AFTER.toNanos());
    assertEquals(again, device.expectMessageClass(DeviceEntity.Connect.class));
  }

  @Test
  void reportsUnansweredForAWhileAreSentAgainInOrderStampedWithTheOldestWaiting() {
    ActorRef<ConnectionActor.Command> connection = start(roomySettings());
    register();
    report(connection, 1);
    DeviceEntity.ReportState first = device.expectMessageClass(DeviceEntity.ReportState.class);
    device.expectMessageClass(DeviceEntity.Locate.class);
    report(connection, 2);
    DeviceEntity.ReportState second = device.expectMessageClass(DeviceEntity.ReportState.class);
    assertEquals(first.correlationId(), second.oldestWaiting(), "the first still waited when the second left");
    accept(first);
    awaitFrames(2);
    report(connection, 3);
    DeviceEntity.ReportState third = device.expectMessageClass(DeviceEntity.ReportState.class);
    device.expectNoMessage(REPORT_RESEND_AFTER.multipliedBy(2)); // the clock stands still: nothing is due

    nanos.addAndGet(REPORT_RESEND_AFTER.toNanos());
    DeviceEntity.ReportState secondAgain = device.expectMessageClass(DeviceEntity.ReportState.class);
    DeviceEntity.ReportState thirdAgain = device.expectMessageClass(DeviceEntity.ReportState.class);
    assertEquals(List.of(second.correlationId(), third.correlationId()),
        List.of(secondAgain.correlationId(), thirdAgain.correlationId()), "the same reports, oldest first");
    assertEquals(second.correlationId(), thirdAgain.oldestWaiting(), "stamped with the oldest waiting now");
    assertEquals(2, metrics.snapshot().get("state_reports_resent"));

    // The entity answers a copy as it answers the original: the device hears once of each.
    accept(secondAgain);
    accept(second);
    accept(thirdAgain);
    awaitFrames(4);
    device.expectNoMessage(Duration.ofMillis(100));
    assertEquals(List.of(1L, 2L, 3L), port.frames().stream().filter(ServerFrame::hasStateAccepted)
        .map(ServerFrame::getRequestId).toList());
  }

  @Test
  void aQuestionLeftUnansweredIsAskedAgainAfterSomeReports() {
    ActorRef<ConnectionActor.Command> connection = start(roomySettings());
    device.expectMessageClass(DeviceEntity.Connect.class);
    report(connection, 1);
    device.expectMessageClass(DeviceEntity.ReportState.class);
    long lost = device.expectMessageClass(DeviceEntity.Locate.class).question();
    for (int i = 0; i < EntityRoute.ASK_AGAIN_AFTER; i++) {
      report(connection, 2 + i);
      device.expectMessageClass(DeviceEntity.ReportState.class);
    }
    DeviceEntity.Locate again = device.expectMessageClass(DeviceEntity.Locate.class);
    assertTrue(again.question() > lost, "asked under a new number");
  }

  /** Takes the connection's Connect and answers it as an entity on {@link #ENTITY_NODE} would. */
  private void register() {
    DeviceEntity.Connect connect = device.expectMessageClass(DeviceEntity.Connect.class);
    connect.connection().tell(new ConnectionActor.Registered(connect.sessionId(), ENTITY_NODE));
  }

  /** Room for many reports: a burst of 64. */
  private static ConnectionSettings roomySettings() {
    return new ConnectionSettings(64, SlowConsumerPolicy.DROP_OLDEST, 8, 65536, Duration.ofSeconds(1), 4096, 3, 10, 0, 1,
        Duration.ofSeconds(30), Duration.ofSeconds(90), 1, 64, 10, REPORT_TIMEOUT, REPORT_RESEND_AFTER);
  }

  private static void accept(DeviceEntity.ReportState report) {
    report.replyTo().tell(new DeviceEntity.StateReported(report.correlationId(), 1, ErrorCode.ERROR_CODE_UNSPECIFIED, ""));
  }

  private void report(ActorRef<ConnectionActor.Command> connection, int requestId) {
    connection.tell(new ConnectionActor.Inbound(gate,
        new ClientRequest.ReportState(requestId, Map.of("t", new FieldValue.Number(requestId)), false, List.of())));
  }

  @Test
  void desiredStatePushedByTheEntityReachesTheDevice() {
    ActorRef<ConnectionActor.Command> connection = start(settings(Duration.ofSeconds(10)));
    connection.tell(new ConnectionActor.PushDesired(3, Map.of("t", new FieldValue.Number(22)),
        Map.of("t", new FieldValue.Number(22))));

    awaitFrames(2);
    ServerFrame desired = port.frames().get(1);
    assertEquals(3, desired.getDesired().getVersion());
    assertEquals(22, desired.getDesired().getDeltaOrThrow("t").getNumber());
  }

  @Test
  void subscribesThroughTheRegistryAndAcknowledgesEveryFrame() {
    ActorRef<ConnectionActor.Command> connection = start(settings(Duration.ofSeconds(10)));
    connection.tell(new ConnectionActor.Inbound(gate, new ClientRequest.Subscribe(4, "a/b", Optional.empty())));

    TopicRegistry.Subscribe subscribe = topics.expectMessageClass(TopicRegistry.Subscribe.class);
    assertEquals("a/b", subscribe.topic());
    assertEquals(4, subscribe.requestId());
    acks.expectMessage("handled");
  }

  @Test
  void aSubscribeForAHeldTopicIsConfirmedAtOnceAndChangesNothing() {
    ActorRef<ConnectionActor.Command> connection = start(settings(Duration.ofSeconds(10)));
    connection.tell(new ConnectionActor.Inbound(gate, new ClientRequest.Subscribe(4, "a/b", Optional.empty())));
    topics.expectMessageClass(TopicRegistry.Subscribe.class);
    connection.tell(new ConnectionActor.Inbound(gate, new ClientRequest.Subscribe(5, "a/b",
        Optional.of(new ResumePoint("5f3a9c01d2e4b678", 41)))));

    topics.expectNoMessage(Duration.ofMillis(100));
    ServerFrame again = port.frames().stream().filter(ServerFrame::hasSubscribed).findFirst().orElseThrow();
    assertEquals(5, again.getRequestId());
    assertEquals("a/b", again.getSubscribed().getTopic());
    assertEquals("", again.getSubscribed().getEpoch(), "the first confirmation said where it starts");
  }

  @Test
  void refusesBadTopicsAndTheSubscriptionOverTheLimit() {
    ActorRef<ConnectionActor.Command> connection = start(settings(Duration.ofSeconds(10)));
    for (int i = 1; i <= 4; i++) {
      connection.tell(new ConnectionActor.Inbound(gate, new ClientRequest.Subscribe(i, "t/" + i, Optional.empty())));
    }
    connection.tell(new ConnectionActor.Inbound(gate, new ClientRequest.Subscribe(5, "bad topic", Optional.empty())));

    awaitFrames(3);
    List<ServerFrame> errors = port.frames().stream().filter(ServerFrame::hasError).toList();
    assertEquals(ErrorCode.TOO_MANY_SUBSCRIPTIONS, errors.get(0).getError().getCode());
    assertEquals(4, errors.get(0).getRequestId());
    assertEquals(ErrorCode.INVALID_TOPIC, errors.get(1).getError().getCode());
  }

  @Test
  void topicsOutsideTheDevicesPermissionsAreForbidden() {
    DeviceIdentity limited = new DeviceIdentity("d1", List.of(),
        Optional.of(List.of(new TopicPattern("allowed/#"))), Optional.of(List.of(new TopicPattern("out/d1"))));
    ActorRef<ConnectionActor.Command> connection = start(settings(Duration.ofSeconds(10)), limited);
    connection.tell(new ConnectionActor.Inbound(gate, new ClientRequest.Subscribe(1, "other/topic", Optional.empty())));
    connection.tell(new ConnectionActor.Inbound(gate, new ClientRequest.Publish(2, "out/d2", ByteString.EMPTY)));
    connection.tell(new ConnectionActor.Inbound(gate, new ClientRequest.Subscribe(3, "allowed/x", Optional.empty())));

    assertEquals("allowed/x", topics.expectMessageClass(TopicRegistry.Subscribe.class).topic());
    awaitFrames(3);
    List<ServerFrame> errors = port.frames().stream().filter(ServerFrame::hasError).toList();
    assertEquals(List.of(ErrorCode.FORBIDDEN, ErrorCode.FORBIDDEN), errors.stream().map(e -> e.getError().getCode()).toList());
    assertEquals(List.of(1L, 2L), errors.stream().map(ServerFrame::getRequestId).toList());
  }

  @Test
  void publishesOverTheRateAreRefusedWithRateLimited() {
    ActorRef<ConnectionActor.Command> connection = start(settings(Duration.ofSeconds(10)));
    for (int i = 1; i <= 3; i++) {
      connection.tell(new ConnectionActor.Inbound(gate, new ClientRequest.Publish(i, "t", ByteString.EMPTY)));
    }

    topicHomes.receiveMessage();
    topicHomes.receiveMessage();
    awaitFrames(2);
    ServerFrame limited = port.frames().get(1);
    assertEquals(ErrorCode.RATE_LIMITED, limited.getError().getCode());
    assertEquals(3, limited.getRequestId());
    assertEquals(1L, metrics.snapshot().get("drops.rate_limited"));
  }

  @Test
  void aSilentDeviceIsPingedThenDisconnected() {
    start(settings(Duration.ofMillis(200)));
    awaitFrames(1);

    nanos.addAndGet(Duration.ofMillis(250).toNanos());
    awaitFrames(2);
    assertTrue(port.frames().get(1).hasPing());

    nanos.addAndGet(Duration.ofSeconds(1).toNanos());
    acks.awaitAssert(Duration.ofSeconds(3), () -> {
      assertEquals(DisconnectReason.HEARTBEAT_TIMEOUT, port.lastFrame().getDisconnect().getReason());
      return null;
    });
  }

  @Test
  void leavingTellsTheDeviceToReconnectElsewhere() {
    ActorRef<ConnectionActor.Command> connection = start(settings(Duration.ofSeconds(10)));
    connection.tell(new ConnectionActor.Leave(Duration.ofSeconds(2)));

    acks.awaitAssert(() -> {
      ServerFrame last = port.lastFrame();
      assertEquals(DisconnectReason.SHUTDOWN, last.getDisconnect().getReason());
      assertEquals(2000, last.getDisconnect().getReconnectAfterMs());
      return null;
    });
  }

  @Test
  void theConnectionLimitIsEnforcedWhenTheActorStarts() {
    LocalConnections full = new LocalConnections(0, metrics);
    testKit.spawn(ConnectionActor.create("session-x", OPEN, port, services(settings(Duration.ofSeconds(10)), full)));
    acks.awaitAssert(() -> {
      assertEquals(ErrorCode.TOO_MANY_CONNECTIONS, port.frames().get(0).getError().getCode());
      assertInstanceOf(ServerFrame.class, port.lastFrame());
      return null;
    });
  }

  private ActorRef<ConnectionActor.Command> start(ConnectionSettings settings) {
    return start(settings, OPEN);
  }

  private ActorRef<ConnectionActor.Command> start(ConnectionSettings settings, DeviceIdentity identity) {
    return testKit.spawn(ConnectionActor.create("session-1", identity, port, services(settings, connections)));
  }

  private ConnectionServices services(ConnectionSettings settings, LocalConnections live) {
    return new ConnectionServices("node-1", settings, 64,
        new TopicService(topics.getRef(), topicHomes.getRef(), metrics), id -> device.getRef(), live, metrics,
        nanos::get);
  }

  /** Three subscriptions, two publishes a burst (and almost no refill), the given heartbeat. */
  private static ConnectionSettings settings(Duration heartbeatInterval) {
    return new ConnectionSettings(64, SlowConsumerPolicy.DROP_OLDEST, 8, 65536, Duration.ofSeconds(1), 4096, 3, 10, 0, 1,
        heartbeatInterval, heartbeatInterval.multipliedBy(3), 1, 2, 10, REPORT_TIMEOUT, REPORT_RESEND_AFTER);
  }

  private void awaitFrames(int count) {
    awaitFrames(count, Duration.ofSeconds(3));
  }

  private void awaitFrames(int count, Duration max) {
    acks.awaitAssert(max, () -> {
      assertTrue(port.frames().size() >= count, "frames so far: " + port.frames());
      return null;
    });
  }
}
