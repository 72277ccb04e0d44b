package io.herald.node.aggregate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;

class UnconfirmedWordsTest {

  private static final long AFTER = 2_000;

  private final UnconfirmedWords words = new UnconfirmedWords(100);

  @Test
  void confirmedWordsAreForgotten() {
    long first = send("g", 0, changed("d1"), changed("d2"));
    assertEquals(2, words.size());
    words.confirmed(first);
    assertEquals(0, words.size());
    assertTrue(words.isEmpty());
    assertEquals(new UnconfirmedWords.Due(List.of(), Set.of()), words.due(10 * AFTER, AFTER));
  }

  @Test
  void aBatchOverdueWhileALaterOneArrivedWasLostAndItsWordsAreDue() {
    send("g", 0, changed("d1"));
    long second = send("g", 10, changed("d2"));
    words.confirmed(second);
    assertEquals(new UnconfirmedWords.Due(List.of(), Set.of()), words.due(AFTER - 1, AFTER), "not yet overdue");
    assertEquals(List.of(new UnconfirmedWords.Resend("g", changed("d1"))), words.due(AFTER, AFTER).resend());
    assertTrue(words.isEmpty(), "what is due is taken out, to go again as a new batch");
  }

  @Test
  void aLastBatchOverdueIsProbedAndItsWordsAreDueOnceTheProbeArrives() {
    send("g", 0, changed("d1"));
    UnconfirmedWords.Due due = words.due(AFTER, AFTER);
    assertEquals(new UnconfirmedWords.Due(List.of(), Set.of("g")), due, "nothing went after it: probe first");
    long probe = words.nextBatch();
    words.probed("g", AFTER);
    assertEquals(new UnconfirmedWords.Due(List.of(), Set.of()), words.due(AFTER + 1, AFTER),
        "the probe is on its way");
    words.confirmed(probe);
    assertEquals(List.of(new UnconfirmedWords.Resend("g", changed("d1"))), words.due(AFTER + 2, AFTER).resend());
  }

  @Test
  void aSlowGroupIsProbedAgainButSentNoWordTwice() {
    long first = send("g", 0, changed("d1"));
    long second = send("g", 1, changed("d2"));
    assertEquals(Set.of("g"), words.due(AFTER + 1, AFTER).probe());
    long probe = words.nextBatch();
    words.probed("g", AFTER + 1);
    assertEquals(Set.of(), words.due(2 * AFTER, AFTER).probe(), "the probe is not overdue yet");
    assertEquals(Set.of("g"), words.due(2 * AFTER + 1, AFTER).probe(), "the probe is overdue too");
    long secondProbe = words.nextBatch();
    words.probed("g", 2 * AFTER + 1);

    // The group catches up and confirms everything in the order it was sent.
    for (long number : new long[] {first, second, probe, secondProbe}) {
      words.confirmed(number);
    }
    assertTrue(words.isEmpty());
    assertEquals(new UnconfirmedWords.Due(List.of(), Set.of()), words.due(10 * AFTER, AFTER));
  }

  @Test
  void aNewerWordOfTheSameDeviceSupersedesAnOlderOneLost() {
    send("g", 0, changed("d1"), changed("d2"));
    long second = send("g", 1, new GroupAggregator.MemberLeft("d1", 5));
    words.confirmed(second);
    assertEquals(List.of(new UnconfirmedWords.Resend("g", changed("d2"))), words.due(AFTER + 1, AFTER).resend(),
        "d1 left since: its older word must not bring it back");
    assertEquals(0, words.size());
  }

  @Test
  void groupsAreJudgedEachByItsOwnBatches() {
    send("north", 0, changed("d1"));
    long south = send("south", 1, changed("d1"));
    words.confirmed(south);
    UnconfirmedWords.Due due = words.due(AFTER + 1, AFTER);
    assertEquals(List.of(), due.resend(), "a later batch to another group says nothing of north's");
    assertEquals(Set.of("north"), due.probe());
  }

  @Test
  void beyondItsBoundTheOldestBatchesAreGivenUp() {
    UnconfirmedWords small = new UnconfirmedWords(3);
    small.sent("g", batch(small.nextBatch(), changed("d1"), changed("d2")), 0);
    small.sent("g", batch(small.nextBatch(), changed("d3"), changed("d4")), 1);
    assertEquals(2, small.size());
    assertEquals(2, small.takeGivenUp());
    assertEquals(0, small.takeGivenUp());
  }

  private long send(String group, long atNanos, GroupAggregator.MemberUpdate... updates) {
    long number = words.nextBatch();
    words.sent(group, batch(number, updates), atNanos);
    return number;
  }

  private static GroupAggregator.MembersUpdated batch(long number, GroupAggregator.MemberUpdate... updates) {
    ActorRef<GroupFeed.Command> noFeed = null;
    return GroupAggregator.MembersUpdated.of(List.of(updates), "node", number, noFeed);
  }

  private static GroupAggregator.MemberChanged changed(String device) {
    return new GroupAggregator.MemberChanged(device, true, Map.of("t", 1.0), 1);
  }
}
