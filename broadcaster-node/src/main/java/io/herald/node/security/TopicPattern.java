package io.herald.node.security;

import java.util.List;

/**
 * A topic filter in the MQTT style: segments match literally, {@code +} matches one
 * segment and a final {@code #} matches any number of remaining segments (at least
 * none). {@code sensors/+/temp} matches {@code sensors/room-1/temp}; {@code alerts/#}
 * matches {@code alerts} and {@code alerts/fire/floor-2}.
 */
public record TopicPattern(String pattern) {

  private static final String ONE = "+";
  private static final String REST = "#";

  public TopicPattern {
    List<String> segments = List.of(pattern.split("/", -1));
    for (int i = 0; i < segments.size(); i++) {
      if (segments.get(i).isEmpty() || (segments.get(i).equals(REST) && i != segments.size() - 1)) {
        throw new IllegalArgumentException("invalid topic pattern '" + pattern + "'");
      }
    }
  }

  public boolean matches(String topic) {
    String[] wanted = pattern.split("/", -1);
    String[] actual = topic.split("/", -1);
    for (int i = 0; i < wanted.length; i++) {
      if (wanted[i].equals(REST)) {
        return true;
      }
      if (i >= actual.length || !(wanted[i].equals(ONE) || wanted[i].equals(actual[i]))) {
        return false;
      }
    }
    return wanted.length == actual.length;
  }
}
