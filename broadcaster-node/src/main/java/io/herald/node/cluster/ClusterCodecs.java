package io.herald.node.cluster;

import io.herald.node.aggregate.GroupCodecs;
import io.herald.node.device.DeviceCodecs;
import io.herald.node.ops.OpsCodecs;
import io.herald.node.topic.TopicCodecs;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRefResolver;

/** Every message that crosses nodes, with its codec. */
final class ClusterCodecs {

  private ClusterCodecs() {}

  static List<ClusterCodec<?>> all(ActorRefResolver refs) {
    List<ClusterCodec<?>> codecs = new ArrayList<>(DeviceCodecs.all(refs));
    codecs.addAll(GroupCodecs.all(refs));
    codecs.addAll(TopicCodecs.all(refs));
    codecs.addAll(OpsCodecs.all(refs));
    return codecs;
  }
}
