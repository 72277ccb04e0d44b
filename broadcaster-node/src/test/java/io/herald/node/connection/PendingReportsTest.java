package io.herald.node.connection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class PendingReportsTest {

  @Test
  void answersFindTheirRequestOnceAndOverdueReportsLeaveOldestFirst() {
    PendingReports<Long> pending = new PendingReports<>(3);
    long first = pending.sent(7, 0, correlation -> correlation);
    long second = pending.sent(7, 10, correlation -> correlation);
    long third = pending.sent(8, 20, correlation -> correlation);
    assertTrue(pending.isFull());
    assertEquals(List.of(first, second, third), pending.unanswered(), "kept to be sent again, oldest first");

    assertEquals(7, pending.answered(second));
    assertEquals(PendingReports.UNKNOWN, pending.answered(second), "an answer counts once");
    assertFalse(pending.isFull());

    assertEquals(List.of(7L), pending.overdue(105, 100), "only the first is 100 ns old");
    assertEquals(15, pending.nanosUntilNextOverdue(105, 100));
    assertEquals(PendingReports.UNKNOWN, pending.answered(first), "given up on: its late answer is dropped");
    assertEquals(List.of(third), pending.unanswered());
    assertEquals(8, pending.answered(third));
    assertTrue(pending.isEmpty());
  }
}
