package io.herald.node.cluster;

import com.google.protobuf.InvalidProtocolBufferException;

/** How one {@link ClusterMessage} type is written as Protobuf and read back. */
public interface ClusterCodec<T> {

  Class<T> type();

  /** A short name that never changes once messages of this type have crossed nodes. */
  String manifest();

  byte[] encode(T message);

  T decode(byte[] bytes) throws InvalidProtocolBufferException;

  /** A codec from its parts. */
  static <T> ClusterCodec<T> of(Class<T> type, String manifest, Encoder<T> encoder, Decoder<T> decoder) {
    return new ClusterCodec<>() {
      @Override
      public Class<T> type() {
        return type;
      }

      @Override
      public String manifest() {
        return manifest;
      }

      @Override
      public byte[] encode(T message) {
        return encoder.encode(message);
      }

      @Override
      public T decode(byte[] bytes) throws InvalidProtocolBufferException {
        return decoder.decode(bytes);
      }
    };
  }

  /** Writes a message. */
  @FunctionalInterface
  interface Encoder<T> {
    byte[] encode(T message);
  }

  /** Reads a message. */
  @FunctionalInterface
  interface Decoder<T> {
    T decode(byte[] bytes) throws InvalidProtocolBufferException;
  }
}
