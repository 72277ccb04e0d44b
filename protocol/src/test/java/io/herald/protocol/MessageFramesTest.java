package io.herald.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import io.herald.protocol.v1.Message;
import io.herald.protocol.v1.MessageBatch;
import io.herald.protocol.v1.ServerFrame;
import java.util.List;
import org.junit.jupiter.api.Test;

class MessageFramesTest {

  private final Message first = message(1, 200);
  private final Message second = message(2, 3);

  @Test
  void binaryFrameDecodesAsAServerFrameCarryingTheMessage() throws Exception {
    ServerFrame frame = ServerFrame.parseFrom(MessageFrames.binaryFrame(first.toByteArray()));

    assertEquals(ServerFrame.newBuilder().setMessage(first).build(), frame);
  }

  @Test
  void binaryBatchDecodesAsABatchOfTheMessagesInOrder() throws Exception {
    byte[] batch = MessageFrames.binaryBatch(List.of(first.toByteArray(), second.toByteArray()));

    ServerFrame expected = ServerFrame.newBuilder()
        .setBatch(MessageBatch.newBuilder().addMessages(first).addMessages(second))
        .build();
    assertEquals(expected, ServerFrame.parseFrom(batch));
  }

  @Test
  void jsonFrameParsesAsAServerFrameCarryingTheMessage() throws Exception {
    String json = MessageFrames.jsonFrame(Json.print(first));

    assertEquals(ServerFrame.newBuilder().setMessage(first).build(),
        Json.parse(json, ServerFrame.newBuilder()).build());
  }

  @Test
  void jsonBatchParsesAsABatchOfTheMessagesInOrder() throws Exception {
    String json = MessageFrames.jsonBatch(List.of(Json.print(first), Json.print(second)));

    ServerFrame expected = ServerFrame.newBuilder()
        .setBatch(MessageBatch.newBuilder().addMessages(first).addMessages(second))
        .build();
    assertEquals(expected, Json.parse(json, ServerFrame.newBuilder()).build());
  }

  private static Message message(long sequence, int payloadSize) {
    return Message.newBuilder()
        .setTopic("sensors/room-1")
        .setSequence(sequence)
        .setPayload(ByteString.copyFrom(new byte[payloadSize]))
        .setPublishTime(Timestamp.newBuilder().setSeconds(1_700_000_000L).setNanos(123_000_000))
        .build();
  }
}
