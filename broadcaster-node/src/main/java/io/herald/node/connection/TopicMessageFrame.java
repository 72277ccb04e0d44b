package io.herald.node.connection;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import io.herald.protocol.Json;
import io.herald.protocol.MessageFrames;
import io.herald.protocol.v1.Message;
import java.time.Instant;

/**
 * One message of a topic, encoded once per publish however many subscribers receive it.
 * Consecutive topic messages waiting for one connection may be written as one batch frame,
 * built from {@link #encodedMessage()} or {@link #messageJson()} without encoding again.
 */
public final class TopicMessageFrame extends OutboundFrame {

  private final Message message;
  private final long acceptedAtNanos = System.nanoTime();
  private volatile byte[] encodedMessage;
  private volatile String messageJson;

  private TopicMessageFrame(Message message) {
    this.message = message;
  }

  public static TopicMessageFrame of(String topic, long sequence, ByteString payload, Instant publishTime) {
    return new TopicMessageFrame(Message.newBuilder()
        .setTopic(topic)
        .setSequence(sequence)
        .setPayload(payload)
        .setPublishTime(Timestamp.newBuilder()
            .setSeconds(publishTime.getEpochSecond())
            .setNanos(publishTime.getNano()))
        .build());
  }

  public String topic() {
    return message.getTopic();
  }

  public long sequence() {
    return message.getSequence();
  }

  /** When the topic accepted the message, on this JVM's nanosecond clock. */
  public long acceptedAtNanos() {
    return acceptedAtNanos;
  }

  /** The {@code Message} alone, Protobuf-encoded. */
  public byte[] encodedMessage() {
    byte[] encoded = encodedMessage;
    if (encoded == null) {
      encoded = message.toByteArray();
      encodedMessage = encoded;
    }
    return encoded;
  }

  /** The {@code Message} alone, in JSON. */
  public String messageJson() {
    String encoded = messageJson;
    if (encoded == null) {
      encoded = Json.print(message);
      messageJson = encoded;
    }
    return encoded;
  }

  @Override
  protected byte[] encodeBinary() {
    return MessageFrames.binaryFrame(encodedMessage());
  }

  @Override
  protected String encodeJson() {
    return MessageFrames.jsonFrame(messageJson());
  }
}
