package io.herald.protocol;

import com.google.protobuf.CodedOutputStream;
import io.herald.protocol.v1.ServerFrame;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * Builds {@code ServerFrame}s that carry topic messages from messages encoded once per
 * publish. A Protobuf message field is its tag, its length and its bytes, and a JSON
 * object member is its name and its text, so a frame of one message or a batch of many is
 * a concatenation of the pre-encoded parts: nothing is encoded again per subscriber.
 */
public final class MessageFrames {

  private static final int MESSAGE_TAG = tag(ServerFrame.MESSAGE_FIELD_NUMBER);
  private static final int BATCH_TAG = tag(ServerFrame.BATCH_FIELD_NUMBER);
  private static final int BATCH_ENTRY_TAG = tag(io.herald.protocol.v1.MessageBatch.MESSAGES_FIELD_NUMBER);

  private MessageFrames() {}

  /** A binary {@code ServerFrame} whose kind is {@code message}. */
  public static byte[] binaryFrame(byte[] encodedMessage) {
    int size = CodedOutputStream.computeUInt32SizeNoTag(MESSAGE_TAG)
        + CodedOutputStream.computeUInt32SizeNoTag(encodedMessage.length) + encodedMessage.length;
    byte[] frame = new byte[size];
    CodedOutputStream out = CodedOutputStream.newInstance(frame);
    try {
      out.writeUInt32NoTag(MESSAGE_TAG);
      out.writeUInt32NoTag(encodedMessage.length);
      out.writeRawBytes(encodedMessage);
      out.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return frame;
  }

  /** A binary {@code ServerFrame} whose kind is {@code batch}, the messages in order. */
  public static byte[] binaryBatch(List<byte[]> encodedMessages) {
    int batchSize = 0;
    for (byte[] message : encodedMessages) {
      batchSize += CodedOutputStream.computeUInt32SizeNoTag(BATCH_ENTRY_TAG)
          + CodedOutputStream.computeUInt32SizeNoTag(message.length) + message.length;
    }
    int size = CodedOutputStream.computeUInt32SizeNoTag(BATCH_TAG)
        + CodedOutputStream.computeUInt32SizeNoTag(batchSize) + batchSize;
    byte[] frame = new byte[size];
    CodedOutputStream out = CodedOutputStream.newInstance(frame);
    try {
      out.writeUInt32NoTag(BATCH_TAG);
      out.writeUInt32NoTag(batchSize);
      for (byte[] message : encodedMessages) {
        out.writeUInt32NoTag(BATCH_ENTRY_TAG);
        out.writeUInt32NoTag(message.length);
        out.writeRawBytes(message);
      }
      out.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return frame;
  }

  /** A JSON {@code ServerFrame} whose kind is {@code message}. */
  public static String jsonFrame(String messageJson) {
    return "{\"message\":" + messageJson + "}";
  }

  /** A JSON {@code ServerFrame} whose kind is {@code batch}, the messages in order. */
  public static String jsonBatch(List<String> messagesJson) {
    int length = 32;
    for (String message : messagesJson) {
      length += message.length() + 1;
    }
    StringBuilder frame = new StringBuilder(length).append("{\"batch\":{\"messages\":[");
    for (int i = 0; i < messagesJson.size(); i++) {
      if (i > 0) {
        frame.append(',');
      }
      frame.append(messagesJson.get(i));
    }
    return frame.append("]}}").toString();
  }

  private static int tag(int fieldNumber) {
    return (fieldNumber << 3) | 2; // wire type 2: length-delimited
  }
}
