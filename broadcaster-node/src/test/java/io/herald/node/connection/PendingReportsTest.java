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
    long first = pending.sent(7, 0, (number, oldest) -> number);
    long second = pending.sent(7, 10, (number, oldest) -> number);
    long third = pending.sent(8, 20, (number, oldest) -> number);
    assertTrue(pending.isFull());
    assertEquals(first, pending.oldestWaiting());

    assertEquals(7, pending.answered(second));
    assertEquals(PendingReports.UNKNOWN, pending.answered(second), "an answer counts once");
    assertFalse(pending.isFull());

    assertEquals(List.of(7L), pending.overdue(105, 100), "only the first is 100 ns old");
    assertEquals(PendingReports.UNKNOWN, pending.answered(first), "given up on: its late answer is dropped");
    assertEquals(third, pending.oldestWaiting());
    assertEquals(8, pending.answered(third));
    assertTrue(pending.isEmpty());
  }

  @Test
  void eachReportIsStampedWithTheOldestWaitingAndTheWaitingAreSentAgainTogether() {
    PendingReports<List<Long>> pending = new PendingReports<>(8);
    assertEquals(List.of(1L, 1L), pending.sent(1, 0, List::of), "nothing older waits");
    assertEquals(List.of(2L, 1L), pending.sent(2, 30, List::of));
    assertEquals(70, pending.nanosUntilNextCheck(0, 1000, 70), "the first is due to be sent again at 70");
    assertFalse(pending.resendDue(69, 70));
    assertTrue(pending.resendDue(70, 70));

    assertEquals(List.of(List.of(1L, 1L), List.of(2L, 1L)), pending.resend(70), "oldest first");
    assertFalse(pending.resendDue(100, 70), "sent again at 70");
    assertEquals(70, pending.nanosUntilNextCheck(70, 1000, 70));
    assertEquals(30, pending.nanosUntilNextCheck(70, 100, 70), "given up on at 100, before the next sending");
  }
}
