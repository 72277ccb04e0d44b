package io.herald.node.topic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.typesafe.config.ConfigFactory;
import io.herald.node.metrics.NodeMetrics;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a topic keeps for devices that resume, within its own bounds and the node's room. */
class TopicHistoryTest {

  private static final Duration A_MINUTE = Duration.ofMinutes(1);
  /** Twenty bytes of payload: a hundred bytes of the node's room with the bookkeeping. */
  private static final ByteString TWENTY_BYTES = ByteString.copyFromUtf8("x".repeat(20));
  private static final long COST = 20 + HistoryBudget.MESSAGE_OVERHEAD;

  private final NodeMetrics metrics = new NodeMetrics();

  @Test
  void theHistoryKeepsItsBounds() {
    var fiveOrTenBytes = new TopicHistory(new TopicSettings.History(5, 10, A_MINUTE, 1 << 20),
        new HistoryBudget(1 << 20, metrics));
    for (long sequence = 1; sequence <= 7; sequence++) {
      fiveOrTenBytes.add(new TopicEntity.Message(sequence, ByteString.copyFromUtf8("x"), 1_000));
    }
    assertEquals(List.of(3L, 4L, 5L, 6L, 7L), sequences(fiveOrTenBytes.messages(1_000)));
    fiveOrTenBytes.add(new TopicEntity.Message(8, ByteString.copyFromUtf8("eightbytes"), 2_000));
    assertEquals(List.of(8L), sequences(fiveOrTenBytes.messages(2_000)), "ten bytes at most");
    assertTrue(fiveOrTenBytes.messages(62_000).isEmpty(), "expired a minute after it was published");

    var kept = List.of(new TopicEntity.Message(4, ByteString.EMPTY, 0), new TopicEntity.Message(5, ByteString.EMPTY, 0));
    assertTrue(TopicHistory.coversAfter(3, kept, 5), "missed 4 and 5, both kept");
    assertTrue(TopicHistory.coversAfter(5, kept, 5), "missed nothing");
    assertFalse(TopicHistory.coversAfter(2, kept, 5), "3 is gone");
    assertFalse(TopicHistory.coversAfter(6, kept, 5), "a sequence the topic never gave");
    assertTrue(TopicHistory.coversAfter(9, List.of(), 9), "nothing published since");
    assertFalse(TopicHistory.coversAfter(8, List.of(), 9), "9 expired");
  }

  @Test
  void topicsStillPublishedToComeToShareTheNodesRoom() {
    var roomForTen = new HistoryBudget(10 * COST, metrics);
    var early = historyIn(roomForTen);
    var late = historyIn(roomForTen);
    addTo(early, 1, 10);
    assertEquals(10 * COST, roomForTen.usedBytes(), "the first topic took the whole room while it was free");

    addTo(late, 1, 1);
    assertEquals(List.of(), sequences(late.messages(1_000)), "no room: not kept");
    assertEquals(1, historyFull());

    addTo(early, 11, 1);
    assertEquals(List.of(7L, 8L, 9L, 10L, 11L), sequences(early.messages(1_000)),
        "given back down to its share, half the room, oldest first");
    assertEquals(1 + 6, historyFull());

    addTo(late, 2, 3);
    assertEquals(List.of(2L, 3L, 4L), sequences(late.messages(1_000)));
    assertEquals(8 * COST, roomForTen.usedBytes());
  }

  @Test
  void aMessageThatDoesNotFitTakesNothingBeforeItAlong() {
    var roomForFour = new HistoryBudget(4 * COST, metrics);
    var big = historyIn(roomForFour);
    var small = historyIn(roomForFour);
    addTo(big, 1, 3);
    addTo(small, 1, 1);

    // Within its share (half the room) there is nothing to give back, and still no room.
    long fullBefore = historyFull();
    addTo(small, 2, 1);
    assertEquals(List.of(), sequences(small.messages(1_000)),
        "kept messages run up to the latest: without the second, the first cannot stay");
    assertEquals(fullBefore + 2, historyFull());

    addTo(big, 4, 1);
    addTo(small, 3, 1);
    assertEquals(List.of(1L, 2L, 3L, 4L), sequences(big.messages(1_000)), "took the room given back");
    assertEquals(List.of(), sequences(small.messages(1_000)));

    addTo(big, 5, 1);
    addTo(small, 4, 1);
    assertEquals(List.of(4L, 5L), sequences(big.messages(1_000)), "down to its share once it publishes again");
    assertEquals(List.of(4L), sequences(small.messages(1_000)));
  }

  @Test
  void expiredAndReleasedMessagesGiveTheirRoomBack() {
    var room = new HistoryBudget(10 * COST, metrics);
    var quiet = historyIn(room);
    var stopping = historyIn(room);
    addTo(quiet, 1, 3);
    addTo(stopping, 1, 2);
    assertEquals(5 * COST, room.usedBytes());

    assertTrue(quiet.isEmpty(1_000 + A_MINUTE.toMillis()), "expired");
    assertEquals(2 * COST, room.usedBytes());
    stopping.release();
    assertEquals(0, room.usedBytes());
  }

  @Test
  void theNodesRoomIsASizeOrAShareOfTheHeap() {
    var fifth = ConfigFactory.parseString("room = 20%, size = 256MiB, odd = 120%, words = lots%");
    assertEquals(200, TopicSettings.bytesOrShareOfHeap(fifth, "room", 1_000));
    assertEquals(256L << 20, TopicSettings.bytesOrShareOfHeap(fifth, "size", 1_000));
    assertThrows(IllegalArgumentException.class, () -> TopicSettings.bytesOrShareOfHeap(fifth, "odd", 1_000));
    assertThrows(IllegalArgumentException.class, () -> TopicSettings.bytesOrShareOfHeap(fifth, "words", 1_000));
  }

  private static TopicHistory historyIn(HistoryBudget budget) {
    return new TopicHistory(new TopicSettings.History(100, 1 << 20, A_MINUTE, 1 << 30), budget);
  }

  private static void addTo(TopicHistory history, long firstSequence, int count) {
    for (long sequence = firstSequence; sequence < firstSequence + count; sequence++) {
      history.add(new TopicEntity.Message(sequence, TWENTY_BYTES, 1_000));
    }
  }

  private long historyFull() {
    return metrics.snapshot().getOrDefault("drops.history_full", 0L);
  }

  private static List<Long> sequences(List<TopicEntity.Message> messages) {
    return messages.stream().map(TopicEntity.Message::sequence).toList();
  }
}
