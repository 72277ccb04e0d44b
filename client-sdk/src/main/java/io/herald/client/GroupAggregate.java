package io.herald.client;

import java.util.Map;

/**
 * A group's live aggregates.
 *
 * @param groupId the group
 * @param members devices whose token names the group and that have connected
 * @param online how many of them are connected now
 * @param fields per numeric field, over the online members that report it
 */
public record GroupAggregate(String groupId, int members, int online, Map<String, FieldStats> fields) {

  /**
   * One numeric field over a group's online members.
   *
   * @param count members reporting it
   * @param sum their sum
   * @param min the smallest value
   * @param max the largest value
   * @param mean sum divided by count
   */
  public record FieldStats(long count, double sum, double min, double max, double mean) {}
}
