package io.herald.protocol;

/**
 * The topic grammar: {@code /}-separated segments of {@code [A-Za-z0-9_.-]}, no empty
 * segment, a bounded length. Topics starting with {@code $} belong to the system
 * ({@code $device/...}, {@code $group/...}) and only the node publishes to them.
 */
public final class Topics {

  /** The prefix of system topics. */
  public static final String SYSTEM_PREFIX = "$";

  /** What a topic check found. */
  public enum Verdict {
    VALID,
    INVALID,
    RESERVED
  }

  private Topics() {}

  /** Checks a topic a client wants to use; system topics are {@link Verdict#RESERVED}. */
  public static Verdict check(String topic, int maxLength) {
    if (topic == null || topic.isEmpty() || topic.length() > maxLength) {
      return Verdict.INVALID;
    }
    if (topic.startsWith(SYSTEM_PREFIX)) {
      return isWellFormed(topic, 1) ? Verdict.RESERVED : Verdict.INVALID;
    }
    return isWellFormed(topic, 0) ? Verdict.VALID : Verdict.INVALID;
  }

  /** A human-readable reason for a verdict other than {@link Verdict#VALID}. */
  public static String explain(String topic, Verdict verdict, int maxLength) {
    return switch (verdict) {
      case VALID -> "valid topic";
      case RESERVED -> "topics starting with '$' are reserved for the system: '" + abbreviate(topic) + "'";
      case INVALID -> "invalid topic '" + abbreviate(topic) + "': use '/'-separated segments of"
          + " [A-Za-z0-9_.-], no empty segment, at most " + maxLength + " characters";
    };
  }

  private static boolean isWellFormed(String topic, int start) {
    boolean segmentEmpty = true;
    for (int i = start; i < topic.length(); i++) {
      char c = topic.charAt(i);
      if (c == '/') {
        if (segmentEmpty) {
          return false;
        }
        segmentEmpty = true;
      } else if (isSegmentChar(c)) {
        segmentEmpty = false;
      } else {
        return false;
      }
    }
    return !segmentEmpty;
  }

  private static boolean isSegmentChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || c == '_' || c == '.' || c == '-';
  }

  private static String abbreviate(String topic) {
    if (topic == null) {
      return "";
    }
    return topic.length() <= 80 ? topic : topic.substring(0, 80) + "...";
  }
}
