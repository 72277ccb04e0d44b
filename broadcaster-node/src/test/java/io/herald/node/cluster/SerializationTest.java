package io.herald.node.cluster;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.herald.node.topic.TopicEntity;
import io.herald.node.topic.TopicRegistry;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorRefResolver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.herald.node.aggregate.Aggregate;
import io.herald.node.aggregate.GroupAggregator;
import io.herald.node.aggregate.GroupFeed;
import io.herald.node.connection.ConnectionActor;
import io.herald.node.device.DeviceEntity;
import io.herald.node.device.DeviceSnapshot;
import io.herald.node.device.DeviceTopic;
import io.herald.node.device.FieldValue;
import io.herald.node.ops.NodeStatusService;
import io.herald.protocol.v1.ErrorCode;
import io.herald.protocol.v1.NodeStatus;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.SerializationTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every message that crosses nodes goes through our Protobuf serializer and comes back equal. */
class SerializationTest {

  private static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  static Stream<Object> clusterMessages() {
    TestProbe<Object> probe = testKit.createTestProbe();
    Map<String, FieldValue> state = Map.of("t", new FieldValue.Number(21.5), "mode", new FieldValue.Text("eco"),
        "on", new FieldValue.Flag(true));
    return Stream.of(
        new DeviceEntity.Connect("s1", "node-1", probe.getRef().unsafeUpcast(), List.of("g1", "g2"), 1_700_000_000_123L),
        new DeviceEntity.Disconnect("s1"),
        new DeviceEntity.ReportState(state, true, List.of("old"), 11, probe.getRef().unsafeUpcast()),
        new DeviceEntity.ReportState(state, false, List.of(), 11, 9, probe.getRef().unsafeUpcast()),
        new DeviceEntity.StateReported(11, 7, ErrorCode.ERROR_CODE_UNSPECIFIED, ""),
        new DeviceEntity.StateReported(11, 7, ErrorCode.STATE_TOO_LARGE, "too many fields"),
        new DeviceEntity.AckDesired(3),
        new DeviceEntity.Locate(3, probe.getRef().unsafeUpcast()),
        new DeviceEntity.Located(3, probe.getRef().unsafeUpcast()),
        new DeviceEntity.GetDevice(probe.getRef().unsafeUpcast()),
        DeviceEntity.RetellGroups.INSTANCE,
        new DeviceSnapshot("d1", true, state, 7, Map.of("t", new FieldValue.Number(22)), 2, 1, true, "node-1", "s1",
            Instant.parse("2026-11-22T12:00:00.123Z"), List.of("g1")),
        new DeviceEntity.SetDesired(state, OptionalLong.of(4), probe.getRef().unsafeUpcast()),
        new DeviceEntity.SetDesired(state, OptionalLong.empty(), probe.getRef().unsafeUpcast()),
        new DeviceEntity.DesiredSet(5, true, ErrorCode.ERROR_CODE_UNSPECIFIED, ""),
        new DeviceEntity.DesiredSet(5, false, ErrorCode.VERSION_CONFLICT, "desired version is 5"),
        new ConnectionActor.PushDesired(5, state, Map.of("t", new FieldValue.Number(21.5))),
        new ConnectionActor.Registered("s1", "pekko://herald@127.0.0.1:2552"),
        new GroupAggregator.MembersUpdated(
            List.of(new GroupAggregator.MemberChanged("d1", true, Map.of("t", 21.5, "h", 40.0), 1_700_000_000_123L),
                new GroupAggregator.MemberChanged("d2", false, Map.of(), 1_700_000_000_124L)),
            List.of(new GroupAggregator.MemberLeft("d3", 1_700_000_000_125L)), "pekko://herald@127.0.0.1:2552", 42,
            probe.getRef().unsafeUpcast()),
        new GroupAggregator.MembersUpdated(List.of(), List.of(), "pekko://herald@127.0.0.1:2552", 43,
            probe.getRef().unsafeUpcast()),
        new GroupFeed.Confirmed(List.of(1L, 2L, 300_000_000_000L)),
        new GroupAggregator.NodeLost("pekko://herald@127.0.0.1:2553"),
        new GroupAggregator.GetAggregate(probe.getRef().unsafeUpcast()),
        new GroupAggregator.ListMembers("", 1000, probe.getRef().unsafeUpcast()),
        new GroupAggregator.ListMembers("d7", 20, probe.getRef().unsafeUpcast()),
        new GroupAggregator.AggregateReport("g1", new Aggregate.Snapshot(3, 2,
            Map.of("t", new Aggregate.FieldStats(2, 43.0, 21.0, 22.0)))),
        new GroupAggregator.MemberPage("g1", List.of("d1", "d2"), true),
        new GroupAggregator.MemberPage("g1", List.of(), false),
        new DeviceEntity.Restore(new DeviceSnapshot("d1", true, state, 7, Map.of(), 2, 1, true, "node-1", "s1",
            Instant.parse("2026-11-22T12:00:00Z"), List.of("g1")), Optional.of(probe.getRef().unsafeUpcast()),
            1_700_000_000_123L, Optional.of(probe.getRef().unsafeUpcast()), 12),
        new DeviceEntity.Restore(new DeviceSnapshot("d2", true, state, 1, Map.of(), 0, 0, false, "", "",
            Instant.parse("2026-11-22T12:00:00Z"), List.of()), Optional.empty(), 0, Optional.empty(), 0),
        new GroupAggregator.Restore(List.of(
            new GroupAggregator.HandedOn(new GroupAggregator.MemberChanged("d1", true, Map.of("t", 21.5), 7),
                "pekko://herald@127.0.0.1:2552", false),
            new GroupAggregator.HandedOn(new GroupAggregator.MemberChanged("d2", false, Map.of(), 8),
                "pekko://herald@127.0.0.1:2553", true),
            new GroupAggregator.HandedOn(new GroupAggregator.MemberChanged("d3", true, Map.of(), 9),
                "pekko://herald@127.0.0.1:2552", false),
            new GroupAggregator.HandedOn(new GroupAggregator.MemberChanged("d4", true, Map.of(), 9), "", false))),
        new TopicEntity.Publish(ByteString.copyFromUtf8("hello"), 42, probe.getRef().unsafeUpcast()),
        new TopicEntity.Published("a/b", 7, 42),
        new TopicEntity.PublisherFollowing(3, probe.getRef()),
        new DeviceEntity.Interest(DeviceTopic.STATE, true, 3, probe.getRef().unsafeUpcast()),
        new DeviceEntity.Interest(DeviceTopic.PRESENCE, false, 0, probe.getRef().unsafeUpcast()),
        new TopicEntity.Register(probe.getRef().unsafeUpcast(), 12),
        new TopicEntity.Unregister(probe.getRef().unsafeUpcast()),
        new TopicEntity.SubscriptionReport(probe.getRef().unsafeUpcast(), true, 12, true),
        new TopicRegistry.HandedOff("a/b", 41),
        new TopicRegistry.Registered("a/b", probe.getRef().unsafeUpcast(), "5f3a9c01d2e4b678", 12),
        new TopicEntity.ReadHistory(probe.getRef().unsafeUpcast(), 3, Set.of("5f3a")),
        new TopicRegistry.History("a/b", 3, "5f3a9c01d2e4b678", 9, List.of(
            new TopicEntity.Message(8, ByteString.copyFromUtf8("one"), 1_700_000_000_000L),
            new TopicEntity.Message(9, ByteString.EMPTY, 1_700_000_000_001L))),
        new TopicRegistry.History("a/b", 4, "5f3a9c01d2e4b678", 9, List.of()),
        new TopicEntity.Restore("5f3a9c01d2e4b678", 9, List.of(
            new TopicEntity.Message(9, ByteString.copyFromUtf8("nine"), 1_700_000_000_001L))),
        new TopicRegistry.ReportSubscription("a/b", probe.getRef().unsafeUpcast()),
        new NodeStatusService.Read(probe.getRef().unsafeUpcast()),
        new NodeStatusService.Answer(NodeStatus.newBuilder().setNodeId("node-1")
            .setAddress("pekko://herald@127.0.0.1:2552").setConnectionsOpen(3).putCounters("frames_in", 7).build()),
        new TopicRegistry.Deliver("a/b", List.of(
            new TopicEntity.Message(8, ByteString.copyFromUtf8("one"), 1_700_000_000_000L),
            new TopicEntity.Message(9, ByteString.EMPTY, 1_700_000_000_001L))));
  }

  @Test
  void everyCodecHasAMessageInThisTest() {
    Set<Class<?>> tested = clusterMessages().map(Object::getClass).collect(Collectors.toSet());
    for (ClusterCodec<?> codec : ClusterCodecs.all(ActorRefResolver.get(testKit.system()))) {
      assertTrue(tested.contains(codec.type()), codec.type().getName() + " has no round trip here");
    }
  }

  @ParameterizedTest
  @MethodSource("clusterMessages")
  void roundTripsThroughHeraldSerializer(Object message) {
    assertInstanceOf(HeraldSerializer.class, SerializationExtension.get(testKit.system()).findSerializerFor(message));
    Object back = new SerializationTestKit(testKit.system()).verifySerialization(message, false);
    assertEquals(message, back);
  }
}
