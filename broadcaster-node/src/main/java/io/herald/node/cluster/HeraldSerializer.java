package io.herald.node.cluster;

import java.io.NotSerializableException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Writes every {@link ClusterMessage} as Protobuf. Each message type has a
 * {@link ClusterCodec} with a short stable manifest; the codecs live beside the actors
 * whose protocols they encode, and are listed in {@link ClusterCodecs}.
 */
public final class HeraldSerializer extends SerializerWithStringManifest {

  /** Pekko reserves identifiers up to 40; this one is Herald's. */
  public static final int IDENTIFIER = 7301;

  private final Map<Class<?>, ClusterCodec<?>> byClass = new HashMap<>();
  private final Map<String, ClusterCodec<?>> byManifest = new HashMap<>();

  public HeraldSerializer(ExtendedActorSystem system) {
    ActorRefResolver refs = ActorRefResolver.get(Adapter.toTyped(system));
    register(ClusterCodecs.all(refs));
  }

  private void register(List<ClusterCodec<?>> codecs) {
    for (ClusterCodec<?> codec : codecs) {
      if (byManifest.put(codec.manifest(), codec) != null) {
        throw new IllegalStateException("two codecs share the manifest " + codec.manifest());
      }
      byClass.put(codec.type(), codec);
    }
  }

  @Override
  public int identifier() {
    return IDENTIFIER;
  }

  @Override
  public String manifest(Object message) {
    return codecFor(message).manifest();
  }

  @Override
  @SuppressWarnings("unchecked")
  public byte[] toBinary(Object message) {
    return ((ClusterCodec<Object>) codecFor(message)).encode(message);
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    ClusterCodec<?> codec = byManifest.get(manifest);
    if (codec == null) {
      throw new NotSerializableException("no codec for manifest " + manifest);
    }
    try {
      return codec.decode(bytes);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new NotSerializableException("cannot decode " + manifest + ": " + e.getMessage());
    }
  }

  private ClusterCodec<?> codecFor(Object message) {
    ClusterCodec<?> codec = byClass.get(message.getClass());
    if (codec == null) {
      throw new IllegalArgumentException("no codec for " + message.getClass().getName());
    }
    return codec;
  }
}
