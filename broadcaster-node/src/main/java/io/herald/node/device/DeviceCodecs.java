package io.herald.node.device;

import com.google.protobuf.Timestamp;
import io.herald.node.cluster.ClusterCodec;
import io.herald.node.connection.ConnectionActor;
import io.herald.protocol.cluster.v1.ConnectionPushDesired;
import io.herald.protocol.cluster.v1.ConnectionRegistered;
import io.herald.protocol.cluster.v1.DeviceAckDesired;
import io.herald.protocol.cluster.v1.DeviceConnect;
import io.herald.protocol.cluster.v1.DeviceDesiredSet;
import io.herald.protocol.cluster.v1.DeviceDisconnect;
import io.herald.protocol.cluster.v1.DeviceGet;
import io.herald.protocol.cluster.v1.DeviceLocate;
import io.herald.protocol.cluster.v1.DeviceLocated;
import io.herald.protocol.cluster.v1.DeviceReportState;
import io.herald.protocol.cluster.v1.DeviceRestore;
import io.herald.protocol.cluster.v1.DeviceRetellGroups;
import io.herald.protocol.cluster.v1.DeviceSetDesired;
import io.herald.protocol.cluster.v1.DeviceStateReported;
import io.herald.protocol.cluster.v1.DeviceTopicInterest;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.apache.pekko.actor.typed.ActorRefResolver;

/** Protobuf codecs for the messages of {@link DeviceEntity} and the commands it pushes. */
public final class DeviceCodecs {

  private DeviceCodecs() {}

  public static List<ClusterCodec<?>> all(ActorRefResolver refs) {
    return List.of(
        ClusterCodec.of(DeviceEntity.Connect.class, "dc",
            m -> DeviceConnect.newBuilder().setSessionId(m.sessionId()).setNodeId(m.nodeId())
                .setConnection(refs.toSerializationFormat(m.connection())).addAllGroups(m.groups())
                .setOpenedAtMillis(m.openedAtMillis()).build().toByteArray(),
            bytes -> {
              DeviceConnect m = DeviceConnect.parseFrom(bytes);
              return new DeviceEntity.Connect(m.getSessionId(), m.getNodeId(),
                  refs.resolveActorRef(m.getConnection()), List.copyOf(m.getGroupsList()), m.getOpenedAtMillis());
            }),
        ClusterCodec.of(DeviceEntity.Disconnect.class, "dd",
            m -> DeviceDisconnect.newBuilder().setSessionId(m.sessionId()).build().toByteArray(),
            bytes -> new DeviceEntity.Disconnect(DeviceDisconnect.parseFrom(bytes).getSessionId())),
        ClusterCodec.of(DeviceEntity.ReportState.class, "dr",
            m -> DeviceReportState.newBuilder().putAllFields(StateValues.toWire(m.fields())).setReplace(m.replace())
                .addAllRemove(m.remove()).setCorrelationId(m.correlationId()).setOldestWaiting(m.oldestWaiting())
                .setReplyTo(refs.toSerializationFormat(m.replyTo())).build().toByteArray(),
            bytes -> {
              DeviceReportState m = DeviceReportState.parseFrom(bytes);
              return new DeviceEntity.ReportState(StateValues.fromWire(m.getFieldsMap()), m.getReplace(),
                  List.copyOf(m.getRemoveList()), m.getCorrelationId(), m.getOldestWaiting(),
                  refs.resolveActorRef(m.getReplyTo()));
            }),
        ClusterCodec.of(DeviceEntity.StateReported.class, "drr",
            m -> DeviceStateReported.newBuilder().setCorrelationId(m.correlationId()).setVersion(m.version())
                .setError(m.error()).setMessage(m.message()).setAccepted(m.accepted()).build().toByteArray(),
            bytes -> {
              DeviceStateReported m = DeviceStateReported.parseFrom(bytes);
              return new DeviceEntity.StateReported(m.getCorrelationId(), m.getVersion(), m.getError(),
                  m.getMessage());
            }),
        ClusterCodec.of(DeviceEntity.Interest.class, "di",
            m -> DeviceTopicInterest.newBuilder().setTopic(m.topic().suffix()).setFollowed(m.followed())
                .setRequest(m.request()).setHome(refs.toSerializationFormat(m.home())).build().toByteArray(),
            bytes -> {
              DeviceTopicInterest m = DeviceTopicInterest.parseFrom(bytes);
              DeviceTopic topic = DeviceTopic.bySuffix(m.getTopic())
                  .orElseThrow(() -> new IllegalArgumentException("no device topic '" + m.getTopic() + "'"));
              return new DeviceEntity.Interest(topic, m.getFollowed(), m.getRequest(), refs.resolveActorRef(m.getHome()));
            }),
        ClusterCodec.of(DeviceEntity.AckDesired.class, "da",
            m -> DeviceAckDesired.newBuilder().setVersion(m.version()).build().toByteArray(),
            bytes -> new DeviceEntity.AckDesired(DeviceAckDesired.parseFrom(bytes).getVersion())),
        ClusterCodec.of(DeviceEntity.Locate.class, "dl",
            m -> DeviceLocate.newBuilder().setQuestion(m.question()).setReplyTo(refs.toSerializationFormat(m.replyTo()))
                .build().toByteArray(),
            bytes -> {
              DeviceLocate m = DeviceLocate.parseFrom(bytes);
              return new DeviceEntity.Locate(m.getQuestion(), refs.resolveActorRef(m.getReplyTo()));
            }),
        ClusterCodec.of(DeviceEntity.Located.class, "dlr",
            m -> DeviceLocated.newBuilder().setQuestion(m.question()).setEntity(refs.toSerializationFormat(m.entity()))
                .build().toByteArray(),
            bytes -> {
              DeviceLocated m = DeviceLocated.parseFrom(bytes);
              return new DeviceEntity.Located(m.getQuestion(), refs.resolveActorRef(m.getEntity()));
            }),
        ClusterCodec.of(DeviceEntity.GetDevice.class, "dg",
            m -> DeviceGet.newBuilder().setReplyTo(refs.toSerializationFormat(m.replyTo())).build().toByteArray(),
            bytes -> new DeviceEntity.GetDevice(refs.resolveActorRef(DeviceGet.parseFrom(bytes).getReplyTo()))),
        ClusterCodec.of(DeviceEntity.RetellGroups.class, "drgs",
            m -> DeviceRetellGroups.getDefaultInstance().toByteArray(),
            bytes -> {
              DeviceRetellGroups.parseFrom(bytes);
              return DeviceEntity.RetellGroups.INSTANCE;
            }),
        ClusterCodec.of(DeviceEntity.Restore.class, "drs",
            m -> {
              DeviceRestore.Builder wire = DeviceRestore.newBuilder().setSnapshot(toCluster(m.earlier()));
              m.connection().ifPresent(connection -> wire.setConnection(refs.toSerializationFormat(connection)));
              m.reporter().ifPresent(reporter -> wire.setReporter(refs.toSerializationFormat(reporter)));
              return wire.setSessionOpenedAtMillis(m.sessionOpenedAtMillis())
                  .setLastReportHandled(m.lastReportHandled()).build().toByteArray();
            },
            bytes -> {
              DeviceRestore m = DeviceRestore.parseFrom(bytes);
              return new DeviceEntity.Restore(fromCluster(m.getSnapshot()), m.getConnection().isEmpty()
                  ? Optional.empty() : Optional.of(refs.resolveActorRef(m.getConnection())),
                  m.getSessionOpenedAtMillis(), m.getReporter().isEmpty() ? Optional.empty() : Optional.of(refs.resolveActorRef(m.getReporter())),
                  m.getLastReportHandled());
            }),
        ClusterCodec.of(DeviceSnapshot.class, "ds", m -> toCluster(m).toByteArray(),
            bytes -> fromCluster(io.herald.protocol.cluster.v1.DeviceSnapshot.parseFrom(bytes))),
        ClusterCodec.of(DeviceEntity.SetDesired.class, "dsd",
            m -> {
              DeviceSetDesired.Builder builder = DeviceSetDesired.newBuilder()
                  .putAllDesired(StateValues.toWire(m.desired()))
                  .setReplyTo(refs.toSerializationFormat(m.replyTo()));
              m.expectedVersion().ifPresent(builder::setExpectedVersion);
              return builder.build().toByteArray();
            },
            bytes -> {
              DeviceSetDesired m = DeviceSetDesired.parseFrom(bytes);
              return new DeviceEntity.SetDesired(StateValues.fromWire(m.getDesiredMap()),
                  m.hasExpectedVersion() ? OptionalLong.of(m.getExpectedVersion()) : OptionalLong.empty(),
                  refs.resolveActorRef(m.getReplyTo()));
            }),
        ClusterCodec.of(DeviceEntity.DesiredSet.class, "dsr",
            m -> DeviceDesiredSet.newBuilder().setDesiredVersion(m.desiredVersion()).setPushed(m.pushed())
                .setError(m.error()).setMessage(m.message()).build().toByteArray(),
            bytes -> {
              DeviceDesiredSet m = DeviceDesiredSet.parseFrom(bytes);
              return new DeviceEntity.DesiredSet(m.getDesiredVersion(), m.getPushed(), m.getError(), m.getMessage());
            }),
        ClusterCodec.of(ConnectionActor.PushDesired.class, "cpd",
            m -> ConnectionPushDesired.newBuilder().setVersion(m.version())
                .putAllDesired(StateValues.toWire(m.desired())).putAllDelta(StateValues.toWire(m.delta()))
                .build().toByteArray(),
            bytes -> {
              ConnectionPushDesired m = ConnectionPushDesired.parseFrom(bytes);
              return new ConnectionActor.PushDesired(m.getVersion(), StateValues.fromWire(m.getDesiredMap()),
                  StateValues.fromWire(m.getDeltaMap()));
            }),
        ClusterCodec.of(ConnectionActor.Registered.class, "crg",
            m -> ConnectionRegistered.newBuilder().setSessionId(m.sessionId())
                .setEntityNode(m.entityNode()).build().toByteArray(),
            bytes -> {
              ConnectionRegistered m = ConnectionRegistered.parseFrom(bytes);
              return new ConnectionActor.Registered(m.getSessionId(), m.getEntityNode());
            }));
  }

  /** A snapshot as it crosses nodes, alone or inside another message. */
  public static io.herald.protocol.cluster.v1.DeviceSnapshot toCluster(DeviceSnapshot m) {
    return io.herald.protocol.cluster.v1.DeviceSnapshot.newBuilder()
        .setDeviceId(m.deviceId())
        .setKnown(m.known())
        .putAllReported(StateValues.toWire(m.reported()))
        .setReportedVersion(m.reportedVersion())
        .putAllDesired(StateValues.toWire(m.desired()))
        .setDesiredVersion(m.desiredVersion())
        .setAckedDesiredVersion(m.ackedDesiredVersion())
        .setOnline(m.online())
        .setNodeId(m.nodeId())
        .setSessionId(m.sessionId())
        .setLastSeen(Timestamp.newBuilder().setSeconds(m.lastSeen().getEpochSecond()).setNanos(m.lastSeen().getNano()))
        .addAllGroups(m.groups())
        .build();
  }

  public static DeviceSnapshot fromCluster(io.herald.protocol.cluster.v1.DeviceSnapshot m) {
    return new DeviceSnapshot(m.getDeviceId(), m.getKnown(), StateValues.fromWire(m.getReportedMap()),
        m.getReportedVersion(), StateValues.fromWire(m.getDesiredMap()), m.getDesiredVersion(),
        m.getAckedDesiredVersion(), m.getOnline(), m.getNodeId(), m.getSessionId(),
        Instant.ofEpochSecond(m.getLastSeen().getSeconds(), m.getLastSeen().getNanos()), List.copyOf(m.getGroupsList()));
  }
}
