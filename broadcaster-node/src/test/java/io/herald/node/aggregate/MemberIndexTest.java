package io.herald.node.aggregate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class MemberIndexTest {

  private final MemberIndex index = new MemberIndex();
  private final TreeSet<String> members = new TreeSet<>();

  @Test
  void pagesFollowJoinsAndLeavesSinceTheSort() {
    join("b", "d", "f");
    assertEquals(new Aggregate.MemberPage(List.of("b", "d"), true), page("", 2));

    join("a", "e");
    leave("d");
    assertEquals(new Aggregate.MemberPage(List.of("a", "b", "e"), true), page("", 3), "a and e joined, d left");
    assertEquals(new Aggregate.MemberPage(List.of("e", "f"), false), page("b", 5));

    join("d");
    assertEquals(new Aggregate.MemberPage(List.of("d", "e", "f"), false), page("c", 5), "d came back, and is named once");
    assertEquals(new Aggregate.MemberPage(List.of(), false), page("f", 5));
    assertEquals(new Aggregate.MemberPage(List.of("e"), true), page("da", 1), "after an id that is no member");
  }

  @Test
  void agreesWithASortedSetThroughManyRandomChangesAndWalks() {
    Random random = new Random(7);
    for (int step = 0; step < 30_000; step++) {
      String id = "m" + random.nextInt(500);
      if (random.nextInt(3) == 0) {
        leave(id);
      } else {
        join(id);
      }
      if (step % 97 == 0) {
        int limit = 1 + random.nextInt(60);
        List<String> walked = new ArrayList<>();
        String after = "";
        Aggregate.MemberPage page;
        do {
          page = page(after, limit);
          walked.addAll(page.memberIds());
          after = page.memberIds().isEmpty() ? after : page.memberIds().get(page.memberIds().size() - 1);
        } while (page.more());
        assertEquals(List.copyOf(members), walked, "at step " + step);
      }
      if (step % 13 == 0) {
        String after = "m" + random.nextInt(500);
        List<String> expected = members.tailSet(after, false).stream().limit(10).toList();
        assertEquals(expected, page(after, 10).memberIds(), "after " + after + " at step " + step);
      }
    }
  }

  private void join(String... ids) {
    for (String id : ids) {
      if (members.add(id)) {
        index.joined(id);
      }
    }
  }

  private void leave(String id) {
    if (members.remove(id)) {
      index.left(id);
    }
  }

  private Aggregate.MemberPage page(String after, int limit) {
    return index.page(after, limit, members, members::contains);
  }
}
