package io.herald.node.connection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.herald.node.metrics.NodeMetrics;
import io.herald.protocol.WireFormat;
import io.herald.protocol.v1.DisconnectReason;
import io.herald.protocol.v1.ServerFrame;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class OutboundBufferTest {

  private final NodeMetrics metrics = new NodeMetrics();

  @Test
  void dropOldestKeepsTheNewestFramesAndCountsEachDrop() throws Exception {
    OutboundBuffer buffer = buffer(SlowConsumerPolicy.DROP_OLDEST, 3, 1);
    for (int sequence = 1; sequence <= 5; sequence++) {
      buffer.offer(message(sequence));
    }

    assertEquals(List.of(3L, 4L, 5L), drainSequences(buffer));
    assertEquals(2L, metrics.snapshot().get("drops.slow_consumer"));
  }

  @Test
  void disconnectPolicyDiscardsTheQueueAndEndsWithSlowConsumer() throws Exception {
    OutboundBuffer buffer = buffer(SlowConsumerPolicy.DISCONNECT, 2, 1);
    buffer.offer(message(1));
    buffer.offer(message(2));

    assertEquals(OutboundPort.OfferResult.OVERFLOWED, buffer.offer(message(3)));
    assertEquals(OutboundPort.OfferResult.CLOSED, buffer.offer(message(4)));
    ServerFrame last = ServerFrame.parseFrom(buffer.takeBinary());
    assertEquals(DisconnectReason.SLOW_CONSUMER, last.getDisconnect().getReason());
    assertTrue(buffer.isFinished());
    assertNull(buffer.takeBinary());
    assertEquals(1L, metrics.snapshot().get("connections_closed.slow_consumer"));
  }

  @Test
  void laggingMessagesAreCoalescedIntoBatchesThatStopAtControlFrames() throws Exception {
    OutboundBuffer buffer = buffer(SlowConsumerPolicy.DROP_OLDEST, 100, 3);
    for (int sequence = 1; sequence <= 4; sequence++) {
      buffer.offer(message(sequence));
    }
    buffer.offer(ServerFrames.pong(9));
    buffer.offer(message(5));

    ServerFrame first = ServerFrame.parseFrom(buffer.takeBinary());
    assertEquals(3, first.getBatch().getMessagesCount(), "a batch holds at most max-batch-messages");
    assertEquals(4, ServerFrame.parseFrom(buffer.takeBinary()).getMessage().getSequence());
    assertTrue(ServerFrame.parseFrom(buffer.takeBinary()).hasPong(), "control frames are never batched");
    assertEquals(5, ServerFrame.parseFrom(buffer.takeBinary()).getMessage().getSequence());
    assertNull(buffer.takeBinary());
  }

  @Test
  void closeWritesWhatIsQueuedThenTheLastFrame() throws Exception {
    OutboundBuffer buffer = buffer(SlowConsumerPolicy.DROP_OLDEST, 10, 1);
    buffer.offer(message(1));
    buffer.close(ServerFrames.disconnect(DisconnectReason.SHUTDOWN, "bye", Duration.ofSeconds(1)));

    assertEquals(OutboundPort.OfferResult.CLOSED, buffer.offer(message(2)));
    assertEquals(1, ServerFrame.parseFrom(buffer.takeBinary()).getMessage().getSequence());
    assertEquals(DisconnectReason.SHUTDOWN, ServerFrame.parseFrom(buffer.takeBinary()).getDisconnect().getReason());
    assertTrue(buffer.isFinished());
  }

  @Test
  void aWaitingConsumerIsWokenOnceWhenFramesArrive() {
    OutboundBuffer buffer = buffer(SlowConsumerPolicy.DROP_OLDEST, 10, 1);
    AtomicInteger wakeups = new AtomicInteger();
    buffer.onWakeup(wakeups::incrementAndGet);

    assertEquals(false, buffer.awaitWork());
    buffer.offer(message(1));
    buffer.offer(message(2));

    assertEquals(1, wakeups.get());
  }

  @Test
  void jsonBatchesCarryTheSameMessages() throws Exception {
    OutboundBuffer buffer = new OutboundBuffer("s", WireFormat.JSON, settings(SlowConsumerPolicy.DROP_OLDEST, 10, 10),
        ServerFrames.ping(), metrics);
    buffer.offer(message(1));
    buffer.offer(message(2));

    ServerFrame batch = io.herald.protocol.Json.parse(buffer.takeJson(), ServerFrame.newBuilder()).build();
    assertEquals(List.of(1L, 2L), batch.getBatch().getMessagesList().stream().map(m -> m.getSequence()).toList());
  }

  @Test
  void jsonAsBytesIsTheSameTextAndASharedFrameIsEncodedOnce() throws Exception {
    OutboundBuffer buffer = new OutboundBuffer("s", WireFormat.JSON, settings(SlowConsumerPolicy.DROP_OLDEST, 10, 10),
        ServerFrames.ping(), metrics);
    OutboundFrame shared = message(1);
    buffer.offer(shared);
    byte[] single = buffer.takeJsonUtf8();
    assertEquals(shared.json(), new String(single, java.nio.charset.StandardCharsets.UTF_8));
    assertSame(shared.jsonUtf8(), single, "one encoding for every connection the frame goes to");

    buffer.offer(message(2));
    buffer.offer(message(3));
    ServerFrame batch = io.herald.protocol.Json.parse(
        new String(buffer.takeJsonUtf8(), java.nio.charset.StandardCharsets.UTF_8), ServerFrame.newBuilder()).build();
    assertEquals(List.of(2L, 3L), batch.getBatch().getMessagesList().stream().map(m -> m.getSequence()).toList());
  }

  private OutboundBuffer buffer(SlowConsumerPolicy policy, int capacity, int maxBatch) {
    return new OutboundBuffer("s", WireFormat.PROTOBUF, settings(policy, capacity, maxBatch),
        ServerFrames.disconnect(DisconnectReason.SLOW_CONSUMER, "slow", Duration.ZERO), metrics);
  }

  static ConnectionSettings settings(SlowConsumerPolicy policy, int capacity, int maxBatch) {
    return new ConnectionSettings(capacity, policy, maxBatch, 1 << 20, Duration.ofSeconds(1), 65536, 10, 100, 0, 1,
        Duration.ofSeconds(10), Duration.ofSeconds(30), 100, 100, 10, Duration.ofSeconds(5),
        Duration.ofSeconds(1));
  }

  private static TopicMessageFrame message(long sequence) {
    return TopicMessageFrame.of("t", sequence, ByteString.copyFromUtf8("m" + sequence), Instant.EPOCH);
  }

  private static List<Long> drainSequences(OutboundBuffer buffer) throws Exception {
    List<Long> sequences = new ArrayList<>();
    byte[] frame;
    while ((frame = buffer.takeBinary()) != null) {
      sequences.add(ServerFrame.parseFrom(frame).getMessage().getSequence());
    }
    return sequences;
  }
}
