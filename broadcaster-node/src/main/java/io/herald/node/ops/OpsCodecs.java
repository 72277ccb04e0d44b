package io.herald.node.ops;

import io.herald.node.cluster.ClusterCodec;
import io.herald.protocol.cluster.v1.NodeStatusRead;
import io.herald.protocol.v1.NodeStatus;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRefResolver;

/** Protobuf codecs for the messages of {@link NodeStatusService}. */
public final class OpsCodecs {

  private OpsCodecs() {}

  public static List<ClusterCodec<?>> all(ActorRefResolver refs) {
    return List.of(
        ClusterCodec.of(NodeStatusService.Read.class, "nsr",
            m -> NodeStatusRead.newBuilder().setReplyTo(refs.toSerializationFormat(m.replyTo())).build().toByteArray(),
            bytes -> new NodeStatusService.Read(refs.resolveActorRef(NodeStatusRead.parseFrom(bytes).getReplyTo()))),
        ClusterCodec.of(NodeStatusService.Answer.class, "nsa",
            m -> m.status().toByteArray(),
            bytes -> new NodeStatusService.Answer(NodeStatus.parseFrom(bytes))));
  }
}
