package io.herald.node.aggregate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * A group's member ids in order, for walking the group a page at a time. The first page
 * asked for sorts the ids into an array; ids that join after that are kept sorted beside
 * it, and ids that leave are skipped when a page comes to them. So a page costs a binary
 * search and its own length, not a pass over the group, and a member's report costs the
 * index nothing: only joins and leaves touch it. Once the joins and leaves since the sort
 * reach a quarter of the array, the next page sorts again. Not thread-safe: its aggregate
 * owns it.
 */
final class MemberIndex {

  /** Below this many changes a small group's array is kept however much of it changed. */
  private static final int MIN_CHANGES_BEFORE_RESORT = 64;

  /** The ids as they were at the last sort, in order; null until a page is asked for. */
  private String[] sorted;
  /** Ids that joined since the sort, in order (some may have left again). */
  private final TreeSet<String> joined = new TreeSet<>();
  /** How many ids of the array left since the sort (some may have joined again). */
  private int left;

  void joined(String memberId) {
    if (sorted != null) {
      joined.add(memberId);
      dropIfStale();
    }
  }

  void left(String memberId) {
    if (sorted != null) {
      if (!joined.remove(memberId)) {
        left++;
      }
      dropIfStale();
    }
  }

  /**
   * The first {@code limit} members after {@code after} in order (from the first when
   * {@code after} is empty), and whether more follow. {@code memberIds} are all members
   * now, read only to sort; {@code isMember} tells which ids still are.
   */
  Aggregate.MemberPage page(String after, int limit, Collection<String> memberIds, Predicate<String> isMember) {
    if (sorted == null) {
      sorted = memberIds.toArray(String[]::new);
      Arrays.sort(sorted);
      joined.clear();
      left = 0;
    }
    int next = Arrays.binarySearch(sorted, after);
    next = next >= 0 ? next + 1 : -(next + 1);
    Iterator<String> joinedAfter = joined.tailSet(after, false).iterator();
    String joinedNext = joinedAfter.hasNext() ? joinedAfter.next() : null;
    List<String> page = new ArrayList<>(Math.min(limit + 1, 1024));
    while (page.size() <= limit && (next < sorted.length || joinedNext != null)) {
      String candidate;
      int order = next == sorted.length ? 1 : joinedNext == null ? -1 : sorted[next].compareTo(joinedNext);
      if (order <= 0) {
        candidate = sorted[next++];
        if (order == 0) { // left and joined again: once is enough
          joinedNext = joinedAfter.hasNext() ? joinedAfter.next() : null;
        }
      } else {
        candidate = joinedNext;
        joinedNext = joinedAfter.hasNext() ? joinedAfter.next() : null;
      }
      if (isMember.test(candidate)) {
        page.add(candidate);
      }
    }
    boolean more = page.size() > limit;
    if (more) {
      page.remove(limit);
    }
    return new Aggregate.MemberPage(page, more);
  }

  private void dropIfStale() {
    if (joined.size() + left > Math.max(MIN_CHANGES_BEFORE_RESORT, sorted.length / 4)) {
      sorted = null;
      joined.clear();
      left = 0;
    }
  }
}
