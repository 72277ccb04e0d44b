package io.herald.node.cluster;

import io.herald.node.device.DeviceCodecs;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRefResolver;

/** Every message that crosses nodes, with its codec. */
final class ClusterCodecs {

  private ClusterCodecs() {}

  static List<ClusterCodec<?>> all(ActorRefResolver refs) {
    return List.copyOf(DeviceCodecs.all(refs));
  }
}
